// The root unit (xfsquota volumes, adopted plain directories: volumes that are directories of
// the NFS root filesystem) copies its volumes' directories and nothing else. Whatever else is
// under the root is not nfsctl's (an unmanaged directory, an old service's volume not yet
// adopted): a sync must neither delete it on the destination nor overwrite it from the source.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { testConfigYaml } from '../../support/config.js';
import { checkUnits, onlyFilters, rsyncArgv, syncUnits } from '../../../src/ha/sync.js';
import { FakeHost } from '../../../src/host/fake.js';
import { unitFactsOn } from '../../support/fake-units.js';
import { PreconditionError } from '../../../src/core/errors.js';
import { identify } from '../../../src/volume/identity.js';
import { volumeRef } from '../../../src/core/names.js';
import { NfsctlError } from '../../../src/core/errors.js';

const config = parseConfig(
  testConfigYaml('/tmp/nfsctl-unit-root-only')
    .replace('server: ganesha', 'server: kernel')
    .replace('  lvm: { vg: vgnfs }', '  lvm: { vg: vgnfs }\n  xfsquota: { root: /nfs }'),
);
type View = Parameters<typeof syncUnits>[1][number];
const view = (ns: string, name: string, backend: 'lvm' | 'xfsquota'): View => {
  const identity = identify(config, volumeRef(ns, name));
  return { id: identity.id, namespace: ns, name, backend, path: identity.path, identity } as unknown as View;
};

/**
 * rsync's filter rules as far as these argv use them (rsync(1) "FILTER RULES"): first match
 * wins; a leading "/" anchors at the transfer root; "*" matches within one path part; a
 * trailing "/" matches directories only; "dir/***" matches dir and everything below it.
 * Unmatched paths are included. Excluded paths are neither sent nor deleted on the receiver.
 */
function transferred(argv: string[], path: string, isDir: boolean): boolean {
  // rsync does not descend into an excluded directory: every parent must be transferred too
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) if (!matches(argv, parts.slice(0, i).join('/'), true)) return false;
  return matches(argv, path, isDir);
}

function matches(argv: string[], path: string, isDir: boolean): boolean {
  for (const a of argv) {
    const m = /^--(include|exclude)=(.*)$/.exec(a);
    if (!m) continue;
    let pat = m[2]!;
    const dirOnly = pat.endsWith('/') && !pat.endsWith('***');
    if (dirOnly) pat = pat.slice(0, -1);
    if (dirOnly && !isDir) continue;
    const anchored = pat.startsWith('/');
    const body = anchored ? pat.slice(1) : pat;
    const star3 = body.endsWith('/***');
    const base = star3 ? body.slice(0, -4) : body;
    const re = (s: string) =>
      s
        .split('*')
        .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*');
    const rx = new RegExp(`${anchored ? '^' : '(^|/)'}${re(base)}${star3 ? '(/.*)?' : ''}$`);
    if (rx.test(path)) return m[1] === 'include';
  }
  return true;
}

describe('sync of the NFS root: only the volumes it carries', () => {
  const units = syncUnits(config, [view('a', 'lv', 'lvm'), view('b', 'xfs', 'xfsquota')]);
  const root = units.find((u) => u.rel === '')!;
  const argv = rsyncArgv({ config, source: 'primary', dryRun: false, unit: root });

  it('the root unit names its volume directories and leaves every other entry out', () => {
    expect(root.only).toEqual(['b_xfs']);
    const filters = argv.filter((a) => /^--(in|ex)clude=/.test(a));
    expect(filters).toEqual(['--exclude=/.nfsctl/', '--exclude=/a_lv/', '--include=/b_xfs/***', '--exclude=/*']);
    expect(argv).toContain('--delete');
    expect(argv).not.toContain('--delete-excluded');
  });

  it('an unmanaged directory under the root is not transferred (so --delete cannot remove it on the destination)', () => {
    // both hosts hold foreign data: an unmanaged dir, an old service's not-yet-adopted volume, a file
    for (const [p, d] of [
      ['lab-seed', true],
      ['lab-seed/keep.txt', false],
      ['teamdata', true],
      ['teamdata/sub/file', false],
      ['notes.txt', false],
      ['b_xfsx', true],
      ['.nfsctl', true],
      ['a_lv', true],
    ] as const)
      expect({ p, sent: transferred(argv, p, d) }).toEqual({ p, sent: false });
    for (const [p, d] of [
      ['b_xfs', true],
      ['b_xfs/file', false],
      ['b_xfs/deep/er/file', false],
    ] as const)
      expect({ p, sent: transferred(argv, p, d) }).toEqual({ p, sent: true });
  });

  it('nested volume directories: parents are entered, their other entries left out', () => {
    const f = onlyFilters(['team/a', 'team/b', 'x']);
    expect(f).toEqual([
      '--include=/team/a/***',
      '--include=/team/b/***',
      '--include=/x/***',
      '--include=/team/',
      '--exclude=/team/*',
      '--exclude=/*',
    ]);
    expect(transferred(f, 'team', true)).toBe(true);
    expect(transferred(f, 'team/a/f', false)).toBe(true);
    expect(transferred(f, 'team/c', true)).toBe(false);
    expect(transferred(f, 'team/c/f', false)).toBe(false);
    expect(transferred(f, 'y', true)).toBe(false);
  });

  it('a directory name rsync would read as a wildcard, an escape or a path trick is refused before any command', () => {
    for (const bad of ['a*', 'a?b', 'a[b]', 'a\\b', 'a\nb', '', 'a//b', '../x', 'a/./b'])
      expect(() => onlyFilters([bad])).toThrow(NfsctlError);
  });

  it('a root carrying no volume copies nothing (the checks still run on the whole root)', () => {
    const u = syncUnits(config, [view('a', 'lv', 'lvm')]).find((x) => x.rel === '')!;
    expect(u.only).toEqual([]);
    const a = rsyncArgv({ config, source: 'primary', dryRun: true, unit: u });
    expect(a.filter((x) => /^--(in|ex)clude=/.test(x)).at(-1)).toBe('--exclude=/*');
    expect(transferred(a, 'anything', true)).toBe(false);
  });

  it('a volume directory missing on the source (present on the destination) is refused by name, nothing runs', async () => {
    const two = syncUnits(config, [view('b', 'xfs', 'xfsquota'), view('c', 'xfs', 'xfsquota')]);
    const host = (role: string, names: string[]) => {
      const h = new FakeHost(role);
      unitFactsOn(h, { rootMounted: true, rootNames: ['lab-seed', ...names], rootUsed: 1000 });
      return h;
    };
    const src = host('primary', ['b_xfs']);
    const dst = host('backup', ['b_xfs', 'c_xfs']);
    const err = await checkUnits(config, two, { role: 'primary', host: src }, { role: 'backup', host: dst }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toContain('/nfs/c_xfs is missing on primary but holds a volume on backup');
    for (const h of [src, dst]) expect(h.calls.filter((c) => c.argv.includes('rsync'))).toEqual([]);
    // both present: ready (the unmanaged lab-seed on each side does not matter)
    const ok = await checkUnits(
      config,
      two,
      { role: 'primary', host: host('primary', ['b_xfs', 'c_xfs']) },
      { role: 'backup', host: host('backup', ['b_xfs', 'c_xfs']) },
    );
    expect(ok.ready.map((u) => u.rel)).toEqual(['']);
  });
});
