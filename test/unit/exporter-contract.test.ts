// The NFS server kinds behind the Exporter contract: capabilities, and a backend's own
// ganesha FSAL (CephFS) rendered into the EXPORT block, validated and quoted.
import { describe, expect, it } from 'vitest';
import { identify } from '../../src/volume/identity.js';
import { volumeRef } from '../../src/core/names.js';
import { ganeshaBlock } from '../../src/volume/exporter.js';
import { parseGaneshaExports } from '../../src/core/ganesha.js';
import { exporterNamed, exporterNames } from '../../src/volume/nfs-server/registry.js';
import { emptyInventory } from '../../src/volume/inventory.js';
import { testConfig } from '../support/config.js';

const config = testConfig();
const v = identify(config, volumeRef('team-a', 'data'));
const spec = { clients: ['198.51.100.0/24'], options: ['rw', 'sync', 'no_subtree_check'] };

describe('Exporter contract', () => {
  it('the schema takes the names from the registry', () => {
    expect(exporterNames()).toEqual(['kernel', 'ganesha']);
  });

  it('capabilities: the kernel freezes by stopping nfsd and reads nfs.conf; ganesha removes exports', () => {
    expect(exporterNamed('kernel')).toMatchObject({
      freezeStopsServer: true,
      usesNfsConf: true,
      nlmViaStatd: true,
      fsidInExports: true,
      servesFsal: false,
      releaseArgv: ['exportfs', '-f'],
    });
    expect(exporterNamed('ganesha')).toMatchObject({
      freezeStopsServer: false,
      usesNfsConf: false,
      nlmViaStatd: false,
      fsidInExports: false,
      servesFsal: true,
      releaseArgv: null,
    });
    expect(exporterNamed('kernel').unserveArgvs(config, v, ['a', 'b'], undefined)).toEqual([
      ['exportfs', '-u', `a:${v.path}`],
      ['exportfs', '-u', `b:${v.path}`],
    ]);
    expect(exporterNamed('ganesha').unserveArgvs(config, v, ['*'], 7).at(-1)).toEqual(
      expect.arrayContaining(['uint16:7']),
    );
    expect(exporterNamed('ganesha').unserveArgvs(config, v, ['*'], undefined)[0]).toContain(`uint16:${v.exportId}`);
  });

  it("a backend's FSAL: Name and quoted parameters in the FSAL block, Path inside it, Pseudo the volume's path", () => {
    const text = ganeshaBlock(v, spec, {
      name: 'CEPH',
      params: [
        ['Filesystem', 'cephfs'],
        ['User_Id', 'nfs.pair'],
      ],
      path: '/volumes/_nogroup/pv.team-a.data/1234',
    });
    expect(text).toContain(
      '    FSAL {\n        Name = CEPH;\n        Filesystem = "cephfs";\n        User_Id = "nfs.pair";\n    }',
    );
    const [block] = parseGaneshaExports(text);
    expect(block).toMatchObject({
      path: '/volumes/_nogroup/pv.team-a.data/1234',
      pseudo: v.path,
      exportId: v.exportId,
      owner: v.id,
    });
    // without one: VFS on the volume's path, as before
    expect(ganeshaBlock(v, spec)).toContain('        Name = VFS;\n    }');
  });

  it('hostile FSAL names, keys and values are refused, never written', () => {
    for (const value of ['a"; } EXPORT { Path = "/', 'x\ny', 'a%include /etc/shadow', 'a$b', 'a\\b', '']) {
      expect(
        () => ganeshaBlock(v, spec, { name: 'CEPH', params: [['Filesystem', value]] }),
        JSON.stringify(value),
      ).toThrow(/Ganesha FSAL Filesystem/);
    }
    for (const key of ['Name', 'a b', 'x;', '}', '1a', 'a=b']) {
      expect(() => ganeshaBlock(v, spec, { name: 'CEPH', params: [[key, 'v']] }), key).toThrow(
        /invalid Ganesha FSAL parameter/,
      );
    }
    expect(() => ganeshaBlock(v, spec, { name: 'CEPH; }', params: [] })).toThrow(/invalid Ganesha FSAL name/);
    expect(() => ganeshaBlock(v, spec, { name: 'CEPH', params: [], path: 'relative' })).toThrow(
      /must be an absolute path/,
    );
  });

  it('the kernel server refuses a volume that needs a ganesha FSAL, before anything runs', () => {
    expect(() =>
      exporterNamed('kernel').exportSteps(config, 'primary', emptyInventory('primary'), v, spec, {
        name: 'CEPH',
        params: [],
      }),
    ).toThrow(/cannot do; set nfs.server: ganesha/);
  });
});
