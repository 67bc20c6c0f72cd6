// The entry point, and the only place that decides the process exit code.
import { CommanderError, type Command } from 'commander';
import { buildProgram } from './cli/program.js';
import { NfsctlError, ExitCode } from './core/errors.js';
import { interrupts } from './plan/interrupt.js';
import { safeMessage } from './core/terminal-text.js';

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // commander's own errors (unknown option, bad choice) repeat the argument too.
  const quiet = (cmd: Command): void => {
    cmd.configureOutput({ ...cmd.configureOutput(), outputError: (str, write) => write(safeMessage(str, argv)) });
    for (const sub of cmd.commands) quiet(sub);
  };
  quiet(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    return report(err, argv);
  }
}

/** Errors on stderr: no raw control character from the input reaches the terminal. */
function report(err: unknown, argv: readonly string[]): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (help, version, usage error).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (err instanceof NfsctlError) {
    // An empty message means the command already said everything (e.g. health's checklist).
    if (err.message) process.stderr.write(`nfsctl: ${safeMessage(err.message, argv)}\n`);
    if (err.hint) process.stderr.write(`  next: ${safeMessage(err.hint, argv)}\n`);
    return err.exitCode;
  }
  // Not an error nfsctl understands: a bug. Show the stack so it can be reported.
  process.stderr.write(`nfsctl: internal error: ${safeMessage((err as Error)?.stack ?? String(err), argv)}\n`);
  return ExitCode.failed;
}

// SIGINT/SIGTERM. While a plan is being applied the runner handles them: the first stops
// starting new steps, rolls back and reports each host's state (the error then reaches
// main() as usual, and the lock is released on the way out); a second one stops waiting for
// the running step; a third ends the process at once. Outside a plan (preflight, reading
// state) nothing has changed: the pair lock is given back and the process ends.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    const n = interrupts.raise(sig);
    if (interrupts.applying > 0 && n === 1) {
      process.stderr.write(`\nnfsctl: interrupted (${sig}): finishing or stopping the current step, then rolling back and releasing the lock; ${sig === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to stop waiting for it\n`);
      return;
    }
    if (interrupts.applying > 0 && n === 2) {
      process.stderr.write(`\nnfsctl: ${sig} again: abandoning the running step (it may still run on its host) and skipping the rollback; once more to exit at once, leaving the lock\n`);
      return;
    }
    if (interrupts.applying > 0) {
      process.stderr.write(`\nnfsctl: exiting at once: the pair lock may be left behind (nfsctl lock status)\n`);
      process.exit(ExitCode.interrupted);
    }
    if (n > 1) return; // already on the way out
    const changed = interrupts.changed;
    process.stderr.write(`\nnfsctl: interrupted (${sig})${changed ? ' after a plan was applied: see `nfsctl status`' : ': nothing was changed'}\n`);
    void interrupts.runCleanups().finally(() => process.exit(changed ? ExitCode.interrupted : sig === 'SIGINT' ? ExitCode.cancelled : 143));
  });
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
