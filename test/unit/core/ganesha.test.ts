import { describe, expect, it } from 'vitest';

import { OutputParseError, UsageError } from '../../../src/core/errors.js';
import {
  ganeshaQuote,
  parseDbusPrintReply,
  parseGaneshaExports,
  parseShowExports,
  renderGaneshaExport,
  spliceGaneshaBlock,
  type GaneshaExportSpec,
} from '../../../src/core/ganesha.js';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

const SPEC: GaneshaExportSpec = {
  owner: 'team-a/data',
  exportId: 4242,
  path: '/nfs/team-a_data',
  clients: [
    { clients: ['10.0.0.0/8', 'client.example.com'], accessType: 'RW', squash: 'No_Root_Squash' },
    { clients: ['*'], accessType: 'RO', anonymousUid: 65534, anonymousGid: 65534 },
  ],
};

describe('renderGaneshaExport', () => {
  it('renders a complete, quoted EXPORT block with its marker', () => {
    expect(renderGaneshaExport(SPEC)).toBe(
      [
        '# nfsctl:team-a/data',
        'EXPORT {',
        '    Export_Id = 4242;',
        '    Path = "/nfs/team-a_data";',
        '    Pseudo = "/nfs/team-a_data";',
        '    Protocols = 3, 4;',
        '    Transports = TCP, UDP;',
        '    SecType = sys;',
        '    Access_Type = None;',
        '    Squash = Root_Squash;',
        '    FSAL {',
        '        Name = VFS;',
        '    }',
        '    CLIENT {',
        '        Clients = 10.0.0.0/8, client.example.com;',
        '        Access_Type = RW;',
        '        Squash = No_Root_Squash;',
        '    }',
        '    CLIENT {',
        '        Clients = *;',
        '        Access_Type = RO;',
        '        Anonymous_Uid = 65534;',
        '        Anonymous_Gid = 65534;',
        '    }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('honours overrides', () => {
    const out = renderGaneshaExport({
      ...SPEC,
      pseudo: '/team-a/data',
      protocols: [4],
      transports: ['TCP'],
      secType: ['krb5', 'sys'],
      fsal: 'XFS',
    });
    expect(out).toContain('Pseudo = "/team-a/data";');
    expect(out).toContain('Protocols = 4;');
    expect(out).toContain('Transports = TCP;');
    expect(out).toContain('SecType = krb5, sys;');
    expect(out).toContain('Name = XFS;');
  });

  it('parses back to the same id, path and owner', () => {
    const [block] = parseGaneshaExports(renderGaneshaExport(SPEC));
    expect(block).toMatchObject({
      exportId: 4242,
      path: '/nfs/team-a_data',
      pseudo: '/nfs/team-a_data',
      owner: 'team-a/data',
    });
  });

  it.each([
    [{ path: '/nfs/a"; } EXPORT { Path = "/' }, /quote/],
    [{ path: '/nfs/a\nb' }, /control character/],
    [{ path: '/nfs/$HOME' }, /"\$"/],
    [{ path: '/nfs/a\\b' }, /backslash/],
    [{ path: 'relative' }, /absolute/],
    [{ pseudo: 'x' }, /absolute/],
    [{ exportId: 0 }, /Export_Id must be an integer 1-65535/],
    [{ exportId: 70000 }, /Export_Id/],
    [{ exportId: 1.5 }, /Export_Id/],
    [{ owner: 'a b' }, /owner/],
    [{ clients: [] }, /at least one CLIENT/],
    [{ clients: [{ clients: [], accessType: 'RW' as const }] }, /no clients/],
    [{ clients: [{ clients: ['10.0.0.0/8"; Access_Type = RW; #'], accessType: 'RO' as const }] }, /invalid NFS client/],
    [{ clients: [{ clients: ['*'], accessType: 'Everything' as 'RW' }] }, /Access_Type must be one of/],
    [{ squash: 'Maybe' as 'Root_Squash' }, /Squash must be one of/],
    [{ protocols: [2 as 3] }, /Protocols/],
    [{ transports: ['RDMA' as 'TCP'] }, /Transports/],
    [{ secType: ['gss' as 'sys'] }, /SecType/],
    [{ fsal: 'VFS; }' }, /FSAL/],
  ])('rejects %j', (over, why) => {
    const err = errorOf(() => renderGaneshaExport({ ...SPEC, ...over } as GaneshaExportSpec));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(why);
  });

  it('ganeshaQuote quotes safe values only', () => {
    expect(ganeshaQuote('/a b#c', 'Path')).toBe('"/a b#c"');
    expect(() => ganeshaQuote('', 'Path')).toThrow(UsageError);
    expect(() => ganeshaQuote('a%b', 'Path')).toThrow(UsageError);
  });
});

const CONFIG = `###################################################
# ganesha.conf written partly by hand
###################################################
NFS_CORE_PARAM {
    Enable_NLM = false;
    Protocols = 3, 4;
}

%include "/etc/ganesha/extra.conf"

EXPORT_DEFAULTS {
    Access_Type = None;
}

# hand-made export, not nfsctl's
Export
{
    Export_ID = 1;   # trailing comment
    Path = /srv/manual;
    Pseudo = "/manual";
    FSAL { Name = VFS; }
    CLIENT { Clients = 192.168.0.0/16; Access_Type = RO; }
}

${renderGaneshaExport(SPEC)}
# nfsctl:team-b/logs
export {
    export_id = 0x10;
    path = "/nfs/team-b_logs";
    pseudo = "/nfs/team-b_logs";
    fsal { name = VFS; }
    client { clients = "*"; access_type = RO; }
} # end

# nfsctl:stale/marker

EXPORT { Export_Id = 017; Path = '/srv/single quoted'; FSAL { Name = VFS; } }
LOG {
    Default_Log_Level = EVENT;
}
`;

describe('parseGaneshaExports', () => {
  const blocks = parseGaneshaExports(CONFIG);

  it('finds every top-level EXPORT block, case-insensitively', () => {
    expect(blocks.map((b) => [b.exportId, b.path, b.pseudo, b.owner])).toEqual([
      [1, '/srv/manual', '/manual', null],
      [4242, '/nfs/team-a_data', '/nfs/team-a_data', 'team-a/data'],
      [16, '/nfs/team-b_logs', '/nfs/team-b_logs', 'team-b/logs'],
      [15, '/srv/single quoted', null, null],
    ]);
  });

  it('reports line numbers and spans that splice cleanly', () => {
    const own = blocks[1];
    expect(own?.line).toBe(CONFIG.split('\n').indexOf('EXPORT {') + 1);
    const removed = spliceGaneshaBlock(CONFIG, own!, '');
    expect(removed).not.toContain('team-a');
    expect(parseGaneshaExports(removed).map((b) => b.exportId)).toEqual([1, 16, 15]);
    const replaced = spliceGaneshaBlock(CONFIG, own!, renderGaneshaExport({ ...SPEC, exportId: 4243 }));
    expect(parseGaneshaExports(replaced).map((b) => b.exportId)).toEqual([1, 4243, 16, 15]);
    // Everything outside the block is untouched.
    expect(replaced.slice(0, own!.start)).toBe(CONFIG.slice(0, own!.start));
    expect(replaced.endsWith(CONFIG.slice(own!.end))).toBe(true);
  });

  it('a marker separated by a blank line does not claim a block', () => {
    expect(blocks[3]?.owner).toBeNull();
  });

  it('ignores EXPORT words inside nested blocks and strings', () => {
    const text = 'NFSV4 { Export { x = 1; } Comment = "EXPORT { Export_Id = 9; }"; }\n';
    expect(parseGaneshaExports(text)).toEqual([]);
  });

  it('handles an empty config and rejects broken ones', () => {
    expect(parseGaneshaExports('')).toEqual([]);
    expect(parseGaneshaExports('# only comments\n')).toEqual([]);
    expect(errorOf(() => parseGaneshaExports('EXPORT { Path = "/a"; '))).toBeInstanceOf(OutputParseError);
    expect(errorOf(() => parseGaneshaExports('}')).message).toMatch(/unbalanced "}" at line 1/);
    expect(errorOf(() => parseGaneshaExports('EXPORT { Path = "/a; }')).message).toMatch(/unterminated string/);
  });
});

// dbus-send --system --print-reply --dest=org.ganesha.nfsd /org/ganesha/nfsd/ExportMgr
//   org.ganesha.nfsd.exportmgr.ShowExports   (Ganesha 4.x: reply (tt) a(qsbbbbbbbb(tt)))
const SHOW_EXPORTS = `method return time=1735787045.123456 sender=:1.4 -> destination=:1.87 serial=30 reply_serial=2
   struct {
      uint64 1735787045
      uint64 123456789
   }
   array [
      struct {
         uint16 0
         string "/"
         boolean false
         boolean false
         boolean false
         boolean false
         boolean true
         boolean true
         boolean true
         boolean false
         struct {
            uint64 1735780000
            uint64 0
         }
      }
      struct {
         uint16 4242
         string "/nfs/team-a_data"
         boolean true
         boolean true
         boolean false
         boolean false
         boolean true
         boolean true
         boolean true
         boolean false
         struct {
            uint64 1735787000
            uint64 500
         }
      }
      struct {
         uint16 7
         string "/srv/with space"
         boolean false
         boolean false
         boolean false
         boolean false
         boolean false
         boolean false
         boolean false
         boolean false
         struct {
            uint64 0
            uint64 0
         }
      }
   ]
`;

describe('parseShowExports', () => {
  it('reads export ids and paths (Ganesha 4.x)', () => {
    expect(parseShowExports(SHOW_EXPORTS)).toEqual([
      { exportId: 0, path: '/' },
      { exportId: 4242, path: '/nfs/team-a_data' },
      { exportId: 7, path: '/srv/with space' },
    ]);
  });

  it('reads the older int32 form', () => {
    const old = SHOW_EXPORTS.replace(/uint16 /g, 'int32 ');
    expect(parseShowExports(old).map((e) => e.exportId)).toEqual([0, 4242, 7]);
  });

  it('reads an empty export list', () => {
    const empty =
      'method return time=1.2 sender=:1.4 -> destination=:1.9 serial=3 reply_serial=2\n   struct {\n      uint64 1\n      uint64 2\n   }\n   array [\n   ]\n';
    expect(parseShowExports(empty)).toEqual([]);
  });

  it('surfaces D-Bus errors and garbage', () => {
    expect(
      errorOf(() =>
        parseShowExports(
          'Error org.freedesktop.DBus.Error.ServiceUnknown: The name org.ganesha.nfsd was not provided by any .service files\n',
        ),
      ).message,
    ).toMatch(/ServiceUnknown/);
    expect(errorOf(() => parseShowExports(''))).toBeInstanceOf(OutputParseError);
    expect(errorOf(() => parseShowExports(SHOW_EXPORTS.replace(/   \]\n$/, ''))).message).toMatch(/truncated/);
    expect(errorOf(() => parseShowExports('   array [\n      uint16 1\n   ]\n')).message).toMatch(/not a struct/);
    expect(errorOf(() => parseShowExports('   frobnicate 3\n')).message).toMatch(/unrecognised/);
  });

  it('parseDbusPrintReply builds nested values', () => {
    const v = parseDbusPrintReply(
      '   variant       string "x"\n   array [\n      dict entry(\n         string "k"\n         int32 -5\n      )\n   ]\n   object path "/a"\n   double 1.5\n',
    );
    expect(v).toEqual([
      { type: 'string', value: 'x' },
      {
        type: 'array',
        items: [
          {
            type: 'dict',
            items: [
              { type: 'string', value: 'k' },
              { type: 'int32', value: -5 },
            ],
          },
        ],
      },
      { type: 'object path', value: '/a' },
      { type: 'double', value: 1.5 },
    ]);
  });
});
