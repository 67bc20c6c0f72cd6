// SIGINT/SIGTERM, seen by the plan runner and the entry point. The entry point (main.ts)
// installs the signal handlers and calls raise(); the runner asks whether to stop starting
// steps (first signal) or to stop waiting for the running one (second signal); whoever
// holds the pair lock registers its release so that an interrupt outside a plan (preflight,
// reading state) still gives the lock back before the process ends.

export type Listener = (signal: NodeJS.Signals, count: number) => void;

export class Interrupts {
  /** The first signal received, or null. */
  signal: NodeJS.Signals | null = null;
  count = 0;
  /** A plan is being applied right now (the runner handles the signal). */
  applying = 0;
  /** A step of some plan started in this process: something may have changed. */
  changed = false;
  /** Hosts where an abandoned step's command may still run (over SSH): their lock half is kept. */
  readonly stillRunning = new Set<string>();
  private listeners = new Set<Listener>();
  private cancel = new AbortController();
  /** Aborted by the first signal: commands that may be cut (copies) end then, on every host. */
  get abortSignal(): AbortSignal {
    return this.cancel.signal;
  }
  private cleanups = new Set<() => Promise<unknown>>();
  private ignored = new Map<NodeJS.Signals, string>();

  /**
   * Ignore `signal` (the entry point says why and carries on) until the returned function is
   * called: for work that must not be cut half-way by a signal its caller sends routinely.
   */
  ignore(signal: NodeJS.Signals, why: string): () => void {
    this.ignored.set(signal, why);
    return () => void this.ignored.delete(signal);
  }

  /** Why `signal` is ignored now, or null. */
  ignoredWhy(signal: NodeJS.Signals): string | null {
    return this.ignored.get(signal) ?? null;
  }

  raise(signal: NodeJS.Signals): number {
    this.signal ??= signal;
    this.count++;
    if (!this.cancel.signal.aborted) this.cancel.abort(signal);
    for (const l of [...this.listeners]) l(signal, this.count);
    return this.count;
  }

  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Work to do before the process ends on a signal (lock release). Returns the unregister. */
  addCleanup(fn: () => Promise<unknown>): () => void {
    this.cleanups.add(fn);
    return () => this.cleanups.delete(fn);
  }

  async runCleanups(timeoutMs = 15_000): Promise<void> {
    const all = [...this.cleanups];
    this.cleanups.clear();
    await Promise.race([Promise.allSettled(all.map((f) => f())), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** For tests. */
  reset(): void {
    this.signal = null;
    this.count = 0;
    this.applying = 0;
    this.changed = false;
    this.stillRunning.clear();
    this.listeners.clear();
    this.cleanups.clear();
    this.ignored.clear();
    this.cancel = new AbortController();
  }
}

export const interrupts = new Interrupts();

/** Raised inside the runner when the operator interrupted the plan. */
export class StepAbandonedError extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`abandoned on a second ${signal}: the command may still be running`);
    this.name = 'StepAbandonedError';
  }
}
