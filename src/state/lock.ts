// The pair lock: two operators must not change the pair at once, even from different
// machines. Each storage host carries the lock as a directory created with mkdir (atomic
// on every filesystem) holding an owner record. Locks are taken in a fixed order (primary,
// then backup) so two runs can never each hold one half and wait for the other.
import { hostname } from 'node:os';
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
}

export type LockState =
  | { host: string; held: false }
  | { host: string; held: true; owner: LockOwner | null; alive: boolean | 'unknown'; reason: string };

export function lockPaths(lockDir: string) {
  const dir = `${lockDir}/pair.lock`;
  return { dir, owner: `${dir}/owner.json` };
}

export function newOwner(command: string, role?: 'primary' | 'backup', planId?: string): LockOwner {
  const o: LockOwner = { user: operatorName(), host: hostname(), pid: process.pid, command, startedAt: new Date().toISOString() };
  if (role) o.role = role;
  if (planId) o.planId = planId;
  return o;
}

/** Is this nfsctl process still running on `host`? */
async function ownerAlive(host: Host, pid: number): Promise<boolean> {
  const r = await host.run(['sh', '-c', 'tr "\\0" " " < "/proc/$1/cmdline" 2>/dev/null | grep -q nfsctl', 'nfsctl-pid', String(pid)]);
  return r.exitCode === 0;
}

/** What the lock on one host looks like, including whether its owner still runs. */
export async function readLock(host: Host, lockDir: string, hostOfRole?: (role: 'primary' | 'backup') => Host): Promise<LockState> {
  const p = lockPaths(lockDir);
  // One round trip: owner record (if any), the host's name, and /proc for the pid check.
  const r = await host.run([
    'sh',
    '-c',
    'test -d "$1" || { echo NOLOCK; exit 0; }; cat "$2" 2>/dev/null; echo; echo "--host $(hostname)"',
    'nfsctl-lock',
    p.dir,
    p.owner,
  ]);
  if (r.stdout.startsWith('NOLOCK')) return { host: host.name, held: false };
  const [ownerText = '', hostLine = ''] = r.stdout.split(/\n(?=--host )/);
  let owner: LockOwner | null = null;
  try {
    owner = ownerText.trim() ? (JSON.parse(ownerText) as LockOwner) : null;
  } catch {
    owner = null;
  }
  if (!owner) return { host: host.name, held: true, owner: null, alive: 'unknown', reason: 'lock directory without a readable owner record (a run died while taking it, or is taking it now)' };
  const storageHostName = hostLine.replace('--host ', '').trim();
  // The pid can only be checked where it runs: on this storage host, or on the pair member
  // the owner recorded (reached through its own connection).
  let where: Host | undefined;
  if (owner.host === storageHostName) where = host;
  else if (owner.role && hostOfRole) where = hostOfRole(owner.role);
  if (!where) {
    return { host: host.name, held: true, owner, alive: 'unknown', reason: `owner runs on ${owner.host}; its process cannot be checked from here` };
  }
  let isAlive: boolean;
  try {
    isAlive = await ownerAlive(where, owner.pid);
  } catch {
    return { host: host.name, held: true, owner, alive: 'unknown', reason: `cannot reach ${owner.role ?? owner.host} to check the owner process` };
  }
  return { host: host.name, held: true, owner, alive: isAlive, reason: isAlive ? 'owner process is running' : 'owner process is gone: the lock is stale' };
}

export function describeLock(s: LockState & { held: true }): string {
  if (!s.owner) return `${s.host}: locked (${s.reason})`;
  const o = s.owner;
  return `${s.host}: locked by ${o.user}@${o.host} pid ${o.pid} since ${o.startedAt} running \`${o.command}\`${s.alive === false ? ' — STALE (' + s.reason + ')' : ''}`;
}

export class PairLock {
  private held: Host[] = [];
  constructor(
    private readonly lockDir: string,
    private readonly owner: LockOwner,
    private readonly hostOfRole?: (role: 'primary' | 'backup') => Host,
  ) {}

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
    const p = lockPaths(this.lockDir);
    {
      const r = await host.run(['sh', '-c', 'mkdir -p -m 0755 "$1" && mkdir -m 0700 "$2"', 'nfsctl-lock', this.lockDir, p.dir]);
      if (r.exitCode !== 0) {
        const state = await readLock(host, this.lockDir, this.hostOfRole).catch(() => null);
        if (state?.held) {
          const stale = state.alive === false;
          throw new LockHeldError(`the pair is locked: ${describeLock(state)}`, {
            hint: stale
              ? `the owner is gone; after checking nothing is running, clear it with \`nfsctl lock break --host ${host.name}\``
              : 'wait for that run to finish, or see `nfsctl lock status`',
          });
        }
        throw new NfsctlError(`cannot take the lock on ${host.name}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
      }
      this.held.push(host);
      await host.writeFileAtomic(p.owner, JSON.stringify(this.owner) + '\n', { mode: 0o600 });
    }
  }

  async release(): Promise<void> {
    const p = lockPaths(this.lockDir);
    const hosts = this.held.reverse();
    this.held = [];
    await Promise.allSettled(hosts.map((h) => h.run(['rm', '-rf', '--', p.dir])));
  }
}

/** Remove the lock on one host regardless of its owner (the caller audits and confirms). */
export async function breakLock(host: Host, lockDir: string, hostOfRole?: (role: 'primary' | 'backup') => Host): Promise<LockState> {
  const before = await readLock(host, lockDir, hostOfRole);
  if (before.held) await host.run(['rm', '-rf', '--', lockPaths(lockDir).dir]);
  return before;
}
