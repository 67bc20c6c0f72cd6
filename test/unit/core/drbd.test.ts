import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  allocateMinorPort,
  drbdConfUsage,
  drbdMarkedFor,
  drbdRateProblem,
  drbdResourceName,
  mayPromote,
  parseDrbdResource,
  parseProcDrbd,
  renderDrbdResource,
  type DrbdResourceSpec,
  type DrbdState,
} from '../../../src/core/drbd.js';
import { UsageError } from '../../../src/core/errors.js';

// DRBD 8.4's documented /proc/drbd (the DRBD 8.4 user's guide, "/proc/drbd").
const PROC = `version: 8.4.11 (api:1/proto:86-101)
srcversion: 9F7C0B2A1C1E2B3D4E5F607

 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----
    ns:1048576 nr:0 dw:1048576 dr:2120 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0
 1: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----
    ns:1234 nr:0 dw:0 dr:1234 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:5120000
	[=>..................] sync'ed: 10.3% (5000/5560)M
	finish: 0:01:23 speed: 12,345 (12,000) K/sec
 2: cs:Unconfigured
 7: cs:WFConnection ro:Secondary/Unknown ds:Outdated/DUnknown C r-----
    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:4096
 9: cs:StandAlone ro:Primary/Unknown ds:UpToDate/DUnknown   r-----
    ns:0 nr:0 dw:8 dr:0 al:1 bm:1 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:8
`;

const SPEC: DrbdResourceSpec = {
  volumeId: 'team-a/data',
  resource: 'nfsctl-pv_team-a_data',
  minor: 100,
  port: 7790,
  disk: '/dev/vg0/pv.team-a.data',
  hosts: [
    { hostname: 'primary', address: '198.51.100.11' },
    { hostname: 'backup', address: '198.51.100.12' },
  ],
};

const state = (over: Partial<DrbdState>): DrbdState => ({
  resource: 'r',
  minor: 100,
  role: 'Secondary',
  peerRole: 'Secondary',
  cstate: 'Connected',
  disk: 'UpToDate',
  peerDisk: 'UpToDate',
  outOfSyncKiB: 0,
  syncPercent: null,
  syncEtaSeconds: null,
  ...over,
});

describe('parseProcDrbd', () => {
  it('reads role, connection, disks, oos and resync progress per minor', () => {
    const m = parseProcDrbd(PROC);
    expect([...m.keys()]).toEqual([0, 1, 2, 7, 9]);
    expect(m.get(0)).toEqual({
      minor: 0,
      role: 'Primary',
      peerRole: 'Secondary',
      cstate: 'Connected',
      disk: 'UpToDate',
      peerDisk: 'UpToDate',
      outOfSyncKiB: 0,
      syncPercent: null,
      syncEtaSeconds: null,
    });
    expect(m.get(1)).toMatchObject({
      cstate: 'SyncSource',
      peerDisk: 'Inconsistent',
      outOfSyncKiB: 5120000,
      syncPercent: 10.3,
      syncEtaSeconds: 83,
    });
    expect(m.get(2)).toMatchObject({ cstate: 'Unconfigured', role: 'Unknown', disk: 'Unconfigured' });
    expect(m.get(7)).toMatchObject({ role: 'Secondary', peerRole: 'Unknown', disk: 'Outdated', outOfSyncKiB: 4096 });
    expect(m.get(9)).toMatchObject({ cstate: 'StandAlone', role: 'Primary', outOfSyncKiB: 8 });
  });
  it('is empty for a module without resources, and for nothing at all', () => {
    expect(parseProcDrbd('version: 8.4.11 (api:1/proto:86-101)\nsrcversion: X\n').size).toBe(0);
    expect(parseProcDrbd('').size).toBe(0);
  });
  it('takes an unknown role word as Unknown, not as a role', () => {
    expect(parseProcDrbd(' 3: cs:Connected ro:Weird/Primary ds:UpToDate/UpToDate C r-----\n').get(3)).toMatchObject({
      role: 'Unknown',
      peerRole: 'Primary',
    });
  });
});

describe('drbdResourceName', () => {
  it('derives a plain word from the LV name, dots written as _', () => {
    expect(drbdResourceName('pv.team-a.data')).toBe('nfsctl-pv_team-a_data');
  });
  it('keeps apart names that differ only where "-" and "." sit', () => {
    expect(drbdResourceName('pv.a-b.c')).not.toBe(drbdResourceName('pv.a.b-c'));
  });
  it('caps long names with a hash of the whole name (still distinct)', () => {
    const a = drbdResourceName(`pv.ns.${'x'.repeat(120)}`);
    const b = drbdResourceName(`pv.ns.${'x'.repeat(119)}y`);
    expect(a.length).toBeLessThanOrEqual(100);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_+-]+$/);
  });
  it('refuses what is no LV name', () => {
    expect(() => drbdResourceName('a b')).toThrow(UsageError);
    expect(() => drbdResourceName('a";}')).toThrow(UsageError);
  });
});

describe('allocateMinorPort', () => {
  const ranges = { minors: { first: 100, last: 102 }, ports: { first: 7790, last: 7791 } };
  it('takes the lowest free of each', () => {
    expect(allocateMinorPort({ minors: [], ports: [] }, ranges)).toEqual({ minor: 100, port: 7790 });
    expect(allocateMinorPort({ minors: [100, 5, 101], ports: [7790] }, ranges)).toEqual({ minor: 102, port: 7791 });
  });
  it('skips a hole taken by either host (the caller joins both hosts)', () => {
    expect(allocateMinorPort({ minors: [101, 100], ports: [7791] }, ranges)).toEqual({ minor: 102, port: 7790 });
  });
  it('says null when a range is full', () => {
    expect(allocateMinorPort({ minors: [100, 101, 102], ports: [] }, ranges)).toBeNull();
    expect(allocateMinorPort({ minors: [], ports: [7790, 7791] }, ranges)).toBeNull();
  });
});

describe('drbdConfUsage', () => {
  it('finds resources, minors and ports of a foreign resource file, whatever its style', () => {
    const t = `resource r0 {\n  device /dev/drbd5;\n  on a { address 10.0.0.1:7789; disk /dev/sdb; meta-disk internal; }\n  on b { device minor 6; address ipv4 10.0.0.2:7788; }\n}\nresource "r1" { volume 0 { device minor 12; } on x { address ipv6 [fd00::1]:7800; } }\n`;
    const u = drbdConfUsage(t);
    expect(u.resources).toEqual(['r0', 'r1']);
    expect(u.minors.sort((a, b) => a - b)).toEqual([5, 6, 12]);
    expect(u.ports.sort()).toEqual([7788, 7789, 7800]);
  });
  it('reads back what renderDrbdResource wrote', () => {
    expect(drbdConfUsage(renderDrbdResource(SPEC))).toEqual({
      resources: ['nfsctl-pv_team-a_data'],
      minors: [100],
      ports: [7790],
    });
  });
});

describe('renderDrbdResource', () => {
  it('writes the mark first, protocol C, one on-section per host', () => {
    const t = renderDrbdResource(SPEC);
    expect(t.split('\n')[0]).toBe('# nfsctl: managed resource for team-a/data; do not edit');
    expect(drbdMarkedFor(t)).toBe('team-a/data');
    expect(t).toContain('protocol C;');
    expect(t).toContain('  on "primary" {\n    device /dev/drbd100 minor 100;\n    disk "/dev/vg0/pv.team-a.data";');
    expect(t).toContain('address ipv4 198.51.100.12:7790;');
    expect(parseDrbdResource(t)).toEqual(SPEC);
    expect(t).not.toContain('c-min-rate');
  });
  it('writes c-min-rate in a disk section when given, and reads it back', () => {
    const t = renderDrbdResource({ ...SPEC, resyncMinRate: '0' });
    expect(t).toContain('  disk {\n    c-min-rate 0;\n  }');
    expect(parseDrbdResource(t)).toEqual({ ...SPEC, resyncMinRate: '0' });
    expect(parseDrbdResource(renderDrbdResource({ ...SPEC, resyncMinRate: '20M' }))?.resyncMinRate).toBe('20M');
  });
  it('refuses a c-min-rate that is not one plain drbd.conf rate word', () => {
    for (const r of [
      '',
      ' 0',
      '0;',
      '0; }',
      '20M; disk {',
      '-1',
      '1.5M',
      '20m',
      '0x1f',
      '1e3',
      '01',
      '20M\n',
      '"0"',
      '9999999999',
    ])
      expect(() => renderDrbdResource({ ...SPEC, resyncMinRate: r }), JSON.stringify(r)).toThrow(UsageError);
    for (const r of ['0', '250', '250K', '20M', '1G']) expect(drbdRateProblem(r), r).toBeNull();
  });
  it('writes an IPv6 address in brackets', () => {
    const t = renderDrbdResource({
      ...SPEC,
      hosts: [
        { hostname: 'primary', address: 'fd00::1' },
        { hostname: 'backup', address: 'fd00::2' },
      ],
    });
    expect(t).toContain('address ipv6 [fd00::2]:7790;');
    expect(parseDrbdResource(t)?.hosts[1]).toEqual({ hostname: 'backup', address: 'fd00::2' });
  });

  // Values that would end a statement, open or close a block, start a comment, or end a quoted string.
  const HOSTILE = [
    'x"; } resource evil { on x { disk /dev/sda',
    'x;',
    'x}',
    'x{',
    'x#',
    'x y',
    'x\n',
    'x"',
    "x'",
    'x\\',
    '',
    '-x',
    'x\u0000',
    'x$y',
  ];
  it.each(HOSTILE)('refuses the hostile value %j in every field, changing nothing', (h) => {
    const tries: DrbdResourceSpec[] = [
      { ...SPEC, resource: h },
      { ...SPEC, volumeId: h },
      { ...SPEC, volumeId: `team-a/${h}` },
      { ...SPEC, disk: `/dev/vg0/${h}` },
      { ...SPEC, hosts: [{ hostname: h, address: '198.51.100.11' }, SPEC.hosts[1]] },
      // "" appended to an address changes nothing
      ...(h === '' ? [] : [{ ...SPEC, hosts: [SPEC.hosts[0], { hostname: 'backup', address: `198.51.100.12${h}` }] }]),
    ] as DrbdResourceSpec[];
    for (const s of tries) expect(() => renderDrbdResource(s), JSON.stringify(s)).toThrow(UsageError);
  });
  it('refuses a DNS name as address, equal host names, bad numbers and path tricks', () => {
    const bad: DrbdResourceSpec[] = [
      { ...SPEC, hosts: [{ hostname: 'primary', address: 'nfs-a.example.com' }, SPEC.hosts[1]] },
      { ...SPEC, hosts: [SPEC.hosts[0], { hostname: 'primary', address: '198.51.100.12' }] },
      { ...SPEC, minor: -1 },
      { ...SPEC, minor: 1.5 },
      { ...SPEC, minor: 2 ** 20 },
      { ...SPEC, port: 0 },
      { ...SPEC, port: 65536 },
      { ...SPEC, disk: '/dev/../etc/passwd' },
      { ...SPEC, disk: 'vg0/lv' },
    ];
    for (const s of bad) expect(() => renderDrbdResource(s), JSON.stringify(s)).toThrow(UsageError);
  });

  // drbd-utils' own parser of drbd 8.4's grammar, where installed (drbd-utils ships drbdadm-84).
  const DRBDADM84 = ['/usr/lib/drbd/drbdadm-84', '/lib/drbd/drbdadm-84'].find((p) => existsSync(p));
  it.skipIf(!DRBDADM84)('is read by drbdadm (8.4 grammar) as the resource meant', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nfsctl-drbd-'));
    try {
      const f = join(dir, 'r.res');
      writeFileSync(f, renderDrbdResource({ ...SPEC, resyncMinRate: '0' }));
      const out = execFileSync(DRBDADM84!, ['-c', f, 'dump'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toMatch(/resource "?nfsctl-pv_team-a_data"? \{/);
      expect(out).toMatch(
        /on primary \{[^}]*device\s+\/dev\/drbd100 minor 100;[^}]*disk\s+\/dev\/vg0\/pv\.team-a\.data;[^}]*address\s+ipv4 198\.51\.100\.11:7790;/s,
      );
      expect(out).toMatch(/on backup \{[^}]*address\s+ipv4 198\.51\.100\.12:7790;/s);
      expect(out).toMatch(/protocol\s+C;/);
      expect(out).toMatch(/disk \{[^}]*c-min-rate\s+0;/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseDrbdResource / drbdMarkedFor', () => {
  it('is null for a file without the mark (not ours), or with a mark that is not a volume id', () => {
    const t = renderDrbdResource(SPEC);
    expect(parseDrbdResource(t.split('\n').slice(1).join('\n'))).toBeNull();
    expect(drbdMarkedFor('# nfsctl: managed resource for ../x; do not edit\n')).toBeNull();
    expect(drbdMarkedFor(`\n${t}`)).toBeNull();
  });
});

describe('mayPromote', () => {
  it('allows an UpToDate side whose peer is not Primary', () => {
    expect(mayPromote(state({}))).toBeNull();
    expect(mayPromote(state({ cstate: 'WFConnection', peerRole: 'Unknown', peerDisk: 'DUnknown' }))).toBeNull();
    expect(mayPromote(state({ role: 'Primary' }))).toBeNull();
  });
  it('refuses a stale side, naming its disk state', () => {
    expect(mayPromote(state({ disk: 'Inconsistent', cstate: 'SyncTarget', syncPercent: 40 }))).toMatch(
      /Inconsistent, not UpToDate.*40% done/,
    );
    expect(mayPromote(state({ disk: 'Outdated' }))).toMatch(/Outdated/);
    expect(mayPromote(state({ disk: 'Diskless' }))).toMatch(/Diskless/);
  });
  it('refuses while the peer is Primary, a StandAlone resource, and one that is not up', () => {
    expect(mayPromote(state({ peerRole: 'Primary' }))).toMatch(/peer is still Primary/);
    expect(mayPromote(state({ cstate: 'StandAlone', peerRole: 'Unknown' }))).toMatch(/StandAlone.*split-brain/);
    expect(mayPromote(state({ cstate: 'Unconfigured', disk: 'Unconfigured' }))).toMatch(/not up/);
  });
});

// Real /proc/drbd of drbd 8.4.11 recorded on the vm tier (test/fixtures/drbd/README.md says how).
describe('parseProcDrbd on the recorded 8.4.11 outputs', () => {
  const FIX = join(__dirname, '../../fixtures/drbd');
  const read = (f: string) => readFileSync(join(FIX, f), 'utf8');
  // file: cstate role/peer disk/peer oos% syncPercent etaSeconds, and may this side be promoted
  const TABLE: [string, string, string, string, number, number | null, number | null, boolean][] = [
    [
      'proc-drbd-wfconnection-new.txt',
      'WFConnection',
      'Secondary/Unknown',
      'Inconsistent/DUnknown',
      262100,
      null,
      null,
      false,
    ],
    [
      'proc-drbd-connected-inconsistent.txt',
      'Connected',
      'Secondary/Secondary',
      'Inconsistent/Inconsistent',
      262100,
      null,
      null,
      false,
    ],
    [
      'proc-drbd-connected-uptodate-secondary.txt',
      'Connected',
      'Secondary/Secondary',
      'UpToDate/UpToDate',
      0,
      null,
      null,
      true,
    ],
    ['proc-drbd-primary.txt', 'Connected', 'Primary/Secondary', 'UpToDate/UpToDate', 0, null, null, true],
    ['proc-drbd-secondary.txt', 'Connected', 'Secondary/Primary', 'UpToDate/UpToDate', 0, null, null, false],
    [
      'proc-drbd-standalone-secondary.txt',
      'StandAlone',
      'Secondary/Unknown',
      'UpToDate/DUnknown',
      0,
      null,
      null,
      false,
    ],
    [
      'proc-drbd-wfconnection-primary-oos.txt',
      'WFConnection',
      'Primary/Unknown',
      'UpToDate/DUnknown',
      61448,
      null,
      null,
      true,
    ],
    ['proc-drbd-syncsource.txt', 'SyncSource', 'Primary/Secondary', 'UpToDate/Inconsistent', 61084, 12.5, 152, true],
    ['proc-drbd-synctarget.txt', 'SyncTarget', 'Secondary/Primary', 'Inconsistent/UpToDate', 60700, 12.5, 75, false],
    [
      'proc-drbd-syncsource-87pct-with-status.txt',
      'SyncSource',
      'Primary/Secondary',
      'UpToDate/Inconsistent',
      9208,
      87.5,
      2,
      true,
    ],
    [
      'proc-drbd-synctarget-75pct-with-status.txt',
      'SyncTarget',
      'Secondary/Primary',
      'Inconsistent/UpToDate',
      19328,
      75,
      4,
      false,
    ],
    [
      'proc-drbd-synctarget-full.txt',
      'SyncTarget',
      'Secondary/Primary',
      'Inconsistent/UpToDate',
      523596,
      0.8,
      654,
      false,
    ],
    [
      'proc-drbd-standalone-inconsistent.txt',
      'StandAlone',
      'Secondary/Unknown',
      'Inconsistent/DUnknown',
      522976,
      null,
      null,
      false,
    ],
    [
      'proc-drbd-wfconnection-peer-inconsistent.txt',
      'WFConnection',
      'Primary/Unknown',
      'UpToDate/Inconsistent',
      522976,
      null,
      null,
      true,
    ],
    [
      'proc-drbd-peer-crashed-primary.txt',
      'WFConnection',
      'Primary/Unknown',
      'UpToDate/DUnknown',
      52,
      null,
      null,
      true,
    ],
    ['proc-drbd-split-brain-backup.txt', 'StandAlone', 'Primary/Unknown', 'UpToDate/DUnknown', 2092, null, null, true],
    [
      'proc-drbd-after-split-brain-resolve-backup.txt',
      'Connected',
      'Secondary/Primary',
      'UpToDate/UpToDate',
      0,
      null,
      null,
      false,
    ],
  ];
  it.each(TABLE)('%s', (file, cstate, roles, disks, oos, pct, eta, promotable) => {
    const m = parseProcDrbd(read(file));
    expect([...m.keys()]).toEqual([100]);
    const s = m.get(100)!;
    const [role, peerRole] = roles.split('/');
    const [disk, peerDisk] = disks.split('/');
    expect(s).toEqual({
      minor: 100,
      cstate,
      role,
      peerRole,
      disk,
      peerDisk,
      outOfSyncKiB: oos,
      syncPercent: pct,
      syncEtaSeconds: eta,
    });
    // an already Primary side "may" stay so; a Secondary whose peer is Primary must wait for the demote
    expect(
      mayPromote({ resource: 'nfsctl-fix', ...s }) === null,
      String(mayPromote({ resource: 'nfsctl-fix', ...s })),
    ).toBe(promotable);
  });
  it('reads a module without resources as none', () => {
    expect(parseProcDrbd(read('proc-drbd-no-resources.txt')).size).toBe(0);
  });
  it('every recorded /proc/drbd file is in the table', () => {
    const all = readdirSync(FIX).filter((f) => /^proc-drbd-.*\.txt$/.test(f) && f !== 'proc-drbd-no-resources.txt');
    expect(all.sort()).toEqual(
      TABLE.map((t) => t[0])
        .concat([
          'proc-drbd-primary-after-writes.txt',
          'proc-drbd-split-brain-primary.txt',
          'proc-drbd-wfconnection-peer-down.txt',
          'proc-drbd-wfconnection-primary.txt',
        ])
        .sort(),
    );
  });
  it("finds the minor, port and resource in drbdadm's dump of the recorded resource", () => {
    expect(drbdConfUsage(read('drbdadm-dump.txt'))).toMatchObject({ minors: [100], ports: [7790] });
  });
});
