// Sync, switchover and failback on the seed's per-volume layout: one LV per volume mounted at
// /nfs/<namespace>_<name>, /nfs itself a plain directory. Each volume is checked, previewed,
// capped and copied on its own; a volume not mounted on its own LV on either host is refused
// by name (or left out with --skip-unready) and nothing runs that could delete in it.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { testConfigYaml } from '../../support/config.js';
import { fakeStorageHost } from '../../support/fake-pair.js';
import { encodeMetaTags } from '../../../src/core/lvm-json.js';
import { handoverPreflight, planHandover, type HandoverOptions } from '../../../src/ha/handover.js';
import {
  checkUnits,
  guardedRsyncArgv,
  previewUnits,
  rsyncArgv,
  syncUnits,
  unitFacts,
  runUnits,
  type ReadyUnit,
} from '../../../src/ha/sync.js';
import { mergeVolumes } from '../../../src/volume/state.js';
import { pairInventory } from '../../../src/volume/inventory.js';
import { LocalHost } from '../../../src/host/local.js';
import { PreconditionError } from '../../../src/core/errors.js';
import { planSteps } from '../../../src/plan/plan.js';
import type { FakeHost } from '../../../src/host/fake.js';
import type { Config } from '../../../src/config/schema.js';
import { unitFactsOn, type FakeUnitFacts } from '../../support/fake-units.js';

const G = 1024 ** 3;
function cfg(extra = ''): Config {
  return parseConfig(
    testConfigYaml('/tmp/nfsctl-unit-pv').replace('server: ganesha', 'server: kernel') +
      'services:\n  manager: command\n  command: ["labsvc", "{action}", "{service}"]\n  names: { keepalived: keepalived, nfs: nfs-kernel, rsyncd: rsync }\n' +
      extra,
  );
}
const VOLS = [
  { ns: 'a', name: 'one', majmin: '254:0' },
  { ns: 'b', name: 'two', majmin: '254:1' },
];
const lvOf = (v: { ns: string; name: string }) => `pv.${v.ns}.${v.name}`;
const pathOf = (v: { ns: string; name: string }) => `/nfs/${v.ns}_${v.name}`;
const devOf = (v: { ns: string; name: string }) => `/dev/vgnfs/${lvOf(v)}`;

interface Opts {
  vipOn?: 'primary' | 'backup';
  /** role -> volume paths NOT mounted there */
  unmounted?: Partial<Record<'primary' | 'backup', string[]>>;
  /** role -> path -> what is mounted there instead */
  wrong?: Partial<Record<'primary' | 'backup', Record<string, { majmin: string; source: string }>>>;
  empty?: Partial<Record<'primary' | 'backup', string[]>>;
  /** rsync dry-run deletions per volume dir */
  deletions?: Record<string, number>;
}

function pair(o: Opts = {}): { primary: FakeHost; backup: FakeHost } {
  const vipOn = o.vipOn ?? 'primary';
  const mk = (role: 'primary' | 'backup') => {
    const h = fakeStorageHost(role, {
      vip: vipOn === role,
      lvs: VOLS.map((v) => ({
        name: lvOf(v),
        size: G,
        tags: encodeMetaTags({
          v: 1,
          namespace: v.ns,
          name: v.name,
          labels: {},
          createdAt: 'x',
          createdBy: 'y',
          backend: 'lvm',
          size: G,
        }),
      })),
      exports: VOLS.map((v) => `${pathOf(v)} 198.51.100.0/24(rw,sync)\n`).join(''),
      exportfsV: VOLS.map((v) => `${pathOf(v)}\t198.51.100.0/24(rw,sync)\n`).join(''),
      mounts: VOLS.filter((v) => !(o.unmounted?.[role] ?? []).includes(pathOf(v)))
        .map((v) => `/dev/mapper/vgnfs-${lvOf(v).replace(/-/g, '--')} ${pathOf(v)} xfs rw 0 0\n`)
        .join(''),
    });
    const running = new Set(['nfs-kernel', 'rsync', 'keepalived']);
    h.on(['labsvc', 'status'], (argv) => ({ exitCode: running.has(argv[2]!) ? 0 : 3 }));
    h.on(['labsvc', 'is-enabled'], () => ({ exitCode: 0 }));
    h.on(['true'], { exitCode: 0 });
    const f: FakeUnitFacts = { rootMounted: false, rootEntries: 2, rootUsed: 4096, mounts: {}, devices: {} };
    for (const v of VOLS) {
      f.devices![devOf(v)] = v.majmin;
      if ((o.unmounted?.[role] ?? []).includes(pathOf(v))) continue;
      f.mounts![pathOf(v)] = o.wrong?.[role]?.[pathOf(v)] ?? {
        majmin: v.majmin,
        source: `/dev/mapper/vgnfs-${lvOf(v)}`,
        entries: (o.empty?.[role] ?? []).includes(pathOf(v)) ? 0 : 1,
        used: 40 * 2 ** 20,
      };
    }
    unitFactsOn(h, f);
    h.on(['rsync'], (argv) => {
      const dir = /\/nfs\/([^/]+)\/$/.exec(argv[argv.length - 1]!)?.[1] ?? '';
      const n = o.deletions?.[dir] ?? 0;
      return {
        stdout:
          Array.from({ length: n }, (_, i) => `*deleting   old${i}`).join('\n') +
          `\n>f+++++++++ new-in-${dir}\n\nNumber of files: 3\n`,
      };
    });
    return h;
  };
  return { primary: mk('primary'), backup: mk('backup') };
}

const mutating = (h: FakeHost) =>
  h
    .commandLines()
    .filter(
      (l) =>
        /labsvc (stop|start|disable|enable)|exportfs -u|exportfs -ra/.test(l) ||
        (/(^| )rsync /.test(l) && !l.includes('--dry-run')),
    );

async function units(o: Opts = {}, skipUnready = false) {
  const config = cfg();
  const hosts = pair(o);
  const views = mergeVolumes(config, await pairInventory(config, hosts));
  const u = syncUnits(config, views);
  return {
    config,
    hosts,
    views,
    u,
    check: () =>
      checkUnits(
        config,
        u,
        { role: 'primary', host: hosts.primary },
        { role: 'backup', host: hosts.backup },
        { skipUnready },
      ),
  };
}

describe('per-volume units on the seed layout (LV per volume, /nfs a plain directory)', () => {
  it('one unit per LVM volume with its LV device; the root only where it is a mount point', async () => {
    const { u, check } = await units();
    expect(u.map((x) => [x.rel, x.device ?? null, x.optional ?? false])).toEqual([
      ['', null, true],
      ['a_one', '/dev/vgnfs/pv.a.one', false],
      ['b_two', '/dev/vgnfs/pv.b.two', false],
    ]);
    expect(u[0]!.excludes).toEqual(['/a_one/', '/b_two/']);
    const c = await check();
    expect(c.problems).toEqual([]);
    expect(c.ready.map((r) => [r.rel, r.destMajmin])).toEqual([
      ['a_one', '254:0'],
      ['b_two', '254:1'],
    ]);
  });

  it('a volume not mounted on the backup is refused by name, nothing copied', async () => {
    const { check, hosts } = await units({ unmounted: { backup: ['/nfs/b_two'] } });
    const e = await check().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PreconditionError);
    expect((e as Error).message).toMatch(/b\/two: \/nfs\/b_two is not mounted on backup/);
    expect((e as Error).message).not.toMatch(/a\/one/);
    expect((e as PreconditionError).hint).toMatch(/--skip-unready/);
    expect([...mutating(hosts.primary), ...mutating(hosts.backup)]).toEqual([]);
  });

  it('--skip-unready: the other volumes go on, the unready one is reported', async () => {
    const { check } = await units({ unmounted: { primary: ['/nfs/a_one'] } }, true);
    const c = await check();
    expect(c.ready.map((r) => r.rel)).toEqual(['b_two']);
    expect(c.problems.map((p) => p.text)).toEqual([
      'a/one: /nfs/a_one is not mounted on primary (its LV /dev/vgnfs/pv.a.one belongs there)',
    ]);
  });

  it('a mount on the wrong device is refused, saying what is mounted there', async () => {
    const { check } = await units({ wrong: { backup: { '/nfs/a_one': { majmin: '8:16', source: '/dev/vdb' } } } });
    await expect(check()).rejects.toThrow(
      'a/one: /nfs/a_one on backup is /dev/vdb (8:16), not its LV /dev/vgnfs/pv.a.one (254:0)',
    );
  });

  it('an empty source volume over a full copy is refused', async () => {
    const { check } = await units({ empty: { primary: ['/nfs/b_two'] } });
    await expect(check()).rejects.toThrow(
      /b\/two: \/nfs\/b_two is empty on primary: mirroring it would delete everything in it on backup/,
    );
  });

  it('a /nfs that is a mount point on one host only is refused (wrong filesystem)', async () => {
    const { config, u, hosts } = await units();
    unitFactsOn(hosts.backup, {
      rootMounted: true,
      rootEntries: 2,
      rootUsed: 1,
      mounts: Object.fromEntries(VOLS.map((v) => [pathOf(v), { majmin: v.majmin, source: 'x' }])),
      devices: Object.fromEntries(VOLS.map((v) => [devOf(v), v.majmin])),
    });
    await expect(
      checkUnits(config, u, { role: 'primary', host: hosts.primary }, { role: 'backup', host: hosts.backup }),
    ).rejects.toThrow(/primary's \/nfs is not a mount point/);
  });

  it('the preview runs without --max-delete (rsync would stop the dry run at the cap, exit 25); the cap is checked on its list', async () => {
    const { config, hosts, check } = await units({ deletions: { a_one: 9 } });
    const c = await check();
    const p = await previewUnits(hosts.backup, { config, source: 'primary', maxDelete: 2 }, c.ready);
    expect(p[0]!.report.deletions).toHaveLength(9);
    const dry = hosts.backup.commandLines().filter((l) => l.startsWith('rsync') && l.includes('--dry-run'));
    expect(dry).toHaveLength(2);
    for (const l of dry) expect(l).not.toContain('--max-delete');
  });

  it('rsync argv per volume: the daemon module subdirectory, --one-file-system; ssh variant', async () => {
    const { config, u } = await units();
    const a = rsyncArgv({ config, source: 'primary', dryRun: false, maxDelete: 7, unit: u[1]! });
    expect(a.slice(-2)).toEqual(['rsync://198.51.100.11/nfs/a_one/', '/nfs/a_one/']);
    expect(a).toContain('--one-file-system');
    expect(a).toContain('--max-delete=7');
    expect(rsyncArgv({ config, source: 'backup', dryRun: true, ssh: true, unit: u[2]! }).slice(-2)).toEqual([
      'root@198.51.100.12:/nfs/b_two/',
      '/nfs/b_two/',
    ]);
    const root = rsyncArgv({ config, source: 'primary', dryRun: true, unit: u[0]! });
    expect(root.slice(-2)).toEqual(['rsync://198.51.100.11/nfs/', '/nfs/']);
    expect(root).toEqual(expect.arrayContaining(['--exclude=/a_one/', '--exclude=/b_two/', '--one-file-system']));
  });
});

describe('switchover / failback on the per-volume layout', () => {
  const SW: HandoverOptions = { kind: 'switchover', resume: false, maxDelete: 10, verify: false };
  it('switchover: every volume previewed on its own, paths named by volume; one bulk and one final sync step', async () => {
    const config = cfg();
    const hosts = pair({ deletions: { a_one: 2 } });
    const f = await handoverPreflight(config, hosts, SW);
    expect(f.units.map((u) => u.rel)).toEqual(['a_one', 'b_two']);
    const { plan } = planHandover(config, hosts, f, SW);
    const notes = plan.notes!.join('\n');
    expect(notes).toContain('*deleting a_one/old1');
    expect(notes).toMatch(/a\/one: 1 to copy, 2 to delete/);
    // what the move does to locks and NFSv4 state, for the copy volumes
    expect(notes).toMatch(
      /NFS client state on a\/one, b\/two: NFSv3: NLM locks are lost.*NFSv4: opens, locks and delegations are lost/,
    );
    const bulk = planSteps(plan).find((s) => s.id === 'backup:bulk-sync')!;
    expect(bulk.title).toContain('a/one; b/two');
    expect(JSON.stringify(bulk.action)).toBeTruthy();
  });

  it('the deletion cap is per volume and names it', async () => {
    const hosts = pair({ deletions: { a_one: 3, b_two: 12 } });
    const e = await handoverPreflight(cfg(), hosts, SW).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PreconditionError);
    expect((e as Error).message).toMatch(/b\/two: it would delete 12 path\(s\) on backup, more than the cap of 10/);
    expect((e as Error).message).toContain('*deleting b_two/old11');
    expect((e as PreconditionError).hint).toMatch(/--max-delete 12/);
    // 3 + 12 = 15 > 10 but a/one alone is under the cap: only b/two is named
    expect((e as Error).message).not.toMatch(/a\/one: it would delete/);
  });

  it('failback refuses a volume unmounted on the primary by name and changes nothing', async () => {
    const hosts = pair({ vipOn: 'backup', unmounted: { primary: ['/nfs/a_one'] } });
    const e = await handoverPreflight(cfg(), hosts, { ...SW, kind: 'failback' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PreconditionError);
    expect((e as Error).message).toMatch(/a\/one: \/nfs\/a_one is not mounted on primary/);
    expect([...mutating(hosts.primary), ...mutating(hosts.backup)]).toEqual([]);
    expect(hosts.primary.writes.length + hosts.backup.writes.length).toBe(0);
  });

  it('--skip-unready: the plan copies the others and says loudly what it leaves out', async () => {
    const hosts = pair({ vipOn: 'backup', unmounted: { primary: ['/nfs/a_one'] } });
    const o = { ...SW, kind: 'failback' as const, skipUnready: true };
    const f = await handoverPreflight(cfg(), hosts, o);
    expect(f.units.map((u) => u.rel)).toEqual(['b_two']);
    const { plan } = planHandover(cfg(), hosts, f, o);
    expect(plan.notes!.join('\n')).toMatch(
      /SKIPPED \(--skip-unready\), NOT copied: a\/one: \/nfs\/a_one is not mounted on primary/,
    );
    const bulk = planSteps(plan).find((s) => s.id === 'primary:bulk-sync')!;
    expect(bulk.title).toContain('b/two');
    expect(bulk.title).not.toContain('a/one');
  });
});

describe('the shell side, on this machine', () => {
  it('unitFacts reads a real mount (/proc) and a path that is not one', async () => {
    const h = new LocalHost('primary', '127.0.0.1', 10_000);
    const config = cfg();
    const procUnit = { rel: 'proc', path: '/proc', volumes: ['x/proc'], device: '/dev/null', excludes: [] };
    const none = {
      rel: 'nowhere',
      path: '/nonexistent-nfsctl-unit',
      volumes: ['x/none'],
      device: '/dev/nonexistent',
      excludes: [],
    };
    const f = await unitFacts(config, h, [procUnit, none]);
    expect(f.get('/proc')).toMatchObject({ mounted: true, source: 'proc', deviceMajmin: '' });
    expect(f.get('/proc')!.majmin).toMatch(/^\d+:\d+$/);
    expect(f.get('/nonexistent-nfsctl-unit')).toMatchObject({
      mounted: false,
      majmin: '',
      deviceMajmin: '',
      entries: 0,
    });
  });

  it('the rsync guard runs the command only while the same filesystem is mounted there', async () => {
    const h = new LocalHost('backup', '127.0.0.1', 10_000);
    const config = cfg();
    const majmin = (await h.run(['findmnt', '-rn', '-o', 'MAJ:MIN', '--mountpoint', '/proc'])).stdout.trim();
    const unit = (m: string): ReadyUnit => ({
      rel: 'proc',
      path: '/proc',
      volumes: ['x/proc'],
      excludes: [],
      destMajmin: m,
    });
    const argv = (m: string) => [
      ...guardedRsyncArgv({ config, source: 'primary', dryRun: true, unit: unit(m) }).slice(0, 6),
      'echo',
      'ran',
    ];
    expect((await h.run(argv(majmin))).stdout.trim()).toBe('ran');
    const r = await h.run(argv('9999:9'));
    expect(r.exitCode).toBe(96);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/\/proc is not mounted from 9999:9 any more/);
    // runUnits turns the guard's exit into a clear error naming the volume
    await expect(runUnits(h, { config, source: 'primary' }, [{ ...unit('9999:9'), path: '/proc' }])).rejects.toThrow(
      /x\/proc: nfsctl: \/proc is not mounted from 9999:9/,
    );
  });
});

describe('the write freeze with kernel nfsd', () => {
  it('stops the NFS server (clients wait instead of getting ESTALE) and checks no nfsd thread is left', async () => {
    const { freezeKernelNfs, unfreezeKernelNfs } = await import('../../../src/ha/freeze.js');
    const config = cfg();
    const hosts = pair();
    const views = mergeVolumes(config, await pairInventory(config, hosts));
    let threads = 8;
    let running = true;
    hosts.primary.on(['labsvc', 'stop', 'nfs-kernel'], () => ((threads = 0), (running = false), { exitCode: 0 }));
    hosts.primary.on(['labsvc', 'start', 'nfs-kernel'], () => ((threads = 8), (running = true), { exitCode: 0 }));
    hosts.primary.on(['labsvc', 'status', 'nfs-kernel'], () => ({ exitCode: running ? 0 : 3 }));
    hosts.primary.on(
      (a) => a[0] === 'sh' && /nfsd\/threads/.test(a[2] ?? ''),
      () => ({ stdout: `${threads}\n` }),
    );
    expect(await freezeKernelNfs(config, hosts.primary, views)).toEqual(['/nfs/a_one', '/nfs/b_two']);
    expect(hosts.primary.commandLines().some((l) => l.startsWith('exportfs -u'))).toBe(false);
    expect(hosts.primary.commandLines()).toContain('labsvc stop nfs-kernel');
    // started again, the server serves what its exports say: nothing left to add, nothing run
    await unfreezeKernelNfs(config, hosts.primary, views);
    expect(hosts.primary.commandLines()).toContain('labsvc start nfs-kernel');
    expect(hosts.primary.commandLines()).not.toContain('exportfs -ra');
    // a server that comes back serving nothing (its exports not applied): exportfs -ra, then checked
    const listed = (await hosts.primary.run(['exportfs', '-v'])).stdout;
    let applied = false;
    hosts.primary.on(['exportfs', '-v'], () => ({ stdout: applied ? listed : '' }));
    hosts.primary.on(['exportfs', '-ra'], () => ((applied = true), { exitCode: 0 }));
    await unfreezeKernelNfs(config, hosts.primary, views);
    expect(hosts.primary.commandLines()).toContain('exportfs -ra');
    expect(applied).toBe(true);
    // a server that does not stop: the freeze fails (the plan stops before the final sync)
    hosts.primary.on(['labsvc', 'stop', 'nfs-kernel'], { exitCode: 0 });
    await expect(freezeKernelNfs(config, hosts.primary, views)).rejects.toThrow(/nfsd still runs 8 thread/);
  });
});

describe('a mixed pair: LVM + xfsquota + RBD at once', () => {
  it('the root (xfsquota) is a unit carrying the xfsquota volumes and leaving out the LVM and RBD mounts; each LVM volume is its own; RBD is never copied', async () => {
    const { identify } = await import('../../../src/volume/identity.js');
    const { volumeRef } = await import('../../../src/core/names.js');
    const mixed = parseConfig(
      testConfigYaml('/tmp/nfsctl-unit-pv')
        .replace('server: ganesha', 'server: kernel')
        .replace('  lvm: { vg: vgnfs }', '  lvm: { vg: vgnfs }\n  xfsquota: { root: /nfs }\n  rbd: { pool: rbd }'),
    );
    const view = (ns: string, name: string, backend: 'lvm' | 'xfsquota' | 'rbd') => {
      const identity = identify(mixed, volumeRef(ns, name));
      return { id: identity.id, namespace: ns, name, backend, path: identity.path, identity } as unknown as Parameters<
        typeof syncUnits
      >[1][number];
    };
    const u = syncUnits(mixed, [view('a', 'lv', 'lvm'), view('b', 'xfs', 'xfsquota'), view('c', 'img', 'rbd')]);
    expect(
      u.map((x) => ({
        rel: x.rel,
        volumes: x.volumes,
        device: x.device ?? null,
        optional: x.optional ?? false,
        excludes: x.excludes,
      })),
    ).toEqual([
      { rel: '', volumes: ['b/xfs'], device: null, optional: false, excludes: ['/a_lv/', '/c_img/'] },
      { rel: 'a_lv', volumes: ['a/lv'], device: '/dev/vgnfs/pv.a.lv', optional: false, excludes: [] },
    ]);
    const root = rsyncArgv({ config: mixed, source: 'primary', dryRun: true, unit: u[0]! });
    expect(root).toEqual(
      expect.arrayContaining(['--one-file-system', '--exclude=/.nfsctl/', '--exclude=/a_lv/', '--exclude=/c_img/']),
    );
  });
});
