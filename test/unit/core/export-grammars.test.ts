// exports(5) lines and Ganesha EXPORT blocks: one validator/quoter per grammar, a hostile
// corpus, and the option rules (fsid derived; Ganesha honours or refuses, never drops).
import { describe, expect, it } from 'vitest';
import { checkNfsctlExportOptions, ganeshaPermissions } from '../../../src/core/export-options.js';
import {
  parseExports,
  renderExportLine,
  validateClientSpec,
  validateExportOptions,
} from '../../../src/core/exports-file.js';
import { parseGaneshaExports, renderGaneshaExport } from '../../../src/core/ganesha.js';
import { parseVolumeRef } from '../../../src/core/names.js';
import { identify } from '../../../src/volume/identity.js';
import { ganeshaBlock } from '../../../src/volume/exporter.js';
import { runCreate } from '../../../src/commands/volume/create.run.js';
import { parseConfig } from '../../../src/config/load.js';
import { tempDir, testConfig, testConfigYaml } from '../../support/config.js';
import { fakeContext } from '../../support/fake-context.js';

const HOSTILE_CLIENTS = [
  '10.0.0.0/8 rw',
  '10.0.0.0/8(rw)',
  'host\nevil',
  'a,b',
  '"a"',
  'a#b',
  'a)b',
  '(',
  '',
  ' ',
  'a;b',
  '$(id)',
  '*(rw,no_root_squash)',
  'a\tb',
  'a\\b',
  '10.0.0.1\r',
  'ünï.example',
];
const HOSTILE_OPTIONS = [
  'rw)',
  'rw,sync',
  'sec=sys)',
  'anonuid=1)',
  'rw no_root_squash',
  'rw\n',
  'anonuid=1,anongid=2',
  'sec="sys"',
  'rw#',
  'anonuid=0x10',
  'anonuid=1e3',
  'sec=sys=krb5',
  '=',
  '',
];
const ROUND_TRIP_PATHS = [
  '/nfs/a b',
  '/nfs/"q"',
  "/nfs/it's",
  '/nfs/#hash',
  '/nfs/(paren)',
  '/nfs/back\\slash',
  '/nfs/literal\\tx',
  '/nfs/ünïcödé',
  '/nfs/$(id)',
  '/nfs/a,b=c',
];
const REFUSED_PATHS = ['/nfs/tab\tx', '/nfs/a\nb', '/nfs/a\rb', '/nfs/\u001b[31m', 'relative/path', '/nfs/\u0000'];

describe('exports(5)', () => {
  it('refuses hostile clients', () => {
    for (const c of HOSTILE_CLIENTS)
      expect(() => validateClientSpec(c), JSON.stringify(c)).toThrow(/invalid NFS client/);
  });
  it('refuses hostile options', () => {
    for (const o of HOSTILE_OPTIONS)
      expect(() => validateExportOptions(o === '' ? [''] : [o]), JSON.stringify(o)).toThrow();
  });
  it('paths with spaces, quotes, #, parentheses, backslashes read back exactly as exportfs would read them', () => {
    for (const p of ROUND_TRIP_PATHS) {
      const line = renderExportLine(p, [{ host: '10.0.0.0/8', options: ['rw', 'sync'] }], 'team-a/data');
      const e = parseExports(line + '\n').entries;
      expect(e, p).toHaveLength(1);
      expect(e[0]).toMatchObject({
        kind: 'export',
        path: p,
        owner: 'team-a/data',
        clients: [{ host: '10.0.0.0/8', options: ['rw', 'sync'] }],
      });
    }
  });
  it('refuses paths with a newline or another control character', () => {
    for (const p of REFUSED_PATHS)
      expect(() => renderExportLine(p, [{ host: '*', options: [] }], 'a/b'), JSON.stringify(p)).toThrow();
  });
});

describe('Ganesha EXPORT blocks', () => {
  const rule = { clients: ['10.0.0.0/8'], accessType: 'RW' as const };
  it('paths read back exactly through the block parser; a quote, backslash, newline, $ or % is refused', () => {
    for (const p of [
      '/nfs/a b',
      '/nfs/{brace}',
      '/nfs/semi;colon',
      '/nfs/#hash',
      "/nfs/it's",
      '/nfs/a=b,c',
      '/nfs/ünï',
    ]) {
      const b = parseGaneshaExports(renderGaneshaExport({ owner: 'a/b', exportId: 7, path: p, clients: [rule] }));
      expect(b, p).toHaveLength(1);
      expect(b[0]).toMatchObject({ path: p, pseudo: p, exportId: 7, owner: 'a/b' });
    }
    for (const p of [
      '/nfs/"q"',
      '/nfs/back\\slash',
      '/nfs/a\nb',
      '/nfs/$HOME',
      '/nfs/100%',
      '/nfs/`id`',
      '/nfs/\u001b',
    ]) {
      expect(
        () => renderGaneshaExport({ owner: 'a/b', exportId: 7, path: p, clients: [rule] }),
        JSON.stringify(p),
      ).toThrow(/cannot be written safely/);
    }
  });
  it('refuses hostile clients in a CLIENT block', () => {
    for (const c of HOSTILE_CLIENTS)
      expect(
        () =>
          renderGaneshaExport({
            owner: 'a/b',
            exportId: 7,
            path: '/nfs/x',
            clients: [{ clients: [c], accessType: 'RW' }],
          }),
        JSON.stringify(c),
      ).toThrow();
  });
});

describe('export options: fsid is derived; Ganesha honours what it can represent and refuses the rest', () => {
  const config = testConfig();
  const v = identify(config, parseVolumeRef('team-a/data'));
  it('fsid= is refused for both servers, saying why', () => {
    for (const server of ['kernel', 'ganesha'] as const) {
      for (const o of ['fsid=1', 'fsid=root', 'fsid=0f1e2d3c-0000-1111-2222-333344445555']) {
        expect(() => checkNfsctlExportOptions(['rw', o], server)).toThrow(
          /derives each volume's fsid .* file handles stay valid when the VIP moves/,
        );
      }
    }
  });
  it('sec=, anonuid/anongid, insecure/secure, ro/rw and squash reach the block', () => {
    const b = ganeshaBlock(v, {
      clients: ['10.0.0.0/8'],
      options: [
        'ro',
        'sec=krb5p:krb5i',
        'insecure',
        'anonuid=1000',
        'anongid=2000',
        'all_squash',
        'sync',
        'no_subtree_check',
      ],
    });
    expect(b).toContain('    SecType = krb5p, krb5i;');
    expect(b).not.toMatch(/SecType = sys/);
    expect(b).toContain('        Access_Type = RO;');
    expect(b).toContain('        Squash = All_Squash;');
    expect(b).toContain('        Anonymous_Uid = 1000;');
    expect(b).toContain('        Anonymous_Gid = 2000;');
    expect(b).toContain('        PrivilegedPort = false;');
    const secure = ganeshaBlock(v, { clients: ['*'], options: ['rw', 'secure', 'no_root_squash'] });
    expect(secure).toContain('        PrivilegedPort = true;');
    expect(secure).toContain('        Squash = No_Root_Squash;');
    expect(secure).toContain('    SecType = sys;');
    expect(ganeshaPermissions(['rw', 'sync', 'no_root_squash', 'no_subtree_check'])).toEqual({
      accessType: 'RW',
      squash: 'No_Root_Squash',
    });
  });
  it('refuses what an EXPORT block cannot say (the kernel takes them)', () => {
    for (const o of [
      'xprtsec=tls',
      'async',
      'subtree_check',
      'crossmnt',
      'nohide',
      'hide',
      'wdelay',
      'no_wdelay',
      'mountpoint=/nfs',
      'security_label',
      'pnfs',
      'insecure_locks',
      'refer=/a@b',
    ]) {
      expect(() => checkNfsctlExportOptions(['rw', o], 'ganesha'), o).toThrow(
        new RegExp(
          `"${o.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" cannot be represented in an NFS-Ganesha EXPORT block`,
        ),
      );
      expect(() => checkNfsctlExportOptions(['rw', o], 'kernel'), o).not.toThrow();
    }
  });
  for (const [server, o] of [
    ['kernel', 'rw,fsid=7'],
    ['ganesha', 'rw,fsid=7'],
    ['ganesha', 'rw,xprtsec=tls'],
    ['ganesha', 'rw,async'],
    ['kernel', 'rw)'],
    ['kernel', 'rw,anonuid=1e3'],
  ] as const) {
    it(`volume create --options ${o} (${server}): exit 2 before anything ran`, async () => {
      const dir = tempDir();
      const f = fakeContext(parseConfig(testConfigYaml(dir).replace('server: ganesha', `server: ${server}`), 't.yaml'));
      const err = await runCreate(f.ctx, 'team-a/data', { size: '1G', options: o, yes: true }).catch((e: unknown) => e);
      expect(err).toMatchObject({ exitCode: 2 });
      expect(f.untouched()).toBe(true);
    });
  }
});
