// Argument validation for `nfsctl rbd ...`: everything is checked before any command runs,
// and every failure is a UsageError (exit 2). Commands are argv arrays (never shell
// strings), but names are still restricted so that nothing odd reaches rbd/ceph or a log.
import { UsageError } from '../core/errors.js';

/** Ceph pool and RBD image names nfsctl accepts (never a leading "-": rbd would read an option). */
export const NAME_RE = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
/** A cephx user name without the "client." prefix (ceph.conf `--id`); no leading "-" either. */
export const CEPH_ID_RE = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
/** RBD image names are object-name prefixes; nfsctl keeps them within what a path component allows. */
export const NAME_MAX = 255;
const LEADING_DASH = 'must not start with "-" (rbd would take it for an option)';
/** The locker as `rbd lock ls` prints it. */
export const LOCKER_RE = /^client\.\d+$/;

export interface ImageSpec {
  readonly pool: string;
  readonly image: string;
}

export function specString(s: ImageSpec): string {
  return `${s.pool}/${s.image}`;
}

function checkName(kind: 'pool' | 'image', name: string, arg: string): void {
  if (name === '')
    throw new UsageError(`"${arg}": the ${kind} name is empty; expected <pool>/<image>, e.g. rbd/pv.team-a.data`);
  if (name.startsWith('-')) throw new UsageError(`"${arg}": ${kind} name "${name}" ${LEADING_DASH}`);
  if (!NAME_RE.test(name) || name === '.' || name === '..') {
    throw new UsageError(
      `"${arg}": ${kind} name "${name}" has characters nfsctl does not accept (allowed: letters, digits, "_", ".", "-")`,
    );
  }
  if (name.length > NAME_MAX)
    throw new UsageError(`"${arg.slice(0, 40)}…": ${kind} name is ${name.length} characters; at most ${NAME_MAX}`);
}

export function validatePool(pool: string, what = '--pool'): string {
  if (pool.startsWith('-')) throw new UsageError(`${what} "${pool}": a pool name ${LEADING_DASH}`);
  if (pool.length > NAME_MAX)
    throw new UsageError(`${what}: a pool name of ${pool.length} characters; at most ${NAME_MAX}`);
  if (!NAME_RE.test(pool) || pool === '.' || pool === '..') {
    throw new UsageError(`${what} "${pool}": not a Ceph pool name (allowed: letters, digits, "_", ".", "-")`);
  }
  return pool;
}

/** "pool/image" -> {pool, image}. A bare image name takes `defaultPool` when given. */
export function parseImageSpec(arg: string, defaultPool?: string): ImageSpec {
  const parts = arg.split('/');
  if (parts.length === 1 && defaultPool !== undefined) {
    checkName('image', parts[0]!, arg);
    return { pool: validatePool(defaultPool, 'default pool'), image: parts[0]! };
  }
  if (parts.length !== 2) {
    throw new UsageError(
      `"${arg}": expected <pool>/<image>, e.g. rbd/pv.team-a.data (RBD namespaces and snapshots are not supported here)`,
    );
  }
  checkName('pool', parts[0]!, arg);
  checkName('image', parts[1]!, arg);
  return { pool: parts[0]!, image: parts[1]! };
}

/** Lock ids are free-form in Ceph; refuse only what cannot be a real id (empty, control characters, huge). */
export function validateLockId(id: string): string {
  if (id === '' || id.length > 512 || /[\u0000-\u001f\u007f]/.test(id)) {
    throw new UsageError(`lock id ${JSON.stringify(id)}: expected the ID column of \`nfsctl rbd lock list\``);
  }
  return id;
}

export function validateLocker(locker: string): string {
  if (!LOCKER_RE.test(locker))
    throw new UsageError(`locker "${locker}": expected client.<number>, as \`nfsctl rbd lock list\` shows it`);
  return locker;
}

export function validateCephId(id: string): string {
  const bare = id.startsWith('client.') ? id.slice('client.'.length) : id;
  if (bare.startsWith('-')) throw new UsageError(`--id "${id}": a cephx user name ${LEADING_DASH}`);
  if (!CEPH_ID_RE.test(bare) || bare.length > NAME_MAX)
    throw new UsageError(`--id "${id}": expected a cephx user name such as admin or client.admin`);
  return bare;
}

export function validatePath(path: string, what: string): string {
  if (!path.startsWith('/') || /[\u0000-\u001f\u007f]/.test(path) || path.split('/').includes('..')) {
    throw new UsageError(`${what} "${path}": expected an absolute path without ".." components`);
  }
  return path;
}

/**
 * A blocklist entry as Ceph prints it: "198.51.100.11:0/3181996668", "[2001:db8::1]:0/7",
 * a bare IP, or a CIDR range ("198.51.100.0/24", for range entries).
 */
export function validateBlocklistAddress(addr: string): string {
  const v4 = String.raw`(?:\d{1,3}\.){3}\d{1,3}`;
  const v6 = String.raw`\[[0-9A-Fa-f:.]+\]`;
  const re = new RegExp(
    `^(?:(?:${v4}|${v6})(?::\\d{1,5})?(?:/\\d{1,10})?|[0-9A-Fa-f:.]+:[0-9A-Fa-f:.]*(?:/\\d{1,3})?)$`,
  );
  if (!re.test(addr))
    throw new UsageError(
      `"${addr}": expected a blocklist address such as 198.51.100.11:0/3181996668 (see \`nfsctl rbd blocklist list\`)`,
    );
  return addr;
}
