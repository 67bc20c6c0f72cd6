// The grammar of a cron.d entry (Vixie cron / cronie, as Debian runs it): a schedule cron can
// express exactly, and a command line that cron hands to /bin/sh after its own processing.
// Cron reads the command field up to the end of the line and turns every `%` that is not
// preceded by a backslash into a newline (what follows becomes the command's stdin);
// `\%` reaches the shell as `%`. So a value is first quoted for sh (quoteArg, the one POSIX
// shell quoter) and then every `%` is escaped for cron. A newline, carriage return or NUL
// cannot be carried in a cron line at all, and a backslash would change how cron reads a
// following `%`: such values are refused, never escaped.
import { UsageError } from './errors.js';
import { durationProblem, parseDurationMs } from './numbers.js';
import { quoteArg } from '../host/quote.js';

/** Intervals cron can run exactly: whole minutes that divide an hour, whole hours that divide a day. */
export const CRON_MINUTES = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30] as const;
export const CRON_HOURS = [1, 2, 3, 4, 6, 8, 12, 24] as const;

const INTERVAL_HELP = `cron runs a job exactly every N minutes only when N divides 60 (${CRON_MINUTES.join(', ')}m) and every N hours only when N divides 24 (${CRON_HOURS.join(', ')}h)`;

/**
 * An interval for a cron timer, in the one duration grammar of nfsctl (src/core/numbers.ts:
 * `15m`, `2h`, `1d`; the config's rsync.interval reads the same), in milliseconds. Whether
 * cron can run it exactly is cronSchedule's question.
 */
export function parseCronInterval(text: string, what = '--interval'): number {
  const p = durationProblem(text);
  if (p) throw new UsageError(`${what}: expected a whole number of minutes or hours like 15m or 2h; ${p}`);
  return parseDurationMs(text);
}

/** The five schedule fields for an interval, or a UsageError when cron cannot run it exactly. */
export function cronSchedule(intervalMs: number, what = '--interval'): string {
  const show =
    intervalMs % 3_600_000 === 0
      ? `${intervalMs / 3_600_000}h`
      : intervalMs % 60_000 === 0
        ? `${intervalMs / 60_000}m`
        : `${intervalMs / 1000}s`;
  if (!Number.isInteger(intervalMs) || intervalMs <= 0)
    throw new UsageError(`${what}: ${show} is not a positive interval; ${INTERVAL_HELP}`);
  if (intervalMs % 60_000 !== 0)
    throw new UsageError(
      `${what}: ${show} is not a whole number of minutes (cron runs jobs at most once a minute); ${INTERVAL_HELP}`,
    );
  const min = intervalMs / 60_000;
  if ((CRON_MINUTES as readonly number[]).includes(min)) return min === 1 ? '* * * * *' : `*/${min} * * * *`;
  if (min % 60 === 0 && (CRON_HOURS as readonly number[]).includes(min / 60)) {
    const h = min / 60;
    return h === 24 ? '0 0 * * *' : h === 1 ? '0 * * * *' : `0 */${h} * * *`;
  }
  throw new UsageError(`${what}: cron cannot run a job exactly every ${show}; ${INTERVAL_HELP}`);
}

/** Why cron cannot run a job every `intervalMs`, or null when it can (config check uses it for rsync.interval). */
export function cronIntervalProblem(intervalMs: number): string | null {
  try {
    cronSchedule(intervalMs, 'the sync timer');
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Quote one argument for the command field of a cron line (sh quoting, then cron's `%`). */
export function cronQuoteArg(arg: string): string {
  if (/[\n\r\0\\]/.test(arg)) {
    throw new UsageError(
      `${JSON.stringify(arg)} cannot be written into a cron line (newline, carriage return, NUL or backslash)`,
    );
  }
  return quoteArg(arg).replace(/%/g, '\\%');
}

/** A whole argv as the command field of a cron line. */
export function cronCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty argv');
  return argv.map(cronQuoteArg).join(' ');
}
