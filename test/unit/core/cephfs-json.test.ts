// The CephFS parsers against output captured from the lab's Ceph Pacific 16.2.15 cluster
// (fixtures/cephfs/: subvolumes made through the mgr volumes interface, ganesha FSAL CEPH
// sessions of both lab hosts, the FSMap with the MDS up and killed).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { OutputParseError } from '../../../src/core/errors.js';
import {
  cephErrorCode,
  fsVerdict,
  parseFsMap,
  parseFsStatus,
  parseMdsSessions,
  parseSubvolumeInfo,
  parseSubvolumeList,
  parseSubvolumeMetadata,
  parseSubvolumeResize,
  sessionsFor,
} from '../../../src/core/cephfs-json.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'cephfs');
const fixture = (name: string) => readFileSync(join(dir, name), 'utf8');

describe('subvolume info', () => {
  it('reads a subvolume with a quota', () => {
    const i = parseSubvolumeInfo(fixture('info-quota.json'));
    expect(i).toMatchObject({
      path: '/volumes/nfsctl/team-a_data/c95d20c7-717f-4a4d-bf20-1cac253614f2',
      quotaBytes: 10485760,
      usedBytes: 0,
      state: 'complete',
      type: 'subvolume',
      dataPool: 'cephfs_data',
      poolNamespace: '',
      uid: 0,
      gid: 0,
      mode: 16877,
    });
    expect(i.createdAt).toBe('2026-12-02 01:41:23');
  });

  it('reads "infinite" as no quota', () => {
    const i = parseSubvolumeInfo(fixture('info-noquota.json'));
    expect(i.quotaBytes).toBeNull();
    expect(i.path).toMatch(/^\/volumes\/_nogroup\/noquota\//);
  });

  it('refuses what is not subvolume info', () => {
    expect(() => parseSubvolumeInfo('')).toThrow(OutputParseError);
    expect(() => parseSubvolumeInfo('{"path":"relative","bytes_quota":1,"bytes_used":0}')).toThrow(/path/);
    expect(() => parseSubvolumeInfo('{"path":"/v","bytes_quota":"lots","bytes_used":0}')).toThrow(/bytes_quota/);
    expect(() => parseSubvolumeInfo(fixture('ls-group.json'))).toThrow(OutputParseError);
  });
});

describe('subvolume ls, metadata ls, resize', () => {
  it('lists names; an empty group is []', () => {
    expect(parseSubvolumeList(fixture('ls-group.json'))).toEqual(['team-a_data']);
    expect(parseSubvolumeList(fixture('ls-empty.json'))).toEqual([]);
    expect(parseSubvolumeList('')).toEqual([]);
    expect(() => parseSubvolumeList('[{"name":""}]')).toThrow(OutputParseError);
  });

  it('reads metadata key/values, including a JSON record with quotes', () => {
    expect(parseSubvolumeMetadata(fixture('meta-ls.json'))).toEqual({ 'nfsctl.id': 'team-a/data' });
    expect(parseSubvolumeMetadata(fixture('meta-empty.json'))).toEqual({});
    const m = parseSubvolumeMetadata(fixture('meta-ls-nfsctl.json'));
    expect(JSON.parse(m['nfsctl.meta'] as string)).toEqual({
      v: 1,
      namespace: 'team-a',
      name: 'data',
      labels: { 'a b': "c'd" },
    });
    expect(() => parseSubvolumeMetadata('{"k":1}')).toThrow(OutputParseError);
  });

  it('merges the list of one-key objects resize prints; quota 0 (infinite) is none', () => {
    expect(parseSubvolumeResize(fixture('resize.json'))).toEqual({ usedBytes: 0, quotaBytes: 20971520 });
    expect(parseSubvolumeResize(fixture('resize-inf.json'))).toEqual({ usedBytes: 0, quotaBytes: null });
    expect(() => parseSubvolumeResize('[]')).toThrow(OutputParseError);
    expect(() => parseSubvolumeResize('[{"bytes_used":1}]')).toThrow(/bytes_quota/);
  });

  it('reads the errno name of a failed command', () => {
    expect(cephErrorCode("Error ENOENT: subvolume 'nosuch' does not exist\n")).toBe('ENOENT');
    expect(cephErrorCode("Error ENOENT: FS 'nofs' not found")).toBe('ENOENT');
    expect(
      cephErrorCode('2026-12-02T01:38:54.038+0000 7f35 0 client.4196 ms_handle_reset\nError EPERM: access denied'),
    ).toBe('EPERM');
    expect(cephErrorCode('[errno 110] RADOS timed out (error connecting to the cluster)')).toBeNull();
  });
});

describe('FSMap', () => {
  it('an active rank 0 is served', () => {
    const map = parseFsMap(fixture('fsmap-up.json'));
    expect(map.filesystems).toHaveLength(1);
    expect(map.filesystems[0]).toMatchObject({
      name: 'cephfs',
      id: 1,
      enabled: true,
      maxMds: 1,
      in: [0],
      failed: [],
      damaged: [],
      standbyCountWanted: 0,
    });
    expect(map.filesystems[0]!.daemons).toEqual([
      { name: 'a', state: 'up:active', rank: 0, addr: expect.stringMatching(/^198\.51\.100\.31:\d+\/\d+$/) },
    ]);
    expect(fsVerdict(map, 'cephfs')).toEqual({
      ok: true,
      summary: 'cephfs: rank 0 a up:active; 0 standby',
      active: ['a'],
    });
    expect(fsVerdict(map, 'other')).toBeNull();
  });

  it('`ceph mds stat --format json` wraps the same map in "fsmap"', () => {
    expect(fsVerdict(parseFsMap(fixture('mds-stat.json')), 'cephfs')?.ok).toBe(true);
  });

  it('the MDS killed: rank 0 failed, nothing active', () => {
    const v = fsVerdict(parseFsMap(fixture('fsmap-down.json')), 'cephfs');
    expect(v).toEqual({ ok: false, summary: 'cephfs: failed rank(s) 0 (0 standby)', active: [] });
  });

  it('a rank in replay is not served', () => {
    const doc = JSON.parse(fixture('fsmap-up.json'));
    for (const d of Object.values(doc.filesystems[0].mdsmap.info) as { state: string }[]) d.state = 'up:replay';
    doc.standbys = [{ name: 'b', state: 'up:standby', rank: -1, addr: '198.51.100.32:6800/1' }];
    const v = fsVerdict(parseFsMap(JSON.stringify(doc)), 'cephfs');
    expect(v?.ok).toBe(false);
    expect(v?.summary).toBe('cephfs: rank 0 a is up:replay (1 standby)');
  });
});

describe('ceph fs status', () => {
  it('counts clients and reads rank states', () => {
    expect(parseFsStatus(fixture('fs-status.json'))).toMatchObject({
      clients: 4,
      ranks: [{ rank: 0, name: 'a', state: 'active' }],
    });
    expect(parseFsStatus(fixture('fs-status.json')).pools.map((p) => `${p.type}:${p.name}`)).toEqual([
      'metadata:cephfs_metadata',
      'data:cephfs_data',
    ]);
  });

  it('a failed rank has no name', () => {
    expect(parseFsStatus(fixture('fs-status-down.json'))).toMatchObject({
      clients: 0,
      ranks: [{ rank: 0, name: null, state: 'failed' }],
    });
  });
});

describe('MDS client sessions', () => {
  const ganesha = parseMdsSessions(fixture('client-ls-ganesha.json'));

  it('reads the ganesha sessions of both hosts, with the path each mounted', () => {
    const path = '/volumes/_nogroup/t1/65b0ebd2-3b01-4609-ab27-7c091a201021';
    expect(ganesha.map((s) => [s.id, s.host, s.hostname, s.root, s.uuid, s.state])).toEqual(
      expect.arrayContaining([
        [4166, '198.51.100.12', 'backup', path, 'ganesha-backup-0064', 'open'],
        [4164, '198.51.100.11', 'primary', path, expect.stringMatching(/^ganesha-primary-/), 'open'],
      ]),
    );
    expect(ganesha.find((s) => s.id === 4166)?.inst).toBe('client.4166 198.51.100.12:0/3996712263');
    expect(sessionsFor(ganesha, '198.51.100.12', path).map((s) => s.id)).toEqual([4166]);
    expect(sessionsFor(ganesha, '198.51.100.12', '/volumes/_nogroup/other/x')).toEqual([]);
  });

  it('mgr sessions (root "/", no uuid) are read too', () => {
    const idle = parseMdsSessions(fixture('client-ls-idle.json'));
    expect(idle.length).toBeGreaterThan(0);
    expect(idle.every((s) => s.host === '198.51.100.31')).toBe(true);
    expect(idle.find((s) => s.entityId === 'x')).toMatchObject({ root: '/', uuid: null, hostname: 'ceph' });
  });

  it('refuses a session without an address', () => {
    expect(() => parseMdsSessions('[{"id":1,"state":"open","entity":{}}]')).toThrow(OutputParseError);
    expect(parseMdsSessions('[]')).toEqual([]);
  });
});
