// The entry point, and the only place that decides the process exit code.
import { CommanderError, type Command } from 'commander';
import { buildProgram } from './cli/program.js';
import { NfsctlError, ExitCode } from './core/errors.js';
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

// Signals end the process like a cancelled prompt would.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\nnfsctl: interrupted (${sig})\n`);
    process.exitCode = sig === 'SIGINT' ? ExitCode.cancelled : 143;
    process.exit();
  });
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
