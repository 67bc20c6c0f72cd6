import { describe, expect, it } from 'vitest';

import { PreconditionError, UsageError } from '../../../src/core/errors.js';
import {
  findMounts,
  mangle,
  ownedMounts,
  parseFstab,
  removeMount,
  renderMountLine,
  serializeFstab,
  unmangle,
  upsertMount,
  type FstabMount,
  type MountSpec,
} from '../../../src/core/fstab.js';

const FOREIGN = [
  '# /etc/fstab: static file system information.',
  '#',
  '# <file system> <mount point>   <type>  <options>       <dump>  <pass>',
  'UUID=0a1b2c3d-0000-1111-2222-333344445555 /               ext4    errors=remount-ro 0       1',
  '/swapfile                                 none            swap    sw              0       0',
  '',
  'LABEL=My\\040Disk /mnt/my\\040disk ext4 defaults,nofail 0 2',
  '  tmpfs\t/tmp\ttmpfs\tmode=1777,size=2G',
  'server:/export /mnt/nfs nfs4',
  'broken-line-with-two fields',
  '# nfsctl:team-a/data',
  '/dev/vg0/pv.team-a.data /nfs/team-a_data xfs defaults,nofail 0 2',
  '/dev/sdb1 /data xfs defaults 0 x',
].join('\n');

const spec = (over: Partial<MountSpec> = {}): MountSpec => ({
  spec: '/dev/vg0/pv.team-c.db',
  file: '/nfs/team-c_db',
  vfstype: 'xfs',
  mntops: ['defaults', 'nofail', 'prjquota'],
  freq: 0,
  passno: 2,
  ...over,
});

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('parseFstab / serializeFstab round-trip', () => {
  it.each([
    ['foreign, no final newline', FOREIGN],
    ['final newline', `${FOREIGN}\n`],
    ['CRLF', `${FOREIGN.replace(/\n/g, '\r\n')}\r\n`],
    ['empty', ''],
    ['blank only', '\n\n   \n'],
    ['odd bytes', '\u0000 \u00e9 \\\\ #\n\t#x'],
  ])('%s', (_n, text) => {
    expect(serializeFstab(parseFstab(text))).toBe(text);
  });
});

describe('parseFstab fields', () => {
  const f = parseFstab(FOREIGN);
  const mounts = f.entries.filter((e): e is FstabMount => e.kind === 'mount');

  it('reads the six fields with defaults for missing ones', () => {
    expect(mounts.map((m) => [m.spec, m.file, m.vfstype, m.mntops, m.freq, m.passno])).toEqual([
      ['UUID=0a1b2c3d-0000-1111-2222-333344445555', '/', 'ext4', 'errors=remount-ro', 0, 1],
      ['/swapfile', 'none', 'swap', 'sw', 0, 0],
      ['LABEL=My Disk', '/mnt/my disk', 'ext4', 'defaults,nofail', 0, 2],
      ['tmpfs', '/tmp', 'tmpfs', 'mode=1777,size=2G', 0, 0],
      ['server:/export', '/mnt/nfs', 'nfs4', 'defaults', 0, 0],
      ['/dev/vg0/pv.team-a.data', '/nfs/team-a_data', 'xfs', 'defaults,nofail', 0, 2],
    ]);
  });

  it('keeps malformed lines as invalid entries', () => {
    const invalid = f.entries.filter((e) => e.kind === 'invalid');
    expect(invalid.map((e) => e.line)).toEqual([10, 13]);
  });

  it('attributes the marker on the line above', () => {
    expect(ownedMounts(f).map((m) => [m.owner, m.file, m.line])).toEqual([['team-a/data', '/nfs/team-a_data', 12]]);
    expect(findMounts(f, '/mnt/my disk')[0]?.owner).toBeNull();
  });

  it('a blank line between marker and entry breaks ownership', () => {
    const g = parseFstab('# nfsctl:a/b\n\n/dev/x /m xfs defaults 0 0\n');
    expect(findMounts(g, '/m')[0]?.owner).toBeNull();
  });

  it('mangle/unmangle are inverse', () => {
    for (const s of ['/a b', 'tab\there', 'back\\slash', '#hash', 'plain']) expect(unmangle(mangle(s))).toBe(s);
    expect(mangle('/mnt/a b')).toBe('/mnt/a\\040b');
  });
});

describe('upsertMount', () => {
  it('appends marker + entry', () => {
    const out = serializeFstab(upsertMount(parseFstab(`${FOREIGN}\n`), spec(), 'team-c/db'));
    expect(out).toBe(
      `${FOREIGN}\n# nfsctl:team-c/db\n/dev/vg0/pv.team-c.db /nfs/team-c_db xfs defaults,nofail,prjquota 0 2\n`,
    );
  });

  it('terminates an unterminated last line first', () => {
    const out = serializeFstab(upsertMount(parseFstab('/dev/a / ext4 defaults 0 1'), spec(), 'team-c/db'));
    expect(out).toBe(
      '/dev/a / ext4 defaults 0 1\n# nfsctl:team-c/db\n/dev/vg0/pv.team-c.db /nfs/team-c_db xfs defaults,nofail,prjquota 0 2\n',
    );
  });

  it('rewrites its own entry in place, CRLF and all', () => {
    const crlf = FOREIGN.replace(/\n/g, '\r\n');
    const out = serializeFstab(
      upsertMount(
        parseFstab(crlf),
        spec({ spec: '/dev/vg1/pv.team-a.data', file: '/nfs/team-a_data', mntops: 'defaults' }),
        'team-a/data',
      ),
    );
    expect(out).toBe(
      crlf.replace(
        '/dev/vg0/pv.team-a.data /nfs/team-a_data xfs defaults,nofail 0 2',
        '/dev/vg1/pv.team-a.data /nfs/team-a_data xfs defaults 0 2',
      ),
    );
  });

  it('is idempotent', () => {
    const once = upsertMount(parseFstab(FOREIGN), spec(), 'team-c/db');
    expect(serializeFstab(upsertMount(once, spec(), 'team-c/db'))).toBe(serializeFstab(once));
  });

  it('drops orphaned markers and duplicate owned entries for the same owner', () => {
    const text = [
      '# nfsctl:team-c/db',
      '',
      '# nfsctl:team-c/db',
      '/dev/old /nfs/team-c_db xfs defaults 0 2',
      '/dev/a / ext4 defaults 0 1',
      '# nfsctl:team-c/db',
      '/dev/older /nfs/team-c_db/ xfs defaults 0 2',
      '',
    ].join('\n');
    const out = serializeFstab(upsertMount(parseFstab(text), spec(), 'team-c/db'));
    expect(out).toBe(
      [
        '',
        '# nfsctl:team-c/db',
        '/dev/vg0/pv.team-c.db /nfs/team-c_db xfs defaults,nofail,prjquota 0 2',
        '/dev/a / ext4 defaults 0 1',
        '',
      ].join('\n'),
    );
  });

  it('refuses a foreign entry for the same mount point', () => {
    const err = errorOf(() => upsertMount(parseFstab(FOREIGN), spec({ file: '/mnt/nfs' }), 'x/y'));
    expect(err).toBeInstanceOf(PreconditionError);
    expect(err.message).toMatch(/line 9: server:\/export \/mnt\/nfs nfs4/);
  });

  it('refuses an entry owned by another volume', () => {
    const err = errorOf(() => upsertMount(parseFstab(FOREIGN), spec({ file: '/nfs/team-a_data' }), 'x/y'));
    expect(err).toBeInstanceOf(PreconditionError);
    expect(err.message).toMatch(/mounted for a different volume in \/etc\/fstab \("team-a\/data" at line 12\)/);
  });

  it('escapes spaces in paths', () => {
    const f = upsertMount(parseFstab(''), spec({ spec: 'LABEL=a b', file: '/mnt/a b' }), 'a/b');
    expect(serializeFstab(f)).toContain('LABEL=a\\040b /mnt/a\\040b xfs');
    expect(findMounts(f, '/mnt/a b')[0]?.spec).toBe('LABEL=a b');
  });

  it('validates input', () => {
    expect(errorOf(() => renderMountLine(spec({ file: 'relative' })))).toBeInstanceOf(UsageError);
    expect(errorOf(() => renderMountLine(spec({ spec: '' }))).message).toMatch(/empty/);
    expect(errorOf(() => renderMountLine(spec({ spec: 'a\nb' }))).message).toMatch(/newline/);
    expect(errorOf(() => renderMountLine(spec({ vfstype: 'x fs' }))).message).toMatch(/filesystem type/);
    expect(errorOf(() => renderMountLine(spec({ mntops: 'a b' }))).message).toMatch(/mount options/);
    expect(errorOf(() => renderMountLine(spec({ mntops: [] }))).message).toMatch(/empty/);
    expect(errorOf(() => renderMountLine(spec({ passno: -1 }))).message).toMatch(/passno/);
    expect(errorOf(() => upsertMount(parseFstab(''), spec(), 'bad owner'))).toBeInstanceOf(UsageError);
  });
});

describe('removeMount', () => {
  it('removes the entry and its marker', () => {
    const out = serializeFstab(removeMount(parseFstab(FOREIGN), '/nfs/team-a_data', 'team-a/data'));
    expect(out).toBe(
      FOREIGN.replace('# nfsctl:team-a/data\n/dev/vg0/pv.team-a.data /nfs/team-a_data xfs defaults,nofail 0 2\n', ''),
    );
  });

  it('is a no-op when absent', () => {
    const f = parseFstab(FOREIGN);
    expect(removeMount(f, '/nfs/none')).toBe(f);
  });

  it('cleans an orphaned marker for the owner', () => {
    expect(
      serializeFstab(removeMount(parseFstab('/dev/x / ext4 defaults 0 1\n# nfsctl:a/b\n'), '/nfs/a_b', 'a/b')),
    ).toBe('/dev/x / ext4 defaults 0 1\n');
  });

  it('refuses foreign entries and other owners', () => {
    expect(errorOf(() => removeMount(parseFstab(FOREIGN), '/tmp'))).toBeInstanceOf(PreconditionError);
    expect(errorOf(() => removeMount(parseFstab(FOREIGN), '/nfs/team-a_data', 'q/r'))).toBeInstanceOf(
      PreconditionError,
    );
  });
});

describe('edited models match a fresh parse', () => {
  const cases: Array<[string, string, (t: string) => ReturnType<typeof parseFstab>]> = [
    ['append', FOREIGN, (t) => upsertMount(parseFstab(t), spec(), 'team-c/db')],
    ['replace', FOREIGN, (t) => upsertMount(parseFstab(t), spec({ file: '/nfs/team-a_data' }), 'team-a/data')],
    ['remove', FOREIGN, (t) => removeMount(parseFstab(t), '/nfs/team-a_data', 'team-a/data')],
    [
      'remove exposes an older marker to the next line',
      '# nfsctl:other/v\n# nfsctl:a/b\n/dev/a /nfs/a_b xfs defaults 0 0\n/dev/f /foreign xfs defaults 0 0\n',
      (t) => removeMount(parseFstab(t), '/nfs/a_b', 'a/b'),
    ],
    ['append after unterminated', '/dev/a / ext4 defaults 0 1', (t) => upsertMount(parseFstab(t), spec(), 'x/y')],
    [
      'replace at EOF without newline',
      '# nfsctl:a/b\n/dev/a /nfs/a_b xfs defaults 0 0',
      (t) => upsertMount(parseFstab(t), spec({ file: '/nfs/a_b' }), 'a/b'),
    ],
  ];
  it.each(cases)('%s', (_n, text, edit) => {
    const edited = edit(text);
    expect(edited.entries).toEqual(parseFstab(serializeFstab(edited)).entries);
  });

  it('the exposed marker really does claim the next line (and the model says so)', () => {
    const edited = removeMount(
      parseFstab(
        '# nfsctl:other/v\n# nfsctl:a/b\n/dev/a /nfs/a_b xfs defaults 0 0\n/dev/f /foreign xfs defaults 0 0\n',
      ),
      '/nfs/a_b',
      'a/b',
    );
    expect(findMounts(edited, '/foreign')[0]?.owner).toBe('other/v');
  });
});
