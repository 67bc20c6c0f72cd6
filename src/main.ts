// The entry point, and the only place that decides the process exit code.
import { CommanderError } from 'commander';
import { buildProgram } from './cli/program.js';
import { NfsctlError, ExitCode } from './core/errors.js';

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    return report(err);
  }
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (help, version, usage error).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (err instanceof NfsctlError) {
    // An empty message means the command already said everything (e.g. health's checklist).
    if (err.message) process.stderr.write(`nfsctl: ${err.message}\n`);
    if (err.hint) process.stderr.write(`  next: ${err.hint}\n`);
    return err.exitCode;
  }
  // Not an error nfsctl understands: a bug. Show the stack so it can be reported.
  process.stderr.write(`nfsctl: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
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
