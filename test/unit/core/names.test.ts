import { describe, expect, it } from 'vitest';

import { NfsctlError, UsageError } from '../../../src/core/errors.js';
import {
  EXPORT_ID_MAX,
  EXPORT_ID_MIN,
  LVM_RESERVED_PREFIXES,
  LVM_RESERVED_SUBSTRINGS,
  dmNameLength,
  exportIdFor,
  findPathCollisions,
  formatVolumeRef,
  fsidFor,
  lvName,
  lvNameProblem,
  parseVolumeRef,
  projectName,
  rbdImageName,
  templateIsUnambiguous,
  uuidV5,
  volumePath,
  volumeRef,
  type VolumeRef,
} from '../../../src/core/names.js';

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as NfsctlError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

const NS63 = `a${'b'.repeat(61)}c`;
const NAME253 = [`${'x'.repeat(63)}`, 'y'.repeat(63), 'z'.repeat(63), 'w'.repeat(61)].join('.');

describe('parseVolumeRef: accepted', () => {
  const good: Array<[string, string, string]> = [
    ['team-a/data', 'team-a', 'data'],
    ['default/tmeta', 'default', 'tmeta'],
    ['default/rimage-x', 'default', 'rimage-x'],
    ['default/snapshot', 'default', 'snapshot'],
    ['default/pvmove', 'default', 'pvmove'],
    ['ns/a.b.c', 'ns', 'a.b.c'],
    ['0/0', '0', '0'],
    ['a1-b2/c-3.d4', 'a1-b2', 'c-3.d4'],
    [`${NS63}/${NAME253}`, NS63, NAME253],
  ];
  it.each(good)('%s', (input, ns, name) => {
    expect(NS63).toHaveLength(63);
    expect(NAME253).toHaveLength(253);
    const ref = parseVolumeRef(input);
    expect(ref).toEqual({ namespace: ns, name });
    expect(formatVolumeRef(ref)).toBe(input);
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(parseVolumeRef('a/b'))).toBe(true);
  });
});

describe('parseVolumeRef: rejected with the rule in the message', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /missing volume reference/],
    ['data', /exactly one "\/" \(found 0\)/],
    ['a/b/c', /exactly one "\/" \(found 2\)/],
    ['/data', /invalid namespace "": is empty/],
    ['team-a/', /invalid volume name "": is empty/],
    ['Team-A/data', /upper-case letter "T"/],
    ['team-a/Data', /upper-case letter "D"/],
    ['team a/data', /contains whitespace/],
    ['team-a/da ta', /contains whitespace/],
    ['team-a/data\t', /contains whitespace/],
    ['team-a/data\n', /contains whitespace/],
    ['team-a/$(reboot)', /shell metacharacter "\$"/],
    ['team-a/a;b', /shell metacharacter ";"/],
    ['team-a/a|b', /shell metacharacter "\|"/],
    ['team-a/`id`', /shell metacharacter "`"/],
    ['team-a/a&b', /shell metacharacter "&"/],
    ['team-a/a>b', /shell metacharacter ">"/],
    ["team-a/a'b", /shell metacharacter "'"/],
    ['team-a/a*', /shell metacharacter "\*"/],
    ['team-a/~x', /shell metacharacter "~"/],
    ['team-a/a..b', /contains "\.\."/],
    ['team-a/..', /contains "\.\."/],
    ['../etc/passwd', /exactly one "\/"/],
    ['team-a/.hidden', /starts or ends with "\."/],
    ['team-a/data.', /starts or ends with "\."/],
    ['-team/data', /starts or ends with "-"/],
    ['team-/data', /starts or ends with "-"/],
    ['team-a/-data', /starts or ends with "-"/],
    ['team-a/data-', /starts or ends with "-"/],
    ['team-a/a.-b', /part that starts or ends with "-"/],
    ['team-a/a-.b', /part that starts or ends with "-"/],
    ['team.a/data', /"\." \(not allowed in a namespace\)/],
    ['team_a/data', /contains "_"/],
    ['team-a/da_ta', /contains "_"/],
    ['tëam/data', /non-ASCII character "ë"/],
    ['team-a/dätä', /non-ASCII character "ä"/],
    ['team-a/data\u0000', /control character U\+0000/],
    ['team-a/\u202edata', /non-ASCII/],
    [`${NS63}x/data`, /64 characters long \(at most 63\)/],
    [`ns/${NAME253}x`, /254 characters long \(at most 253\)/],
  ];
  it.each(bad)('%j', (input, why) => {
    const msg = usageMessage(() => parseVolumeRef(input));
    expect(msg).toMatch(why);
    if (input.includes('/') && input.split('/').length === 2 && input !== '') {
      // Every per-part error spells out the rule it broke.
      expect(msg).toMatch(/DNS-1123 (label|subdomain)/);
    }
  });

  it('volumeRef validates parts the same way', () => {
    expect(usageMessage(() => volumeRef('ok', 'Bad'))).toMatch(/invalid volume name "Bad"/);
    expect(usageMessage(() => volumeRef('bad ns', 'ok'))).toMatch(/invalid namespace "bad ns"/);
  });
});

describe('volumePath', () => {
  const ref = parseVolumeRef('team-a/data');

  it('substitutes root, namespace and name', () => {
    expect(volumePath('{root}/{namespace}_{name}', '/nfs', ref)).toBe('/nfs/team-a_data');
    expect(volumePath('{root}/{namespace}{name}', '/nfs', ref)).toBe('/nfs/team-adata');
    expect(volumePath('{root}/{namespace}/{name}', '/srv/nfs/', ref)).toBe('/srv/nfs/team-a/data');
    expect(volumePath('/export/{name}@{namespace}', '/ignored', ref)).toBe('/export/data@team-a');
    expect(volumePath('{root}/{namespace}_{name}', '/', ref)).toBe('/team-a_data');
  });

  it('rejects broken templates and roots', () => {
    expect(usageMessage(() => volumePath('{root}/{ns}_{name}', '/nfs', ref))).toMatch(/unknown placeholder \{ns\}/);
    expect(usageMessage(() => volumePath('{root}/{name}', '/nfs', ref))).toMatch(
      /\{namespace\} must appear exactly once \(found 0\)/,
    );
    expect(usageMessage(() => volumePath('{root}/{name}/{name}{namespace}', '/nfs', ref))).toMatch(
      /\{name\} must appear exactly once \(found 2\)/,
    );
    expect(usageMessage(() => volumePath('{root}/{namespace}_{name', '/nfs', ref))).toMatch(/unbalanced/);
    expect(usageMessage(() => volumePath('{root}/{namespace} {name}', '/nfs', ref))).toMatch(/whitespace/);
    expect(usageMessage(() => volumePath('{namespace}_{name}', '/nfs', ref))).toMatch(/absolute path/);
    expect(usageMessage(() => volumePath('{root}//{namespace}_{name}', '/nfs', ref))).toMatch(/non-normalized/);
    expect(usageMessage(() => volumePath('{root}/../{namespace}_{name}', '/nfs', ref))).toMatch(/non-normalized/);
    expect(usageMessage(() => volumePath('{root}/{namespace}_{name}', 'nfs', ref))).toMatch(/absolute/);
    expect(usageMessage(() => volumePath('{root}/{namespace}_{name}', '/nfs/../etc', ref))).toMatch(/normalized/);
    expect(usageMessage(() => volumePath('{root}/{namespace}_{name}', '/my nfs', ref))).toMatch(/whitespace/);
  });
});

describe('templateIsUnambiguous', () => {
  it.each([
    ['{root}/{namespace}_{name}', true],
    ['{root}/{namespace}/{name}', true],
    ['{root}/{namespace}.{name}', true], // namespaces have no "."
    ['{root}/{name}.{namespace}', true], // the last "." pins it: namespaces contain none
    ['{root}/{namespace}{name}', false],
    ['{root}/{namespace}-{name}', false],
    ['{root}/{namespace}--{name}', false],
    ['{root}/{name}_{namespace}', true],
    ['{root}/{namespace}@{name}', true],
  ])('%s -> %s', (template, expected) => {
    expect(templateIsUnambiguous(template)).toBe(expected);
  });

  it('agrees with a brute-force collision search', () => {
    const parts = ['a', 'b', 'c', 'ab', 'bc', 'a-b', 'b-c', 'a.b', 'a-b-c', 'b.c'];
    const refs: VolumeRef[] = [];
    for (const ns of parts.filter((p) => !p.includes('.'))) for (const n of parts) refs.push(volumeRef(ns, n));
    for (const t of [
      '{root}/{namespace}_{name}',
      '{root}/{namespace}{name}',
      '{root}/{namespace}-{name}',
      '{root}/{namespace}.{name}',
      '{root}/{name}.{namespace}',
    ]) {
      const collisions = findPathCollisions(t, '/nfs', refs);
      if (templateIsUnambiguous(t)) expect(collisions.size).toBe(0);
      else expect(collisions.size).toBeGreaterThan(0);
    }
  });

  it('findPathCollisions reports the colliding refs', () => {
    const c = findPathCollisions('{root}/{namespace}{name}', '/nfs', [
      volumeRef('ab', 'c'),
      volumeRef('a', 'bc'),
      volumeRef('x', 'y'),
    ]);
    expect([...c.keys()]).toEqual(['/nfs/abc']);
    expect(c.get('/nfs/abc')?.map(formatVolumeRef)).toEqual(['ab/c', 'a/bc']);
  });
});

describe('backend names', () => {
  const corpus: VolumeRef[] = [
    volumeRef('team-a', 'data'),
    volumeRef('team', 'a.data'),
    volumeRef('team-a', 'tmeta'),
    volumeRef('default', 'rimage-x'),
    volumeRef('default', 'snapshot'),
    volumeRef('snapshot', 'x'),
    volumeRef('pvmove', 'x'),
    volumeRef('a', 'b.c'),
    volumeRef('a-b', 'c'),
    volumeRef('a', 'b-c'),
    volumeRef(NS63, NAME253),
    volumeRef(NS63, `${NAME253.slice(0, 252)}q`),
    volumeRef(NS63.slice(0, 62), NAME253),
  ];

  it('short names are readable', () => {
    const ref = volumeRef('team-a', 'data');
    expect(lvName(ref)).toBe('pv.team-a.data');
    expect(rbdImageName(ref)).toBe('pv.team-a.data');
    expect(projectName(ref)).toBe('pv.team-a.data');
  });

  it('LV names are always LVM-legal, even for reserved-looking volume names', () => {
    for (const ref of corpus) {
      const lv = lvName(ref);
      expect(lvNameProblem(lv)).toBeNull();
      expect(lv.length).toBeLessThanOrEqual(127);
      for (const s of LVM_RESERVED_SUBSTRINGS) expect(lv).not.toContain(s);
      for (const p of LVM_RESERVED_PREFIXES) expect(lv.startsWith(p)).toBe(false);
    }
  });

  it('lvNameProblem catches what LVM would reject', () => {
    expect(lvNameProblem('x_tmeta')).toMatch(/reserved string "_tmeta"/);
    expect(lvNameProblem('snapshot1')).toMatch(/reserved prefix "snapshot"/);
    expect(lvNameProblem('-x')).toMatch(/starts with "-"/);
    expect(lvNameProblem('a b')).toMatch(/characters/);
    expect(lvNameProblem('x'.repeat(128))).toMatch(/127/);
    expect(lvNameProblem('..')).toMatch(/"\." or "\.\."/);
    expect(lvNameProblem('tmeta')).toBeNull();
  });

  it('long names are shortened with a hash and stay within limits', () => {
    const long = volumeRef(NS63, NAME253);
    const lv = lvName(long);
    expect(lv.length).toBeLessThanOrEqual(127);
    expect(lv).toMatch(/^pv\..*\+[0-9a-f]{16}$/);
    expect(rbdImageName(long).length).toBeLessThanOrEqual(255);
    expect(projectName(long).length).toBeLessThanOrEqual(200);
    expect(lvName(long)).toBe(lv); // deterministic
  });

  it('respects the device-mapper name budget when the VG is known', () => {
    const long = volumeRef(NS63, NAME253);
    const vg = 'vg-nfs-data';
    const lv = lvName(long, { vgName: vg });
    expect(dmNameLength(vg, lv)).toBeLessThanOrEqual(127);
    expect(dmNameLength('vg-a', 'b-c')).toBe('vg--a-b--c'.length);
    // Short names are unaffected by the VG.
    expect(lvName(volumeRef('team-a', 'data'), { vgName: vg })).toBe('pv.team-a.data');
  });

  it('is injective over a corpus (including near-identical long names)', () => {
    for (const fn of [
      (r: VolumeRef) => lvName(r),
      rbdImageName,
      projectName,
      fsidFor,
      (r: VolumeRef) => lvName(r, { vgName: 'vg0' }),
    ]) {
      const seen = new Map<string, string>();
      for (const ref of corpus) {
        const out = fn(ref);
        const prev = seen.get(out);
        if (prev !== undefined) expect(prev).toBe(formatVolumeRef(ref));
        seen.set(out, formatVolumeRef(ref));
      }
      expect(seen.size).toBe(corpus.length);
    }
  });

  it('"pv.<ns>.<name>" separates namespace and name even when names contain dots', () => {
    expect(lvName(volumeRef('team', 'a.data'))).not.toBe(lvName(volumeRef('team-a', 'data')));
    expect(lvName(volumeRef('a', 'b.c'))).toBe('pv.a.b.c');
  });
});

describe('fsidFor', () => {
  it('produces a stable RFC 4122 version-5 UUID', () => {
    const a = fsidFor(volumeRef('team-a', 'data'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(fsidFor(volumeRef('team-a', 'data'))).toBe(a);
    expect(fsidFor(volumeRef('team-a', 'data2'))).not.toBe(a);
    // Pin the value: changing it would change every client's file handles.
    expect(a).toMatchInlineSnapshot(`"9ba4e0bd-ad5c-5d6c-9219-4383c159a91d"`);
  });

  it('uuidV5 matches the RFC 4122 reference vector', () => {
    // uuid5(NAMESPACE_DNS, "python.org") from Python's uuid docs.
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });
});

describe('exportIdFor', () => {
  it('stays in range and is deterministic', () => {
    for (let i = 0; i < 500; i++) {
      const ref = volumeRef('ns', `v${i}`);
      const id = exportIdFor(ref);
      expect(id).toBeGreaterThanOrEqual(EXPORT_ID_MIN);
      expect(id).toBeLessThanOrEqual(EXPORT_ID_MAX);
      expect(exportIdFor(ref)).toBe(id);
    }
  });

  it('gives different candidates per attempt, so callers can probe past a collision', () => {
    const ref = volumeRef('team-a', 'data');
    const ids = new Set([0, 1, 2, 3, 4, 5].map((a) => exportIdFor(ref, a)));
    expect(ids.size).toBe(6);
    expect(() => exportIdFor(ref, -1)).toThrow(RangeError);
  });
});
