// Values for shell completion (volume names, pools, RBD images), cached on the local disk
// by the commands that list them, so that pressing Tab never talks to a storage host: it
// answers instantly even when a host is down. One value per line in
// <state.stateDir>/cache/<kind>.txt; a missing or unreadable cache is just "no values".
import { lstat, mkdir, readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Cached kinds. (`hosts` is not cached: the roles come from the config.) */
export const CACHED_KINDS = ['volumes', 'pools', 'images'] as const;
export type CachedKind = (typeof CACHED_KINDS)[number];

/** At most this many values are kept: completion is for humans, not a database. */
export const MAX_CACHED_VALUES = 10_000;

export function completionCacheFile(stateDir: string, kind: CachedKind): string {
  return join(stateDir, 'cache', `${kind}.txt`);
}

/** A value a shell can offer as one word: no whitespace, no control characters. */
function completable(v: string): boolean {
  return v.length > 0 && v.length <= 512 && !/[\s\0-\x1f\x7f]/.test(v);
}

/**
 * Replace the cached values of `kind` (sorted, unique). Atomic (temp file + rename), and
 * best effort: a completion cache must never fail the command that writes it, so errors
 * are returned as `false` rather than thrown.
 */
export async function writeCompletionCache(
  stateDir: string,
  kind: CachedKind,
  values: Iterable<string>,
): Promise<boolean> {
  const file = completionCacheFile(stateDir, kind);
  const sorted = [...new Set([...values].filter(completable))].sort().slice(0, MAX_CACHED_VALUES);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(join(stateDir, 'cache'), { recursive: true });
    await writeFile(tmp, sorted.map((v) => `${v}\n`).join(''), { mode: 0o644 });
    await rename(tmp, file);
    return true;
  } catch {
    await unlink(tmp).catch(() => {});
    return false;
  }
}

/** The cached values of `kind`, or [] when there is no cache (never throws). */
export async function readCompletionCache(stateDir: string, kind: CachedKind): Promise<string[]> {
  try {
    const file = completionCacheFile(stateDir, kind);
    // Only a regular file: opening a FIFO or a device could block forever.
    if (!(await lstat(file)).isFile()) return [];
    const text = await readFile(file, 'utf8');
    return text.split('\n').filter(completable);
  } catch {
    return [];
  }
}
