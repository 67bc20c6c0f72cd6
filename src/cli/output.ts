// Where things go: data to stdout, everything for humans (progress, plans, warnings) to
// stderr. Colour only on a terminal, never with NO_COLOR or --no-color, never in --json.
import { Chalk, type ChalkInstance } from 'chalk';
import { safeMessage } from '../core/terminal-text.js';
import type { Reporter } from '../plan/reporter.js';

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

export interface OutputOptions {
  color?: boolean;
  jsonMode?: boolean;
  stdout?: Stream;
  stderr?: Stream;
  env?: NodeJS.ProcessEnv;
}

export class Output implements Reporter {
  readonly color: ChalkInstance;
  readonly errColor: ChalkInstance;
  readonly jsonMode: boolean;
  readonly stdout: Stream;
  readonly stderr: Stream;

  constructor(opts: OutputOptions = {}) {
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
    this.jsonMode = opts.jsonMode ?? false;
    const env = opts.env ?? process.env;
    const allowed = opts.color !== false && env.NO_COLOR === undefined;
    const level = (tty: boolean | undefined, forData: boolean) =>
      allowed && !(forData && this.jsonMode) && tty ? 1 : 0;
    this.color = new Chalk({ level: level(this.stdout.isTTY, true) });
    this.errColor = new Chalk({ level: level(this.stderr.isTTY, false) });
  }

  /** A line of data (stdout). */
  line(text = ''): void {
    this.stdout.write(text + '\n');
  }

  /** A JSON document on stdout; in --json mode nothing else is written there. */
  json(value: unknown): void {
    this.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** Progress, notes, plans, warnings (stderr). */
  info(text: string): void {
    this.stderr.write(text + '\n');
  }

  /** A warning; control characters other than its line breaks are escaped (see errors in main.ts). */
  warn(text: string): void {
    this.stderr.write(this.errColor.yellow('warning: ') + safeMessage(text) + '\n');
  }
}
