// A recording host for unit tests of plans and logic: it runs nothing, records every argv,
// answers from scripted handlers, and keeps files in memory. Not a stand-in for the real
// tools: lab tests cover those.
import type { Host, RunOptions, RunResult, WriteOptions, WriteResult } from './host.js';
import { CommandCancelledError } from './host.js';
import { HostUnreachableError } from '../core/errors.js';
import { READ_MISSING_EXIT } from './atomic-write.js';

export interface FakeReply {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}
export type FakeHandler = (argv: string[], opts: RunOptions) => FakeReply | undefined | Promise<FakeReply | undefined>;

export class FakeHost implements Host {
  readonly kind = 'fake' as const;
  readonly calls: { argv: string[]; input?: string }[] = [];
  readonly files = new Map<string, string>();
  readonly writes: { path: string; content: string; backup: boolean }[] = [];
  private handlers: { match: (argv: string[]) => boolean; handler: FakeHandler }[] = [];
  /** When set, every call throws as if the host vanished. */
  unreachable = false;

  constructor(
    readonly name: string,
    readonly address = '198.51.100.250',
  ) {}

  /** Answer commands whose argv starts with `prefix` (later registrations win). */
  on(prefix: string[] | ((argv: string[]) => boolean), handler: FakeHandler | FakeReply): this {
    const match = typeof prefix === 'function' ? prefix : (argv: string[]) => prefix.every((p, i) => argv[i] === p);
    const h: FakeHandler = typeof handler === 'function' ? handler : () => handler;
    this.handlers.unshift({ match, handler: h });
    return this;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (this.unreachable) throw new HostUnreachableError(this.name, `${this.name} is unreachable (fake)`);
    this.calls.push(opts.input === undefined ? { argv } : { argv, input: opts.input });
    const sig = opts.signal;
    if (sig?.aborted) throw new CommandCancelledError(this.name, argv);
    // a handler that waits (a long copy) ends when the signal aborts, as a killed command would
    const cancelled = sig
      ? new Promise<never>((_, reject) =>
          sig.addEventListener('abort', () => reject(new CommandCancelledError(this.name, argv)), { once: true }),
        )
      : null;
    cancelled?.catch(() => undefined);
    let reply: FakeReply | undefined = this.readCommand(argv);
    for (const { match, handler } of this.handlers) {
      if (match(argv)) {
        reply = cancelled ? await Promise.race([handler(argv, opts), cancelled]) : await handler(argv, opts);
        if (reply) break;
      }
    }
    reply ??= {};
    if (reply.stdout && opts.onStdout) opts.onStdout(reply.stdout);
    return {
      host: this.name,
      argv,
      exitCode: reply.exitCode ?? 0,
      stdout: reply.stdout ?? '',
      stderr: reply.stderr ?? '',
      durationMs: 0,
      timedOut: false,
    };
  }

  /** Each command on its own (and recorded): the fake has no processes to save. */
  runMany(argvs: string[][], opts?: RunOptions): Promise<RunResult[]> {
    return Promise.all(argvs.map((a) => this.run(a, opts)));
  }

  /** The read command of readFileVia (atomic-write.ts) reads the in-memory files. */
  private readCommand(argv: string[]): FakeReply | undefined {
    if (argv.length !== 5 || argv[0] !== 'sh' || argv[3] !== 'nfsctl-read') return undefined;
    const content = this.files.get(argv[4]!);
    return content === undefined ? { exitCode: READ_MISSING_EXIT } : { stdout: content };
  }

  async readFile(path: string): Promise<string | null> {
    if (this.unreachable) throw new HostUnreachableError(this.name, `${this.name} is unreachable (fake)`);
    return this.files.get(path) ?? null;
  }

  async writeFileAtomic(path: string, content: string, opts: WriteOptions = {}): Promise<WriteResult> {
    if (this.unreachable) throw new HostUnreachableError(this.name, `${this.name} is unreachable (fake)`);
    const backup = (opts.backup ?? false) && this.files.has(path);
    this.writes.push({ path, content, backup });
    const result: WriteResult = {};
    if (backup) {
      result.backupPath = `${path}.nfsctl-fake.bak`;
      this.files.set(result.backupPath, this.files.get(path)!);
    }
    this.files.set(path, content);
    return result;
  }

  /** argv of every call, joined, for compact assertions. */
  commandLines(): string[] {
    return this.calls.map((c) => c.argv.join(' '));
  }

  async close(): Promise<void> {}
}
