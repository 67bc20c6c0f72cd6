// A plan is everything a mutating command will do, decided before anything runs: ordered
// phases of steps, each step on one host, with a precondition and an undo. The runner
// turns it into a dry run, a confirmation, an application, a rollback and an audit trail.
import { randomBytes } from 'node:crypto';
import type { Host } from '../host/host.js';

/** What a step (or its undo) does on its host: a command, a file write, or custom code. */
export type Action =
  | {
      kind: 'run';
      argv: string[];
      okExitCodes?: number[];
      timeoutMs?: number;
      input?: string;
      /** shown in the plan instead of a long script's argv */ summary?: string;
    }
  | {
      kind: 'write';
      path: string;
      content: string;
      backup?: boolean;
      mode?: number;
      /** shown in the plan instead of the content */ summary?: string;
    }
  | { kind: 'fn'; describe: string; fn: (host: Host, step: StepContext) => Promise<void> };

/** What the runner gives a custom step while it runs. */
export interface StepContext {
  /** Aborted when the operator interrupts (SIGINT/SIGTERM): pass it to commands that may be cut (a copy). */
  signal: AbortSignal;
  /** One line about how far the step is (bytes copied, rate, ETA); shown by the progress display. */
  progress(text: string): void;
}

export interface Step {
  id: string;
  host: string;
  title: string;
  action: Action;
  /** Checked right before the step runs; returns a reason to stop, or null to go on. */
  precondition?: { title: string; check: (host: Host) => Promise<string | null> };
  /** How to reverse the step after a later failure; null when it cannot be undone safely. */
  undo: { title: string; action: Action } | null;
  /** Why there is no undo (shown in the plan and the failure report). */
  noUndoReason?: string;
}

/** Steps of one phase run in parallel across hosts, in order within a host. */
export interface Phase {
  title: string;
  steps: Step[];
}

export interface Plan {
  id: string;
  title: string;
  phases: Phase[];
  /** The command that finishes or cleans up after a partial failure. */
  cleanupHint?: string;
  /** Lines shown before the confirmation (what will be destroyed, warnings, ...). */
  notes?: string[];
  /** What it amounts to, shown last, right above the confirmation (data destroyed, forced checks). */
  summary?: string[];
  /** What the plan did in the operator's words (e.g. which lock, and why it was judged stale): audit records the runner appends, with the plan id, when every step succeeded. */
  audit?: { event: string; detail: string; host?: string }[];
  /** Called with the runner's journal each time it is written (e.g. to keep a copy on the hosts). */
  journalHook?: (journal: PlanJournal) => Promise<void>;
}

/** The runner's journal of a plan: every step's state, as it changes. */
export interface PlanJournal {
  planId: string;
  title: string;
  updatedAt: string;
  interrupted?: NodeJS.Signals;
  steps: { id: string; host: string; title: string; status: string; error?: string; undoError?: string }[];
}

export function newPlanId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'run':
      if (a.summary) return a.summary;
      return a.argv.map((x) => (/^[A-Za-z0-9_\/.,:=@%+-]+$/.test(x) ? x : JSON.stringify(x))).join(' ');
    case 'write':
      return `write ${a.path}${a.summary ? ` (${a.summary})` : ''}${a.backup ? ', keeping a backup' : ''}`;
    case 'fn':
      return a.describe;
  }
}

export function planSteps(plan: Plan): Step[] {
  return plan.phases.flatMap((p) => p.steps);
}

export function planHosts(plan: Plan): string[] {
  return [...new Set(planSteps(plan).map((s) => s.host))];
}
