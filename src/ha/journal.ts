// The journal of a multi-step HA operation (failback, switchover), kept on BOTH storage
// hosts at <stateDir>/<kind>.json, so `--resume` works from either host and `status` can
// tell that an operation is unfinished even when one host is gone.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';

export type OpKind = 'failback' | 'switchover';

export interface OpJournal {
  kind: OpKind;
  planId: string;
  status: 'running' | 'failed' | 'done';
  startedAt: string;
  updatedAt: string;
  by: string;
  /** Step ids completed and still in effect, in the order they ran. */
  done: string[];
  /** Title of the last completed phase. */
  phase?: string;
  failedStep?: string;
  error?: string;
  /**
   * The host whose data is older than the VIP holder's until the operation ends (failback:
   * the primary). Its keepalived must not come up at boot meanwhile.
   */
  staleHost?: PairRole;
}

export function journalPath(config: Config, kind: OpKind): string {
  return `${config.state.stateDir}/${kind}.json`;
}

export function parseJournal(text: string | null): OpJournal | null {
  if (!text) return null;
  try {
    const j = JSON.parse(text) as OpJournal;
    return typeof j === 'object' && j && Array.isArray(j.done) ? j : null;
  } catch {
    return null;
  }
}

/** The journal as either host has it; the newer one wins (one host may have missed a write). */
export async function readJournal(config: Config, kind: OpKind, hosts: Host[]): Promise<OpJournal | null> {
  const found = await Promise.all(
    hosts.map((h) => h.readFile(journalPath(config, kind)).then(parseJournal, () => null)),
  );
  const js = found.filter((j): j is OpJournal => j !== null);
  js.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.done.length - a.done.length);
  return js[0] ?? null;
}

/** Write to every host that answers; returns the hosts it could not write to. */
export async function writeJournal(config: Config, j: OpJournal, hosts: Host[]): Promise<string[]> {
  const body = JSON.stringify({ ...j, updatedAt: new Date().toISOString() }, null, 1) + '\n';
  const res = await Promise.allSettled(hosts.map((h) => h.writeFileAtomic(journalPath(config, j.kind), body)));
  return res.flatMap((r, i) => (r.status === 'rejected' ? [hosts[i]!.name] : []));
}

export function unfinished(j: OpJournal | null): j is OpJournal {
  return j !== null && j.status !== 'done';
}
