/**
 * Strict parsers for the numbers and durations an operator types: CLI options
 * (`--max-delete 500`, `--lines 20`, `--interval 15m`, keepalived priorities)
 * and the config file (`port: 22`, `interval: 15m`). One parser per kind of
 * value, so the config and every command accept exactly the same spellings.
 *
 * Integers are plain decimal digits: no sign, no exponent, no hex/octal/binary
 * prefix, no fraction, no blanks, no digit separators, no leading zeros ("010"
 * is 8 to a YAML 1.1 reader and to strtol(…, 0)). `Number()` accepts all of
 * those ("1e3", "0x10", " 7 ", "" = 0), which is why it is not used for input.
 *
 * Durations are one whole number and one unit: ms, s, m, h or d ("500ms",
 * "30s", "15m", "2h", "1d"). formatDuration() writes a number of milliseconds
 * back in that form, so what `config check` prints can be fed back.
 *
 * Pure: no I/O. Errors are ValueError (a plain message without the option
 * name); optionInt()/optionDuration() turn them into UsageError ("--max-delete:
 * …", exit 2) for the CLI.
 */

import { UsageError } from './errors.js';

/** A value that does not parse; the message says what was expected and quotes what was given. */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

/**
 * Quote a value for an error message: JSON string syntax, so control characters
 * (ESC, newline, NUL, DEL…) are shown as escapes and never reach the terminal raw;
 * long values are cut.
 */
export function quoteValue(value: unknown, max = 80): string {
  const s = typeof value === 'string' ? value : String(value);
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  // JSON.stringify leaves U+007F-U+009F and the line/paragraph separators alone.
  return JSON.stringify(cut).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Remove control characters from text that is printed as-is (already formatted messages). */
export function escapeControls(text: string): string {
  return text.replace(
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export interface IntRange {
  /** Smallest accepted value (default 0). */
  min?: number;
  /** Largest accepted value (default Number.MAX_SAFE_INTEGER). */
  max?: number;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Why `text` is not a plain decimal integer in range, or null when it is. */
export function intProblem(text: string, range: IntRange = {}): string | null {
  const min = range.min ?? 0;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const want =
    max === Number.MAX_SAFE_INTEGER ? `a whole number ${min} or more` : `a whole number from ${min} to ${max}`;
  if (typeof text !== 'string') return `expected ${want}, got ${quoteValue(text)}`;
  if (text === '') return `expected ${want}, got an empty value`;
  if (!DECIMAL.test(text)) {
    let why = 'decimal digits only';
    if (/^[+-]/.test(text)) why = 'no sign';
    else if (/^0[xob]/i.test(text)) why = 'decimal, not hex, octal or binary';
    else if (/^0[0-9]+$/.test(text)) why = 'no leading zeros';
    else if (/^[0-9]*\.[0-9]*$/.test(text)) why = 'no fraction';
    else if (/^[0-9.]+e[+-]?[0-9]+$/i.test(text)) why = 'no exponent';
    else if (/\s/.test(text)) why = 'no blanks';
    return `expected ${want} (${why}), got ${quoteValue(text)}`;
  }
  if (text.length > 16) return `expected ${want}, got ${quoteValue(text)} (too large)`;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) return `expected ${want}, got ${quoteValue(text)}`;
  return null;
}

/** Parse a plain decimal integer (see the module comment); throws ValueError. */
export function parseStrictInt(text: string, range: IntRange = {}): number {
  const p = intProblem(text, range);
  if (p) throw new ValueError(p);
  return Number(text);
}

export const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;
export const DURATION_EXAMPLES = 'a duration like 500ms, 5s, 15m or 1h';
const DURATION_RE = /^(0|[1-9][0-9]*)(ms|s|m|h|d)$/;

export interface DurationRange {
  /** Smallest accepted value in ms (default 1: zero is refused). */
  minMs?: number;
  /** Largest accepted value in ms (default 30 days). */
  maxMs?: number;
}

/** Why `text` is not a duration in range, or null when it is. */
export function durationProblem(text: string, range: DurationRange = {}): string | null {
  const min = range.minMs ?? 1;
  const max = range.maxMs ?? 30 * DURATION_UNITS.d;
  if (typeof text !== 'string') return `expected ${DURATION_EXAMPLES}, got ${quoteValue(text)}`;
  const m = DURATION_RE.exec(text);
  if (!m) {
    let why = '';
    if (text === '') why = ' (empty)';
    else if (/^(0|[1-9][0-9]*)$/.test(text)) why = ' (a unit is needed: ms, s, m, h or d)';
    else if (/\s/.test(text)) why = ' (no blanks)';
    else if (/^[0-9]*\.[0-9]/.test(text)) why = ' (whole numbers only: 90s, not 1.5m)';
    else if (/^[+-]/.test(text)) why = ' (no sign)';
    else if (/^0[0-9]/.test(text)) why = ' (no leading zeros)';
    return `expected ${DURATION_EXAMPLES}${why}, got ${quoteValue(text)}`;
  }
  if (m[1]!.length > 15) return `expected ${DURATION_EXAMPLES}, got ${quoteValue(text)} (too large)`;
  const ms = Number(m[1]) * DURATION_UNITS[m[2] as DurationUnit];
  if (ms < min || ms > max)
    return `expected a duration from ${formatDuration(min)} to ${formatDuration(max)}, got ${quoteValue(text)}`;
  return null;
}

/** Parse a duration ("15m") into milliseconds; throws ValueError. */
export function parseDurationMs(text: string, range: DurationRange = {}): number {
  const p = durationProblem(text, range);
  if (p) throw new ValueError(p);
  const m = DURATION_RE.exec(text)!;
  return Number(m[1]) * DURATION_UNITS[m[2] as DurationUnit];
}

/** Milliseconds in the largest unit that divides them exactly: 900000 -> "15m", 1500 -> "1500ms". */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new ValueError(`not a duration in milliseconds: ${quoteValue(ms)}`);
  if (ms === 0) return '0s';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % DURATION_UNITS[unit] === 0) return `${ms / DURATION_UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** A CLI option's integer: `undefined` gives `fallback`; a bad value is a UsageError naming the option. */
export function optionInt(flag: string, text: string | undefined, fallback: number, range: IntRange = {}): number {
  if (text === undefined) return fallback;
  try {
    return parseStrictInt(text, range);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

/** A CLI option's duration in ms: `undefined` gives `fallback`; a bad value is a UsageError naming the option. */
export function optionDuration(
  flag: string,
  text: string | undefined,
  fallback: number,
  range: DurationRange = {},
): number {
  if (text === undefined) return fallback;
  try {
    return parseDurationMs(text, range);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}
