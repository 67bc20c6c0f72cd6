// #20 items 4, 5 and 7 replayed on the real lab, as a new operator met them there: a dry run
// of the timer install with no terminal, nfsctl's output cut short by `head`, and `config check`
// whose printed config must read back and whose unknown key must be placed and named.
import { describe, expect, it } from 'vitest';
import { labExec, NS } from './helpers.js';

const sh = (host: 'primary' | 'backup', script: string) =>
  labExec(host, ['bash', '-c', script], { timeoutMs: 120_000 });

describe.sequential(`rough edges a new operator hit, on lab ${NS}`, () => {
  it('item 4: sync install-timer --dry-run with no terminal shows the plan and writes nothing on either host', async () => {
    const cron =
      'cat /etc/cron.d/nfsctl-sync 2>/dev/null | sha256sum; ls -l --time-style=+%s /etc/cron.d/nfsctl-sync 2>&1';
    const before = await Promise.all([sh('primary', cron), sh('backup', cron)]);
    const r = await sh('primary', 'nfsctl sync install-timer --dry-run </dev/null');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\/etc\/cron\.d\/nfsctl-sync/);
    expect(r.stdout + r.stderr).not.toMatch(/refus|no terminal/i);
    const after = await Promise.all([sh('primary', cron), sh('backup', cron)]);
    expect(after.map((x) => x.stdout)).toEqual(before.map((x) => x.stdout));
  });

  it('item 5: output cut short by head ends quietly with the usual exit code (no EPIPE, no stack)', async () => {
    for (const cmd of ['nfsctl log', 'nfsctl volume list', 'nfsctl help volume create', 'nfsctl health']) {
      // `true` closes the pipe before nfsctl has written anything: every write meets EPIPE
      const r = await sh(
        'primary',
        `e=$(mktemp); ${cmd} 2>"$e" | true; echo "rc=\${PIPESTATUS[0]}"; cat "$e"; rm -f "$e"`,
      );
      const rc = Number(/rc=(\d+)/.exec(r.stdout)?.[1]);
      const full = await sh('primary', `${cmd} >/dev/null 2>&1; echo "rc=$?"`);
      expect(rc, `${cmd}: ${r.stdout}`).toBe(Number(/rc=(\d+)/.exec(full.stdout)?.[1]));
      expect(r.stdout, cmd).not.toMatch(/EPIPE|at .*\.js:\d+|Error: write/);
    }
  });

  it('item 7: config check prints a config nfsctl reads back, and an unknown key gets its own line:col and a suggestion', async () => {
    const dir = (await sh('primary', 'mktemp -d')).stdout.trim();
    try {
      const printed = await sh('primary', `nfsctl config check > ${dir}/effective.yaml; echo "rc=$?"`);
      expect(printed.stdout).toMatch(/rc=0/);
      const again = await sh('primary', `nfsctl --config ${dir}/effective.yaml config check`);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stdout).toBe((await sh('primary', `cat ${dir}/effective.yaml`)).stdout);
      expect(again.stdout).not.toMatch(/interval: \d{4,}\b/); // a duration prints as one (15m), not milliseconds

      // the case: `vpi` for `vip`, on a line of its own well below the top
      await sh(
        'primary',
        `{ head -8 /etc/nfsctl/config.yaml; echo 'vpi: 198.51.100.100'; tail -n +9 /etc/nfsctl/config.yaml; } > ${dir}/typo.yaml`,
      );
      const typo = await sh('primary', `nfsctl --config ${dir}/typo.yaml config check`);
      expect(typo.exitCode).toBe(2);
      expect(typo.stderr).toContain(`${dir}/typo.yaml:9:1`);
      expect(typo.stderr).toMatch(/vpi/);
      expect(typo.stderr).toMatch(/did you mean.*vip/i);
    } finally {
      await sh('primary', `rm -rf -- ${dir}`);
    }
  });
});
