import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { testConfigYaml } from '../../support/config.js';
import { fakeStorageHost } from '../../support/fake-pair.js';
import { unitFactsOn } from '../../support/fake-units.js';
import { handoverPreflight, planHandover, blockingDrift, type HandoverOptions } from '../../../src/ha/handover.js';
import { sequenceArgv, freezeExports } from '../../../src/ha/freeze.js';
import { LocalHost } from '../../../src/host/local.js';
import { quoteArgv } from '../../../src/host/quote.js';
import { sourceProblem, rsyncArgv, checkDeleteCap } from '../../../src/ha/sync.js';
import { parseRsyncOutput } from '../../../src/core/rsync.js';
import { planSteps } from '../../../src/plan/plan.js';
import { PreconditionError } from '../../../src/core/errors.js';
import type { FakeHost } from '../../../src/host/fake.js';
import type { Config } from '../../../src/config/schema.js';

function cfg(): Config {
  return parseConfig(
    testConfigYaml('/tmp/nfsctl-unit-ha').replace(
      'default: lvm\n  lvm: { vg: vgnfs }',
      'default: xfsquota\n  xfsquota: { root: /nfs, quota: false }',
    ) +
      'services:\n  manager: command\n  command: ["labsvc", "{action}", "{service}"]\n  names: { keepalived: keepalived, nfs: nfs-ganesha, rsyncd: rsync }\n',
  );
}

interface PairOpts {
  vipOn?: ('primary' | 'backup')[];
  primaryKeepalived?: boolean;
  primaryMounted?: boolean;
  backupEntries?: number;
  deletions?: number;
  unreachable?: 'primary' | 'backup';
}

function pair(o: PairOpts = {}): { primary: FakeHost; backup: FakeHost } {
  const vipOn = o.vipOn ?? ['backup'];
  const mk = (role: 'primary' | 'backup') => {
    const h = fakeStorageHost(role, { vip: vipOn.includes(role) });
    const running = new Set([
      'nfs-ganesha',
      'rsync',
      ...(role === 'backup' || o.primaryKeepalived ? ['keepalived'] : []),
    ]);
    h.on(['labsvc', 'status'], (argv) => ({ exitCode: running.has(argv[2]!) ? 0 : 3 }));
    h.on(['labsvc', 'is-enabled'], () => ({ exitCode: 0 }));
    h.on(['true'], { exitCode: 0 });
    unitFactsOn(h, {
      rootMounted: !(role === 'primary' && o.primaryMounted === false),
      rootEntries: role === 'backup' ? (o.backupEntries ?? 3) : 3,
      rootUsed: role === 'backup' ? 300000 : 290000,
    });
    h.on(['rsync'], () => ({
      stdout:
        Array.from({ length: o.deletions ?? 1 }, (_, i) => `*deleting   vol/old${i}`).join('\n') +
        '\n>f+++++++++ vol/new\n\nNumber of files: 7\n',
    }));
    if (o.unreachable === role) h.unreachable = true;
    return h;
  };
  return { primary: mk('primary'), backup: mk('backup') };
}

const OPTS: HandoverOptions = { kind: 'failback', resume: false, maxDelete: 10, verify: false };

describe('failback preflight refusals (nothing changed)', () => {
  const refuses = async (o: PairOpts, re: RegExp, opts: Partial<HandoverOptions> = {}) => {
    const hosts = pair(o);
    const err = await handoverPreflight(cfg(), hosts, { ...OPTS, ...opts }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toMatch(re);
    // no mutating command ran anywhere
    for (const h of [hosts.primary, hosts.backup])
      expect(
        h
          .commandLines()
          .filter(
            (l) =>
              /labsvc (stop|start|disable|enable)|RemoveExport|AddExport/.test(l) ||
              (l.startsWith('rsync') && !l.includes('--dry-run')),
          ),
      ).toEqual([]);
    expect(hosts.primary.writes.length + hosts.backup.writes.length).toBe(0);
    return err as PreconditionError;
  };
  it('backup unreachable', async () =>
    void (await refuses({ unreachable: 'backup' }, /backup is unreachable.*nothing was changed/)));
  it('split brain, with the fix', async () => {
    const e = await refuses({ vipOn: ['primary', 'backup'] }, /split brain/);
    expect(e.hint).toMatch(/labsvc stop keepalived/);
  });
  it('VIP already on the primary', async () => void (await refuses({ vipOn: ['primary'] }, /nothing to fail back/)));
  it("primary's /nfs not mounted", async () => void (await refuses({ primaryMounted: false }, /not a mount point/)));
  it("backup's /nfs empty", async () => void (await refuses({ backupEntries: 0 }, /empty/)));
  it('deletions over the cap, itemised', async () => {
    const e = await refuses({ deletions: 12 }, /delete 12 path\(s\).*cap of 10/s);
    expect(e.message).toContain('*deleting vol/old11');
    expect(e.hint).toMatch(/--max-delete 12/);
  });
  it('an unfinished journal needs --resume', async () => {
    const hosts = pair();
    hosts.primary.files.set(
      '/tmp/nfsctl-unit-ha/state/failback.json',
      JSON.stringify({
        kind: 'failback',
        planId: 'p1',
        status: 'failed',
        startedAt: '',
        updatedAt: '2026-01-01',
        by: 'x',
        done: ['primary:keepalived-disable'],
      }),
    );
    await expect(handoverPreflight(cfg(), hosts, OPTS)).rejects.toThrow(/did not finish/);
  });
});

describe('failback plan', () => {
  it('order: keepalived stopped+disabled, bulk sync, freeze, final sync, verify, exports, keepalived start, unfreeze', async () => {
    const hosts = pair({ primaryKeepalived: true, vipOn: ['backup'] });
    const f = await handoverPreflight(cfg(), hosts, OPTS);
    const { plan } = planHandover(cfg(), hosts, f, OPTS);
    expect(planSteps(plan).map((s) => s.id)).toEqual([
      'primary:keepalived-stop',
      'primary:keepalived-disable',
      'primary:bulk-sync',
      'backup:freeze',
      'primary:final-sync',
      'primary:verify',
      'primary:exports',
      // stale connections on the VIP reset before it comes, and on the old holder after it left
      'primary:vip-connections',
      'primary:keepalived-enable',
      'primary:vip-move',
      'backup:vip-connections',
      'backup:unfreeze',
    ]);
    const ids = planSteps(plan);
    // the primary's keepalived can never come back by rollback before the VIP move
    expect(ids.find((s) => s.id === 'primary:keepalived-stop')!.undo).toBeNull();
    expect(ids.find((s) => s.id === 'primary:keepalived-disable')!.undo).toBeNull();
    expect(ids.find((s) => s.id === 'backup:freeze')!.undo).not.toBeNull();
    // the undo stops keepalived on the primary and marks it stale again (the backup serves again)
    expect(ids.find((s) => s.id === 'primary:vip-move')!.undo!.action).toMatchObject({
      kind: 'fn',
      describe: expect.stringMatching(/^labsvc stop keepalived; .*freshness\/stale = 1$/),
    });
    expect(plan.notes!.join('\n')).toContain('*deleting vol/old0');
    expect(ids.every((s) => s.undo !== null || s.noUndoReason)).toBe(true);
  });
  it('--resume skips the completed prefix only', async () => {
    const hosts = pair();
    hosts.backup.files.set(
      '/tmp/nfsctl-unit-ha/state/failback.json',
      JSON.stringify({
        kind: 'failback',
        planId: 'p1',
        status: 'failed',
        startedAt: '',
        updatedAt: '2026-01-01',
        by: 'x',
        done: ['primary:keepalived-disable', 'primary:final-sync'],
      }),
    );
    const o = { ...OPTS, resume: true };
    const f = await handoverPreflight(cfg(), hosts, o);
    const { plan, skipped } = planHandover(cfg(), hosts, f, o);
    expect(skipped.map((s) => s.id)).toEqual(['primary:keepalived-disable']);
    expect(planSteps(plan)[0]!.id).toBe('primary:bulk-sync');
    expect(planSteps(plan).map((s) => s.id)).toContain('primary:final-sync');
  });
  it('switchover: mirror image, keepalived stopped on the primary only after the final sync', async () => {
    const hosts = pair({ vipOn: ['primary'], primaryKeepalived: true });
    const o: HandoverOptions = { ...OPTS, kind: 'switchover' };
    const f = await handoverPreflight(cfg(), hosts, o);
    const { plan } = planHandover(cfg(), hosts, f, o);
    expect(planSteps(plan).map((s) => s.id)).toEqual([
      'backup:bulk-sync',
      'primary:freeze',
      'backup:final-sync',
      'backup:verify',
      'backup:exports',
      'backup:vip-connections',
      'primary:keepalived-disable',
      'backup:vip-move',
      'primary:vip-connections',
      'primary:unfreeze',
    ]);
  });
  it('kernel nfsd: NFSv3 lock recovery on the new holder after the VIP move, before the old one is unfrozen', async () => {
    const k = (): Config => {
      const c = cfg();
      return { ...c, nfs: { ...c.nfs, server: 'kernel' } };
    };
    for (const [kind, vipOn, to, from] of [
      ['failback', ['backup'], 'primary', 'backup'],
      ['switchover', ['primary'], 'backup', 'primary'],
    ] as const) {
      const hosts = pair({ vipOn: [...vipOn], primaryKeepalived: true });
      const o: HandoverOptions = { ...OPTS, kind };
      const f = await handoverPreflight(k(), hosts, o);
      const { plan } = planHandover(k(), hosts, f, o);
      const ids = planSteps(plan).map((s) => s.id);
      expect(ids.slice(-5), kind).toEqual([
        `${to}:vip-move`,
        `${to}:statd-copy`,
        `${to}:sm-notify`,
        `${from}:vip-connections`,
        `${from}:unfreeze`,
      ]);
      // ganesha (the fixture's): no such step
      const g = planHandover(cfg(), hosts, await handoverPreflight(cfg(), hosts, o), o);
      expect(
        planSteps(g.plan).map((s) => s.id),
        kind,
      ).not.toContain(`${to}:sm-notify`);
    }
  });
});

describe('sync helpers', () => {
  it('rsync argv: archive with hard links, ACLs, xattrs, deletes, numeric ids, from the daemon module', () => {
    expect(rsyncArgv({ config: cfg(), source: 'backup', dryRun: true, maxDelete: 5 })).toEqual([
      'rsync',
      '-aHAX',
      '--delete',
      '--numeric-ids',
      '--itemize-changes',
      '--stats',
      '--timeout=300',
      '--dry-run',
      '--max-delete=5',
      '--exclude=/.nfsctl/',
      'rsync://198.51.100.12/nfs/',
      '/nfs/',
    ]);
    // rsync.ioTimeout becomes rsync's --timeout in seconds (a copy that stops moving data ends)
    const slow = cfg();
    slow.rsync.ioTimeout = 30_000;
    expect(rsyncArgv({ config: slow, source: 'backup', dryRun: false })).toContain('--timeout=30');
    expect(rsyncArgv({ config: cfg(), source: 'primary', dryRun: false, ssh: true }).slice(-2)).toEqual([
      'root@198.51.100.11:/nfs/',
      '/nfs/',
    ]);
  });
  it('source sanity: not mounted, empty, far smaller', () => {
    const d = { role: 'backup' as const, mounted: true, entries: 5, usedBytes: 10 * 2 ** 30 };
    expect(sourceProblem(cfg(), { role: 'primary', mounted: false, entries: 5, usedBytes: 1 }, d)).toMatch(
      /not a mount point/,
    );
    expect(sourceProblem(cfg(), { role: 'primary', mounted: true, entries: 0, usedBytes: 0 }, d)).toMatch(/empty/);
    expect(sourceProblem(cfg(), { role: 'primary', mounted: true, entries: 5, usedBytes: 2 ** 30 }, d)).toMatch(
      /far less/,
    );
    expect(sourceProblem(cfg(), { role: 'primary', mounted: true, entries: 5, usedBytes: 9 * 2 ** 30 }, d)).toBeNull();
  });
  it('deletion cap', () => {
    const rep = parseRsyncOutput('*deleting   a\n*deleting   b\n');
    expect(() => checkDeleteCap(rep, 2, 'primary', 'backup')).not.toThrow();
    expect(() => checkDeleteCap(rep, 1, 'primary', 'backup')).toThrow(/\*deleting a/);
  });
  it('blocking drift ignores served/not-served (the plan fixes that)', () => {
    const v = {
      id: 'a/b',
      backend: 'xfsquota',
      drift: ['primary: in the exports config but not served', 'size differs: primary 1 B, backup 2 B'],
    };
    expect(blockingDrift([v as never])).toEqual(['a/b: size differs: primary 1 B, backup 2 B']);
  });
});

describe('sequence: several commands in order, in one round trip', () => {
  const h = new LocalHost('primary', '127.0.0.1', 5_000);
  const odd = ["it's", '$(touch /tmp/nfsctl-sequence-pwned)', '`id`', '"q"', '*', 'a b\nc', '', '--nfsctl', '${1}'];
  it('runs each argv as given (no word splitting, globbing or expansion), then prints the last one', async () => {
    const many = Array.from({ length: 12 }, (_, i) => `arg${i + 1}`); // positional parameters past 9
    for (const run of [(argv: string[]) => h.run(argv), (argv: string[]) => h.run(['sh', '-c', quoteArgv(argv)])]) {
      const r = await run(
        sequenceArgv(
          [
            ['true', ...odd],
            ['printf', '%s|', ...many],
          ],
          ['printf', '%s|', ...odd],
        ),
      );
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toBe(odd.map((a) => `${a}|`).join('')); // the earlier commands' output is dropped
    }
  });
  it('stops at the first failing command, with its exit code', async () => {
    const r = await h.run(
      sequenceArgv(
        [
          ['sh', '-c', 'exit 3'],
          ['sh', '-c', 'echo ran >&2'],
        ],
        ['echo', 'last'],
      ),
    );
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('ran');
  });
  it('no commands: just the last one', async () => {
    expect((await h.run(sequenceArgv([], ['echo', 'x']))).stdout).toBe('x\n');
  });
});

describe('write freeze', () => {
  const show = (exports: [number, string][]) =>
    `method return time=1 sender=:1.4 -> destination=:1.87 serial=30 reply_serial=2\n   struct {\n      uint64 1\n      uint64 2\n   }\n   array [\n${exports.map(([id, p]) => `      struct {\n         uint16 ${id}\n         string "${p}"\n         boolean true\n      }\n`).join('')}   ]\n`;

  it('removes each export under the Export_Id ganesha serves it with, in one sequence, and checks it is gone', async () => {
    const config = cfg();
    const h = fakeStorageHost('backup');
    // served under 60001 (added by hand or by an older tool), not under nfsctl's own id
    h.on(['dbus-send'], (argv) =>
      argv.some((a) => a.endsWith('ShowExports'))
        ? {
            stdout: show([
              [0, '/'],
              [60001, '/nfs/team-a_data'],
              [7, '/srv/other'],
            ]),
          }
        : undefined,
    );
    h.on(
      (a) => a[3] === 'nfsctl-sequence',
      () => ({
        stdout: show([
          [0, '/'],
          [7, '/srv/other'],
        ]),
      }),
    );
    const view = {
      id: 'team-a/data',
      path: '/nfs/team-a_data',
      backend: 'xfsquota',
      identity: { exportId: 4242 },
      hosts: {},
    } as unknown as Parameters<typeof freezeExports>[2][number];
    expect(await freezeExports(config, h, [view])).toEqual(['/nfs/team-a_data']);
    const seq = h.calls.find((c) => c.argv[3] === 'nfsctl-sequence')!.argv;
    expect(seq).toContain('uint16:60001');
    expect(seq).not.toContain('uint16:4242');
  });

  it('fails when the export is still served afterwards', async () => {
    const config = cfg();
    const h = fakeStorageHost('backup');
    h.on(['dbus-send'], (argv) =>
      argv.some((a) => a.endsWith('ShowExports')) ? { stdout: show([[4242, '/nfs/team-a_data']]) } : undefined,
    );
    h.on(
      (a) => a[3] === 'nfsctl-sequence',
      () => ({ stdout: show([[4242, '/nfs/team-a_data']]) }),
    );
    const view = {
      id: 'team-a/data',
      path: '/nfs/team-a_data',
      backend: 'xfsquota',
      identity: { exportId: 4242 },
      hosts: {},
    } as unknown as Parameters<typeof freezeExports>[2][number];
    await expect(freezeExports(config, h, [view])).rejects.toThrow(/still serving \/nfs\/team-a_data/);
  });
});
