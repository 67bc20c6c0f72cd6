// The kernel-client drill's bookkeeping (vm tier): from the client's per-operation logs
// (lab/vm/drill-client.py), the phase markers and the file the final VIP holder has, work out
// per phase and workload: client errors, the longest stall, acknowledged writes lost. Pure.

export interface OpRecord {
  w: string;
  seq: number;
  t0: number;
  t1: number;
  ok: boolean;
  err?: string;
}

export interface Marker {
  name: string;
  t: number;
}

export interface PhaseFigures {
  phase: string;
  workload: string;
  ops: number;
  errors: number;
  /** errno names seen, with counts */
  errnos: Record<string, number>;
  /** Longest time the workload made no successful progress in the phase (s). */
  longestStallS: number;
  /** Acknowledged writes of the phase missing from the final copy (writers only). */
  lost: number | null;
  /** Did it succeed again after the phase's event? */
  resumed: boolean;
}

export function parseOps(jsonl: string): OpRecord[] {
  return jsonl
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as OpRecord);
}

/** Sequence numbers present in a log file of "<workload> <seq>" lines. */
export function seqsIn(text: string, workload: string): Set<number> {
  const s = new Set<number>();
  for (const l of text.split('\n')) {
    const m = new RegExp(`^${workload} (\\d+)$`).exec(l);
    if (m) s.add(Number(m[1]));
  }
  return s;
}

/**
 * Longest stall in [from, to): the longest stretch without a successful operation completing,
 * counting an operation still running at `to` (a hard mount waiting) up to `to`.
 */
export function longestStall(ops: OpRecord[], from: number, to: number): number {
  const oks = ops
    .filter((o) => o.ok && o.t1 >= from && o.t1 < to)
    .map((o) => o.t1)
    .sort((a, b) => a - b);
  let prev = from;
  let worst = 0;
  for (const t of oks) {
    worst = Math.max(worst, t - prev);
    prev = t;
  }
  return Math.max(worst, to - prev);
}

/** Figures per phase (between consecutive markers) and workload. */
export function phaseFigures(
  ops: OpRecord[],
  markers: Marker[],
  end: number,
  finalFiles: Record<string, Set<number> | undefined>,
): PhaseFigures[] {
  const out: PhaseFigures[] = [];
  const workloads = [...new Set(ops.map((o) => o.w))].sort();
  markers.forEach((m, i) => {
    const to = markers[i + 1]?.t ?? end;
    for (const w of workloads) {
      const mine = ops.filter((o) => o.w === w && o.t0 >= m.t && o.t0 < to);
      const errnos: Record<string, number> = {};
      for (const o of mine.filter((x) => !x.ok)) errnos[o.err ?? '?'] = (errnos[o.err ?? '?'] ?? 0) + 1;
      const final = finalFiles[w];
      const lost = final ? mine.filter((o) => o.ok && !final.has(o.seq)).length : null;
      const lastErr = Math.max(m.t, ...mine.filter((o) => !o.ok).map((o) => o.t1));
      out.push({
        phase: m.name,
        workload: w,
        ops: mine.length,
        errors: mine.filter((o) => !o.ok).length,
        errnos,
        longestStallS:
          Math.round(
            longestStall(
              ops.filter((o) => o.w === w),
              m.t,
              to,
            ) * 10,
          ) / 10,
        lost,
        resumed: mine.some((o) => o.ok && o.t0 >= lastErr),
      });
    }
  });
  return out;
}

/** Acknowledged writes missing from the final copy, by when they were acknowledged. */
export function lostBetween(ops: OpRecord[], workload: string, final: Set<number>, from: number, to: number): number[] {
  return ops
    .filter((o) => o.w === workload && o.ok && o.t1 >= from && o.t1 < to && !final.has(o.seq))
    .map((o) => o.seq);
}
