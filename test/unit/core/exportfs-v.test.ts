// `exportfs -v` as the kernel server lists it, and what of it is really served: an `mp` export
// (listed as `mountpoint`) of a path that is not a mount point is listed but serves nothing.
import { describe, expect, it } from 'vitest';
import { parseExportfsV, servedWhileMounted } from '../../../src/core/exportfs-v.js';

const FSID = 'fsid=3bde74ba-89a1-5773-acbd-25766c386b03';
// recorded on the vm tier (kernel 6.1, nfs-utils 2.6.2): a DRBD holder booted after a crash
const BOOTED = `/nfs/drbd-a_x \t198.51.100.0/24(sync,wdelay,hide,no_subtree_check,${FSID},mountpoint,sec=sys,rw,secure,no_root_squash,no_all_squash)\n`;

describe('parseExportfsV', () => {
  it('reads the path, the clients and their options, also when the clients are on the next line', () => {
    expect(parseExportfsV(BOOTED)).toEqual([
      {
        path: '/nfs/drbd-a_x',
        clients: [{ host: '198.51.100.0/24', options: expect.arrayContaining(['mountpoint', FSID, 'rw']) }],
      },
    ]);
    expect(parseExportfsV('/nfs/a-very-long-name\n\t\t198.51.100.7(rw)\n/nfs/x <world>(ro)\n')).toEqual([
      { path: '/nfs/a-very-long-name', clients: [{ host: '198.51.100.7', options: ['rw'] }] },
      { path: '/nfs/x', clients: [{ host: '*', options: ['ro'] }] },
    ]);
  });
});

describe('servedWhileMounted', () => {
  const served = parseExportfsV(BOOTED);

  it('an mp export of a path that is not mounted serves nothing; mounted, it is served', () => {
    expect(servedWhileMounted(served, new Set(['/', '/var/lib/nfs']))).toEqual([]);
    expect(servedWhileMounted(served, new Set(['/nfs/drbd-a_x']))).toEqual(served);
  });

  it('exports without mp are served whatever is mounted (the kernel exports the directory)', () => {
    const plain = parseExportfsV(`/nfs/team-a_data\t198.51.100.0/24(sync,${FSID},rw)\n`);
    expect(servedWhileMounted(plain, new Set())).toEqual(plain);
  });

  it('mp=<dir> looks at that directory; a trailing slash does not matter', () => {
    const other = parseExportfsV('/nfs/v/sub\t*(rw,mountpoint=/nfs/v/)\n');
    expect(servedWhileMounted(other, new Set(['/nfs/v/sub']))).toEqual([]);
    expect(servedWhileMounted(other, new Set(['/nfs/v']))).toEqual(other);
  });

  it('only the clients whose line says mp are dropped', () => {
    const mixed = parseExportfsV('/nfs/m\t198.51.100.7(rw,mountpoint) 198.51.100.8(rw)\n');
    expect(servedWhileMounted(mixed, new Set())).toEqual([
      { path: '/nfs/m', clients: [{ host: '198.51.100.8', options: ['rw'] }] },
    ]);
  });
});
