// Progress on stderr: a spinner on a terminal (ora, loaded only then), plain timestamped
// lines otherwise so runbook logs and CI output stay readable.
import type { Ora } from 'ora';

import type { ProgressReporter } from '../plan/reporter.js';

/** The plan layer's progress interface, implemented here for a terminal and for logs. */
export type Progress = ProgressReporter;

/** Plain lines: a step's detail at most this often (a log, not a display). */
export const LINE_DETAIL_MS = 10_000;
/** Terminal: the one progress line at most this often. */
export const SPINNER_DETAIL_MS = 250;

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

export class LineProgress implements Progress {
  private lastDetail = new Map<string, number>();
  constructor(
    private readonly stream: Stream = process.stderr,
    /** false: no detail lines (--json). */
    private readonly details = true,
    private readonly now: () => number = Date.now,
  ) {}
  detail(host: string, text: string) {
    if (!this.details) return;
    const t = this.now();
    const last = this.lastDetail.get(host);
    if (last !== undefined && t - last < LINE_DETAIL_MS) return;
    this.lastDetail.set(host, t);
    this.say(`[${host}] ${text}`);
  }
  private say(text: string) {
    this.stream.write(`${new Date().toISOString()} ${text}\n`);
  }
  phase(title: string) {
    this.say(`== ${title}`);
  }
  stepStart(host: string, title: string) {
    this.say(`[${host}] ${title} ...`);
  }
  stepDone(host: string, title: string, ms: number) {
    this.lastDetail.delete(host);
    this.say(`[${host}] ${title}: ok (${ms} ms)`);
  }
  stepFailed(host: string, title: string, error: string) {
    this.say(`[${host}] ${title}: FAILED: ${error}`);
  }
  stop() {}
}

export class SpinnerProgress implements Progress {
  private running = new Map<string, string>();
  private details = new Map<string, string>();
  private lastDetail = 0;
  constructor(
    private readonly spinner: Ora,
    private readonly columns: () => number = () => (process.stderr as { columns?: number }).columns ?? 80,
    private readonly now: () => number = Date.now,
  ) {}
  private refresh() {
    // one line: a step's detail replaces its title, cut to the terminal's width
    const text = [...this.running.entries()].map(([h, t]) => `[${h}] ${this.details.get(h) ?? t}`).join('  ');
    const width = Math.max(20, this.columns() - 3);
    this.spinner.text = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    if (text) {
      if (!this.spinner.isSpinning) this.spinner.start();
    } else if (this.spinner.isSpinning) this.spinner.stop();
  }
  phase(title: string) {
    this.spinner.stopAndPersist({ symbol: '==', text: title });
  }
  stepStart(host: string, title: string) {
    this.running.set(host, title);
    this.details.delete(host);
    this.refresh();
  }
  detail(host: string, text: string) {
    if (!this.running.has(host)) return;
    this.details.set(host, text);
    const t = this.now();
    if (t - this.lastDetail < SPINNER_DETAIL_MS) return;
    this.lastDetail = t;
    this.refresh();
  }
  stepDone(host: string, title: string, ms: number) {
    this.running.delete(host);
    this.details.delete(host);
    this.spinner.stopAndPersist({ symbol: '✔', text: `[${host}] ${title} (${ms} ms)` });
    this.refresh();
  }
  stepFailed(host: string, title: string, error: string) {
    this.running.delete(host);
    this.details.delete(host);
    this.spinner.stopAndPersist({ symbol: '✖', text: `[${host}] ${title}: ${error}` });
    this.refresh();
  }
  stop() {
    this.spinner.stop();
  }
}

/** A spinner only when stderr is a terminal and output is not for a machine. */
export async function makeProgress(stream: Stream = process.stderr, plain = false): Promise<Progress> {
  if (!stream.isTTY || plain || process.env.CI) return new LineProgress(stream, !plain);
  const { ora } = await import('./lazy-deps.js');
  return new SpinnerProgress(
    ora({ stream, discardStdin: false }),
    () => (stream as { columns?: number }).columns ?? 80,
  );
}
