// One rule for paths that nfsctl writes into other programs' grammars (a cron line, a
// keepalived script string, ssh's -i / -o UserKnownHostsFile): a charset that none of those
// grammars gives a meaning to (no whitespace, quotes, `%`, `$`, `#`, `~`, backslash, control
// characters), so no quoting rule of any of them can be got wrong.
import { UsageError } from './errors.js';

/**
 * A path written into a file or command line another program parses (cron, keepalived.conf,
 * ssh options): absolute, normalised, made of
 * letters, digits and `._+-` between slashes, no `.`/`..` components. Anything else is
 * refused: it is a path, not a command line.
 */
export function checkPlainPath(path: string, what: string): string {
  const bad = (why: string): never => {
    throw new UsageError(`${what}: ${JSON.stringify(path)} ${why}`);
  };
  if (path === '') bad('is empty');
  if (!path.startsWith('/')) bad('is not an absolute path');
  if (path.length > 1024) bad('is longer than 1024 characters');
  if (!/^[A-Za-z0-9._+/-]+$/.test(path))
    bad('contains a character other than letters, digits, "/", ".", "_", "+" and "-"');
  const parts = path.split('/').slice(1);
  if (parts.some((p) => p === '')) bad('has an empty component ("//" or a trailing "/")');
  if (parts.some((p) => p === '.' || p === '..')) bad('has a "." or ".." component');
  if (parts.some((p) => p.startsWith('-'))) bad('has a component starting with "-"');
  return path;
}
