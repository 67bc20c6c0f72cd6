// Confirmations through @inquirer/prompts, loaded only when a prompt is really shown.
// Ctrl-C at a prompt is a clean cancel (exit 130), never a half-applied change.
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

export async function inquirerPrompter(streams: PromptStreams = {}): Promise<Prompter> {
  const { confirm, input } = await import('@inquirer/prompts');
  // Prompts talk on stderr so stdout stays clean for data.
  const context = { input: streams.input ?? process.stdin, output: streams.output ?? process.stderr, clearPromptOnDone: false } as never;
  return {
    async confirm(message: string) {
      try {
        return await confirm({ message, default: false }, context);
      } catch (err) {
        if (isCancel(err)) throw new CancelledError();
        throw err;
      }
    },
    async typed(message: string, expected: string) {
      try {
        const answer = await input({ message: `${message} (type "${expected}" to confirm)` }, context);
        return answer.trim() === expected;
      } catch (err) {
        if (isCancel(err)) throw new CancelledError();
        throw err;
      }
    },
  };
}
