import { execa } from 'execa';
import type { Host, RunOptions, RunResult, WriteOptions, WriteResult } from './host.js';
import { CommandCancelledError, readFileVia, writeFileAtomicVia } from './host.js';
import { runManyVia } from './batch.js';

export const DEFAULT_TIMEOUT_MS = 60_000;

/** The machine nfsctl runs on: commands through execa, no shell involved. */
export class LocalHost implements Host {
  readonly kind = 'local' as const;
  constructor(
    readonly name: string,
    readonly address = '127.0.0.1',
    private readonly defaultTimeoutMs = DEFAULT_TIMEOUT_MS,
    private readonly sudo = false,
  ) {}

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new Error('empty argv');
    const full = this.sudo ? ['sudo', '-n', '--', ...argv] : argv;
    if (opts.signal?.aborted) throw new CommandCancelledError(this.name, argv);
    const started = Date.now();
    const sub = execa(full[0]!, full.slice(1), {
      reject: false,
      stripFinalNewline: false,
      timeout: opts.timeoutMs ?? this.defaultTimeoutMs,
      forceKillAfterDelay: 2_000,
      input: opts.input ?? '',
      env: opts.env,
      extendEnv: true,
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    });
    const onOut = opts.onStdout;
    if (onOut) sub.stdout?.on('data', (d: Buffer) => onOut(d.toString('utf8')));
    const r = await sub;
    // cancelled: execa resolves once the process has ended (TERM, KILL after 2 s)
    if (r.isCanceled) throw new CommandCancelledError(this.name, argv);
    const timedOut = r.timedOut === true;
    // execa reports a missing binary as failed with no exitCode: report it like a shell (127).
    const exitCode = timedOut ? 124 : (r.exitCode ?? (r.code === 'ENOENT' ? 127 : 1));
    const stderr =
      typeof r.stderr === 'string' && r.stderr !== ''
        ? r.stderr
        : r.code === 'ENOENT'
          ? `${argv[0]}: command not found`
          : String(r.stderr ?? '');
    return {
      host: this.name,
      argv,
      exitCode,
      stdout: String(r.stdout ?? ''),
      stderr,
      durationMs: Date.now() - started,
      timedOut,
    };
  }

  runMany(argvs: string[][], opts?: RunOptions): Promise<RunResult[]> {
    return runManyVia(this, argvs, opts ?? {}, this.defaultTimeoutMs);
  }

  readFile(path: string): Promise<string | null> {
    return readFileVia(this, path);
  }

  writeFileAtomic(path: string, content: string, opts: WriteOptions = {}): Promise<WriteResult> {
    return writeFileAtomicVia(this, path, content, opts);
  }

  async close(): Promise<void> {}
}
