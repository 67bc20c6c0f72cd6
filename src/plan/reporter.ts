// What the plan layer and the domain modules need from whoever drives them: somewhere to
// report (data on stdout, notes on stderr), progress, a prompter, and the door every change
// goes through (the runner, under the pair lock). The CLI implements these (cli/output.ts,
// cli/progress.ts, cli/prompt.ts, cli/context.ts); domain code depends on these interfaces
// only, never on cli/ or commands/.
import type { ChalkInstance } from 'chalk';
import type { ApplyReport, Confirmation, Runner } from './runner.js';
import type { Plan } from './plan.js';

/** Output for the operator. `line`/`json` are data (stdout); `info`/`warn` are for humans (stderr). */
export interface Reporter {
  /** Colours for data lines (off when stdout is not a terminal, or in --json mode). */
  readonly color: ChalkInstance;
  /** Colours for stderr. */
  readonly errColor: ChalkInstance;
  line(text?: string): void;
  json(value: unknown): void;
  info(text: string): void;
  warn(text: string): void;
}

/** Step-by-step progress while a plan is applied. */
export interface ProgressReporter {
  phase(title: string): void;
  stepStart(host: string, title: string): void;
  stepDone(host: string, title: string, ms: number): void;
  stepFailed(host: string, title: string, error: string): void;
  /** How far a running step is (a copy's bytes, rate, ETA); called often, shown at a sane pace. */
  detail?(host: string, text: string): void;
  stop(): void;
}

/** Asks the operator. */
export interface Prompter {
  confirm(message: string): Promise<boolean>;
  typed(message: string, expected: string): Promise<boolean>;
}

/** The one door for changes: a domain function that applies a plan takes this, not the CLI's Context. */
export interface PlanDoor {
  readonly out: Reporter;
  /** stdin and stderr are terminals: prompts are allowed. */
  readonly interactive: boolean;
  runner(): Promise<Runner>;
  /** Run `fn` holding the pair lock on both storage hosts (a dry run takes no lock). */
  withPairLock<T>(command: string, fn: () => Promise<T>): Promise<T>;
}

/** The flags every mutating command shares (declared with cli/flags.ts). */
export interface PlanFlags {
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

/**
 * The runner call every command makes: dry run, confirmation (a yes/no question, or a typed
 * word), apply, audit. `noTerminalHint` replaces the default hint when there is no terminal to ask on.
 */
export async function runPlan(
  door: PlanDoor,
  plan: Plan,
  flags: PlanFlags,
  confirm: Confirmation | string,
  more: { noTerminalHint?: string } = {},
): Promise<ApplyReport> {
  const runner = await door.runner();
  return runner.run(plan, {
    dryRun: flags.dryRun ?? false,
    yes: flags.yes ?? false,
    json: flags.json ?? false,
    interactive: door.interactive,
    confirm: typeof confirm === 'string' ? { kind: 'yesno', message: confirm } : confirm,
    ...(more.noTerminalHint !== undefined ? { noTerminalHint: more.noTerminalHint } : {}),
  });
}
