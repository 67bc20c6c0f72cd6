// `ceph osd blocklist ls|rm` with a fall-back to the pre-Pacific spelling `blacklist` when the
// cluster does not know the new command, and what lock removal will do to the locker.
import { parseCephConfigValue, parseOsdBlocklist, type BlocklistEntry } from '../core/ceph-json.js';
import { NfsctlError } from '../core/errors.js';
import { classifyFailure, type Ceph } from './ceph.js';
import type { RunResult } from '../host/host.js';

export type BlocklistWord = 'blocklist' | 'blacklist';

/** The mon's answer to a command it does not know (Pacific: "no valid command found ... Error EINVAL: invalid command"). */
export function unknownCommand(r: RunResult): boolean {
  return r.exitCode !== 0 && /no valid command found|unrecognized command/i.test(r.stderr);
}

export class Blocklist {
  private word: BlocklistWord | null = null;

  constructor(private readonly ceph: Ceph) {}

  /** Runs `ceph osd blocklist <args>`, or `ceph osd blacklist <args>` on a cluster that predates the rename. */
  async run(args: string[]): Promise<{ r: RunResult; word: BlocklistWord }> {
    if (this.word !== null) return { r: await this.ceph.ceph(['osd', this.word, ...args]), word: this.word };
    const r = await this.ceph.ceph(['osd', 'blocklist', ...args]);
    if (!unknownCommand(r)) {
      this.word = 'blocklist';
      return { r, word: 'blocklist' };
    }
    const old = await this.ceph.ceph(['osd', 'blacklist', ...args]);
    if (!unknownCommand(old)) this.word = 'blacklist';
    return { r: old, word: 'blacklist' };
  }

  async list(): Promise<{ entries: BlocklistEntry[]; word: BlocklistWord }> {
    const { r, word } = await this.run(['ls', '--format', 'json']);
    if (r.exitCode !== 0) throw classifyFailure(r);
    return { entries: parseOsdBlocklist(r.stdout), word };
  }

  /** The argv that lifts `entry` (after list(): the cluster's spelling is known by then). */
  removeArgv(entry: BlocklistEntry): string[] {
    if (this.word === null) throw new Error('Blocklist.removeArgv before list()');
    return this.ceph.cephArgv(['osd', this.word, ...(entry.kind === 'range' ? ['range', 'rm'] : ['rm']), entry.addr]);
  }

  async remove(entry: BlocklistEntry): Promise<RunResult> {
    const { r } = await this.run(entry.kind === 'range' ? ['range', 'rm', entry.addr] : ['rm', entry.addr]);
    if (r.exitCode !== 0)
      throw new NfsctlError(
        `removing ${entry.addr} from the blocklist failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`,
      );
    return r;
  }
}

export interface BreakLockPolicy {
  /** rbd_blocklist_on_break_lock as the cluster's config database has it (true when unreadable: the built-in default). */
  blocklistOnBreak: boolean;
  /** Effective blocklist duration in seconds. */
  expireSeconds: number;
  /** Where expireSeconds came from, for the explanation. */
  source: string;
}

/**
 * rbd_blocklist_expire_seconds = 0 (its default) means "the OSD default", i.e.
 * mon_osd_blocklist_default_expire (3600 s by default). Both are read with
 * `ceph config get`; if that fails, the built-in defaults are assumed and said so.
 */
export async function breakLockPolicy(ceph: Ceph): Promise<BreakLockPolicy> {
  const get = async (who: string, opt: string) => {
    const r = await ceph.ceph(['config', 'get', who, opt]);
    return r.exitCode === 0 ? parseCephConfigValue(r.stdout) : null;
  };
  const [onBreak, rbdExpire, monExpire] = await Promise.all([
    get('client', 'rbd_blocklist_on_break_lock'),
    get('client', 'rbd_blocklist_expire_seconds'),
    get('mon', 'mon_osd_blocklist_default_expire'),
  ]);
  const blocklistOnBreak = onBreak === null ? true : onBreak !== 'false';
  const rbdN = rbdExpire === null ? NaN : Number(rbdExpire);
  const monN = monExpire === null ? NaN : Number(monExpire);
  if (Number.isFinite(rbdN) && rbdN > 0)
    return { blocklistOnBreak, expireSeconds: Math.round(rbdN), source: 'rbd_blocklist_expire_seconds' };
  if (Number.isFinite(monN) && monN > 0) {
    return {
      blocklistOnBreak,
      expireSeconds: Math.round(monN),
      source: `mon_osd_blocklist_default_expire, as rbd_blocklist_expire_seconds is ${rbdExpire ?? 'unreadable'}`,
    };
  }
  return {
    blocklistOnBreak,
    expireSeconds: 3600,
    source: 'the built-in default (could not read it with `ceph config get`)',
  };
}
