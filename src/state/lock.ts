// The pair lock: two operators must not change the pair at once, even from different
// machines. Each storage host carries the lock as a directory created with mkdir (atomic
// on every filesystem). Locks are taken in a fixed order (primary, then backup) so two runs
// can never each hold one half and wait for the other.
//
// Layout, inside the configured lockDir (default /run/lock/nfsctl):
//   <lockDir>/                 created by us (mkdir -m 0700), verified before every use:
//                              a real directory (not a symlink), owned by root or by the
//                              running uid, not writable by group/others, in a parent that
//                              others cannot rename it out of (not world-writable, or sticky)
//   <lockDir>/pair.lock/       the lock itself (mkdir: exactly one run creates it)
//   <lockDir>/pair.lock/h.<token>/owner.json
//                              the holder's random token and its owner record
//
// Release removes only our own lock: `rm <lockDir>/pair.lock/h.<our token>/owner.json`,
// `rmdir` of our token directory, then `rmdir pair.lock` — each step names our token or
// removes an EMPTY directory, so after a `lock break` and a new holder's acquire, the old
// holder's release finds no h.<its token> and touches nothing. (The one overlap left: a new
// holder that has created pair.lock but not yet its token directory can see that empty
// directory removed by a concurrent release; its own `mkdir pair.lock/h.<token>` then fails
// and it reports the lock as taken instead of believing it holds it.)
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Host } from '../host/host.js';
import { LockHeldError, NfsctlError } from '../core/errors.js';
import { operatorName } from './audit.js';

export interface LockOwner {
  user: string;
  host: string;
  pid: number;
  command: string;
  startedAt: string;
  planId?: string;
  /** The pair member the owner ran on (config `this`), so its pid can be checked from anywhere. */
  role?: 'primary' | 'backup';
  /** Random per run; names the holder's directory inside pair.lock. */
  token?: string;
}

export type LockState =
  | { host: string; held: false }
  | { host: string; held: true; owner: LockOwner | null; alive: boolean | 'unknown'; reason: string };

export function lockPaths(lockDir: string, token?: string) {
  const dir = `${lockDir}/pair.lock`;
  const mine = token ? `${dir}/h.${token}` : undefined;
  return { dir, mine, owner: mine ? `${mine}/owner.json` : `${dir}/owner.json` };
}

export function newOwner(command: string, role?: 'primary' | 'backup', planId?: string): LockOwner {
  const o: LockOwner = {
    user: operatorName(),
    host: hostname(),
    pid: process.pid,
    command,
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  if (role) o.role = role;
  if (planId) o.planId = planId;
  return o;
}

/** Exit code of SECURE_DIR_SH when the lock directory is not safe to use. */
export const UNSAFE_DIR_EXIT = 71;

/**
 * POSIX sh, `$1` = lockDir: create it (0700) if missing, then verify it is ours and private.
 * Prints the reason on stderr and exits UNSAFE_DIR_EXIT otherwise. Meant to be prefixed to
 * the script that then uses the directory, so the check and the use are one command.
 */
export const SECURE_DIR_SH = [
  'd=$1; p=$(dirname -- "$d")',
  'bad() { echo "$*" >&2; exit ' + UNSAFE_DIR_EXIT + '; }',
  '[ -d "$p" ] || mkdir -p -m 0755 -- "$p" || bad "cannot create $p"',
  // the parent: others must not be able to rename our directory away or plant one
  'pm=$(stat -L -c %a -- "$p") || bad "cannot stat $p"; pu=$(stat -L -c %u -- "$p")',
  '[ "$pu" = 0 ] || [ "$pu" = "$(id -u)" ] || bad "$p is owned by uid $pu (expected root or $(id -u))"',
  '[ $(( 0$pm & 2 )) = 0 ] || [ $(( 0$pm & 01000 )) != 0 ] || bad "$p is world-writable without the sticky bit (mode $pm)"',
  '[ -e "$d" ] || [ -L "$d" ] || mkdir -m 0700 -- "$d" 2>/dev/null || [ -d "$d" ] || bad "cannot create $d"',
  '[ ! -L "$d" ] || bad "$d is a symbolic link (-> $(readlink -- "$d"))"',
  '[ -d "$d" ] || bad "$d is not a directory"',
  '[ -O "$d" ] || [ "$(stat -c %u -- "$d")" = 0 ] || bad "$d is owned by uid $(stat -c %u -- "$d") ($(stat -c %U -- "$d")), not by root or uid $(id -u)"',
  'm=$(stat -c %a -- "$d"); [ $(( 0$m & 022 )) = 0 ] || bad "$d has mode $m: writable by group or others"',
].join('\n');

function unsafeDirError(host: Host, lockDir: string, stderr: string): NfsctlError {
  return new NfsctlError(
    `refusing to use the lock directory on ${host.name}: ${stderr.trim() || lockDir + ' is not safe'}`,
    {
      hint: `the lock directory (config state.lockDir) must be a real directory owned by root, mode 0700 or 0755; remove ${lockDir} after checking who created it, and nfsctl creates it again`,
    },
  );
}

/** Is this nfsctl process still running on `host`? */
async function ownerAlive(host: Host, pid: number): Promise<boolean> {
  const r = await host.run([
    'sh',
    '-c',
    'tr "\\0" " " < "/proc/$1/cmdline" 2>/dev/null | grep -q nfsctl',
    'nfsctl-pid',
    String(pid),
  ]);
  return r.exitCode === 0;
}

/** What the lock on one host looks like, including whether its owner still runs. */
export async function readLock(
  host: Host,
  lockDir: string,
  hostOfRole?: (role: 'primary' | 'backup') => Host,
): Promise<LockState> {
  const p = lockPaths(lockDir);
  // One round trip: owner record (if any; this layout or the one before tokens), the host's name.
  const r = await host.run([
    'sh',
    '-c',
    'test -d "$1" || { echo NOLOCK; exit 0; }; cat "$1"/h.*/owner.json "$1"/owner.json 2>/dev/null | head -c 65536; echo; echo "--host $(hostname)"',
    'nfsctl-lock',
    p.dir,
  ]);
  if (r.stdout.startsWith('NOLOCK')) return { host: host.name, held: false };
  const [ownerText = '', hostLine = ''] = r.stdout.split(/\n(?=--host )/);
  let owner: LockOwner | null = null;
  try {
    const first = ownerText.trim().split('\n')[0] ?? '';
    owner = first ? (JSON.parse(first) as LockOwner) : null;
  } catch {
    owner = null;
  }
  if (!owner)
    return {
      host: host.name,
      held: true,
      owner: null,
      alive: 'unknown',
      reason: 'lock directory without a readable owner record (a run died while taking it, or is taking it now)',
    };
  const storageHostName = hostLine.replace('--host ', '').trim();
  // The pid can only be checked where it runs: on this storage host, or on the pair member
  // the owner recorded (reached through its own connection).
  let where: Host | undefined;
  if (owner.host === storageHostName) where = host;
  else if (owner.role && hostOfRole) where = hostOfRole(owner.role);
  if (!where) {
    return {
      host: host.name,
      held: true,
      owner,
      alive: 'unknown',
      reason: `owner runs on ${owner.host}; its process cannot be checked from here`,
    };
  }
  let isAlive: boolean;
  try {
    isAlive = await ownerAlive(where, owner.pid);
  } catch {
    return {
      host: host.name,
      held: true,
      owner,
      alive: 'unknown',
      reason: `cannot reach ${owner.role ?? owner.host} to check the owner process`,
    };
  }
  return {
    host: host.name,
    held: true,
    owner,
    alive: isAlive,
    reason: isAlive ? 'owner process is running' : 'owner process is gone: the lock is stale',
  };
}

export function describeLock(s: LockState & { held: true }): string {
  if (!s.owner) return `${s.host}: locked (${s.reason})`;
  const o = s.owner;
  return `${s.host}: locked by ${o.user}@${o.host} pid ${o.pid} since ${o.startedAt} running \`${o.command}\`${s.alive === false ? ' — STALE (' + s.reason + ')' : ''}`;
}

/** Exit codes of the acquire script. */
const TAKEN_EXIT = 73;

export class PairLock {
  private held: Host[] = [];
  private readonly token: string;
  constructor(
    private readonly lockDir: string,
    private readonly owner: LockOwner,
    private readonly hostOfRole?: (role: 'primary' | 'backup') => Host,
  ) {
    this.token = owner.token ??= randomBytes(8).toString('hex');
    if (!/^[0-9a-f]{8,64}$/.test(this.token)) throw new Error(`bad lock token ${JSON.stringify(this.token)}`);
  }

  /** Hosts this run holds the lock on (in the order taken). */
  get hosts(): readonly Host[] {
    return this.held;
  }

  /** Take the lock on every host in order, or none at all. */
  async acquire(hosts: Host[]): Promise<void> {
    try {
      for (const host of hosts) await this.acquireOne(host);
    } catch (err) {
      // all or nothing: give back what we took (a host that vanished keeps its half: stale, reported)
      await this.release();
      throw err;
    }
  }

  private async acquireOne(host: Host): Promise<void> {
    const p = lockPaths(this.lockDir, this.token);
    // verify the directory, take the lock, and write our record, in one command
    const script = `${SECURE_DIR_SH}\nmkdir -m 0700 -- "$2" 2>/dev/null || exit ${TAKEN_EXIT}\nmkdir -m 0700 -- "$3" || exit ${TAKEN_EXIT}\numask 077; cat > "$3/owner.json"`;
    const r = await host.run(['sh', '-c', script, 'nfsctl-lock', this.lockDir, p.dir, p.mine!], {
      input: JSON.stringify(this.owner) + '\n',
    });
    if (r.exitCode === UNSAFE_DIR_EXIT) throw unsafeDirError(host, this.lockDir, r.stderr);
    if (r.exitCode === 0) {
      this.held.push(host);
      return;
    }
    if (r.exitCode !== TAKEN_EXIT) {
      // the lock may be half taken (owner record not written): ours to give back
      this.held.push(host);
      throw new NfsctlError(`cannot take the lock on ${host.name}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    }
    const state = await readLock(host, this.lockDir, this.hostOfRole).catch(() => null);
    const stale = state?.held && state.alive === false;
    throw new LockHeldError(
      `the pair is locked: ${state?.held ? describeLock(state) : `${host.name}: taken by another run at this very moment`}`,
      {
        hint: stale
          ? 'the owner is gone; after checking nothing is running, clear it (on both hosts) with `nfsctl lock break`'
          : 'wait for that run to finish, or see `nfsctl lock status`',
      },
    );
  }

  /**
   * Give back the lock on the hosts we took it on — only where it is still ours (see the top
   * of this file). Returns the hosts where it was no longer ours (broken by `lock break`).
   */
  async release(keep: ReadonlySet<string> = new Set()): Promise<string[]> {
    const p = lockPaths(this.lockDir, this.token);
    const hosts = this.held.reverse().filter((h) => !keep.has(h.name));
    this.held = [];
    const script =
      'rm -f -- "$2/owner.json" 2>/dev/null; rmdir -- "$2" 2>/dev/null || { [ -e "$2" ] || exit 3; exit 1; }; rmdir -- "$1" 2>/dev/null; exit 0';
    const res = await Promise.allSettled(
      hosts.map((h) => h.run(['sh', '-c', script, 'nfsctl-unlock', p.dir, p.mine!])),
    );
    return res.flatMap((r, i) => (r.status === 'fulfilled' && r.value.exitCode === 3 ? [hosts[i]!.name] : []));
  }
}

/** The command that removes the lock on one host whoever holds it, after verifying the directory. */
export function breakLockArgv(lockDir: string): string[] {
  return ['sh', '-c', `${SECURE_DIR_SH}\nrm -rf -- "$2"`, 'nfsctl-lock-break', lockDir, lockPaths(lockDir).dir];
}

/** Remove the lock on one host regardless of its owner (the caller audits and confirms). */
export async function breakLock(
  host: Host,
  lockDir: string,
  hostOfRole?: (role: 'primary' | 'backup') => Host,
): Promise<LockState> {
  const before = await readLock(host, lockDir, hostOfRole);
  if (before.held) {
    const r = await host.run(breakLockArgv(lockDir));
    if (r.exitCode === UNSAFE_DIR_EXIT) throw unsafeDirError(host, lockDir, r.stderr);
    if (r.exitCode !== 0)
      throw new NfsctlError(`cannot remove the lock on ${host.name}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }
  return before;
}
