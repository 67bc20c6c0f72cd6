import { describe, expect, it } from 'vitest';

import { PreconditionError, UsageError } from '../../../src/core/errors.js';
import {
  closeMatches,
  encodeExportPath,
  findExports,
  ownedExports,
  parseExports,
  removeExport,
  renderExportLine,
  serializeExports,
  upsertExport,
  validateClientSpec,
  validateExportOptions,
  type ExportEntry,
  type ExportsFile,
} from '../../../src/core/exports-file.js';

const FOREIGN = [
  '# /etc/exports: the access control list for filesystems which may be exported',
  '#\t\tto NFS clients.  See exports(5).',
  '',
  '/srv/homes       hostname1(rw,sync,no_subtree_check) hostname2(ro,sync,no_subtree_check)',
  '/srv/nfs4        gss/krb5i(rw,sync,fsid=0,crossmnt,no_subtree_check)',
  '   ',
  '"/srv/with space" 192.168.0.0/24(ro)',
  '/srv/octal\\040space *(ro,all_squash)   # trailing comment',
  '/srv/defaults -ro,sync client-a client-b(rw)',
  '/srv/cont \\',
  '    10.1.0.0/16(rw) \\',
  '\t10.2.0.0/16(ro)',
  '/srv/world',
  '/srv/gotcha host (rw)',
  '/srv/hash  a#b(rw) "#quoted"(ro)',
  '/srv/ipv6 2001:db8::/32(rw) [::1](ro)',
  '/nfs/team-a_data 10.0.0.0/8(rw,sync,no_subtree_check) # nfsctl:team-a/data',
  '/nfs/team-b_logs 10.0.0.0/8(rw) #nfsctl:team-b/logs managed by nfsctl',
].join('\n');

function exportsOf(f: ExportsFile): ExportEntry[] {
  return f.entries.filter((e): e is ExportEntry => e.kind === 'export');
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('parseExports / serializeExports round-trip', () => {
  const variants: Array<[string, string]> = [
    ['foreign file without final newline', FOREIGN],
    ['with final newline', `${FOREIGN}\n`],
    ['CRLF', `${FOREIGN.replace(/\n/g, '\r\n')}\r\n`],
    ['empty', ''],
    ['only newline', '\n'],
    ['only comment, no newline', '# hi'],
    ['blank lines and whitespace', ' \n\t\n\n  \t'],
    ['continuation at EOF', '/a host(rw) \\'],
    ['continuation then EOF newline', '/a host(rw) \\\n'],
    ['unterminated quote', '"/a b host(rw)\n/b c(ro)\n'],
    ['garbage', '((( ))) \u0000 \u00e9\u00e8 \\\\\n#\n'],
    ['mixed terminators', '/a x(rw)\r\n/b y(ro)\n\r\n'],
  ];
  it.each(variants)('%s', (_name, text) => {
    expect(serializeExports(parseExports(text))).toBe(text);
  });
});

describe('parseExports fields', () => {
  const file = parseExports(FOREIGN);
  const byPath = (p: string) => {
    const found = findExports(file, p);
    expect(found).toHaveLength(1);
    return found[0] as ExportEntry;
  };

  it('classifies lines', () => {
    expect(file.entries.map((e) => e.kind)).toEqual([
      'comment',
      'comment',
      'blank',
      'export',
      'export',
      'blank',
      'export',
      'export',
      'export',
      'export',
      'export',
      'export',
      'export',
      'export',
      'export',
      'export',
    ]);
    expect(file.eol).toBe('\n');
    expect(parseExports('a\r\nb').eol).toBe('\r\n');
  });

  it('reads multiple clients with options', () => {
    expect(byPath('/srv/homes').clients).toEqual([
      { host: 'hostname1', options: ['rw', 'sync', 'no_subtree_check'] },
      { host: 'hostname2', options: ['ro', 'sync', 'no_subtree_check'] },
    ]);
    expect(byPath('/srv/homes').line).toBe(4);
  });

  it('decodes quoted paths and octal escapes', () => {
    expect(byPath('/srv/with space').clients).toEqual([{ host: '192.168.0.0/24', options: ['ro'] }]);
    const octal = byPath('/srv/octal space');
    expect(octal.comment).toBe('# trailing comment');
    expect(octal.owner).toBeNull();
  });

  it('reads "-" default options', () => {
    const e = byPath('/srv/defaults');
    expect(e.defaultOptions).toEqual(['ro', 'sync']);
    expect(e.clients).toEqual([
      { host: 'client-a', options: [] },
      { host: 'client-b', options: ['rw'] },
    ]);
  });

  it('joins continuation lines into one entry', () => {
    const e = byPath('/srv/cont');
    expect(e.clients.map((c) => c.host)).toEqual(['10.1.0.0/16', '10.2.0.0/16']);
    expect(e.raw.split('\n')).toHaveLength(4); // three lines plus the terminator
    expect(e.line).toBe(10);
    expect(byPath('/srv/world').line).toBe(13);
  });

  it('flags the "host (rw)" gotcha but keeps the line', () => {
    const e = byPath('/srv/gotcha');
    expect(e.clients).toEqual([
      { host: 'host', options: [] },
      { host: '', options: ['rw'] },
    ]);
    expect(e.problems.join()).toMatch(/apply to everyone/);
  });

  it('treats "#" inside a token or quotes as data, like nfs-utils', () => {
    const e = byPath('/srv/hash');
    expect(e.clients).toEqual([
      { host: 'a#b', options: ['rw'] },
      { host: '#quoted', options: ['ro'] },
    ]);
    expect(e.comment).toBeNull();
  });

  it('reads IPv6 clients', () => {
    expect(byPath('/srv/ipv6').clients[0]).toEqual({ host: '2001:db8::/32', options: ['rw'] });
  });

  it('recognises nfsctl markers', () => {
    expect(byPath('/nfs/team-a_data').owner).toBe('team-a/data');
    expect(byPath('/nfs/team-b_logs').owner).toBe('team-b/logs');
    expect(ownedExports(file).map((e) => e.owner)).toEqual(['team-a/data', 'team-b/logs']);
  });

  it('a comment ends the entry even after a trailing backslash', () => {
    const f = parseExports('/a x(rw) # note \\\n/b y(ro)\n');
    expect(exportsOf(f).map((e) => e.path)).toEqual(['/a', '/b']);
  });

  it('a continuation inside quotes becomes a space in the token', () => {
    const f = parseExports('"/a\\\n   b" x(rw)\n');
    expect(exportsOf(f)[0]?.path).toBe('/a b');
  });

  it('flags malformed client tokens without throwing', () => {
    const f = parseExports('/a x(rw\nrelative y(ro)\n');
    const [a, rel] = exportsOf(f);
    expect(a?.problems.join()).toMatch(/malformed client token/);
    expect(rel?.problems.join()).toMatch(/not absolute/);
  });
});

describe('upsertExport', () => {
  const clients = [
    { host: '10.0.0.0/8', options: ['rw', 'sync', 'no_subtree_check', 'fsid=9ba4e0bd-ad5c-5d6c-9219-4383c159a91d'] },
  ];

  it('appends a marked line', () => {
    const f = upsertExport(parseExports('/srv/x a(ro)\n'), '/nfs/team-c_db', clients, 'team-c/db');
    expect(serializeExports(f)).toBe(
      '/srv/x a(ro)\n/nfs/team-c_db 10.0.0.0/8(rw,sync,no_subtree_check,fsid=9ba4e0bd-ad5c-5d6c-9219-4383c159a91d) # nfsctl:team-c/db\n',
    );
    expect(findExports(f, '/nfs/team-c_db')[0]?.owner).toBe('team-c/db');
  });

  it('appends to an empty file', () => {
    expect(serializeExports(upsertExport(parseExports(''), '/nfs/a_b', [{ host: '*', options: ['ro'] }], 'a/b'))).toBe(
      '/nfs/a_b *(ro) # nfsctl:a/b\n',
    );
  });

  it('terminates a last line without newline before appending', () => {
    const out = serializeExports(
      upsertExport(parseExports('/srv/x a(ro)'), '/nfs/a_b', [{ host: '*', options: [] }], 'a/b'),
    );
    expect(out).toBe('/srv/x a(ro)\n/nfs/a_b * # nfsctl:a/b\n');
  });

  it('does not get swallowed by a foreign line ending in a backslash', () => {
    const base = '/srv/x a(ro) \\';
    const f = upsertExport(parseExports(base), '/nfs/a_b', [{ host: '*', options: [] }], 'a/b');
    expect(serializeExports(f).startsWith(base)).toBe(true);
    expect(findExports(f, '/nfs/a_b')).toHaveLength(1);
    expect(findExports(f, '/srv/x')[0]?.clients.map((c) => c.host)).toEqual(['a']);
  });

  it('replaces its own line in place, preserving everything else byte for byte', () => {
    const before = parseExports(FOREIGN.replace(/\n/g, '\r\n'));
    const after = upsertExport(before, '/nfs/team-a_data', [{ host: '10.1.0.0/16', options: ['ro'] }], 'team-a/data');
    const text = serializeExports(after);
    expect(text).toBe(
      FOREIGN.replace(/\n/g, '\r\n').replace(
        '/nfs/team-a_data 10.0.0.0/8(rw,sync,no_subtree_check) # nfsctl:team-a/data',
        '/nfs/team-a_data 10.1.0.0/16(ro) # nfsctl:team-a/data',
      ),
    );
    expect(after.eol).toBe('\r\n');
  });

  it('is idempotent', () => {
    const once = upsertExport(parseExports(FOREIGN), '/nfs/q_r', clients, 'q/r');
    const twice = upsertExport(once, '/nfs/q_r', clients, 'q/r');
    expect(serializeExports(twice)).toBe(serializeExports(once));
  });

  it('collapses duplicate owned lines into the first one', () => {
    const text = '/nfs/a_b x(rw) # nfsctl:a/b\n/srv/y z(ro)\n/nfs/a_b/ x(ro) # nfsctl:a/b\n';
    const out = serializeExports(upsertExport(parseExports(text), '/nfs/a_b', [{ host: 'x', options: ['rw'] }], 'a/b'));
    expect(out).toBe('/nfs/a_b x(rw) # nfsctl:a/b\n/srv/y z(ro)\n');
  });

  it('refuses when a foreign line exports the same path (even spelled with a trailing slash)', () => {
    const err = errorOf(() => upsertExport(parseExports('/srv/homes/ h(rw)\n'), '/srv/homes', clients, 'a/b'));
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as PreconditionError).exitCode).toBe(4);
    expect(err.message).toMatch(/not manage .*line 1: \/srv\/homes\/ h\(rw\)/);
  });

  it('refuses when another volume owns the path', () => {
    const err = errorOf(() => upsertExport(parseExports(FOREIGN), '/nfs/team-a_data', clients, 'team-z/other'));
    expect(err).toBeInstanceOf(PreconditionError);
    expect(err.message).toMatch(/different volume \("team-a\/data" at line 17\)/);
  });

  it('encodes awkward paths so exportfs reads them back', () => {
    const path = '/srv/a b#c"d\\e';
    expect(encodeExportPath(path)).toBe('/srv/a\\040b\\043c\\042d\\134e');
    const f = upsertExport(parseExports(''), path, [{ host: '*', options: ['ro'] }], 'a/b');
    expect(findExports(f, path)[0]?.owner).toBe('a/b');
  });

  it('validates its input', () => {
    const f = parseExports('');
    expect(errorOf(() => upsertExport(f, 'relative', clients, 'a/b'))).toBeInstanceOf(UsageError);
    expect(errorOf(() => upsertExport(f, '/a\nb', clients, 'a/b')).message).toMatch(/control character/);
    expect(errorOf(() => upsertExport(f, '/a', [], 'a/b')).message).toMatch(/at least one client/);
    expect(errorOf(() => upsertExport(f, '/a', [{ host: 'h;rm', options: [] }], 'a/b')).message).toMatch(
      /invalid NFS client/,
    );
    expect(errorOf(() => upsertExport(f, '/a', [{ host: 'h', options: ['rw', 'ro'] }], 'a/b')).message).toMatch(
      /contradictory/,
    );
    expect(errorOf(() => upsertExport(f, '/a', clients, 'a b')).message).toMatch(/invalid nfsctl owner/);
    expect(errorOf(() => renderExportLine('/a', clients, 'a/b\n# evil'))).toBeInstanceOf(UsageError);
  });

  it('handles a 10,000-entry file', () => {
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      lines.push(i % 2 === 0 ? `/srv/foreign${i} host${i}(rw,sync)` : `/nfs/ns_v${i} 10.0.0.0/8(rw) # nfsctl:ns/v${i}`);
    }
    const text = `${lines.join('\n')}\n`;
    const parsed = parseExports(text);
    expect(parsed.entries).toHaveLength(10_000);
    expect(serializeExports(parsed)).toBe(text);
    const edited = upsertExport(parsed, '/nfs/ns_v5001', [{ host: '10.9.0.0/16', options: ['ro'] }], 'ns/v5001');
    const added = upsertExport(edited, '/nfs/ns_new', [{ host: '*', options: ['ro'] }], 'ns/new');
    const removed = removeExport(added, '/nfs/ns_v9999', 'ns/v9999');
    const out = serializeExports(removed);
    expect(out).toContain('/nfs/ns_v5001 10.9.0.0/16(ro) # nfsctl:ns/v5001\n');
    expect(out).not.toContain('ns_v9999');
    expect(out.endsWith('/nfs/ns_new *(ro) # nfsctl:ns/new\n')).toBe(true);
    expect(removed.entries).toHaveLength(10_000);
  });
});

describe('removeExport', () => {
  it('removes only its own line', () => {
    const out = serializeExports(removeExport(parseExports(FOREIGN), '/nfs/team-a_data', 'team-a/data'));
    expect(out).toBe(
      FOREIGN.replace('/nfs/team-a_data 10.0.0.0/8(rw,sync,no_subtree_check) # nfsctl:team-a/data\n', ''),
    );
  });

  it('is a no-op when nothing exports the path', () => {
    const f = parseExports(FOREIGN);
    expect(removeExport(f, '/nfs/nothing')).toBe(f);
  });

  it('refuses when a foreign line exports the path', () => {
    const err = errorOf(() => removeExport(parseExports(FOREIGN), '/srv/homes'));
    expect(err).toBeInstanceOf(PreconditionError);
  });

  it('refuses when the owner does not match', () => {
    expect(errorOf(() => removeExport(parseExports(FOREIGN), '/nfs/team-a_data', 'x/y'))).toBeInstanceOf(
      PreconditionError,
    );
  });

  it('removes a multi-line owned entry whole', () => {
    const text = '/nfs/a_b x(rw) \\\n  y(ro) # nfsctl:a/b\n/srv/k l(ro)\n';
    const f = parseExports(text);
    expect(findExports(f, '/nfs/a_b')[0]?.owner).toBe('a/b');
    expect(serializeExports(removeExport(f, '/nfs/a_b'))).toBe('/srv/k l(ro)\n');
  });
});

describe('validateExportOptions', () => {
  it.each([
    [['rw', 'sync', 'no_subtree_check']],
    [['ro', 'async', 'all_squash', 'anonuid=65534', 'anongid=65534']],
    [['rw', 'fsid=0', 'crossmnt']],
    [['rw', 'fsid=root']],
    [['rw', 'fsid=123456']],
    [['rw', 'fsid=9ba4e0bd-ad5c-5d6c-9219-4383c159a91d']],
    [['rw', 'fsid=9ba4e0bdad5c5d6c92194383c159a91d']],
    [['sec=krb5:krb5i:krb5p', 'rw']],
    [['rw', 'no_root_squash', 'insecure', 'nohide', 'mountpoint', 'mp=/srv', 'no_wdelay']],
    [['refer=/a@host1+host2:/b@host3']],
    [['xprtsec=tls:mtls']],
    [['auth_nlm', 'secure_locks']], // synonyms, not a contradiction
    [['anonuid=-2']],
    [[]],
  ])('%j is valid', (opts) => {
    expect(() => validateExportOptions(opts)).not.toThrow();
  });

  it.each([
    [['rw', 'syncc'], /unknown export option "syncc"; did you mean "sync"/],
    [['no_subtreecheck'], /did you mean "no_subtree_check"/],
    [['norootsquash'], /did you mean "no_root_squash"/],
    [['frobnicate'], /unknown export option "frobnicate" \(see exports\(5\)\)/],
    [['rw', 'ro'], /contradictory export options "rw" and "ro"/],
    [['sync', 'async'], /contradictory export options "sync" and "async"/],
    [['auth_nlm', 'insecure_locks'], /contradictory export options "auth_nlm" and "insecure_locks"/],
    [['root_squash', 'no_root_squash'], /contradictory/],
    [['fsid=abc'], /"fsid": "abc" must be "root", an integer or a UUID/],
    [['fsid=99999999999'], /out of range/],
    [['fsid'], /"fsid" needs a value/],
    [['anonuid=x'], /"anonuid": "x" must be an integer/],
    [['anongid=1.5'], /must be an integer/],
    [['sec=sys:kerberos'], /unknown flavor "kerberos"/],
    [['rw=1'], /"rw" takes no value/],
    [['fsid=1', 'fsid=2'], /given twice with different values/],
    [['rw,sync'], /contains whitespace, "\(", "\)", ","/],
    [['rw sync'], /contains whitespace/],
    [[''], /empty export option/],
    [['mp=relative'], /absolute path/],
    [['refer=nohost'], /path@host/],
  ])('%j is rejected', (opts, why) => {
    const err = errorOf(() => validateExportOptions(opts));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(why);
  });

  it('closeMatches ranks plausible typos', () => {
    expect(closeMatches('rww')).toContain('rw');
    expect(closeMatches('nohidee')[0]).toBe('nohide');
    expect(closeMatches('zzzzzzzzzz')).toEqual([]);
  });
});

describe('validateClientSpec', () => {
  it.each([
    ['*', 'anyone'],
    ['@trusted', 'netgroup'],
    ['@net.group-1', 'netgroup'],
    ['10.0.0.1', 'ipv4'],
    ['10.0.0.0/8', 'ipv4-network'],
    ['192.168.1.0/255.255.255.0', 'ipv4-network'],
    ['0.0.0.0/0', 'ipv4-network'],
    ['2001:db8::1', 'ipv6'],
    ['2001:db8::/32', 'ipv6-network'],
    ['::1', 'ipv6'],
    ['client.example.com', 'hostname'],
    ['k8s-node-1', 'hostname'],
    ['*.example.com', 'wildcard'],
    ['node?.example.com', 'wildcard'],
    ['gss/krb5i', undefined],
  ] as const)('%s -> %s', (spec, kind) => {
    if (kind === undefined) {
      // The Kerberos "gss/..." pseudo-client is a foreign-only form nfsctl does not write.
      expect(() => validateClientSpec(spec)).toThrow(UsageError);
      return;
    }
    expect(validateClientSpec(spec)).toBe(kind);
  });

  it.each([
    ['', /is empty/],
    ['host name', /whitespace/],
    ['host(rw)', /"\(" or "\)"/],
    ['h;reboot', /shell metacharacter/],
    ['$(id)', /"\(" or "\)"|shell/],
    ['a`b`', /shell metacharacter/],
    ['host|x', /shell metacharacter/],
    ['a,b', /shell metacharacter/],
    ['[::1]', /shell metacharacter|reserved/],
    ['10.0.0.0/33', /prefix length must be 0-32/],
    ['10.0.0.0/x', /prefix length/],
    ['2001:db8::/129', /IPv6 prefix length/],
    ['300.1.1.1', /not a valid IPv4 address/],
    ['1.2.3', /not a valid IPv4 address/],
    ['fe80::zz', /not a valid IPv6 address/],
    ['bad/8', /not an IP address/],
    ['-host', /starts or ends with "-"/],
    ['a..b', /empty "\."-separated part/],
    ['hóst', /non-ASCII/],
    ['@bad group', /whitespace/],
    ['@', /netgroup names/],
    ['x'.repeat(254), /longer than 253/],
  ])('%j is rejected', (spec, why) => {
    const err = errorOf(() => validateClientSpec(spec));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(why);
  });
});

describe('edited models match a fresh parse', () => {
  const c = [{ host: '*', options: ['ro'] }];
  const cases: Array<[string, string, (t: string) => ExportsFile]> = [
    ['append', FOREIGN, (t) => upsertExport(parseExports(t), '/nfs/new', c, 'a/new')],
    ['replace', FOREIGN, (t) => upsertExport(parseExports(t), '/nfs/team-a_data', c, 'team-a/data')],
    ['remove', FOREIGN, (t) => removeExport(parseExports(t), '/nfs/team-b_logs')],
    [
      'append after continuation at EOF',
      '/srv/x a(ro) \\\n',
      (t) => upsertExport(parseExports(t), '/nfs/new', c, 'a/new'),
    ],
    [
      'append after unterminated continuation',
      '/srv/x a(ro) \\',
      (t) => upsertExport(parseExports(t), '/nfs/new', c, 'a/new'),
    ],
    [
      'append after comment ending in a backslash',
      '# note \\',
      (t) => upsertExport(parseExports(t), '/nfs/new', c, 'a/new'),
    ],
    [
      'replace unterminated last line',
      '/nfs/a_b x(rw) # nfsctl:a/b',
      (t) => upsertExport(parseExports(t), '/nfs/a_b', c, 'a/b'),
    ],
    [
      'replace a multi-line owned entry',
      '/nfs/a_b x(rw) \\\n  y(ro) # nfsctl:a/b\n/k l\n',
      (t) => upsertExport(parseExports(t), '/nfs/a_b', c, 'a/b'),
    ],
    [
      'collapse duplicates',
      '/nfs/a_b x # nfsctl:a/b\n/k l\n/nfs/a_b y # nfsctl:a/b\n/m n\n',
      (t) => upsertExport(parseExports(t), '/nfs/a_b', c, 'a/b'),
    ],
  ];
  it.each(cases)('%s', (_n, text, edit) => {
    const edited = edit(text);
    expect(edited.entries).toEqual(parseExports(serializeExports(edited)).entries);
  });

  it('a comment ending in a backslash gets no extra blank line', () => {
    expect(serializeExports(upsertExport(parseExports('# note \\'), '/nfs/new', c, 'a/new'))).toBe(
      '# note \\\n/nfs/new *(ro) # nfsctl:a/new\n',
    );
  });
});
