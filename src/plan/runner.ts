// The one runner every mutating command goes through: dry run, confirmation, apply with
// progress, rollback of completed steps on failure, audit, journal, and a final report of
// the state each host was left in.
import { mkdir, writeFile, rename } from 'node:fs/promises';
import type { Host } from '../host/host.js';
import { CommandCancelledError, CommandFailedError } from '../host/host.js';
import { AuditedHost, type AuditLog } from '../state/audit.js';
import {
  CancelledError,
  ExitCode,
  HostUnreachableError,
  NfsctlError,
  PreconditionError,
  UsageError,
} from '../core/errors.js';
import { planHosts, planSteps, type Action, type Plan, type Step, type StepContext } from './plan.js';
import { planToJson, renderPlan } from './render.js';
import type { Prompter, ProgressReporter, Reporter } from './reporter.js';
import { interrupts as processInterrupts, StepAbandonedError, type Interrupts } from './interrupt.js';

/** Exit code of a plan interrupted (SIGINT/SIGTERM) after it changed something. */
export const INTERRUPTED_EXIT = ExitCode.interrupted;

export type Confirmation = { kind: 'yesno'; message: string } | { kind: 'type'; message: string; expected: string };

export type { Prompter } from './reporter.js';

export interface RunnerDeps {
  out: Reporter;
  progress: ProgressReporter;
  audit: AuditLog;
  prompter: () => Promise<Prompter>;
  host: (name: string) => Host;
  /** Where step-by-step state is journaled (optional: unit tests may skip it). */
  journalDir?: string;
  /** Signals seen by this process (default: the process-wide one main.ts feeds). */
  interrupts?: Interrupts;
}

export interface RunOptions {
  dryRun: boolean;
  yes: boolean;
  json: boolean;
  /** stdin and stderr are terminals: prompts are allowed. */
  interactive: boolean;
  confirm: Confirmation;
  /** The hint when there is no terminal to ask on (default: review with --dry-run, re-run with --yes). */
  noTerminalHint?: string;
}

export type StepStatus =
  | 'pending'
  | 'running'
  | 'done'
  | 'failed'
  | 'undone'
  | 'undo-failed'
  | 'not-run'
  | 'unknown'
  | 'interrupted';

export interface StepRecord {
  id: string;
  host: string;
  title: string;
  status: StepStatus;
  error?: string;
  undoError?: string;
}

export interface ApplyReport {
  planId: string;
  applied: boolean;
  ok: boolean;
  steps: StepRecord[];
  hostStates: Record<string, string>;
  /** Set when SIGINT/SIGTERM stopped the plan. */
  interrupted?: NodeJS.Signals;
}

export class PlanFailedError extends NfsctlError {
  constructor(
    message: string,
    readonly report: ApplyReport,
    opts: { exitCode?: number; hint?: string } = {},
  ) {
    super(message, opts);
  }
}

const NOT_CANCELLED: StepContext = { signal: new AbortController().signal, progress: () => undefined };

async function perform(host: Host, action: Action, step: StepContext = NOT_CANCELLED): Promise<void> {
  switch (action.kind) {
    case 'run': {
      const r = await host.run(action.argv, {
        ...(action.timeoutMs !== undefined ? { timeoutMs: action.timeoutMs } : {}),
        ...(action.input !== undefined ? { input: action.input } : {}),
      });
      if (!(action.okExitCodes ?? [0]).includes(r.exitCode)) throw new CommandFailedError(r);
      return;
    }
    case 'write':
      await host.writeFileAtomic(action.path, action.content, {
        backup: action.backup ?? false,
        ...(action.mode !== undefined ? { mode: action.mode } : {}),
      });
      return;
    case 'fn':
      await action.fn(host, step);
      return;
  }
}

export class Runner {
  constructor(private readonly deps: RunnerDeps) {}

  async run(plan: Plan, opts: RunOptions): Promise<ApplyReport> {
    const { out } = this.deps;
    const steps = planSteps(plan);
    if (opts.dryRun) {
      if (opts.json) out.json({ dryRun: true, plan: planToJson(plan) });
      else out.line(renderPlan(plan, out.color) + '\n' + out.color.dim('(dry run: nothing was changed)'));
      return {
        planId: plan.id,
        applied: false,
        ok: true,
        steps: steps.map((s) => ({ id: s.id, host: s.host, title: s.title, status: 'not-run' })),
        hostStates: {},
      };
    }
    if (steps.length === 0) {
      return { planId: plan.id, applied: false, ok: true, steps: [], hostStates: {} };
    }
    // The plan always goes to stderr before anything happens, so logs show what was intended.
    out.info(renderPlan(plan, out.errColor));
    await this.confirm(opts);
    return this.apply(plan);
  }

  private async confirm(opts: RunOptions): Promise<void> {
    if (opts.yes) return;
    if (!opts.interactive) {
      throw new UsageError('refusing to make changes without confirmation: no terminal to ask on', {
        hint: opts.noTerminalHint ?? 'review the plan with --dry-run, then re-run with --yes',
      });
    }
    const p = await this.deps.prompter();
    const ok =
      opts.confirm.kind === 'yesno'
        ? await p.confirm(opts.confirm.message)
        : await p.typed(opts.confirm.message, opts.confirm.expected);
    if (!ok) throw new CancelledError();
  }

  async apply(plan: Plan): Promise<ApplyReport> {
    const { audit, progress } = this.deps;
    const records = new Map<Step, StepRecord>();
    for (const s of planSteps(plan)) records.set(s, { id: s.id, host: s.host, title: s.title, status: 'pending' });
    const hosts = new Map<string, Host>();
    const hostFor = (name: string) => {
      let h = hosts.get(name);
      if (!h) {
        h = new AuditedHost(this.deps.host(name), audit, plan.id);
        hosts.set(name, h);
      }
      return h;
    };
    const completed: Step[] = [];
    // one audit record per step that ended (done: 0, interrupted: 130, failed: 1), with its time
    const auditStep = (hostName: string, detail: string, exitCode: number, t0: number) =>
      audit
        .append({ planId: plan.id, host: hostName, event: 'step', detail, exitCode, durationMs: Date.now() - t0 })
        .catch(() => undefined);
    let failure: { step: Step; error: unknown } | undefined;
    const started = Date.now();
    // SIGINT/SIGTERM: the first stops starting new steps (the running ones finish, or fail
    // because the terminal's Ctrl-C also reached a local command); a second one stops
    // waiting for the running steps and skips the rollback.
    this.interruptedBy = null;
    const intr = this.deps.interrupts ?? processInterrupts;
    let stop: NodeJS.Signals | null = null;
    let abandonNow: (sig: NodeJS.Signals) => void = () => undefined;
    const abandoned = new Promise<never>((_, reject) => (abandonNow = (sig) => reject(new StepAbandonedError(sig))));
    abandoned.catch(() => undefined);
    let abandonedBy: NodeJS.Signals | null = null;
    const onSignal = (sig: NodeJS.Signals, count: number) => {
      stop ??= sig;
      if (count >= 2) {
        abandonedBy = sig;
        abandonNow(sig);
      }
    };
    intr.applying++;
    const off = intr.on(onSignal);
    try {
      await audit.append({ planId: plan.id, event: 'plan-start', detail: plan.title });
      await this.journal(plan, records);

      for (const phase of plan.phases) {
        progress.phase(phase.title);
        const byHost = new Map<string, Step[]>();
        for (const s of phase.steps) byHost.set(s.host, [...(byHost.get(s.host) ?? []), s]);
        await Promise.all(
          [...byHost.entries()].map(async ([hostName, hostSteps]) => {
            for (const step of hostSteps) {
              if (failure || stop) return; // another host failed, or interrupted: start nothing new
              const rec = records.get(step)!;
              rec.status = 'running';
              intr.changed = true;
              const t0 = Date.now();
              progress.stepStart(hostName, step.title);
              try {
                const host = hostFor(hostName);
                if (step.precondition) {
                  const why = await step.precondition.check(host);
                  if (why) throw new PreconditionError(`${hostName}: ${step.precondition.title}: ${why}`);
                }
                await Promise.race([
                  perform(host, step.action, {
                    signal: intr.abortSignal,
                    progress: (t) => progress.detail?.(hostName, t),
                  }),
                  abandoned,
                ]);
                rec.status = 'done';
                completed.push(step);
                const ms = Date.now() - t0;
                // per-step timings in the audit log: where the time of a long plan went
                await auditStep(hostName, step.id, 0, t0);
                progress.stepDone(hostName, step.title, ms);
              } catch (error) {
                // the Ctrl-C that reached us also reached a local command: its failure may be seen
                // before the signal. Stop the other hosts at once, then tell which it was.
                if (!stop && !(error instanceof StepAbandonedError)) {
                  const mine = { step, error };
                  failure ??= mine;
                  await new Promise((r) => setTimeout(r, 150));
                  if (stop && failure === mine) failure = undefined;
                }
                if (stop || error instanceof StepAbandonedError) {
                  rec.status = 'interrupted';
                  rec.error =
                    error instanceof StepAbandonedError
                      ? error.message
                      : `interrupted (${stop}): ${(error as Error).message}`;
                  // a local command ends with this process; a remote one may go on: keep that host locked
                  if (
                    (error instanceof StepAbandonedError && hostFor(hostName).kind !== 'local') ||
                    (error instanceof CommandCancelledError && error.mayStillRun)
                  )
                    intr.stillRunning.add(hostName);
                } else {
                  rec.status = error instanceof HostUnreachableError ? 'unknown' : 'failed';
                  rec.error = (error as Error).message;
                  failure ??= { step, error };
                }
                await auditStep(hostName, `${step.id}: ${rec.error}`, rec.status === 'interrupted' ? 130 : 1, t0);
                progress.stepFailed(hostName, step.title, rec.error);
                return;
              } finally {
                await this.journal(plan, records);
              }
            }
          }),
        );
        if (failure || stop) break;
      }

      const stopped: NodeJS.Signals | null = stop;
      if (failure || stopped) {
        for (const rec of records.values()) if (rec.status === 'pending') rec.status = 'not-run';
        if (stopped) this.interruptedBy = stopped;
        if (abandonedBy) {
          for (const s of completed)
            if (records.get(s)!.status === 'done')
              records.get(s)!.undoError = `rollback skipped: abandoned on a second ${abandonedBy}`;
        } else await this.rollback(completed, records, hostFor, abandoned);
        await this.journal(plan, records);
      }
      const report = this.report(plan, records);
      if (stopped) report.interrupted = stopped;
      const endCode = failure ? 1 : stopped ? 130 : 0;
      if (!failure && !stopped) for (const r of plan.audit ?? []) await audit.append({ planId: plan.id, ...r });
      await audit.append({
        planId: plan.id,
        event: 'plan-end',
        exitCode: endCode,
        durationMs: Date.now() - started,
        detail: failure ? `failed: ${(failure.error as Error).message}` : stopped ? `interrupted (${stopped})` : 'ok',
      });
      if (!failure && stopped) {
        const sig: NodeJS.Signals = stopped;
        const steps = [...records.values()];
        const cut = steps.filter((s) => s.status === 'interrupted');
        const nothingChanged = cut.length === 0 && completed.every((s) => records.get(s)!.status === 'undone');
        const notRun = steps.filter((s) => s.status === 'not-run').length;
        const lines = [
          `${plan.title}: INTERRUPTED (${sig}) ${cut.length ? `during ${cut.map((c) => `[${c.host}] ${c.title}`).join(', ')}` : 'between steps'}; ${notRun} step(s) not started`,
          ...Object.entries(report.hostStates).map(([h, s]) => `  ${h}: ${s}`),
        ];
        throw new PlanFailedError(lines.join('\n'), report, {
          exitCode: nothingChanged ? (sig === 'SIGTERM' ? 143 : 130) : INTERRUPTED_EXIT,
          hint: nothingChanged
            ? 'nothing was left changed; run it again when ready'
            : plan.cleanupHint
              ? `to finish: ${plan.cleanupHint}`
              : 'see `nfsctl status`; run the same command again to finish',
        });
      }
      if (failure) {
        const f = failure;
        const nothingChanged =
          completed.every((s) => records.get(s)!.status === 'undone') && records.get(f.step)!.status !== 'unknown';
        const lines = [
          `${plan.title}: FAILED at [${f.step.host}] ${f.step.title}: ${(f.error as Error).message}`,
          ...Object.entries(report.hostStates).map(([h, s]) => `  ${h}: ${s}`),
        ];
        const exitCode = f.error instanceof PreconditionError && nothingChanged ? 4 : 1;
        throw new PlanFailedError(lines.join('\n'), report, {
          exitCode,
          ...(plan.cleanupHint
            ? {
                hint: nothingChanged
                  ? `nothing was left changed; fix the cause and run it again`
                  : `to finish or clean up: ${plan.cleanupHint}`,
              }
            : {}),
        });
      }
      return report;
    } finally {
      off();
      intr.applying--;
    }
  }

  private interruptedBy: NodeJS.Signals | null = null;

  /** Undo completed steps newest first, each host in its own reverse order, hosts in parallel. */
  private async rollback(
    completed: Step[],
    records: Map<Step, StepRecord>,
    hostFor: (n: string) => Host,
    abandoned?: Promise<never>,
  ): Promise<void> {
    const { progress } = this.deps;
    const byHost = new Map<string, Step[]>();
    for (const s of completed) byHost.set(s.host, [...(byHost.get(s.host) ?? []), s]);
    if (completed.length > 0) progress.phase('rolling back completed steps');
    await Promise.all(
      [...byHost.entries()].map(async ([hostName, steps]) => {
        for (const step of [...steps].reverse()) {
          const rec = records.get(step)!;
          if (!step.undo) {
            rec.undoError = step.noUndoReason ?? 'no undo for this step';
            continue;
          }
          try {
            progress.stepStart(hostName, `undo: ${step.undo.title}`);
            await (abandoned
              ? Promise.race([perform(hostFor(hostName), step.undo.action), abandoned])
              : perform(hostFor(hostName), step.undo.action));
            rec.status = 'undone';
            progress.stepDone(hostName, `undo: ${step.undo.title}`, 0);
          } catch (err) {
            rec.status = 'undo-failed';
            rec.undoError = (err as Error).message;
            progress.stepFailed(hostName, `undo: ${step.undo.title}`, rec.undoError);
            if (err instanceof HostUnreachableError || err instanceof StepAbandonedError) return; // nothing more can be done there
          }
        }
      }),
    );
  }

  private report(plan: Plan, records: Map<Step, StepRecord>): ApplyReport {
    const steps = [...records.values()];
    const hostStates: Record<string, string> = {};
    for (const host of planHosts(plan)) {
      const mine = steps.filter((s) => s.host === host);
      const by = (st: StepStatus) => mine.filter((s) => s.status === st);
      const failed = by('failed')[0];
      const unknown = by('unknown')[0];
      const cut = by('interrupted')[0];
      const undoFailed = by('undo-failed');
      const kept = by('done');
      const undone = by('undone');
      let state: string;
      if (unknown)
        state = `UNKNOWN: lost contact during "${unknown.title}" (it may or may not have run)${kept.length + undoFailed.length ? `; done before it and not undone: ${[...kept, ...undoFailed].map((s) => `"${s.title}"`).join(', ')}` : ''}`;
      else if (cut)
        state = `CHANGED: interrupted during "${cut.title}" (it may have partly run${/abandoned/.test(cut.error ?? '') ? ', and may still be running' : ''})${kept.length + undoFailed.length ? `; done before it and not undone: ${[...kept, ...undoFailed].map((s) => `"${s.title}"`).join(', ')}` : ''}${undone.length ? `; ${undone.length} step(s) undone` : ''}`;
      else if (undoFailed.length > 0)
        state = `CHANGED: could not undo ${undoFailed.map((s) => `"${s.title}" (${s.undoError})`).join(', ')}`;
      else if (
        kept.length > 0 &&
        (failed ||
          this.interruptedBy ||
          steps.some((s) => s.status === 'failed' || s.status === 'unknown' || s.status === 'interrupted'))
      )
        state = `CHANGED: kept ${kept.map((s) => `"${s.title}"`).join(', ')} (no undo: ${kept
          .map((s) => s.undoError)
          .filter(Boolean)
          .join('; ')})`;
      else if (kept.length === mine.length) state = `done (${kept.length} step${kept.length === 1 ? '' : 's'})`;
      else if (failed && undone.length === 0) state = `unchanged: "${failed.title}" failed before changing anything`;
      else if (failed) state = `rolled back: "${failed.title}" failed; ${undone.length} completed step(s) undone`;
      else if (this.interruptedBy && undone.length > 0)
        state = `rolled back: interrupted; ${undone.length} completed step(s) undone`;
      else
        state =
          undone.length > 0 ? `rolled back: ${undone.length} completed step(s) undone` : 'unchanged: nothing ran here';
      hostStates[host] = state;
    }
    const ok = steps.every((s) => s.status === 'done');
    return { planId: plan.id, applied: true, ok, steps, hostStates };
  }

  private journalQueue: Promise<void> = Promise.resolve();

  /** Journal writes are serialised: parallel hosts finish steps at the same moment. */
  private journal(plan: Plan, records: Map<Step, StepRecord>): Promise<void> {
    const dir = this.deps.journalDir;
    const hook = plan.journalHook;
    if (!dir && !hook) return Promise.resolve();
    const j = {
      planId: plan.id,
      title: plan.title,
      updatedAt: new Date().toISOString(),
      ...(this.interruptedBy ? { interrupted: this.interruptedBy } : {}),
      steps: [...records.values()].map((r) => ({ ...r })),
    };
    const body = JSON.stringify(j, null, 1);
    const file = `${dir}/${plan.id}.json`;
    this.journalQueue = this.journalQueue.then(async () => {
      if (dir) {
        await mkdir(dir, { recursive: true });
        await writeFile(`${file}.tmp`, body);
        await rename(`${file}.tmp`, file);
      }
      await hook?.(j); // the hook reports its own failures
    });
    return this.journalQueue;
  }
}
