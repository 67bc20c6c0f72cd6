// The cephfs backend without a cluster: its config section (names that reach ceph argv and
// ganesha.conf), the refusal with the kernel NFS server, and the create plan (subvolume once,
// FSAL CEPH export on both hosts, its Path read on the host when the block is written).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { pairInventory } from '../../src/volume/inventory.js';
import { mergeVolumes } from '../../src/volume/state.js';
import { planCreate } from '../../src/volume/plans.js';
import { volumeRef } from '../../src/core/names.js';
import { planSteps } from '../../src/plan/plan.js';
import { testConfigYaml } from '../support/config.js';
import { fakeStorageHost } from '../support/fake-pair.js';
import { cephfsBackend, cephfsInventory } from '../../src/volume/backend/cephfs.js';
import { identify } from '../../src/volume/identity.js';
import { emptyInventory } from '../../src/volume/inventory.js';

const yaml = (server: string, section: string) =>
  testConfigYaml('/tmp/nfsctl-unit')
    .replace('server: ganesha', `server: ${server}`)
    .replace('  lvm: { vg: vgnfs }', `  lvm: { vg: vgnfs }\n  cephfs: ${section}`);

describe('backends.cephfs config', () => {
  it('is refused with the kernel NFS server, with the reason', () => {
    expect(() => parseConfig(yaml('kernel', '{ fs: cephfs }'), 't.yaml')).toThrow(
      /cephfs volumes are served by nfs-ganesha \(FSAL CEPH\).*set nfs.server: ganesha/,
    );
    expect(parseConfig(yaml('ganesha', '{ fs: cephfs, group: nfsctl }'), 't.yaml').backends.cephfs).toMatchObject({
      fs: 'cephfs',
      group: 'nfsctl',
      id: 'admin',
      cephConf: '/etc/ceph/ceph.conf',
    });
  });

  it.each(['"ceph fs"', '"a;b"', '"x\\"y"', '"-rf"', '"$(id)"', '""'])('refuses the filesystem name %s', (bad) => {
    expect(() => parseConfig(yaml('ganesha', `{ fs: ${bad} }`), 't.yaml')).toThrow(/backends\.cephfs\.fs/);
  });
});

describe('cephfs create plan', () => {
  it('makes the subvolume once (guarded), records nfsctl.meta, and exports it on both hosts through FSAL CEPH', async () => {
    const config = parseConfig(yaml('ganesha', '{ fs: cephfs, group: nfsctl }'), 't.yaml');
    const hosts = { primary: fakeStorageHost('primary', { vip: true }), backup: fakeStorageHost('backup') };
    const inv = await pairInventory(config, hosts);
    const plan = planCreate(
      config,
      { inv, vipHolder: 'primary', views: mergeVolumes(config, inv) },
      {
        ref: volumeRef('team-a', 'data'),
        size: 8 * 2 ** 20,
        backend: 'cephfs',
        labels: {},
        createdBy: 'a@primary',
        export: { clients: ['198.51.100.0/24'], options: ['rw'] },
      },
    );
    const steps = planSteps(plan);
    expect(steps.filter((s) => s.host === 'backup').map((s) => s.id)).toEqual([
      'backup:ganesha-file',
      'backup:ganesha-include',
      'backup:ganesha-dbus',
    ]);
    expect(steps.filter((s) => s.host === 'primary').map((s) => s.id)).toEqual([
      'primary:cephfs-group',
      'primary:cephfs-create',
      'primary:cephfs-meta',
      'primary:ganesha-file',
      'primary:ganesha-include',
      'primary:ganesha-dbus',
    ]);
    const create = steps.find((s) => s.id === 'primary:cephfs-create')!.action;
    expect(create.kind === 'run' && create.argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(create.kind === 'run' && create.argv.slice(3, 7)).toEqual([
      'nfsctl-cephfs-create',
      'cephfs',
      'pv.team-a.data',
      String(8 * 2 ** 20),
    ]);
    // the subvolume's path exists only after the create step: read on the host when the block is written
    const file = steps.find((s) => s.id === 'backup:ganesha-file')!;
    expect(file.action.kind).toBe('fn');
    const backup = hosts.backup;
    backup.on(['ceph'], (argv) =>
      argv.includes('getpath')
        ? { stdout: '/volumes/nfsctl/pv.team-a.data/0b8a6c2e-1111-4222-8333-944445555666\n' }
        : undefined,
    );
    if (file.action.kind === 'fn') await file.action.fn(backup);
    const block = backup.files.get('/etc/ganesha/nfsctl/pv.team-a.data.conf')!;
    expect(block).toContain('Path = "/volumes/nfsctl/pv.team-a.data/0b8a6c2e-1111-4222-8333-944445555666";');
    expect(block).toContain('Pseudo = "/nfs/team-a_data";');
    expect(block).toMatch(/FSAL \{\n\s+Name = CEPH;\n\s+Filesystem = "cephfs";\n\s+User_Id = "admin";\n\s+\}/);
  });
});

describe('cephfs inventory', () => {
  const config = () => parseConfig(yaml('ganesha', '{ fs: cephfs, group: nfsctl }'), 't.yaml');
  const ls = (argv: string[]) => argv.includes('subvolume') && argv.includes('ls');

  it('a group that does not exist yet (made with the first volume) is no volumes, not an error', async () => {
    const host = fakeStorageHost('primary').on(ls, {
      exitCode: 2,
      stdout: '',
      stderr: "Error ENOENT: subvolume group 'nfsctl' does not exist",
    });
    const inv = await cephfsInventory(config(), host);
    expect(inv.error).toBeUndefined();
    expect(inv.subvolumes.size).toBe(0);
    // a listing that answers at once costs no FSMap read
    expect(host.calls.some((c) => c.argv.includes('dump'))).toBe(false);
  });

  it('no active MDS (the FSMap, a monitor call): the listing, which would hang in the mgr, is cancelled; unreadable, not absent', async () => {
    const down = readFileSync(new URL('./core/fixtures/cephfs/fsmap-down.json', import.meta.url), 'utf8');
    let cancelled = false;
    const host = fakeStorageHost('primary')
      .on(
        ls,
        (_argv, opts) =>
          new Promise((resolve) => opts.signal?.addEventListener('abort', () => ((cancelled = true), resolve({})))),
      )
      .on((a) => a.includes('dump'), { stdout: down });
    const inv = await cephfsInventory(config(), host);
    expect(cancelled).toBe(true);
    expect(inv.error).toBe(
      'no active MDS for CephFS cephfs (cephfs: failed rank(s) 0 (0 standby)): its subvolumes cannot be read',
    );
    expect(inv.subvolumes.size).toBe(0);
  });

  it('any other failure to list is an error, shown', async () => {
    const host = fakeStorageHost('primary').on(ls, { exitCode: 1, stdout: '', stderr: 'Error EPERM: access denied' });
    expect((await cephfsInventory(config(), host)).error).toMatch(/ceph fs subvolume ls: Error EPERM/);
  });
});

describe('cephfs usage', () => {
  it("is the subvolume's own count against its quota; unknown without a quota or a subvolume", () => {
    const config = parseConfig(yaml('ganesha', '{ fs: cephfs, group: nfsctl }'), 't.yaml');
    const v = identify(config, volumeRef('team-a', 'data'));
    const info = (quotaBytes: number | null) => ({
      path: '/volumes/nfsctl/x/uuid',
      quotaBytes,
      usedBytes: 3 * 2 ** 20,
    });
    const cluster = (q: number | null) => ({
      metas: new Map(),
      subvolumes: new Map([[v.image, info(q) as never]]),
    });
    const inv = emptyInventory('primary', 'unused');
    expect(cephfsBackend.usage(config, inv, v, cluster(8 * 2 ** 20))).toMatchObject({
      usedBytes: 3 * 2 ** 20,
      capacityBytes: 8 * 2 ** 20,
      source: 'subvolume info',
    });
    expect(cephfsBackend.usage(config, inv, v, cluster(null))).toBeNull();
    expect(cephfsBackend.usage(config, inv, v, { metas: new Map(), subvolumes: new Map() } as never)).toBeNull();
  });
});
