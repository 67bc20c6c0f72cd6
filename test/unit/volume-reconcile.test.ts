// volume reconcile on a PV list shaped exactly like `kubectl get pv -o json` (a v1 List, every
// item checked against the Kubernetes PersistentVolume schema first): orphans, dangling PVs,
// size mismatches, UDP / NFSv2 mount options, Released+Retain and Released+Delete, PVs for
// other servers ignored; an unmanaged volume a PV points at is named with the adopt command.
import { describe, expect, it } from 'vitest';
import { PersistentVolume } from 'kubernetes-models/v1/PersistentVolume';
import { parseConfig } from '../../src/config/load.js';
import { pairInventory } from '../../src/volume/inventory.js';
import { mergeVolumes } from '../../src/volume/state.js';
import { findUnmanaged, readForeignPair } from '../../src/volume/unmanaged.js';
import { reconcile } from '../../src/volume/reconcile.js';
import {
  parsePvList,
  claimsByPath,
  parseMappingFile,
  splitCandidates,
  resolveName,
} from '../../src/core/adopt-names.js';
import { parseQuantity } from '../../src/core/k8s-quantity.js';
import { encodeMetaTags } from '../../src/core/lvm-json.js';
import { formatVolumeRef } from '../../src/core/names.js';
import { tempDir, testConfigYaml } from '../support/config.js';
import { fakeStorageHost } from '../support/fake-pair.js';

const G = 2 ** 30;
const meta = (ns: string, name: string, size = G) =>
  encodeMetaTags({
    v: 1,
    namespace: ns,
    name,
    labels: {},
    createdAt: '2026-01-01T00:00:00Z',
    createdBy: 'x',
    backend: 'lvm',
    size,
  });

function pv(
  name: string,
  path: string,
  o: {
    server?: string;
    storage?: string;
    claim?: [string, string];
    phase?: string;
    policy?: string;
    mountOptions?: string[];
  } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      uid: '4b9c7f0e-0000-4000-8000-000000000001',
      resourceVersion: '1234',
      creationTimestamp: '2025-03-01T10:00:00Z',
      annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' },
      finalizers: ['kubernetes.io/pv-protection'],
    },
    spec: {
      accessModes: ['ReadWriteMany'],
      capacity: { storage: o.storage ?? '1Gi' },
      ...(o.claim
        ? {
            claimRef: {
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              namespace: o.claim[0],
              name: o.claim[1],
              uid: 'c0ffee00-0000-4000-8000-000000000002',
              resourceVersion: '99',
            },
          }
        : {}),
      ...(o.mountOptions ? { mountOptions: o.mountOptions } : {}),
      nfs: { server: o.server ?? '198.51.100.100', path },
      persistentVolumeReclaimPolicy: o.policy ?? 'Retain',
      storageClassName: '',
      volumeMode: 'Filesystem',
    },
    status: { phase: o.phase ?? 'Bound', lastPhaseTransitionTime: '2025-03-01T10:00:01Z' },
  };
}

const LIST = {
  apiVersion: 'v1',
  kind: 'List',
  metadata: { resourceVersion: '' },
  items: [
    pv('nfs-team-a.data', '/nfs/team-a_data', { claim: ['team-a', 'data'] }),
    pv('nfs-team-a.big', '/nfs/team-a_big', {
      storage: '5Gi',
      claim: ['team-a', 'big'],
      mountOptions: ['nfsvers=2', 'proto=udp'],
    }),
    pv('nfs-old.gone', '/nfs/old_gone', { claim: ['old', 'gone'] }),
    pv('nfs-team-b.done', '/nfs/team-b_done', { claim: ['team-b', 'done'], phase: 'Released' }),
    pv('nfs-team-b.del', '/nfs/team-b_del', { claim: ['team-b', 'del'], phase: 'Released', policy: 'Delete' }),
    pv('legacy', '/nfs/teamcweb', { claim: ['teamc', 'web'] }),
    pv('other-server', '/nfs/team-a_orphan', { server: '203.0.113.7', claim: ['x', 'y'] }),
  ],
};

describe('the PV-list fixture', () => {
  it('is what kubectl prints: every item a valid PersistentVolume', () => {
    for (const item of LIST.items) expect(() => new PersistentVolume(item as never).validate()).not.toThrow();
    expect(parsePvList(JSON.stringify(LIST))).toHaveLength(LIST.items.length);
  });

  it('anything else is refused with where it went wrong', () => {
    expect(() => parsePvList('{')).toThrow(/not JSON/);
    expect(() => parsePvList(JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeList', items: [] }))).toThrow(
      /not a v1 List \(kind "PersistentVolumeList"\)/,
    );
    expect(() =>
      parsePvList(
        JSON.stringify({ ...LIST, items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} }] }),
      ),
    ).toThrow(/item 0 \(p\) is not a PersistentVolume: kind/);
  });
});

describe('volume reconcile', () => {
  it('reports orphans, dangling PVs, size mismatches, UDP and NFSv2, Released+Retain and Released+Delete; other servers ignored', async () => {
    const config = parseConfig(testConfigYaml(tempDir()).replace('server: ganesha', 'server: kernel'), 'test.yaml');
    const lvs = [
      { name: 'pv.team-a.data', size: G, tags: meta('team-a', 'data') },
      { name: 'pv.team-a.big', size: 2 * G, tags: meta('team-a', 'big', 2 * G) },
      { name: 'pv.team-a.orphan', size: G, tags: meta('team-a', 'orphan') },
      { name: 'pv.team-b.done', size: G, tags: meta('team-b', 'done') },
      { name: 'pv.team-b.del', size: G, tags: meta('team-b', 'del') },
    ];
    const s = { lvs, dirs: ['/nfs/teamcweb'] };
    const hosts = { primary: fakeStorageHost('primary', s), backup: fakeStorageHost('backup', s) };
    const inv = await pairInventory(config, hosts);
    const views = mergeVolumes(config, inv);
    const unmanaged = findUnmanaged(config, inv, await readForeignPair(config, hosts), views);
    const r = reconcile(config, views, unmanaged, parsePvList(JSON.stringify(LIST)));
    expect(r.pvsIgnored).toBe(1);
    const got = r.findings.map((f) => `${f.kind} ${f.volume ?? f.pv}`);
    expect(got.sort()).toEqual(
      [
        'orphan team-a/orphan',
        'size-mismatch team-a/big',
        'nfsv2 team-a/big',
        'udp team-a/big',
        'dangling nfs-old.gone',
        'released-retain team-b/done',
        'released-delete team-b/del',
        'unmanaged legacy',
      ].sort(),
    );
    const f = (k: string) => r.findings.find((x) => x.kind === k)!;
    expect(f('size-mismatch').message).toBe(
      'PV nfs-team-a.big says 5Gi (5Gi), team-a/big is 2Gi: the PV promises more than there is',
    );
    expect(f('size-mismatch').command).toBe(`nfsctl volume resize team-a/big --size ${5 * G}B`);
    expect(f('released-delete').command).toBe('nfsctl volume delete team-b/del');
    expect(f('released-retain').command).toMatch(/^nfsctl volume delete team-b\/done --keep-data/);
    expect(f('unmanaged').command).toBe('nfsctl volume adopt teamc/web --path /nfs/teamcweb --dry-run');
    expect(f('udp').message).toMatch(/UDP \(proto=udp\)/);
    // the PV on another server with the orphan's path does not count as its PV
    expect(r.findings.some((x) => x.pv === 'other-server')).toBe(false);
  });
});

describe('names of old-style paths', () => {
  it('splitCandidates: every valid namespace/name split; none for a name that cannot be split', () => {
    expect(splitCandidates('teamadata').map(formatVolumeRef)).toEqual([
      't/eamadata',
      'te/amadata',
      'tea/madata',
      'team/adata',
      'teama/data',
      'teamad/ata',
      'teamada/ta',
      'teamadat/a',
    ]);
    // "a-/b" and "a/-b": a part may not start or end with "-"
    expect(splitCandidates('a-b')).toEqual([]);
    expect(splitCandidates('team-a_data', '_').map(formatVolumeRef)).toEqual(['team-a/data']);
    expect(splitCandidates('x')).toEqual([]);
  });

  it('claimsByPath and resolveName: the claim bound to the path wins; two claims on one path are a conflict', () => {
    const list = parsePvList(
      JSON.stringify({ ...LIST, items: [...LIST.items, pv('dup', '/nfs/teamcweb/', { claim: ['teamcw', 'eb'] })] }),
    );
    const { map, conflicts } = claimsByPath(list);
    expect(formatVolumeRef(map.get('/nfs/team-a_data')!)).toBe('team-a/data');
    expect(conflicts.get('/nfs/teamcweb')).toEqual(['teamc/web', 'teamcw/eb']);
    const r = resolveName('/nfs/teamcweb', 'teamcweb', '', { pvs: map, pvConflicts: conflicts });
    expect(r).toMatchObject({
      ok: false,
      reason: 'PVs of several claims point at /nfs/teamcweb: teamc/web, teamcw/eb',
    });
  });

  it('parseMappingFile checks every line', () => {
    expect(
      [...parseMappingFile('# old volumes\n/nfs/teamadata team-a/data\n\n/nfs/x  y/z # note\n')].map(
        ([p, r]) => `${p}=${formatVolumeRef(r)}`,
      ),
    ).toEqual(['/nfs/teamadata=team-a/data', '/nfs/x=y/z']);
    expect(() => parseMappingFile('/nfs/a b/c d')).toThrow(/line 1: expected/);
    expect(() => parseMappingFile('nfs/a b/c')).toThrow(/not a normalised absolute path/);
    expect(() => parseMappingFile('/nfs/a;rm b/c')).toThrow(/not a normalised absolute path/);
    expect(() => parseMappingFile('/nfs/a B/c')).toThrow(/line 1: invalid namespace/);
    expect(() => parseMappingFile('/nfs/a b/c\n/nfs/a d/e')).toThrow(/line 2: \/nfs\/a is mapped twice/);
    expect(() => parseMappingFile('/nfs/a b/c\n/nfs/d b/c')).toThrow(/line 2: b\/c is mapped to two paths/);
  });

  it('parseQuantity: the forms kubectl prints', () => {
    expect(parseQuantity('10Gi')).toBe(10 * G);
    expect(parseQuantity('500M')).toBe(500e6);
    expect(parseQuantity('1073741824')).toBe(G);
    expect(parseQuantity('1.5Gi')).toBe(1.5 * G);
    expect(parseQuantity('1e9')).toBe(1e9);
    expect(parseQuantity('10GB')).toBeNull();
    expect(parseQuantity('-1Gi')).toBeNull();
  });
});
