// Glue between commander and the commands: each action receives a lazily created Context
// and its arguments; whatever it throws reaches main(), the only place that sets the exit
// code. Kept free of heavy imports: it is loaded for every invocation, even --help.
import type { Command } from 'commander';
import type { Context, GlobalOptions } from './context.js';

export type Action<A extends unknown[]> = (ctx: Context, ...args: A) => Promise<void>;

/** Options of this command merged over the program's global ones. */
export function allOptions(cmd: Command): GlobalOptions & Record<string, unknown> {
  return cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
}

/**
 * Wrap a command body: build the context (config, hosts, output) on first use, run, and
 * always close SSH connections afterwards.
 */
export function withContext<A extends unknown[]>(body: (ctx: Context, cmd: Command, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const positional = args.slice(0, -2) as A; // commander passes (...args, options, command)
    const { createContext } = await import('./context.js');
    const ctx = await createContext(allOptions(cmd));
    try {
      await body(ctx, cmd, ...positional);
    } finally {
      await ctx.close();
    }
  };
}

/** Examples block for --help; the same text feeds the man page. */
export function examples(cmd: Command, lines: [string, string][]): Command {
  (cmd as Command & { _examples?: [string, string][] })._examples = lines;
  return cmd.addHelpText('after', '\nExamples:\n' + lines.map(([what, how]) => `  # ${what}\n  $ ${how}\n`).join(''));
}

export function getExamples(cmd: Command): [string, string][] {
  return (cmd as Command & { _examples?: [string, string][] })._examples ?? [];
}
