// health and troubleshoot-mount against real faults on the lab pair: each fault must be
// named as the first cause by troubleshoot-mount and flagged by health.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fault, labExec, undoFault, undoAllFaults, waitFor, vipHolders } from './helpers.js';

const VOL = 'lab-h/probe';
const PATH = '/nfs/lab-h_probe';
const nfsctl = (args: string[], timeoutMs = 120_000) => labExec('primary', ['nfsctl', ...args], { timeoutMs });

interface Finding {
  id: string;
  host: string | null;
  status: 'ok' | 'warn' | 'critical';
  title: string;
  evidence: string;
  fix?: string;
}

async function health(): Promise<{ health: string; checks: Finding[]; durationMs: number; exitCode: number }> {
  const r = await nfsctl(['health', '--json']);
  return { ...JSON.parse(r.stdout), exitCode: r.exitCode };
}

async function diagnose(
  from = 'client',
): Promise<{ causeFound: boolean; findings: Finding[]; exitCode: number; ms: number }> {
  const t0 = Date.now();
  const r = await nfsctl(['troubleshoot-mount', VOL, '--from', from, '--json']);
  expect(r.stdout, r.stderr).not.toBe('');
  return { ...JSON.parse(r.stdout), exitCode: r.exitCode, ms: Date.now() - t0 };
}

const firstCause = (d: { findings: Finding[] }) => d.findings.find((f) => f.status === 'critical');

beforeAll(async () => {
  await nfsctl(['volume', 'delete', VOL, '--yes', '--force']);
  const r = await nfsctl(['volume', 'create', VOL, '--size', '32M', '--backend', 'xfsquota', '--yes']);
  expect(r.exitCode, r.stderr).toBe(0);
  // a fresh sync record, so the healthy baseline is really healthy
  await nfsctl(['sync', '--yes']);
});

afterAll(async () => {
  await undoAllFaults();
  await nfsctl(['volume', 'delete', VOL, '--yes', '--force']);
});

describe('healthy pair', () => {
  it('health is ok, exit 0, quickly; troubleshoot finds no cause and mounts from the client', async () => {
    const h = await health();
    expect(
      h.checks.filter((c) => c.status !== 'ok'),
      JSON.stringify(h.checks.filter((c) => c.status !== 'ok')),
    ).toEqual([]);
    expect(h.health).toBe('ok');
    expect(h.exitCode).toBe(0);
    const d = await diagnose();
    expect(d.causeFound, JSON.stringify(d.findings)).toBe(false);
    expect(d.exitCode).toBe(0);
    expect(d.findings.find((f) => f.id === 'trial-mount')?.evidence).toMatch(/nfs-cat/);
  });

  it('--from [user@]node[:port]: the user and port reach SSH; a login that fails is reported as SSH to the node; bad values are exit 2', async () => {
    const ok = await diagnose('root@client:22');
    expect(ok.causeFound, JSON.stringify(ok.findings)).toBe(false);
    expect(ok.findings.find((f) => f.id === 'ssh')).toMatchObject({ status: 'ok', title: 'SSH to root@client:22' });
    // nobody is not authorised on the client: the cause is the SSH login, with its reason
    const nobody = await diagnose('nobody@client');
    expect(nobody.exitCode).toBe(1);
    expect(firstCause(nobody)).toMatchObject({ id: 'ssh', title: 'SSH to nobody@client' });
    expect(firstCause(nobody)!.evidence).toMatch(
      /authentication|All configured authentication methods failed|permission denied/i,
    );
    expect(nobody.findings.some((f) => f.id === 'ports')).toBe(false);
    for (const bad of ['', '-oProxyCommand=touch /tmp/nfsctl-pwned', 'client:0', 'no body@client']) {
      const r = await nfsctl(['troubleshoot-mount', VOL, '--from', bad]);
      expect(r.exitCode, `${bad}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('--from');
    }
    expect((await labExec('primary', ['test', '-e', '/tmp/nfsctl-pwned'])).exitCode).toBe(1);
  });

  it('NFSCTL_TRACE shows every command on both hosts on stderr, and the JSON on stdout is unchanged', async () => {
    const r = await labExec('primary', ['env', 'NFSCTL_TRACE=1', 'nfsctl', 'health', '--json'], { timeoutMs: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).health).toBe('ok');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('[trace +'));
    for (const host of ['primary', 'backup']) {
      expect(
        lines.some((l) => new RegExp(`^\\[trace \\+\\d+ms ${host} \\d+ms exit 0\\] iptables -S INPUT$`).test(l)),
        r.stderr,
      ).toBe(true);
    }
    expect(r.stdout).not.toContain('[trace');
  });
});

// [fault, args, expected first-cause id (troubleshoot), expected critical health check id prefix]
const cases: {
  name: string;
  apply: () => Promise<unknown>;
  undo: () => Promise<unknown>;
  cause: string | RegExp;
  health: string | RegExp;
}[] = [
  {
    name: 'missing directory',
    apply: () => fault('hide-dir', 'primary', ['--path', PATH]),
    undo: () => undoFault('hide-dir', 'primary', ['--path', PATH]),
    cause: 'exists',
    health: /^volume:/,
  },
  {
    name: 'export line missing',
    apply: () => fault('drop-export-line', 'primary', ['--path', PATH]),
    undo: () => undoFault('drop-export-line', 'primary', ['--path', PATH]),
    cause: 'exported',
    health: /^volume:/,
  },
  {
    name: 'export in file but not served',
    apply: () => fault('remove-export', 'primary', ['--path', PATH]),
    undo: () => undoFault('remove-export', 'primary', ['--path', PATH]),
    cause: 'served',
    health: /^volume:/,
  },
  {
    name: 'nfs server stopped',
    apply: () => fault('stop-ganesha', 'primary'),
    undo: () => undoFault('stop-ganesha', 'primary'),
    cause: 'served',
    health: 'service-nfs',
  },
  {
    name: 'VIP on neither host',
    apply: () => fault('no-vip'),
    undo: () => undoFault('no-vip'),
    cause: 'vip',
    health: 'vip',
  },
  {
    name: 'split brain',
    apply: async () => {
      await fault('split-brain');
      await waitFor(async () => (await vipHolders()).length === 2, 20_000);
    },
    undo: () => undoFault('split-brain'),
    cause: 'vip',
    health: 'vip',
  },
  {
    name: 'REJECT on 2049',
    apply: () => fault('reject', 'primary', ['--port', '2049']),
    undo: () => undoFault('reject', 'primary', ['--port', '2049']),
    cause: 'ports',
    health: 'firewall',
  },
  {
    name: 'DROP on 2049',
    apply: () => fault('drop', 'primary', ['--port', '2049']),
    undo: () => undoFault('drop', 'primary', ['--port', '2049']),
    cause: 'ports',
    health: 'firewall',
  },
  {
    name: 'REJECT on 111',
    apply: () => fault('reject', 'primary', ['--port', '111']),
    undo: () => undoFault('reject', 'primary', ['--port', '111']),
    cause: 'ports',
    health: 'firewall',
  },
  {
    name: 'DROP on 111',
    apply: () => fault('drop', 'primary', ['--port', '111']),
    undo: () => undoFault('drop', 'primary', ['--port', '111']),
    cause: 'ports',
    health: 'firewall',
  },
];

describe.each(cases)('fault: $name', (c) => {
  it('troubleshoot-mount names the first cause and health flags it', async () => {
    await c.apply();
    try {
      const d = await diagnose();
      expect(d.causeFound).toBe(true);
      expect(d.exitCode).toBe(1);
      const cause = firstCause(d)!;
      expect(cause.id, JSON.stringify(d.findings)).toMatch(c.cause);
      expect(cause.fix).toBeTruthy();
      const h = await health();
      expect(h.health).toBe('critical');
      expect(h.exitCode).toBe(1);
      expect(
        h.checks.some(
          (x) => x.status === 'critical' && (typeof c.health === 'string' ? x.id === c.health : c.health.test(x.id)),
        ),
        JSON.stringify(h.checks.filter((x) => x.status !== 'ok')),
      ).toBe(true);
    } finally {
      await c.undo();
    }
    await waitFor(async () => (await vipHolders()).join() === 'primary', 20_000);
  });
});

describe('drop on every NFS port cannot hang anything', () => {
  it('health and troubleshoot finish within their timeouts, naming DROP', async () => {
    await fault('drop', 'primary');
    try {
      const t0 = Date.now();
      const h = await health();
      const healthMs = Date.now() - t0;
      expect(h.health).toBe('critical');
      const d = await diagnose();
      expect(firstCause(d)!.evidence).toMatch(/SILENT \(dropped\)/);
      // check timeout is 5 s in the lab config; generous slack for a loaded 2-core machine
      expect(healthMs).toBeLessThan(30_000);
      expect(d.ms).toBeLessThan(45_000);
      process.stdout.write(
        `\n[figure] health with DROP on all NFS ports: ${healthMs} ms; troubleshoot-mount: ${d.ms} ms\n`,
      );
    } finally {
      await undoFault('drop', 'primary');
    }
  });
});

describe('stale backup sync', () => {
  it('health warns or flags the sync age', async () => {
    await fault('stale-sync', 'backup');
    try {
      const h = await health();
      const sync = h.checks.find((x) => x.id === 'sync')!;
      expect(sync.status).not.toBe('ok');
      expect(sync.evidence).toMatch(/ago|no successful sync/);
    } finally {
      await undoFault('stale-sync', 'backup');
    }
  });
});
