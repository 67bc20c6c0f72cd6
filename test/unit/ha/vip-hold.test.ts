// Holding NFS clients on the new VIP holder (iptables DROP of 2049 to the VIP) and reading the
// notify hook's program back from keepalived.conf: argv, idempotence, what is refused, and
// `ha notify --planned` (no freshness record, no sm-notify; the record says it was planned).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { notifyWrapperScript, wrapperProgram } from '../../../src/ha/notify-wrapper.js';
import { FakeHost } from '../../../src/host/fake.js';
import { hold, holding, holdRules, release, HOLD_COMMENT } from '../../../src/ha/vip-hold.js';
import { hookArgv, hookProgram } from '../../../src/ha/drbd-move.js';
import { parseConfig } from '../../../src/config/load.js';
import { removeAfterFile, tempDir, testConfigYaml } from '../../support/config.js';
import { captureOutput } from '../../support/capture.js';
import { Context } from '../../../src/cli/context.js';
import { runNotify } from '../../../src/commands/ha/ha.run.js';
import { notifyRecordPath, parseNotifyArgs, planNotify } from '../../../src/ha/notify.js';
import { planSteps } from '../../../src/plan/plan.js';
import { holdChecks, holdFindings } from '../../../src/health/vip-hold.js';
import type { PairRole } from '../../../src/config/schema.js';
import type { HostInventory } from '../../../src/volume/inventory.js';

/** A host whose iptables keeps a rule list (-C 1 when absent, as iptables answers). */
function firewall(name = 'backup') {
  const h = new FakeHost(name);
  const rules: string[] = [];
  h.on(['iptables'], (a) => {
    const key = a.slice(3).join(' ');
    if (a[2] === '-C') return { exitCode: rules.includes(key) ? 0 : 1 };
    if (a[2] === '-I') rules.unshift(key);
    if (a[2] === '-D') rules.splice(rules.indexOf(key), 1);
    return { exitCode: 0 };
  });
  return { h, rules };
}

describe('the hold rules', () => {
  it('DROP of tcp and udp 2049 to the VIP only, with nfsctl comment; IPv6 VIP: /128', () => {
    expect(holdRules('198.51.100.100')).toEqual(
      ['tcp', 'udp'].map((p) => [
        'INPUT',
        '-d',
        '198.51.100.100/32',
        '-p',
        p,
        '--dport',
        '2049',
        '-m',
        'comment',
        '--comment',
        HOLD_COMMENT,
        '-j',
        'DROP',
      ]),
    );
    expect(holdRules('2001:db8::10')[0]!.slice(0, 3)).toEqual(['INPUT', '-d', '2001:db8::10/128']);
  });
  it('a VIP that is not an address is refused before anything runs', () => {
    for (const bad of ['198.51.100.100 -j ACCEPT', '-F', 'vip.example', '', '198.51.100.300'])
      expect(() => holdRules(bad), bad).toThrow(/the VIP/);
  });
  it('hold inserts each rule once (run twice: still two rules); release removes every copy; holding tells', async () => {
    const { h, rules } = firewall();
    expect(await holding(h, '198.51.100.100')).toBe(false);
    await hold(h, '198.51.100.100');
    await hold(h, '198.51.100.100');
    expect(rules).toHaveLength(2);
    expect(await holding(h, '198.51.100.100')).toBe(true);
    // a rule inserted twice by hand (or an older run) goes too
    rules.push(rules[0]!);
    expect(await release(h, '198.51.100.100')).toBe(3);
    expect(rules).toEqual([]);
    expect(await holding(h, '198.51.100.100')).toBe(false);
    expect(await release(h, '198.51.100.100')).toBe(0);
  });
  it('holding is unknown (null) without iptables or when iptables cannot answer', async () => {
    const none = new FakeHost('backup').on(['sh', '-c', 'command -v iptables >/dev/null 2>&1'], { exitCode: 1 });
    expect(await holding(none, '198.51.100.100')).toBeNull();
    const denied = new FakeHost('backup').on(['iptables'], { exitCode: 4, stderr: 'Permission denied' });
    expect(await holding(denied, '198.51.100.100')).toBeNull();
  });
  it('a failed insert is an error (the plan stops before the VIP moves)', async () => {
    const h = new FakeHost('backup').on(['iptables'], (a) =>
      a[2] === '-C' ? { exitCode: 1 } : { exitCode: 2, stderr: "iptables: can't initialize" },
    );
    await expect(hold(h, '198.51.100.100')).rejects.toThrow(/initialize/);
  });
});

describe("the notify hook's program, read from keepalived.conf", () => {
  const conf = (notify: string) =>
    `vrrp_instance VI_NFS {\n  state BACKUP\n  priority 100\n  notify ${notify}\n}\nvrrp_instance VI_OTHER {\n  notify "/bin/other"\n}\n`;
  it('the line ha install writes: its wrapper, run with the arguments keepalived would pass', () => {
    expect(hookProgram(conf('"/etc/keepalived/nfsctl-notify"'), 'VI_NFS')).toBe('/etc/keepalived/nfsctl-notify');
    expect(hookArgv('/etc/keepalived/nfsctl-notify', 'VI_NFS', 'STOP')).toEqual([
      '/etc/keepalived/nfsctl-notify',
      'INSTANCE',
      'VI_NFS',
      'STOP',
      '--planned',
    ]);
  });
  it("an older install's line: nfsctl itself", () => {
    expect(hookProgram(conf('"/usr/local/sbin/nfsctl ha notify"'), 'VI_NFS')).toBe('/usr/local/sbin/nfsctl');
    expect(hookArgv('/usr/local/sbin/nfsctl', 'VI_NFS', 'MASTER')).toEqual([
      '/usr/local/sbin/nfsctl',
      'ha',
      'notify',
      'INSTANCE',
      'VI_NFS',
      'MASTER',
      '--planned',
    ]);
  });
  it('none, another script, extra words, a relative or hostile program, another instance: not ours (null)', () => {
    expect(hookProgram(null, 'VI_NFS')).toBeNull();
    for (const n of [
      '"/usr/local/bin/my-hook"',
      '"/usr/local/sbin/nfsctl ha notify --json"',
      '"nfsctl ha notify"',
      '"/usr/local/sbin/../bin/nfsctl ha notify"',
      '"/tmp/x;reboot ha notify"',
      '"/etc/keepalived/nfsctl-notify MASTER"',
      '"nfsctl-notify"',
    ])
      expect(hookProgram(conf(n), 'VI_NFS'), n).toBeNull();
    expect(hookProgram(conf('"/usr/local/sbin/nfsctl ha notify"'), 'VI_OTHER')).toBeNull();
    expect(hookProgram('vrrp_instance VI_NFS {\n  state BACKUP\n}\n', 'VI_NFS')).toBeNull();
  });
});

describe('ha notify --planned', () => {
  it('MASTER with kernel nfsd: no sm-notify step (the handover runs it after copying the old list)', async () => {
    const config = parseConfig(testConfigYaml('/tmp/nfsctl-unit-hold').replace('server: ganesha', 'server: kernel'));
    const h = new FakeHost('backup');
    const a = parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER');
    expect(planSteps((await planNotify(config, 'backup', h, a)).plan).map((s) => s.id)).toEqual([
      'backup:vip-connections',
      'backup:sm-notify',
    ]);
    expect(
      planSteps((await planNotify(config, 'backup', h, a, { lockRecovery: false })).plan).map((s) => s.id),
    ).toEqual(['backup:vip-connections']);
  });
  it('the command: no freshness record on either host, nothing run, the record says planned', async () => {
    const root = tempDir('nfsctl-hold-');
    const config = parseConfig(
      testConfigYaml(root).replace('server: ganesha', 'server: kernel').replace('this: primary', 'this: backup'),
    );
    const backup = new FakeHost('backup');
    const primary = new FakeHost('primary');
    const { out } = captureOutput();
    const ctx = new Context(join(root, 'c.yaml'), config, {}, { primary, backup }, out);
    await runNotify(ctx, 'INSTANCE', 'VI_NFS', 'MASTER', undefined, { planned: true });
    expect(primary.calls).toEqual([]);
    expect(backup.calls.some((c) => c.argv[0] === 'sm-notify')).toBe(false);
    expect([...backup.writes.map((w) => w.path)]).toEqual([notifyRecordPath(config)]);
    const rec = JSON.parse(backup.files.get(notifyRecordPath(config))!) as { planned?: boolean; state: string };
    expect(rec).toMatchObject({ planned: true, state: 'MASTER' });
  });
});

describe('health: the hold where it belongs', () => {
  const config = parseConfig(testConfigYaml('/tmp/nfsctl-unit-hold'));
  const pick = (fs: ReturnType<typeof holdFindings>) => fs.map((f) => `${f.host} ${f.status}`);
  it('the standby holding and the VIP holder not: ok on both', () => {
    expect(pick(holdFindings(config, 'primary', { primary: false, backup: true }))).toEqual([
      'primary ok',
      'backup ok',
    ]);
  });
  it('a hold left on the VIP holder (an interrupted move) is critical, with the way on', () => {
    const [p] = holdFindings(config, 'backup', { primary: true, backup: true }).filter((f) => f.host === 'backup');
    expect(p).toMatchObject({ status: 'critical' });
    expect(p!.fix).toMatch(/--resume.*nfsctl ha notify INSTANCE VI_NFS MASTER/);
  });
  it('a standby without a hold is a warning; unreadable iptables is a warning, not ok', () => {
    expect(pick(holdFindings(config, 'primary', { primary: false, backup: false }))).toEqual([
      'primary ok',
      'backup warn',
    ]);
    expect(pick(holdFindings(config, 'primary', { primary: null, backup: null }))).toEqual([
      'primary warn',
      'backup warn',
    ]);
    // no single VIP holder: the VIP check says so; nothing is judged about the standby
    expect(pick(holdFindings(config, null, { primary: false, backup: false }))).toEqual([]);
  });
});

describe('health: which pairs have their hold checked', () => {
  const hosts = () => ({ primary: new FakeHost('primary'), backup: new FakeHost('backup') });
  const inv = new Map([
    ['primary', { reachable: true }],
    ['backup', { reachable: true }],
  ]) as unknown as Map<PairRole, HostInventory>;
  it('mapped RBD images (holder-only, like DRBD): the standby without a hold is named', async () => {
    const config = parseConfig(
      testConfigYaml('/tmp/nfsctl-unit-hold').replace(
        'default: lvm\n  lvm: { vg: vgnfs }',
        'default: rbd\n  rbd: { pool: rbd }',
      ),
    );
    const h = hosts();
    // iptables there, no hold rule on either host
    for (const x of [h.primary, h.backup]) x.on(['iptables'], { exitCode: 1 });
    const fs = await holdChecks(config, h, inv, ['primary']);
    expect(fs.map((f) => `${f.id} ${f.host} ${f.status}`)).toEqual(['vip-hold primary ok', 'vip-hold backup warn']);
    expect(fs[1]!.evidence).toMatch(/DRBD, mapped RBD/);
  });
  it('only rsync copies: nothing follows the VIP, nothing is read', async () => {
    const h = hosts();
    expect(await holdChecks(parseConfig(testConfigYaml('/tmp/nfsctl-unit-hold')), h, inv, ['primary'])).toEqual([]);
    expect([...h.primary.calls, ...h.backup.calls]).toEqual([]);
  });
});

describe("ha install's notify wrapper", () => {
  it('runs nfsctl in a session of its own with the arguments, waiting for it; read back as ours, with its program', () => {
    const text = notifyWrapperScript('/usr/local/sbin/nfsctl');
    expect(text.split('\n')[0]).toBe('#!/bin/sh');
    expect(text).toContain("\ntrap '' TERM\n");
    expect(text.trimEnd().split('\n').at(-1)).toBe('exec setsid -w /usr/local/sbin/nfsctl ha notify "$@"');
    expect(wrapperProgram(text)).toBe('/usr/local/sbin/nfsctl');
    expect(wrapperProgram(notifyWrapperScript('/opt/nfsctl 2/bin/nfsctl'))).toBe('/opt/nfsctl 2/bin/nfsctl');
    expect(
      wrapperProgram('#!/bin/sh\nexec setsid -w /usr/local/sbin/nfsctl ha notify "$@"\n'),
      'no mark: not ours',
    ).toBeNull();
  });
  it("run by sh with a fake nfsctl: SIGTERM to the wrapper leaves nfsctl running to its end; its exit code is the wrapper's", async () => {
    const dir = removeAfterFile(mkdtempSync('/var/tmp/nfsctl-wrapper-'));
    const fake = join(dir, 'nfsctl');
    // the fake nfsctl records its arguments, runs for a while, and ends with exit 3
    writeFileSync(fake, `#!/bin/sh\necho "$@" > ${dir}/args\nsleep 2\necho done > ${dir}/done\nexit 3\n`);
    chmodSync(fake, 0o755);
    const wrapper = join(dir, 'nfsctl-notify');
    writeFileSync(wrapper, notifyWrapperScript(fake));
    chmodSync(wrapper, 0o755);
    const child = spawn(wrapper, ['INSTANCE', 'VI_NFS', 'STOP', '150'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGTERM');
    expect(await exited).toBe(3);
    expect(readFileSync(join(dir, 'args'), 'utf8')).toBe('ha notify INSTANCE VI_NFS STOP 150\n');
    expect(readFileSync(join(dir, 'done'), 'utf8')).toBe('done\n');
  });
});
