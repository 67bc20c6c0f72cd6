// NFSCTL_TRACE=1: every command a host runs, with when it started (ms since the process
// began), how long it took and its exit code, on stderr. For "why is this slow" and "what
// exactly did it run" at a shell, without a debugger; data on stdout stays untouched.
import type { Host, RunOptions, RunResult, WriteOptions, WriteResult } from './host.js';
import { readFileVia, writeFileAtomicVia } from './host.js';

export function traceEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NFSCTL_TRACE !== undefined && env.NFSCTL_TRACE !== '' && env.NFSCTL_TRACE !== '0';
}

export class TracingHost implements Host {
  constructor(
    private readonly inner: Host,
    private readonly write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
    private readonly now: () => number = () => performance.now(),
  ) {}

  get name(): string {
    return this.inner.name;
  }
  get address(): string {
    return this.inner.address;
  }
  get kind(): Host['kind'] {
    return this.inner.kind;
  }

  async run(argv: string[], opts?: RunOptions): Promise<RunResult> {
    const start = this.now();
    try {
      const r = await this.inner.run(argv, opts);
      this.line(start, `exit ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}`, argv);
      return r;
    } catch (err) {
      this.line(start, `error: ${(err as Error).message.split('\n')[0]}`, argv);
      throw err;
    }
  }

  async runMany(argvs: string[][], opts?: RunOptions): Promise<RunResult[]> {
    const start = this.now();
    try {
      const rs = await this.inner.runMany(argvs, opts);
      for (const r of rs)
        this.line(start, `exit ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}, batch of ${argvs.length}`, r.argv);
      return rs;
    } catch (err) {
      this.line(start, `error: ${(err as Error).message.split('\n')[0]}, batch of ${argvs.length}`, argvs[0] ?? []);
      throw err;
    }
  }

  // Through our own run(), so the commands behind file reads and writes are traced too.
  readFile(path: string): Promise<string | null> {
    return readFileVia(this, path);
  }
  writeFileAtomic(path: string, content: string, opts?: WriteOptions): Promise<WriteResult> {
    return writeFileAtomicVia(this, path, content, opts);
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  private line(start: number, outcome: string, argv: string[]): void {
    const shown = argv
      .map((a) => (a.length > 80 ? `${a.slice(0, 77).replace(/\n/g, ' ')}...` : a.replace(/\n/g, ' ')))
      .join(' ');
    this.write(
      `[trace +${start.toFixed(0)}ms ${this.inner.name} ${(this.now() - start).toFixed(0)}ms ${outcome}] ${shown}`,
    );
  }
}
