// Progress on stderr: a spinner on a terminal (ora, loaded only then), plain timestamped
// lines otherwise so runbook logs and CI output stay readable.
import type { Ora } from 'ora';

import type { ProgressReporter } from '../plan/reporter.js';

/** The plan layer's progress interface, implemented here for a terminal and for logs. */
export type Progress = ProgressReporter;

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

export class LineProgress implements Progress {
  constructor(private readonly stream: Stream = process.stderr) {}
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
    this.say(`[${host}] ${title}: ok (${ms} ms)`);
  }
  stepFailed(host: string, title: string, error: string) {
    this.say(`[${host}] ${title}: FAILED: ${error}`);
  }
  stop() {}
}

export class SpinnerProgress implements Progress {
  private running = new Map<string, string>();
  constructor(
    private readonly spinner: Ora,
  ) {}
  private refresh() {
    const text = [...this.running.entries()].map(([h, t]) => `[${h}] ${t}`).join('  ');
    if (text) {
      this.spinner.text = text;
      if (!this.spinner.isSpinning) this.spinner.start();
    } else if (this.spinner.isSpinning) this.spinner.stop();
  }
  phase(title: string) {
    this.spinner.stopAndPersist({ symbol: '==', text: title });
  }
  stepStart(host: string, title: string) {
    this.running.set(host, title);
    this.refresh();
  }
  stepDone(host: string, title: string, ms: number) {
    this.running.delete(host);
    this.spinner.stopAndPersist({ symbol: '✔', text: `[${host}] ${title} (${ms} ms)` });
    this.refresh();
  }
  stepFailed(host: string, title: string, error: string) {
    this.running.delete(host);
    this.spinner.stopAndPersist({ symbol: '✖', text: `[${host}] ${title}: ${error}` });
    this.refresh();
  }
  stop() {
    this.spinner.stop();
  }
}

/** A spinner only when stderr is a terminal and output is not for a machine. */
export async function makeProgress(stream: Stream = process.stderr, plain = false): Promise<Progress> {
  if (!stream.isTTY || plain || process.env.CI) return new LineProgress(stream);
  const { ora } = await import('./lazy-deps.js');
  return new SpinnerProgress(ora({ stream, discardStdin: false }));
}

/** For read-only commands: no output at all. */
export const silentProgress: Progress = {
  phase() {},
  stepStart() {},
  stepDone() {},
  stepFailed() {},
  stop() {},
};
