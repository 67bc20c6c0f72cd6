// The decision behind a failed trial write or mount: which fact explains it, and only that.
import { describe, expect, it } from 'vitest';
import {
  canCreate,
  clientMatches,
  effectiveIdentity,
  explainMount,
  explainWrite,
  ganeshaExportAccess,
  kernelExportAccess,
  GANESHA_ANON,
  type WriteFacts,
} from '../../../src/troubleshoot/why.js';
import { parseExports } from '../../../src/core/exports-file.js';
import { renderGaneshaExport } from '../../../src/core/ganesha.js';
import { parseRootFacts, parseRouteSrc } from '../../../src/troubleshoot/why-facts.js';

const ganesha = (
  accessType: 'RW' | 'RO',
  squash: 'Root_Squash' | 'No_Root_Squash' | 'All_Squash',
  extra: { anonymousUid?: number } = {},
) =>
  ganeshaExportAccess(
    renderGaneshaExport({
      owner: 'lab/x',
      exportId: 7,
      path: '/nfs/lab_x',
      pseudo: '/nfs/lab_x',
      clients: [{ clients: ['198.51.100.0/24'], accessType, squash, ...extra }],
    }),
  );

const base = (over: Partial<WriteFacts> = {}): WriteFacts => ({
  volume: 'lab/x',
  path: '/nfs/lab_x',
  holder: 'primary',
  error: 'write (nfs-cp): Failed to open nfs://... NFS3ERR_ACCES',
  access: ganesha('RW', 'No_Root_Squash'),
  client: { uid: 0, gid: 0 },
  root: { uid: 0, gid: 0, mode: 0o755 },
  space: { availBytes: 30_000_000, availInodes: 1000 },
  quota: { usedBytes: 0, hardBytes: 33_554_432 },
  options: ['rw', 'sync', 'no_root_squash', 'no_subtree_check'],
  defaultClients: ['198.51.100.0/24'],
  ...over,
});

describe('export access as the server sees it', () => {
  it("reads Ganesha Access_Type, Squash and Anonymous_Uid from nfsctl's block; -2 is the default anonymous id", () => {
    expect(ganesha('RO', 'Root_Squash')).toMatchObject({
      readOnly: true,
      squash: 'root',
      anonUid: GANESHA_ANON,
      clients: ['198.51.100.0/24'],
      protocols: [3, 4],
    });
    expect(ganesha('RW', 'All_Squash', { anonymousUid: 1000 })).toMatchObject({
      readOnly: false,
      squash: 'all',
      anonUid: 1000,
    });
    expect(ganesha('RW', 'No_Root_Squash')).toMatchObject({ squash: 'none' });
    expect(ganeshaExportAccess('')).toBeNull();
  });
  it('reads the kernel exports line of the path, the matching client first', () => {
    const f = parseExports(
      '/nfs/lab_x 10.0.0.0/8(rw,no_root_squash) 198.51.100.21(ro,root_squash,anonuid=1000,fsid=abc) # nfsctl:lab/x\n',
    );
    expect(kernelExportAccess(f, '/nfs/lab_x', '198.51.100.21')).toMatchObject({
      readOnly: true,
      squash: 'root',
      anonUid: 1000,
      anonGid: 65534,
      options: ['ro', 'root_squash', 'anonuid=1000'],
    });
    expect(kernelExportAccess(f, '/nfs/lab_x', '10.1.2.3')).toMatchObject({ readOnly: false, squash: 'none' });
    expect(kernelExportAccess(f, '/nfs/other', '10.1.2.3')).toBeNull();
  });
  it('matches client specs: networks, masks, hosts, names only when resolved', () => {
    expect(clientMatches('198.51.100.0/24', '198.51.100.21')).toBe(true);
    expect(clientMatches('198.51.100.0/255.255.255.128', '198.51.100.200')).toBe(false);
    expect(clientMatches('198.51.100.21', '198.51.100.22')).toBe(false);
    expect(clientMatches('*', '198.51.100.22')).toBe(true);
    expect(clientMatches('node-3', '198.51.100.22')).toBeNull();
    expect(clientMatches('node-3', '198.51.100.22', new Map([['node-3', ['198.51.100.23']]]))).toBe(false);
    expect(clientMatches('@kube', '198.51.100.22')).toBeNull();
  });
  it('squash and mode bits', () => {
    const a = ganesha('RW', 'Root_Squash');
    expect(effectiveIdentity(a, { uid: 0, gid: 0 })).toEqual({ uid: GANESHA_ANON, gid: GANESHA_ANON, squashed: true });
    expect(effectiveIdentity(a, { uid: 1000, gid: 1000 })).toEqual({ uid: 1000, gid: 1000, squashed: false });
    expect(canCreate({ uid: 65534, gid: 65534 }, { uid: 0, gid: 0, mode: 0o755 })).toBe(false);
    expect(canCreate({ uid: 65534, gid: 65534 }, { uid: 0, gid: 0, mode: 0o777 })).toBe(true);
    expect(canCreate({ uid: 1000, gid: 5 }, { uid: 1000, gid: 0, mode: 0o077 })).toBe(false); // owner class wins
    expect(canCreate({ uid: 0, gid: 0 }, { uid: 5, gid: 5, mode: 0o700 })).toBe(true);
  });
});

describe('explainWrite', () => {
  it('root_squash over a root-owned 0700 volume root: names the squash and the owner, with chown and the no_root_squash re-export', () => {
    const c = explainWrite(
      base({
        access: ganesha('RW', 'Root_Squash'),
        root: { uid: 0, gid: 0, mode: 0o700 },
        options: ['rw', 'sync', 'root_squash', 'no_subtree_check'],
      }),
    )!;
    expect(c.id).toBe('write-permission');
    expect(c.evidence).toMatch(/root_squash maps to 4294967294:4294967294/);
    expect(c.evidence).toMatch(/owned by 0:0 with mode 0700/);
    expect(c.fix).toContain('chown 4294967294:4294967294 -- /nfs/lab_x');
    expect(c.fix).toContain('nfsctl volume export lab/x --options rw,sync,no_subtree_check,no_root_squash');
  });
  it('no_root_squash as root: mode does not matter, nothing to blame on permissions', () => {
    expect(explainWrite(base({ root: { uid: 0, gid: 0, mode: 0o700 } }))).toBeNull();
  });
  it('a read-only export comes first, its fix makes it rw', () => {
    const c = explainWrite(
      base({
        access: ganesha('RO', 'No_Root_Squash'),
        error: 'NFS3ERR_ROFS',
        options: ['ro', 'sync', 'no_root_squash'],
      }),
    )!;
    expect(c).toMatchObject({ id: 'export-ro' });
    expect(c.fix).toBe('nfsctl volume export lab/x --options rw,sync,no_root_squash');
    // clients other than nfs.clients stay in the pasted command (without --clients it puts the default back)
    const narrow = { ...ganesha('RO', 'No_Root_Squash')!, clients: ['198.51.100.21', '198.51.100.22'] };
    expect(explainWrite({ ...base(), access: narrow, error: 'NFS3ERR_ROFS', options: ['ro', 'sync'] })!.fix).toBe(
      'nfsctl volume export lab/x --clients 198.51.100.21,198.51.100.22 --options rw,sync',
    );
  });
  it('a full project quota, a full filesystem, no inodes', () => {
    expect(
      explainWrite(
        base({
          error: 'NFS3ERR_DQUOT',
          space: { availBytes: 0, availInodes: 10 },
          quota: { usedBytes: 33_554_432, hardBytes: 33_554_432 },
        }),
      )!.id,
    ).toBe('write-quota');
    expect(
      explainWrite(
        base({ error: 'No space left on device', space: { availBytes: 4096, availInodes: 10 }, quota: null }),
      )!.id,
    ).toBe('write-space');
    const inodes = explainWrite(
      base({
        error: 'No space left on device',
        space: { availBytes: 1_000_000, availInodes: 0, fstype: 'xfs', mount: '/nfs' },
        quota: null,
      }),
    )!;
    expect(inodes.id).toBe('write-inodes');
    // the filesystem that ran out is named, and the fix is a command that finds the files
    expect(inodes.evidence).toBe(
      'df -i on primary: 0 inodes available in the xfs filesystem at /nfs that holds /nfs/lab_x',
    );
    expect(inodes.fix).toMatch(/^on primary: du --inodes -x -d 2 -- \/nfs \| sort -n \| tail {2}# /);
    expect(inodes.fix).toContain('xfs_growfs -m');
    // XFS still counts a few free inodes it cannot hand out: under one chunk (64) is out of inodes
    expect(
      explainWrite(
        base({ error: 'No space left on device', space: { availBytes: 1_000_000, availInodes: 16 }, quota: null }),
      )!.id,
    ).toBe('write-inodes');
  });
  it("a CephFS subvolume at its quota: named by the quota's own source", () => {
    const c = explainWrite(
      base({
        error: 'write (nfs-cp): Failed to write to dest file',
        space: null,
        root: null,
        quota: {
          usedBytes: 8_388_608,
          hardBytes: 8_388_608,
          source: 'CephFS subvolume quota (ceph fs subvolume info)',
        },
      }),
    )!;
    expect(c.id).toBe('write-quota');
    expect(c.evidence).toBe(
      'CephFS subvolume quota (ceph fs subvolume info) on primary: 8388608 of 8388608 bytes used',
    );
  });
  it("the failed step's words pick among several true causes", () => {
    const f = base({
      access: ganesha('RW', 'Root_Squash'),
      root: { uid: 0, gid: 0, mode: 0o700 },
      space: { availBytes: 0, availInodes: 5 },
      quota: null,
    });
    expect(explainWrite({ ...f, error: 'NFS3ERR_NOSPC' })!.id).toBe('write-space');
    expect(explainWrite({ ...f, error: 'NFS3ERR_ACCES' })!.id).toBe('write-permission');
  });
  it('nothing explains it: null (the caller shows the raw error)', () => {
    expect(explainWrite(base({ error: 'NFS3ERR_IO' }))).toBeNull();
  });
});

describe('explainMount', () => {
  const m = {
    volume: 'lab/x',
    path: '/nfs/lab_x',
    holder: 'primary',
    node: 'client',
    error: 'mount (nfs-ls): MNT3ERR_ACCES',
    version: 3,
    resolved: new Map<string, string[]>(),
    defaultClients: ['198.51.100.0/24'],
  };
  it("the node's address outside every client: add it, keeping the export's options", () => {
    const a = { ...ganesha('RW', 'Root_Squash')!, options: ['rw', 'sync', 'root_squash', 'no_subtree_check'] };
    const c = explainMount({ ...m, access: a, nodeAddr: '203.0.113.9' })!;
    expect(c.id).toBe('export-clients');
    expect(c.fix).toBe(
      'nfsctl volume export lab/x --clients 198.51.100.0/24,203.0.113.9 --options rw,sync,root_squash,no_subtree_check',
    );
  });
  it('a hostname that resolves on the server to another address', () => {
    const a = { ...ganesha('RW', 'No_Root_Squash')!, clients: ['node-3'] };
    const c = explainMount({
      ...m,
      access: a,
      nodeAddr: '198.51.100.21',
      resolved: new Map([['node-3', ['198.51.100.99']]]),
    })!;
    expect(c.evidence).toContain('node-3 resolves to 198.51.100.99');
    expect(c.fix).toMatch(/resolution on primary/);
  });
  it('allowed: not blamed on the clients; v3 not offered is named', () => {
    expect(explainMount({ ...m, access: ganesha('RW', 'No_Root_Squash'), nodeAddr: '198.51.100.21' })).toBeNull();
    const v4only = { ...ganesha('RW', 'No_Root_Squash')!, protocols: [4] };
    const v = explainMount({ ...m, access: v4only, nodeAddr: '198.51.100.21' })!;
    expect(v.id).toBe('nfs-version');
    // a command to paste, not only a hint
    expect(v.fix).toBe(
      "nfsctl volume export lab/x --options rw,sync,no_root_squash,no_subtree_check  # writes nfsctl's export again, which offers NFS v3 and v4 (Protocols = 3, 4); or mount with nfsvers=4 (the PV's mountOptions)",
    );
    expect(
      explainMount({
        ...m,
        access: null,
        nodeAddr: null,
        error: 'mount.nfs: requested NFS version or transport protocol is not supported',
      })!.id,
    ).toBe('nfs-version');
  });
});

describe('fact parsers', () => {
  it('route src, stat and df', () => {
    expect(parseRouteSrc('198.51.100.100 dev eth0 src 198.51.100.21 uid 0 \n    cache \n')).toBe('198.51.100.21');
    expect(parseRouteSrc('')).toBeNull();
    expect(parseRootFacts('0 0 700\n    0   31990\n')).toEqual({
      root: { uid: 0, gid: 0, mode: 0o700 },
      space: { availBytes: 0, availInodes: 31990 },
    });
    expect(parseRootFacts('stat: cannot statx\n')).toEqual({ root: null, space: null });
    expect(parseRootFacts('0 0 755\n 1048576  0 xfs /nfs\n').space).toEqual({
      availBytes: 1048576,
      availInodes: 0,
      fstype: 'xfs',
      mount: '/nfs',
    });
  });
});
