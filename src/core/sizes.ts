/**
 * Volume sizes.
 *
 * Policy (kept deliberately narrow so a typo can never allocate the wrong
 * amount of storage):
 * - Sizes are JavaScript numbers holding an exact whole number of bytes. The
 *   largest size accepted is 1 PiB (2^50), far below 2^53, so every accepted
 *   value is exact; bigint would buy nothing and cost ergonomics everywhere.
 * - Every unit is binary: K = Ki = KiB = 1024, M = 2^20, G = 2^30, T = 2^40,
 *   P = 2^50. "10G" and "10Gi" mean the same thing.
 * - "KB", "MB", "GB", ... are rejected: half the world reads them as powers
 *   of 1000 (Kubernetes does), and a silent 7% error on storage is worse
 *   than asking the operator to write "10G" or "10GiB".
 * - Unit letters are upper case ("10g" is rejected; Kubernetes reads a
 *   lower-case "m" as milli).
 * - A plain number is rejected; bytes need an explicit "B" ("4096B").
 * - Fractions are allowed when they come out to whole bytes ("1.5K" = 1536,
 *   "0.1K" = 102.4 is rejected). No exponents, signs or spaces.
 */

import { UsageError } from './errors.js';

export const KiB = 1024;
export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;
export const TiB = 1024 ** 4;
export const PiB = 1024 ** 5;

/** Largest size nfsctl will accept from an operator. */
export const MAX_SIZE_BYTES = PiB;

const UNIT_BYTES: Record<string, number> = { B: 1, K: KiB, M: MiB, G: GiB, T: TiB, P: PiB };

const SIZE_RE = /^(\d+)(?:\.(\d+))?(?:(B)|([KMGTP])(?:iB|i)?)$/;

const EXAMPLES = 'e.g. 500M, 10G, 10Gi, 1.5T or 4096B (binary units: K=1024)';

function fail(input: string, why: string): never {
  throw new UsageError(`invalid size ${JSON.stringify(input)}: ${why}; ${EXAMPLES}`);
}

/** Parse an operator-supplied size into bytes. Throws UsageError (see module policy). */
export function parseSize(input: string): number {
  if (typeof input !== 'string' || input.length === 0) fail(String(input ?? ''), 'empty');
  if (input.length > 32) fail(input, 'too long');
  if (/\s/.test(input)) fail(input, 'contains whitespace');
  if (input.startsWith('-')) fail(input, 'negative sizes are not allowed');
  if (input.startsWith('+')) fail(input, 'leading "+" is not allowed');
  const m = SIZE_RE.exec(input);
  if (!m) {
    if (/^\d+(\.\d+)?$/.test(input)) fail(input, 'missing unit (plain byte counts need a "B" suffix)');
    if (/^\d+(\.\d+)?[eE]/.test(input)) fail(input, 'exponent notation is not supported');
    if (/^\d+(\.\d+)?[KMGTP]B$/.test(input)) {
      const u = input.slice(-2, -1);
      fail(input, `"${u}B" is ambiguous (decimal or binary?); write "${u}" or "${u}iB" (nfsctl units are binary)`);
    }
    if (/^\d+(\.\d+)?[kmgtpb]/.test(input)) fail(input, 'unit letters must be upper case (K, M, G, T, P, B)');
    if (/^\.\d/.test(input) || /^\d+\.$/.test(input) || /^\d+\.[A-Z]/.test(input)) {
      fail(input, 'malformed number (write digits on both sides of ".")');
    }
    fail(input, 'not a size');
  }
  const [, intPart = '0', fracPart = '', bytesUnit, unitLetter] = m;
  const unit = BigInt(UNIT_BYTES[bytesUnit ?? unitLetter ?? 'B'] ?? 1);
  let total = BigInt(intPart) * unit;
  if (fracPart.length > 0) {
    const scaled = BigInt(fracPart) * unit;
    const denom = 10n ** BigInt(fracPart.length);
    if (scaled % denom !== 0n) fail(input, 'does not come out to a whole number of bytes');
    total += scaled / denom;
  }
  if (total === 0n) fail(input, 'size must be greater than zero');
  if (total > BigInt(MAX_SIZE_BYTES)) fail(input, 'larger than the 1P (1 PiB) limit');
  return Number(total);
}

const FORMAT_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['Pi', PiB],
  ['Ti', TiB],
  ['Gi', GiB],
  ['Mi', MiB],
  ['Ki', KiB],
];

function assertByteCount(bytes: number, what = 'bytes'): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${bytes}`);
  }
}

export interface FormatSizeOptions {
  /**
   * Never round: pick the largest unit in which the value has at most two
   * exact decimals, so parseSize(formatSize(x, { exact: true })) === x for
   * any x >= 1. Without it the value is rounded to two decimals for display.
   */
  exact?: boolean;
}

/**
 * Human-readable size in binary units, e.g. 10737418240 -> "10Gi",
 * 1536 -> "1.5Ki", 1234567 -> "1.18Mi", 512 -> "512B".
 * With { exact: true } the result always parses back to the same number.
 */
export function formatSize(bytes: number, options: FormatSizeOptions = {}): string {
  assertByteCount(bytes);
  for (let i = 0; i < FORMAT_UNITS.length; i++) {
    const [suffix, unit] = FORMAT_UNITS[i] as readonly [string, number];
    if (bytes < unit) continue;
    if (options.exact) {
      // Exact two-decimal representation in this unit?
      if ((BigInt(bytes) * 100n) % BigInt(unit) === 0n) {
        return `${trimDecimals(bytes / unit)}${suffix}`;
      }
      continue;
    }
    const rounded = Math.round((bytes / unit) * 100) / 100;
    // 1023.999Ki rounds to 1024Ki: say 1Mi instead.
    const bigger = FORMAT_UNITS[i - 1];
    if (rounded >= 1024 && bigger) return `1${bigger[0]}`;
    return `${trimDecimals(rounded)}${suffix}`;
  }
  return `${bytes}B`;
}

function trimDecimals(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * Round `bytes` up to a whole number of `extentBytes` (LVM allocates in
 * extents, RBD in objects). Exact for all safe integers.
 */
export function roundUpTo(bytes: number, extentBytes: number): number {
  assertByteCount(bytes);
  assertByteCount(extentBytes, 'extentBytes');
  if (extentBytes === 0) throw new RangeError('extentBytes must be positive');
  const r = bytes % extentBytes;
  const out = r === 0 ? bytes : bytes - r + extentBytes;
  if (!Number.isSafeInteger(out)) throw new RangeError(`rounded size ${out} is not a safe integer`);
  return out;
}
