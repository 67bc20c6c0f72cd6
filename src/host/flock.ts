// A host-local exclusive lock (flock(1) on a root-owned file) held for the duration of a
// function: `flock` runs as a child that holds the lock until its stdin closes, so the lock
// ends with this process, however it ends (no stale lock file to break).
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { NfsctlError, PreconditionError } from '../core/errors.js';

/** The lock's directory and file must be ours (root's, when we are root) and not symlinks. */
function checkPrivate(path: string): void {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const p of [dir, path]) {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue; // the file itself: flock creates it
    }
    if (st.isSymbolicLink())
      throw new PreconditionError(`refusing the lock ${path}: ${p} is a symbolic link`, {
        hint: 'remove it; nfsctl makes its own',
      });
    if (st.uid !== uid)
      throw new PreconditionError(`refusing the lock ${path}: ${p} belongs to uid ${st.uid}, not ${uid}`, {
        hint: `only root may own ${dir}`,
      });
    if (p === dir && (st.mode & 0o022) !== 0)
      throw new PreconditionError(
        `refusing the lock ${path}: ${dir} is writable by others (mode ${(st.mode & 0o777).toString(8)})`,
        { hint: `chmod go-w ${dir}` },
      );
  }
}

/**
 * Run `fn` holding an exclusive flock on `path`; waits up to `waitMs` for another holder.
 * Throws an NfsctlError when the lock cannot be had in time.
 */
export async function withFileLock<T>(path: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  checkPrivate(path);
  const secs = Math.max(1, Math.ceil(waitMs / 1000));
  const child = spawn(
    'flock',
    ['--exclusive', '--wait', String(secs), path, 'sh', '-c', 'echo locked; exec cat >/dev/null'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const got = await new Promise<boolean>((resolve) => {
    child.stdout!.once('data', () => resolve(true));
    child.once('exit', () => resolve(false));
    child.once('error', (e) => {
      stderr += e.message;
      resolve(false);
    });
  });
  if (!got)
    throw new NfsctlError(
      `could not take the lock ${path} within ${secs}s${stderr.trim() ? `: ${stderr.trim()}` : ' (another nfsctl holds it)'}`,
    );
  try {
    return await fn();
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.stdin!.end();
      await done;
    }
  }
}
