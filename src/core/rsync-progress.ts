// rsync's `--info=progress2` output, parsed as it streams, and the copy meter built on it:
// bytes, rate and an estimate (ETA) per volume and for the whole copy. Pure: no I/O.
//
// With progress2 rsync rewrites one line for the whole transfer, each version started by a
// carriage return and ended by the next one (or by a newline when a file is done):
//
//   \r      2,097,152  52%    1.96MB/s    0:00:00  \r      3,000,000  74%    2.11MB/s    0:00:01 (xfr#1, to-chk=3/5)\n
//
// bytes so far (the sizes of the files processed, as "Total transferred file size" counts
// them), percent of what rsync knows of the total, rate (1024-based units), and a time: the
// estimated time left while a file is under way, the time elapsed on the line that ends a
// file (`xfr#n`). `ir-chk` instead of `to-chk`: the file list is still growing (incremental
// recursion), so rsync's percent is not yet of the whole. Itemized lines (`>f+++++++++ path`)
// come on lines of their own between them.
import { formatSize } from './sizes.js';

export interface Progress2 {
  bytes: number;
  percent: number;
  /** Bytes per second. */
  rate: number;
  /** rsync's own estimate of the time left (seconds), on lines that do not end a file. */
  remaining: number | null;
  /** Files transferred so far (`xfr#n`), on lines that end a file. */
  transferred: number | null;
  /** `to-chk=left/total` (or `ir-chk`: `incremental`, the list is still growing). */
  toCheck: { left: number; total: number; incremental: boolean } | null;
}

const LINE =
  /^\s*([\d.,']+)\s+(\d{1,3})%\s+([\d.,]+)(B|kB|KB|MB|GB|TB)\/s\s+(\d+):(\d{2}):(\d{2})(?:\s+\(xfr#(\d+),\s+(ir|to)-chk=(\d+)\/(\d+)\))?\s*$/;
const RATE_UNIT: Record<string, number> = { B: 1, kB: 1024, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** One progress2 line (without its \r), or null when it is something else. */
export function parseProgress2(line: string): Progress2 | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const bytes = Number(m[1]!.replace(/[.,']/g, ''));
  // the rate's decimal separator follows the locale: "1.96" or "1,96"
  const rate = Number(m[3]!.replace(',', '.')) * RATE_UNIT[m[4]!]!;
  if (!Number.isFinite(bytes) || !Number.isFinite(rate)) return null;
  const secs = Number(m[5]) * 3600 + Number(m[6]) * 60 + Number(m[7]);
  const ended = m[8] !== undefined;
  return {
    bytes,
    percent: Number(m[2]),
    rate: Math.round(rate),
    remaining: ended ? null : secs,
    transferred: ended ? Number(m[8]) : null,
    toCheck: ended ? { left: Number(m[10]), total: Number(m[11]), incremental: m[9] === 'ir' } : null,
  };
}

/**
 * Splits rsync's stdout as it arrives (chunks cut anywhere) into progress samples; the text
 * itself is kept by the caller (the final report is parsed from all of it).
 */
export class Progress2Stream {
  private rest = '';
  /** Every complete progress line in `chunk` (with what came before it). */
  push(chunk: string): Progress2[] {
    const parts = (this.rest + chunk).split(/[\r\n]/);
    this.rest = parts.pop() ?? '';
    const out: Progress2[] = [];
    for (const p of parts) {
      const s = parseProgress2(p);
      if (s) out.push(s);
    }
    return out;
  }

  /**
   * The line being written, when it already reads as a whole one: rsync writes a version,
   * then waits about a second before the \r that starts the next, so a display reads it now.
   */
  peek(): Progress2 | null {
    return parseProgress2(this.rest);
  }
}

export interface MeterUnit {
  name: string;
  /** Bytes to copy from the dry run's "Total transferred file size", or null when not previewed. */
  expected: number | null;
}

export interface CopySnapshot {
  unit: string;
  /** 1-based position of the unit, and how many there are. */
  index: number;
  count: number;
  bytes: number;
  expected: number | null;
  rate: number;
  /** Seconds left for this unit, or null when it cannot be told. */
  eta: number | null;
  totalBytes: number;
  totalExpected: number | null;
  totalEta: number | null;
}

/**
 * Bytes, rate and ETA of a copy made of several rsync runs (one per volume), from their
 * progress samples. The expected sizes come from the dry-run preview; a unit without one
 * uses rsync's own estimate and leaves the total's ETA open.
 */
export class CopyMeter {
  private done = 0;
  private current = -1;
  private last: Progress2 | null = null;
  constructor(private readonly units: MeterUnit[]) {}

  /** Unit `i` starts (0-based). */
  start(i: number): void {
    this.current = i;
    this.last = null;
  }

  sample(p: Progress2): void {
    this.last = p;
  }

  /** Unit `i` ended, `bytes` copied (its report's transferred size). */
  finish(i: number, bytes: number): void {
    if (i === this.current) {
      this.current = -1;
      this.last = null;
    }
    this.done += bytes;
  }

  snapshot(): CopySnapshot | null {
    const u = this.units[this.current];
    if (!u) return null;
    const p = this.last;
    const bytes = p?.bytes ?? 0;
    const rate = p?.rate ?? 0;
    const eta =
      u.expected !== null ? (rate > 0 ? Math.max(0, u.expected - bytes) / rate : null) : (p?.remaining ?? null);
    const rest = this.units.slice(this.current);
    const totalExpected = this.units.every((x) => x.expected !== null)
      ? this.units.reduce((a, x) => a + x.expected!, 0)
      : null;
    const restExpected = rest.every((x) => x.expected !== null)
      ? rest.reduce((a, x) => a + x.expected!, 0) - bytes
      : null;
    return {
      unit: u.name,
      index: this.current + 1,
      count: this.units.length,
      bytes,
      expected: u.expected,
      rate,
      eta: eta === null ? null : Math.round(eta),
      totalBytes: this.done + bytes,
      totalExpected,
      totalEta: restExpected !== null && rate > 0 ? Math.round(Math.max(0, restExpected) / rate) : null,
    };
  }
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function formatEta(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const size = (n: number) => formatSize(Math.max(0, Math.round(n)));
const pct = (a: number, b: number) => `${Math.min(100, Math.floor((a / b) * 100))}%`;

/**
 * One line: the volume, its bytes (of the expected), rate, ETA; with several volumes the
 * total too. E.g. "intr/data 120Mi/500Mi 24% 45.2Mi/s ETA 0:08 · total 1/2 120Mi/700Mi 17% ETA 0:12".
 */
export function formatCopyProgress(s: CopySnapshot): string {
  const of =
    s.expected !== null && s.expected > 0
      ? `${size(s.bytes)}/${size(s.expected)} ${pct(s.bytes, s.expected)}`
      : size(s.bytes);
  let line = `${s.unit} ${of} ${size(s.rate)}/s ETA ${s.eta !== null ? formatEta(s.eta) : '?'}`;
  if (s.count > 1) {
    const tot =
      s.totalExpected !== null && s.totalExpected > 0
        ? `${size(s.totalBytes)}/${size(s.totalExpected)} ${pct(s.totalBytes, s.totalExpected)}`
        : size(s.totalBytes);
    line += ` · total ${s.index}/${s.count} ${tot} ETA ${s.totalEta !== null ? formatEta(s.totalEta) : '?'}`;
  }
  return line;
}
