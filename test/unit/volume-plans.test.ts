import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { pairInventory } from '../../src/volume/inventory.js';
import { mergeVolumes } from '../../src/volume/state.js';
import { planCreate, planDelete, planResize, type PairState } from '../../src/volume/plans.js';
import { identify } from '../../src/volume/identity.js';
import { volumeRef } from '../../src/core/names.js';
import { describeAction, planSteps } from '../../src/plan/plan.js';
import { encodeMetaTags } from '../../src/core/lvm-json.js';
import { parseFstab, serializeFstab, upsertMount } from '../../src/core/fstab.js';
import { testConfigYaml } from '../support/config.js';
import { fakeStorageHost, type FakeStorage } from '../support/fake-pair.js';
import type { Config } from '../../src/config/schema.js';

function cfg(server: 'kernel' | 'ganesha', backend = 'lvm', extra = ''): Config {
  return parseConfig(
    testConfigYaml('/tmp/nfsctl-unit')
      .replace('server: ganesha', `server: ${server}`)
      .replace(
        'default: lvm\n  lvm: { vg: vgnfs }',
        `default: ${backend}\n  lvm: { vg: vgnfs }\n  xfsquota: { root: /nfs }\n  rbd: { pool: rbd }`,
      ) + extra,
  );
}

async function state(config: Config, p: FakeStorage = {}, b: FakeStorage = {}): Promise<PairState> {
  const hosts = { primary: fakeStorageHost('primary', { vip: true, ...p }), backup: fakeStorageHost('backup', b) };
  const inv = await pairInventory(config, hosts);
  return { inv, vipHolder: 'primary', views: mergeVolumes(config, inv) };
}

const ref = volumeRef('team-a', 'data');
const G = 2 ** 30;
const base = {
  ref,
  size: 1 * G,
  labels: { tier: 'gold' },
  createdBy: 'alice@primary',
  now: new Date('2026-11-22T10:00:00Z'),
};

describe('volume create plan', () => {
  it('lvm + kernel: lvcreate, mkfs, mkdir, mount, fstab, exports, exportfs on both hosts in parallel', async () => {
    const config = cfg('kernel');
    const plan = planCreate(config, await state(config, { exports: '' }, { exports: '' }), {
      ...base,
      backend: 'lvm',
      export: { clients: ['198.51.100.0/24'], options: ['rw', 'sync'] },
    });
    expect(plan.phases.map((p) => p.title)).toEqual(['create the lvm storage on both hosts', 'export it over NFS']);
    const primary = planSteps(plan).filter((s) => s.host === 'primary');
    expect(primary.map((s) => s.id)).toEqual([
      'primary:lvcreate',
      'primary:mkfs',
      'primary:mkdir',
      'primary:mount',
      'primary:fstab',
      'primary:exports-file',
      'primary:exportfs',
    ]);
    expect(planSteps(plan).filter((s) => s.host === 'backup')).toHaveLength(7);
    const lvcreate = primary[0]!.action;
    expect(lvcreate.kind === 'run' && lvcreate.argv).toEqual(
      expect.arrayContaining([
        'lvcreate',
        '--name',
        'pv.team-a.data',
        '--size',
        `${G}b`,
        '--addtag',
        'nfsctl',
        'vgnfs',
      ]),
    );
    const exportsWrite = primary[5]!.action;
    const v = identify(config, ref);
    expect(exportsWrite.kind === 'write' && exportsWrite.content).toContain(
      `/nfs/team-a_data 198.51.100.0/24(rw,sync,fsid=${v.fsid})`,
    );
    expect(primary.every((s) => s.undo !== null || s.noUndoReason)).toBe(true);
  });

  it('lvm metadata-only (lab hosts without device-mapper): no mkfs, mount or fstab', async () => {
    const config = cfg('ganesha');
    config.backends.lvm!.metadataOnly = true;
    const plan = planCreate(config, await state(config), {
      ...base,
      backend: 'lvm',
      export: { clients: ['*'], options: ['rw'] },
    });
    const ids = planSteps(plan)
      .filter((s) => s.host === 'backup')
      .map((s) => s.id);
    expect(ids).toEqual([
      'backup:lvcreate',
      'backup:mkdir',
      'backup:ganesha-file',
      'backup:ganesha-include',
      'backup:ganesha-dbus',
    ]);
    const lvcreate = planSteps(plan)[0]!.action;
    expect(lvcreate.kind === 'run' && lvcreate.argv.slice(0, 3)).toEqual([
      'lvcreate',
      '--config',
      'global { activation = 0 }',
    ]);
  });

  it('xfsquota + ganesha: project, hard limit, metadata, EXPORT block and dbus AddExport', async () => {
    const config = cfg('ganesha', 'xfsquota');
    const plan = planCreate(config, await state(config), {
      ...base,
      backend: 'xfsquota',
      export: { clients: ['198.51.100.0/24'], options: ['rw', 'no_root_squash'] },
    });
    const v = identify(config, ref);
    const lines = planSteps(plan)
      .filter((s) => s.host === 'primary')
      .map((s) => describeAction(s.action));
    expect(lines[0]).toBe('mkdir -p -m 0777 -- /nfs/team-a_data');
    expect(lines[1]).toBe(`xfs_quota -x -c "project -s -p /nfs/team-a_data ${v.projectId}" /nfs`);
    expect(lines[2]).toBe(`xfs_quota -x -c "limit -p bhard=${G} ${v.projectId}" /nfs`);
    expect(lines[3]).toContain('write /nfs/.nfsctl/meta/pv.team-a.data.json');
    const block = planSteps(plan).find((s) => s.id === 'primary:ganesha-file')!.action;
    expect(block.kind === 'write' && block.content).toMatch(/Export_Id\s*=\s*\d+;/);
    expect(block.kind === 'write' && block.content).toContain('No_Root_Squash');
    expect(lines.at(-1)).toContain('org.ganesha.nfsd.exportmgr.AddExport');
  });

  it('rbd: one image for the pair, mapped only on the VIP holder', async () => {
    const config = cfg('kernel', 'rbd');
    const plan = planCreate(config, await state(config, { exports: '' }, { exports: '' }), {
      ...base,
      backend: 'rbd',
      export: { clients: ['*'], options: ['rw'] },
    });
    const all = planSteps(plan);
    expect(all.filter((s) => s.id.endsWith('rbd-create'))).toHaveLength(1);
    expect(all.filter((s) => s.id.endsWith('rbd-map')).map((s) => s.host)).toEqual(['primary']);
    expect(all.filter((s) => s.id.endsWith('exports-file')).map((s) => s.host)).toEqual(['primary']);
    const create = all.find((s) => s.id.endsWith('rbd-create'))!.action;
    expect(create.kind === 'run' && create.argv).toEqual(
      expect.arrayContaining(['create', '--size', '1024M', '--image-feature', 'layering', 'rbd/pv.team-a.data']),
    );
  });

  it('refuses with the numbers when the backup volume group is too small, before any change', async () => {
    const config = cfg('kernel');
    const err = (() => {
      return state(config, { exports: '' }, { exports: '', vgFree: 512 * 2 ** 20 });
    })();
    const st = await err;
    expect(() =>
      planCreate(config, st, { ...base, backend: 'lvm', export: { clients: ['*'], options: ['rw'] } }),
    ).toThrow(/backup: vgnfs has 512Mi? free, needs 1Gi?/);
  });

  it('refuses when the volume or a foreign directory already exists', async () => {
    const config = cfg('kernel');
    const tags = encodeMetaTags({
      v: 1,
      namespace: 'team-a',
      name: 'data',
      labels: {},
      createdAt: 'x',
      createdBy: 'y',
      backend: 'lvm',
      size: G,
    });
    const st = await state(config, { lvs: [{ name: 'pv.team-a.data', size: G, tags }] }, {});
    expect(() =>
      planCreate(config, st, { ...base, backend: 'lvm', export: { clients: ['*'], options: ['rw'] } }),
    ).toThrow(/already exists/);
    const st2 = await state(config, { dirs: ['/nfs/team-a_data'] }, {});
    expect(() =>
      planCreate(config, st2, { ...base, backend: 'lvm', export: { clients: ['*'], options: ['rw'] } }),
    ).toThrow(/belongs to no nfsctl volume/);
  });

  it('refuses when a host is unreachable', async () => {
    const config = cfg('kernel');
    const hosts = { primary: fakeStorageHost('primary'), backup: fakeStorageHost('backup') };
    hosts.backup.unreachable = true;
    const inv = await pairInventory(config, hosts);
    expect(() =>
      planCreate(
        config,
        { inv, vipHolder: 'primary', views: [] },
        { ...base, backend: 'lvm', export: { clients: ['*'], options: ['rw'] } },
      ),
    ).toThrow(/backup is unreachable/);
  });
});

describe('volume list, delete and resize plans', () => {
  const meta = {
    v: 1 as const,
    namespace: 'team-a',
    name: 'data',
    labels: { tier: 'gold' },
    createdAt: '2026-11-22T10:00:00Z',
    createdBy: 'alice',
    backend: 'lvm' as const,
    size: G,
  };

  it('merges both hosts and reports drift: present on one host only', async () => {
    const config = cfg('kernel');
    const st = await state(config, { lvs: [{ name: 'pv.team-a.data', size: G, tags: encodeMetaTags(meta) }] }, {});
    expect(st.views).toHaveLength(1);
    expect(st.views[0]).toMatchObject({ id: 'team-a/data', backend: 'lvm', labels: { tier: 'gold' } });
    expect(st.views[0]!.drift).toContain('present on primary only');
  });

  it('delete of a volume that does not exist plans nothing', async () => {
    const config = cfg('kernel');
    const { plan, view } = planDelete(config, await state(config), { ref, keepData: false });
    expect(view).toBeUndefined();
    expect(plan.phases).toEqual([]);
  });

  it('delete order: unexport, unmount, fstab, lvremove, rmdir; --keep-data stops before destroying', async () => {
    const config = cfg('kernel');
    const v = identify(config, ref);
    const host: FakeStorage = {
      lvs: [{ name: 'pv.team-a.data', size: G, tags: encodeMetaTags(meta) }],
      exports: `/nfs/team-a_data *(rw,fsid=${v.fsid}) # nfsctl:team-a/data\n`,
      mounts: '/dev/mapper/vgnfs-pv.team--a.data /nfs/team-a_data xfs rw 0 0\n',
      fstab: serializeFstab(
        upsertMount(
          parseFstab(''),
          { spec: '/dev/vgnfs/pv.team-a.data', file: '/nfs/team-a_data', vfstype: 'xfs', mntops: ['defaults'] },
          'team-a/data',
        ),
      ),
      dirs: ['/nfs/team-a_data'],
    };
    const st = await state(config, host, host);
    const full = planDelete(config, st, { ref, keepData: false }).plan;
    expect(
      planSteps(full)
        .filter((s) => s.host === 'backup')
        .map((s) => s.id),
    ).toEqual([
      'backup:exports-file',
      'backup:exportfs',
      'backup:umount',
      'backup:fstab',
      'backup:lvremove',
      'backup:rmdir',
    ]);
    const keep = planDelete(config, st, { ref, keepData: true }).plan;
    expect(
      planSteps(keep)
        .filter((s) => s.host === 'backup')
        .map((s) => s.id),
    ).toEqual(['backup:exports-file', 'backup:exportfs', 'backup:umount', 'backup:fstab']);
  });

  it('resize refuses to shrink with a reason, and grows both hosts', async () => {
    const config = cfg('kernel');
    const host: FakeStorage = {
      lvs: [{ name: 'pv.team-a.data', size: 2 * G, tags: encodeMetaTags({ ...meta, size: 2 * G }) }],
    };
    const st = await state(config, host, host);
    expect(() => planResize(config, st, ref, G)).toThrow(
      /refusing to shrink team-a\/data from 2Gi? to 1Gi?: XFS cannot shrink/,
    );
    const plan = planResize(config, st, ref, 3 * G);
    expect(planSteps(plan).map((s) => s.id)).toEqual([
      'primary:lvextend',
      'primary:lvtags',
      'primary:growfs',
      'backup:lvextend',
      'backup:lvtags',
      'backup:growfs',
    ]);
  });
});
