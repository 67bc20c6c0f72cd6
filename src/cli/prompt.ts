// Confirmations through @inquirer/prompts, loaded only when a prompt is really shown.
// Ctrl-C at a prompt is a clean cancel (exit 130), never a half-applied change.
import { Writable } from 'node:stream';
import type { Prompter } from '../plan/runner.js';
import { CancelledError } from '../core/errors.js';

export interface PromptStreams {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
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
  const context = () =>
    ({
      input: streams.input ?? process.stdin,
      output: out === process.stderr || out === process.stdout ? out : borrowed(out),
      clearPromptOnDone: false,
    }) as never;
  return {
    async confirm(message: string) {
      try {
        return await confirm({ message, default: false }, context());
      } catch (err) {
        if (isCancel(err)) throw new CancelledError();
        throw err;
      }
    },
    async typed(message: string, expected: string) {
      try {
        const answer = await input({ message: `${message} (type "${expected}" to confirm)` }, context());
        return answer.trim() === expected;
      } catch (err) {
        if (isCancel(err)) throw new CancelledError();
        throw err;
      }
    },
  };
}
