// Confirmations through @inquirer/prompts, loaded only when a prompt is really shown.
// Ctrl-C at a prompt is a clean cancel (exit 130), never a half-applied change.
import { Writable } from 'node:stream';
import type { Prompter } from '../plan/reporter.js';
import { CancelledError, UsageError } from '../core/errors.js';

export interface PromptStreams {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Give up on an unanswered prompt after this long (default: promptTimeoutMs()). */
  timeoutMs?: number;
}

/** Default prompt timeout: the pair lock is held while a prompt waits, so it must not wait forever. */
export const DEFAULT_PROMPT_TIMEOUT_MS = 10 * 60_000;

/**
 * How long a prompt waits for an answer: NFSCTL_PROMPT_TIMEOUT (seconds, or with a unit:
 * 90s, 10m, 1h), else 10 minutes. A value nfsctl cannot read is a usage error.
 */
export function promptTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.NFSCTL_PROMPT_TIMEOUT?.trim();
  if (v === undefined || v === '') return DEFAULT_PROMPT_TIMEOUT_MS;
  const m = /^([1-9][0-9]{0,6})(s|m|h)?$/.exec(v);
  if (!m)
    throw new UsageError(
      `NFSCTL_PROMPT_TIMEOUT: expected a whole number of seconds or 90s, 10m, 1h, got ${JSON.stringify(v)}`,
    );
  return Number(m[1]) * (m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : 1_000);
}

function formatWait(ms: number): string {
  return ms % 3_600_000 === 0
    ? `${ms / 3_600_000} h`
    : ms % 60_000 === 0
      ? `${ms / 60_000} min`
      : `${Math.round(ms / 1000)} s`;
}

function isCancel(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError';
}

type Out = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };

/**
 * @inquirer pipes each prompt into its output and ends that pipe when the prompt is done,
 * which closes any stream but process.stdout/stderr. Give each prompt a proxy instead, so
 * a caller's stream (a test's, a log) stays open for the next prompt.
 */
function borrowed(out: Out): Out {
  const proxy = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.write(chunk);
      cb();
    },
  }) as Writable & { isTTY?: boolean; columns?: number; rows?: number };
  for (const key of ['isTTY', 'columns', 'rows'] as const) Object.defineProperty(proxy, key, { get: () => out[key] });
  return proxy;
}

export async function inquirerPrompter(streams: PromptStreams = {}): Promise<Prompter> {
  const { confirm, input } = await import('./lazy-deps.js');
  // Prompts talk on stderr so stdout stays clean for data.
  const out: Out = streams.output ?? process.stderr;
  const timeoutMs = streams.timeoutMs ?? promptTimeoutMs();
  let timer: AbortSignal | undefined;
  const context = () => {
    timer = AbortSignal.timeout(timeoutMs);
    return {
      input: streams.input ?? process.stdin,
      output: out === process.stderr || out === process.stdout ? out : borrowed(out),
      clearPromptOnDone: false,
      signal: timer,
    } as never;
  };
  const cancelled = (err: unknown): Error => {
    if (!isCancel(err)) return err as Error;
    if (timer?.aborted) {
      out.write('\n');
      return new CancelledError(
        `no answer within ${formatWait(timeoutMs)} (NFSCTL_PROMPT_TIMEOUT): cancelled, nothing was changed; the pair lock was released`,
      );
    }
    return new CancelledError();
  };
  return {
    async confirm(message: string) {
      try {
        return await confirm({ message, default: false }, context());
      } catch (err) {
        throw cancelled(err);
      }
    },
    async typed(message: string, expected: string) {
      try {
        const answer = await input({ message: `${message} (type "${expected}" to confirm)` }, context());
        return answer.trim() === expected;
      } catch (err) {
        throw cancelled(err);
      }
    },
  };
}
