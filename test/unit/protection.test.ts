// health's protection checks on fake hosts: the sync source answers the receiving host, the
// timer and its last run, the standby's keepalived and priority, comparable room.
import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../src/host/fake.js';
import {
  capacityMatch,
  keepalivedPriority,
  parseTimer,
  protectionChecks,
  TIMER_FILE,
} from '../../src/health/protection.js';
import { emptyInventory } from '../../src/volume/inventory.js';
import { testConfig } from '../support/config.js';
import { cronLine } from '../../src/commands/sync/sync.run.js';

const conf = (prio: number) =>
  `global_defs {\n  router_id x\n}\nvrrp_instance VI_NFS {\n    state BACKUP\n    interface eth0 # comment { \n    priority ${prio}\n    virtual_ipaddress {\n        198.51.100.100/24\n    }\n}\nvrrp_instance OTHER {\n  priority 250\n}\n`;

function pair(
  o: {
    rsync?: { exitCode: number; stderr?: string };
    standbyKa?: number;
    prio?: [number, number];
    timer?: string | null;
    last?: object | null;
  } = {},
) {
  const config = testConfig();
  const mk = (name: string, vip: boolean, prio: number) => {
    const h = new FakeHost(name);
    h.on(['ip', '-j', 'addr', 'show'], {
      stdout: JSON.stringify([{ ifname: 'eth0', addr_info: vip ? [{ local: '198.51.100.100' }] : [] }]),
    });
    h.on(['systemctl'], { exitCode: 0 });
    h.files.set('/etc/keepalived/keepalived.conf', conf(prio));
    return h;
  };
  const primary = mk('primary', true, o.prio?.[0] ?? 150);
  const backup = mk('backup', false, o.prio?.[1] ?? 100);
  backup.on(['timeout'], (argv) => (argv.includes('rsync') ? (o.rsync ?? { exitCode: 0 }) : undefined));
  if (o.standbyKa !== undefined)
    backup.on(['systemctl', 'is-active', '--quiet', 'keepalived'], { exitCode: o.standbyKa });
  if (o.timer !== null)
    backup.files.set(
      TIMER_FILE,
      o.timer ?? `SHELL=/bin/sh\n${cronLine(config.rsync.interval, '/usr/local/sbin/nfsctl')}\n`,
    );
  if (o.last !== null)
    backup.files.set(
      `${config.state.stateDir}/sync/last.json`,
      JSON.stringify(
        o.last ?? {
          time: new Date().toISOString(),
          ok: true,
          direction: 'primary->backup',
          source: 'primary',
          destination: 'backup',
          bytes: 0,
          durationMs: 1,
        },
      ),
    );
  return { config, hosts: { primary, backup }, t: 2000 };
}
const byId = (fs: { id: string }[], id: string) =>
  fs.find((f) => f.id === id) as { id: string; status: string; evidence: string; fix?: string } | undefined;

describe('parsers', () => {
  it('keepalived priority of the named instance only, comments ignored', () => {
    expect(keepalivedPriority(conf(90), 'VI_NFS')).toEqual({ priority: 90, state: 'BACKUP', nopreempt: false });
    expect(keepalivedPriority(conf(90), 'NOPE')).toBeNull();
  });
  it('the timer line install-timer writes', () => {
    expect(parseTimer(`# x\n${cronLine(900_000, '/usr/local/sbin/nfsctl')}\n`)).toEqual({
      schedule: '*/15 * * * *',
      ssh: false,
    });
    expect(parseTimer('# nothing\n')).toBeNull();
  });
});

describe('protectionChecks', () => {
  it('a protected pair: every check ok, the rsync probe runs on the backup against the holder, bounded', async () => {
    const p = pair();
    const f = await protectionChecks(p);
    expect(
      f.filter((x) => x.status !== 'ok'),
      JSON.stringify(f),
    ).toEqual([]);
    expect(f.map((x) => x.id).sort()).toEqual([
      'keepalived-priority',
      'standby-keepalived',
      'sync-last-run',
      'sync-source',
      'sync-timer',
    ]);
    const probe = p.hosts.backup.calls.find((c) => c.argv.includes('rsync'))!.argv;
    expect(probe.slice(0, 3)).toEqual(['timeout', '--foreground', '-k']);
    expect(probe.at(-1)).toBe('rsync://198.51.100.11/nfs/');
  });
  it('the rsync daemon does not answer: sync-source critical with the start command', async () => {
    const f = await protectionChecks(
      pair({
        rsync: {
          exitCode: 10,
          stderr: 'rsync: failed to connect to 198.51.100.11 (198.51.100.11): Connection refused (111)\n',
        },
      }),
    );
    expect(byId(f, 'sync-source')).toMatchObject({ status: 'critical' });
    expect(byId(f, 'sync-source')!.evidence).toMatch(/Connection refused/);
    expect(byId(f, 'sync-source')!.fix).toMatch(/systemctl start rsync/);
    const mod = await protectionChecks(pair({ rsync: { exitCode: 5, stderr: "@ERROR: Unknown module 'nfs'\n" } }));
    expect(byId(mod, 'sync-source')!.fix).toMatch(/add the module \[nfs\]/);
  });
  it('standby keepalived stopped, priorities the wrong way round', async () => {
    const f = await protectionChecks(pair({ standbyKa: 3, prio: [100, 150] }));
    expect(byId(f, 'standby-keepalived')).toMatchObject({ status: 'critical' });
    expect(byId(f, 'keepalived-priority')).toMatchObject({ status: 'critical' });
    expect(byId(f, 'keepalived-priority')!.evidence).toMatch(/backup wins every election/);
    expect(byId(await protectionChecks(pair({ prio: [100, 100] })), 'keepalived-priority')!.evidence).toMatch(/equal/);
  });
  it('no timer: warn; a timer off rsync.interval: warn; a failed last run: critical', async () => {
    expect(byId(await protectionChecks(pair({ timer: null })), 'sync-timer')).toMatchObject({ status: 'warn' });
    expect(
      byId(
        await protectionChecks(pair({ timer: '*/5 * * * * root /usr/local/sbin/nfsctl sync --yes\n' })),
        'sync-timer',
      )!.evidence,
    ).toMatch(/\*\/15/);
    const failed = await protectionChecks(
      pair({
        last: {
          time: new Date().toISOString(),
          ok: false,
          direction: 'primary->backup',
          source: 'primary',
          destination: 'backup',
          bytes: 0,
          durationMs: 1,
          error: 'rsync exit 10',
        },
      }),
    );
    expect(byId(failed, 'sync-last-run')).toMatchObject({ status: 'critical' });
    expect(byId(failed, 'sync-last-run')!.evidence).toMatch(/FAILED: rsync exit 10/);
  });
  it('no single VIP holder: nothing (the vip check reports it)', async () => {
    const p = pair();
    p.hosts.primary.on(['ip', '-j', 'addr', 'show'], { stdout: '[]' });
    expect(await protectionChecks(p)).toEqual([]);
  });
});

describe('capacityMatch', () => {
  const inv = (free: number, size = 100 * 2 ** 30) => ({
    ...emptyInventory('primary'),
    vg: { name: 'vgnfs', size, free, extentSize: 4 * 2 ** 20 },
  });
  it("within the tolerance: ok; beyond it: warn naming the smaller host; the tolerance is the config's", () => {
    const config = testConfig();
    const ok = capacityMatch(
      config,
      new Map([
        ['primary', inv(50 * 2 ** 30)],
        ['backup', { ...inv(47 * 2 ** 30), role: 'backup' }],
      ]) as never,
    );
    expect(ok.every((f) => f.status === 'ok')).toBe(true);
    const bad = capacityMatch(
      config,
      new Map([
        ['primary', inv(50 * 2 ** 30)],
        ['backup', { ...inv(20 * 2 ** 30), role: 'backup' }],
      ]) as never,
    );
    expect(bad.find((f) => f.id === 'capacity-vg-free')).toMatchObject({ status: 'warn', host: 'backup' });
    const loose = capacityMatch(
      { ...config, capacity: { tolerancePercent: 70 } },
      new Map([
        ['primary', inv(50 * 2 ** 30)],
        ['backup', { ...inv(20 * 2 ** 30), role: 'backup' }],
      ]) as never,
    );
    expect(loose.every((f) => f.status === 'ok')).toBe(true);
  });
});
