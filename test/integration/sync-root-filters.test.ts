// The root unit's filters through the real rsync (a local copy, same filter grammar as the
// daemon pull): a directory nfsctl does not own is neither deleted nor overwritten on the
// destination, and the volumes' directories are mirrored with --delete as before.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onlyFilters, treeDigest } from '../../src/ha/sync.js';
import { LocalHost } from '../../src/host/local.js';
import { parseConfig } from '../../src/config/load.js';
import { testConfigYaml } from '../support/config.js';

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

describe('the root unit verify lists what the filters copy', () => {
  const config = parseConfig(testConfigYaml(join(base, 'cfg')));
  it('a foreign file that differs between hosts does not fail the verify; a volume file that differs does', async () => {
    const a = join(base, 'va');
    const b = join(base, 'vb');
    for (const root of [a, b]) put(root, 'team-a_data/f.txt', 'same');
    put(a, 'foreign/x.txt', 'one');
    put(b, 'foreign/x.txt', 'other, longer');
    put(a, 'top-level-file', '1');
    const host = new LocalHost('primary');
    for (const checksums of [false, true]) {
      const [da, db] = [
        await treeDigest(config, host, checksums, a, ['team-a_data']),
        await treeDigest(config, host, checksums, b, ['team-a_data']),
      ];
      expect(da).toEqual(db);
      expect(da.files).toBe(1);
      // the whole tree (an own-mount unit's listing) does see the foreign difference
      expect(await treeDigest(config, host, checksums, a)).not.toEqual(await treeDigest(config, host, checksums, b));
    }
    put(b, 'team-a_data/f.txt', 'diff');
    expect((await treeDigest(config, host, true, a, ['team-a_data'])).digest).not.toBe(
      (await treeDigest(config, host, true, b, ['team-a_data'])).digest,
    );
  });
});
