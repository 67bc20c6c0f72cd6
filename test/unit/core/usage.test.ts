import { describe, expect, it } from 'vitest';
import {
  dfUsage,
  parseDf,
  parsePercent,
  parseRbdDu,
  parseXfsQuotaReport,
  rbdDuUsage,
  usedPercent,
  xfsQuotaUsage,
} from '../../../src/core/usage.js';

// Captured on Debian 12 (coreutils 9.1): an XFS loop filesystem with 20 MiB written, and /.
const DF = `   1B-blocks        Used       Avail   Inodes  IUsed    IFree Mounted on
   247463936    38805504   208658432   153600      7   153593 /tmp/obscap/mnt
270553174016 28373131264 80571162624 16777216 939700 15837516 /
`;

describe('df', () => {
  it('reads size, used, avail and inodes per mount point (captured output)', () => {
    const m = parseDf(DF);
    expect([...m.keys()]).toEqual(['/tmp/obscap/mnt', '/']);
    expect(m.get('/tmp/obscap/mnt')).toEqual({
      target: '/tmp/obscap/mnt',
      sizeBytes: 247463936,
      usedBytes: 38805504,
      availBytes: 208658432,
      inodesTotal: 153600,
      inodesUsed: 7,
    });
    const u = dfUsage(m.get('/tmp/obscap/mnt')!);
    expect(u).toMatchObject({ usedBytes: 38805504, capacityBytes: 38805504 + 208658432, inodesUsed: 7, source: 'df' });
    expect(usedPercent(u)).toBe(15.7);
  });
  it('a mount point with spaces, inode columns of "-", garbage and the header are handled', () => {
    const m = parseDf(
      '1B-blocks Used Avail Inodes IUsed IFree Mounted on\n100 50 50 - - - /nfs/a b\nnot a line\n10 x 1 1 1 1 /nfs/c\n',
    );
    expect([...m.keys()]).toEqual(['/nfs/a b']);
    expect(m.get('/nfs/a b')).toMatchObject({ inodesTotal: null, inodesUsed: null, usedBytes: 50 });
  });
});

// The layout xfsprogs 6.1 prints for `report -p -b -i -n` (blocks in KiB, then inodes; the
// grace column in brackets, "[7 days]" while a soft limit is exceeded).
const XFS = `Project quota on /nfs (/dev/loop3)
                               Blocks                                          Inodes
Project ID       Used       Soft       Hard    Warn/Grace           Used       Soft       Hard    Warn/ Grace
---------- -------------------------------------------------- --------------------------------------------------
#0                  0          0          0     00 [------]          3          0          0     00 [------]
#1045209        29696          0      32768     00 [------]         12          0       1000     00 [------]
#77             10240       8192      20480     01 [6 days]          2          0          0     00 [------]

`;

describe('xfs_quota project report', () => {
  it('blocks (KiB) and inodes per project; the header is skipped; a grace with spaces does not shift the inode columns', () => {
    const m = parseXfsQuotaReport(XFS);
    expect([...m.keys()]).toEqual([0, 1045209, 77]);
    expect(m.get(1045209)).toEqual({
      id: 1045209,
      usedBytes: 29696 * 1024,
      softBytes: 0,
      hardBytes: 32768 * 1024,
      inodesUsed: 12,
      inodesSoft: 0,
      inodesHard: 1000,
    });
    expect(m.get(77)).toMatchObject({ usedBytes: 10240 * 1024, softBytes: 8192 * 1024, inodesUsed: 2 });
    expect(usedPercent(xfsQuotaUsage(m.get(1045209)!))).toBe(90.6);
    expect(xfsQuotaUsage(m.get(1045209)!)).toMatchObject({ inodesTotal: 1000, source: 'xfs_quota' });
    // no limit at all: no use% (not 0%, not infinite)
    expect(xfsQuotaUsage(m.get(0)!)).toBeNull();
  });
  it('a blocks-only report (report -p -b -N) parses with null inodes', () => {
    const m = parseXfsQuotaReport('#5  100  0  200  00 [--------]\n#6 1 2 3\n#x 1 2 3\n');
    expect(m.get(5)).toMatchObject({ usedBytes: 102400, hardBytes: 204800, inodesUsed: null });
    expect(m.get(6)).toMatchObject({ usedBytes: 1024, hardBytes: 3072 });
    expect(m.size).toBe(2);
  });
});

// Captured from the lab's Ceph (Pacific, memstore OSD): a 40 MiB image (4 MiB objects, no
// fast-diff) after 36 MiB written with `rbd bench`.
const RBD_DU =
  '{"images":[{"name":"pv.lab-o.fill","id":"103e49be97ba","provisioned_size":41943040,"used_size":37748736}],"total_provisioned_size":41943040,"total_used_size":37748736}\n';

describe('rbd du', () => {
  it('the captured output: provisioned and used per image', () => {
    const m = parseRbdDu(RBD_DU);
    expect(m.get('pv.lab-o.fill')).toEqual({ name: 'pv.lab-o.fill', provisionedBytes: 41943040, usedBytes: 37748736 });
    expect(rbdDuUsage(m.get('pv.lab-o.fill')!)).toMatchObject({
      usedBytes: 37748736,
      capacityBytes: 41943040,
      inodesUsed: null,
      source: 'rbd du',
    });
    expect(usedPercent(rbdDuUsage(m.get('pv.lab-o.fill')!))).toBe(90);
  });
  it('images with provisioned and used size; snapshot rows and malformed entries are left out', () => {
    const text = JSON.stringify({
      images: [
        { name: 'pv.a.b', id: '1', provisioned_size: 33554432, used_size: 30408704 },
        { name: 'pv.a.b', snapshot: 's1', id: '1', provisioned_size: 33554432, used_size: 1 },
        { name: 'pv.c.d', provisioned_size: 'x' },
      ],
      total_provisioned_size: 1,
      total_used_size: 1,
    });
    const m = parseRbdDu(text);
    expect([...m.keys()]).toEqual(['pv.a.b']);
    expect(usedPercent(rbdDuUsage(m.get('pv.a.b')!))).toBe(90.6);
    expect(parseRbdDu('not json').size).toBe(0);
    expect(parseRbdDu('{"images": 3}').size).toBe(0);
  });
});

describe('percent', () => {
  it('80%, 80, 99.5 and 100 are percentages; the rest is not', () => {
    expect(['80%', '80', '0', '99.5%', '100', '100%'].map(parsePercent)).toEqual([80, 80, 0, 99.5, 100, 100]);
    for (const bad of ['', '%', '101', '080', '1e2', '0x50', '-5', '80 %', '80%%', ' 80', '100.5'])
      expect(parsePercent(bad), bad).toBeNull();
  });
});
