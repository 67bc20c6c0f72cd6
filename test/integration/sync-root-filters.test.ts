// The root unit's filters through the real rsync (a local copy, same filter grammar as the
// daemon pull): a directory nfsctl does not own is neither deleted nor overwritten on the
// destination, and the volumes' directories are mirrored with --delete as before.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onlyFilters } from '../../src/ha/sync.js';

const base = mkdtempSync(join(tmpdir(), 'nfsctl-rsync-filters-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function put(root: string, rel: string, text: string): void {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), text);
}

describe('root unit filters with the real rsync', () => {
  it('mirrors only the volumes and leaves foreign directories on the destination alone', () => {
    const src = join(base, 'src');
    const dst = join(base, 'dst');
    put(src, 'team-a_data/new.txt', 'from source');
    put(src, 'nested/team-b_logs/x.log', 'nested volume');
    put(src, 'foreign/only-on-source.txt', 'must not be copied');
    put(src, 'nested/other/skip.txt', 'must not be copied');
    put(dst, 'team-a_data/stale.txt', 'deleted by the mirror');
    put(dst, 'foreign/precious.txt', 'not ours');
    put(dst, 'unmanaged_dir/keep.txt', 'not ours either');
    put(dst, 'nested/other/keep.txt', 'not ours, beside a volume');

    execFileSync('rsync', [
      '-a',
      '--delete',
      ...onlyFilters(['team-a_data', 'nested/team-b_logs']),
      `${src}/`,
      `${dst}/`,
    ]);

    expect(readFileSync(join(dst, 'team-a_data/new.txt'), 'utf8')).toBe('from source');
    expect(existsSync(join(dst, 'team-a_data/stale.txt'))).toBe(false);
    expect(readFileSync(join(dst, 'nested/team-b_logs/x.log'), 'utf8')).toBe('nested volume');
    expect(readFileSync(join(dst, 'foreign/precious.txt'), 'utf8')).toBe('not ours');
    expect(existsSync(join(dst, 'foreign/only-on-source.txt'))).toBe(false);
    expect(readFileSync(join(dst, 'unmanaged_dir/keep.txt'), 'utf8')).toBe('not ours either');
    expect(readFileSync(join(dst, 'nested/other/keep.txt'), 'utf8')).toBe('not ours, beside a volume');
    expect(existsSync(join(dst, 'nested/other/skip.txt'))).toBe(false);
  });
});
