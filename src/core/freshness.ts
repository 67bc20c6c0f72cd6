// Data freshness: which host of the pair holds the newest data, from the two hosts' own
// records (pure; the I/O is in src/ha/freshness.ts).
//
// Each host keeps a *generation* of its data. A host that starts serving clients (becomes the
// VIP holder and serves the exports) opens a new generation: max(its own, its peer's) + 1.
// A sync copies the source's generation into the destination. A host that is behind in
// generation lacks everything clients wrote in the peer's later serving period. A host can
// also carry an explicit *stale marker* (written when its peer took over and served, cleared
// by failback after the final sync): the marker wins over generations, and it is what
// keepalived's track_file reads, so a stale host stays in FAULT and never takes the VIP.
//
// Generations, not clocks, decide: the two hosts' clocks need not agree.
import type { PairRole } from '../config/schema.js';

export interface ReceivedSync {
  source: PairRole;
  /** The source's data generation at the time of the sync, and who opened it. */
  generation: number;
  by?: PairRole | null;
  startedAt: string;
  finishedAt: string;
  /** The source was frozen (no client could write) during this sync: a complete copy. */
  final: boolean;
}

export interface FreshnessRecord {
  v: 1;
  host: PairRole;
  /** Generation of the data this host holds (0: never served nor received a sync). */
  generation: number;
  /** The host that opened that generation by serving it (two different ones: diverged copies). */
  generationBy: PairRole | null;
  /** Serving clients now (since servingSince). */
  serving: boolean;
  servingSince: string | null;
  /** When the last serving period ended. */
  servedUntil: string | null;
  received: ReceivedSync | null;
  /** Set while the peer has served clients since this host's data was taken. */
  stale: { since: string; reason: string } | null;
  updatedAt: string;
}

export function emptyRecord(host: PairRole, now = new Date().toISOString()): FreshnessRecord {
  return {
    v: 1,
    host,
    generation: 0,
    generationBy: null,
    serving: false,
    servingSince: null,
    servedUntil: null,
    received: null,
    stale: null,
    updatedAt: now,
  };
}

/** A record read from disk, or null when it is not one of ours (never throws). */
export function parseRecord(text: string | null, host: PairRole): FreshnessRecord | null {
  if (!text) return null;
  try {
    const o = JSON.parse(text) as Partial<FreshnessRecord>;
    if (o.v !== 1 || typeof o.generation !== 'number' || !Number.isInteger(o.generation) || o.generation < 0)
      return null;
    return { ...emptyRecord(host, o.updatedAt ?? ''), ...o, host } as FreshnessRecord;
  } catch {
    return null;
  }
}

export type Newest = PairRole | 'same' | 'diverged' | 'unknown';

export interface FreshnessVerdict {
  /** Which host has the newest data ('same': equal; 'diverged': both took writes the other lacks). */
  newest: Newest;
  /** The host whose data is older than its peer's (null when neither is). */
  older: PairRole | null;
  reason: string;
}

const peer = (r: PairRole): PairRole => (r === 'primary' ? 'backup' : 'primary');

/**
 * Compare the two records. A missing record (null) is a host nfsctl never saw serve or
 * receive a sync: generation 0. Both missing: 'unknown' (a pair from before freshness was
 * recorded; nothing is refused on its account).
 */
export function compareFreshness(p: FreshnessRecord | null, b: FreshnessRecord | null): FreshnessVerdict {
  if (!p && !b) return { newest: 'unknown', older: null, reason: 'no freshness record on either host' };
  const rec = { primary: p ?? emptyRecord('primary', ''), backup: b ?? emptyRecord('backup', '') };
  const staleP = rec.primary.stale !== null;
  const staleB = rec.backup.stale !== null;
  if (staleP && staleB)
    return {
      newest: 'diverged',
      older: null,
      reason: 'both hosts are marked stale: each served clients the other has not seen',
    };
  for (const r of ['primary', 'backup'] as const) {
    if (rec[r].stale)
      return {
        newest: peer(r),
        older: r,
        reason: `${r} is marked stale since ${rec[r].stale!.since}: ${rec[r].stale!.reason}`,
      };
  }
  const gp = rec.primary.generation;
  const gb = rec.backup.generation;
  if (gp !== gb) {
    const n: PairRole = gp > gb ? 'primary' : 'backup';
    return {
      newest: n,
      older: peer(n),
      reason: `${n} holds data generation ${Math.max(gp, gb)}, ${peer(n)} only ${Math.min(gp, gb)} (${n} served clients after ${peer(n)}'s data was taken)`,
    };
  }
  if (
    gp > 0 &&
    rec.primary.generationBy &&
    rec.backup.generationBy &&
    rec.primary.generationBy !== rec.backup.generationBy
  ) {
    return {
      newest: 'diverged',
      older: null,
      reason: `both hosts served clients as generation ${gp} (opened by the primary on one, by the backup on the other): each has writes the other lacks`,
    };
  }
  if (rec.primary.serving && rec.backup.serving)
    return { newest: 'diverged', older: null, reason: `both hosts served clients in generation ${gp}` };
  for (const r of ['primary', 'backup'] as const) {
    if (rec[r].serving)
      return {
        newest: r,
        older: null,
        reason: `${r} serves generation ${gp}; ${peer(r)} has that generation up to its last sync`,
      };
  }
  return { newest: 'same', older: null, reason: `both hold generation ${gp}` };
}

/**
 * May `role` serve clients (take the VIP)? Only when its data is not older than its peer's.
 * Returns why not, or null.
 */
export function mayServe(role: PairRole, v: FreshnessVerdict): string | null {
  if (v.newest === 'diverged') return `the two copies diverged (${v.reason}): refusing to pick one`;
  if (v.older === role) return `${role}'s data is older than ${peer(role)}'s: ${v.reason}`;
  return null;
}

/**
 * May a sync copy `source` over `dest` (rsync --delete: deleting and overwriting)? Only when
 * the destination has not served clients more recently than the source's data.
 */
export function maySync(source: PairRole, dest: PairRole, v: FreshnessVerdict): string | null {
  if (v.newest === 'diverged') return `the two copies diverged (${v.reason})`;
  if (v.older === source) return `${dest} served clients more recently than ${source}'s data (${v.reason})`;
  return null;
}

/**
 * Is the VIP holder's copy older than its peer's (clients see out-of-date data)? The backup
 * holds the VIP only after the primary left it (a failover or switchover): its copy is the one
 * clients write to, even when its takeover went unrecorded (no notify hook), and what the
 * primary had not synced before it failed is the loss an asynchronous mirror accepts. So only
 * the primary is judged by generations; the backup only by an explicit stale marker.
 */
export function holderIsOlder(
  holder: PairRole,
  v: FreshnessVerdict,
  records: Record<PairRole, FreshnessRecord | null>,
): boolean {
  if (holder === 'backup') return records.backup?.stale != null;
  return v.older === 'primary' || v.newest === 'diverged';
}

/** maySync for a sync from the VIP holder `source` (see holderIsOlder). */
export function maySyncFrom(
  source: PairRole,
  dest: PairRole,
  v: FreshnessVerdict,
  records: Record<PairRole, FreshnessRecord | null>,
): string | null {
  if (source === 'backup' && !records.backup?.stale) return null;
  return maySync(source, dest, v);
}

/** The record of `role` after it starts serving (idempotent while it serves). */
export function startServing(
  own: FreshnessRecord | null,
  peerRec: FreshnessRecord | null,
  role: PairRole,
  now: string,
): FreshnessRecord {
  const r = own ?? emptyRecord(role, now);
  if (r.serving) return r;
  const generation = Math.max(r.generation, peerRec?.generation ?? 0) + 1;
  return { ...r, generation, generationBy: role, serving: true, servingSince: now, updatedAt: now };
}

/** The record of a host that stopped serving (BACKUP/FAULT/STOP). */
export function stopServing(own: FreshnessRecord | null, role: PairRole, now: string): FreshnessRecord {
  const r = own ?? emptyRecord(role, now);
  if (!r.serving) return r;
  return { ...r, serving: false, servedUntil: now, updatedAt: now };
}

/** The destination's record after a successful sync from a source at `sourceGeneration`. */
export function receivedSync(
  own: FreshnessRecord | null,
  role: PairRole,
  s: ReceivedSync,
  now: string,
): FreshnessRecord {
  const r = own ?? emptyRecord(role, now);
  const newer = s.generation >= r.generation;
  return {
    ...r,
    generation: newer ? s.generation : r.generation,
    generationBy: newer ? (s.by ?? null) : r.generationBy,
    serving: false,
    ...(r.serving ? { servedUntil: now } : {}),
    received: s,
    updatedAt: now,
  };
}

export function markStale(own: FreshnessRecord | null, role: PairRole, reason: string, now: string): FreshnessRecord {
  const r = own ?? emptyRecord(role, now);
  if (r.stale) return r;
  return { ...r, stale: { since: now, reason }, updatedAt: now };
}

export function clearStale(own: FreshnessRecord | null, role: PairRole, now: string): FreshnessRecord {
  const r = own ?? emptyRecord(role, now);
  return { ...r, stale: null, updatedAt: now };
}

/** One line per host for `status`. */
export function describeRecord(r: FreshnessRecord | null): string {
  if (!r) return 'no record';
  const parts = [`generation ${r.generation}`];
  if (r.serving) parts.push(`serving since ${r.servingSince}`);
  else if (r.servedUntil) parts.push(`last served until ${r.servedUntil}`);
  if (r.received)
    parts.push(
      `last data from ${r.received.source} (generation ${r.received.generation}${r.received.final ? ', complete' : ''}) at ${r.received.finishedAt}`,
    );
  if (r.stale) parts.push(`STALE since ${r.stale.since}`);
  return parts.join(', ');
}
