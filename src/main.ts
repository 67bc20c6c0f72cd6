// The entry point, and the only place that decides the process exit code.
import { CommanderError, type Command } from 'commander';
import { buildProgram } from './cli/program.js';
import { NfsctlError, ExitCode } from './core/errors.js';
import { interrupts } from './plan/interrupt.js';
import { safeMessage } from './core/terminal-text.js';

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = wantsJson(argv);
  // --json: errors too are one JSON document on stderr (commander's own messages included)
  // otherwise commander's own errors (unknown option, bad choice) repeat the argument: no raw control characters
  if (json)
    forEachCommand(program, (c) => c.configureOutput({ outputError: () => undefined }).showHelpAfterError(false));
  else
    forEachCommand(program, (c) =>
      c.configureOutput({ ...c.configureOutput(), outputError: (str, write) => write(safeMessage(str, argv)) }),
    );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    return report(err, argv, json);
  }
}

/** `--json` among the options (not after `--`). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

function forEachCommand(c: Command, fn: (c: Command) => void): void {
  fn(c);
  for (const sub of c.commands) forEachCommand(sub, fn);
}

/** Errors on stderr (one JSON document with --json); no raw control character from the input reaches the terminal. */
function report(err: unknown, argv: readonly string[], json = false): number {
  const code = exitCodeOf(err);
  if (code === ExitCode.ok) return code;
  if (json) {
    const e = err as Error & {
      hint?: string;
      report?: { planId: string; hostStates: Record<string, string>; steps: unknown[]; interrupted?: string };
    };
    const known = err instanceof NfsctlError || err instanceof CommanderError;
    const body: Record<string, unknown> = {
      exitCode: code,
      kind: err instanceof CommanderError ? 'UsageError' : known ? e.name : 'InternalError',
      message:
        err instanceof CommanderError ? e.message.replace(/^error: /, '') : known ? e.message : String(e?.stack ?? err),
    };
    if (e?.hint) body.hint = e.hint;
    if (e?.report)
      body.plan = {
        id: e.report.planId,
        hosts: e.report.hostStates,
        steps: e.report.steps,
        ...(e.report.interrupted ? { interrupted: e.report.interrupted } : {}),
      };
    process.stderr.write(JSON.stringify({ error: body }) + '\n');
    return code;
  }
  if (err instanceof CommanderError) return code; // commander already printed its message (usage error)
  if (err instanceof NfsctlError) {
    // An empty message means the command already said everything (e.g. health's checklist).
    if (err.message) process.stderr.write(`nfsctl: ${safeMessage(err.message, argv)}\n`);
    if (err.hint) process.stderr.write(`  next: ${safeMessage(err.hint, argv)}\n`);
    return code;
  }
  // Not an error nfsctl understands: a bug. Show the stack so it can be reported.
  process.stderr.write(`nfsctl: internal error: ${safeMessage((err as Error)?.stack ?? String(err), argv)}\n`);
  return code;
}

function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) {
    // help, version: commander printed them and this is success
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
      return ExitCode.ok;
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (err instanceof NfsctlError) return err.exitCode;
  return ExitCode.failed;
}

// SIGINT/SIGTERM. While a plan is being applied the runner handles them: the first stops
// starting new steps, rolls back and reports each host's state (the error then reaches
// main() as usual, and the lock is released on the way out); a second one stops waiting for
// the running step; a third ends the process at once. Outside a plan (preflight, reading
// state) nothing has changed: the pair lock is given back and the process ends.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    const ignored = interrupts.ignoredWhy(sig);
    if (ignored) {
      process.stderr.write(`\nnfsctl: ${sig} ignored: ${ignored}\n`);
      return;
    }
    const n = interrupts.raise(sig);
    if (interrupts.applying > 0 && n === 1) {
      process.stderr.write(
        `\nnfsctl: interrupted (${sig}): finishing or stopping the current step, then rolling back and releasing the lock; ${sig === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to stop waiting for it\n`,
      );
      return;
    }
    if (interrupts.applying > 0 && n === 2) {
      process.stderr.write(
        `\nnfsctl: ${sig} again: abandoning the running step (it may still run on its host) and skipping the rollback; once more to exit at once, leaving the lock\n`,
      );
      return;
    }
    if (interrupts.applying > 0) {
      process.stderr.write(`\nnfsctl: exiting at once: the pair lock may be left behind (nfsctl lock status)\n`);
      process.exit(ExitCode.interrupted);
    }
    if (n > 1) return; // already on the way out
    const changed = interrupts.changed;
    const code = changed ? ExitCode.interrupted : sig === 'SIGINT' ? ExitCode.cancelled : 143;
    const message = `interrupted (${sig})${changed ? ' after a plan was applied: see `nfsctl status`' : ': nothing was changed'}`;
    process.stderr.write(
      wantsJson(process.argv.slice(2))
        ? `\n${JSON.stringify({ error: { exitCode: code, kind: 'Interrupted', message } })}\n`
        : `\nnfsctl: ${message}\n`,
    );
    void interrupts.runCleanups().finally(() => process.exit(code));
  });
}

// A reader that stops early (`nfsctl log | head -1`) closes our stdout: EPIPE. Like other
// CLIs, that is not an error: further output is dropped, the command finishes (a change in
// progress is never cut short by a closed pipe) and exits with its usual code.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
    throw err;
  });
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
