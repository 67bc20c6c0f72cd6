// The Host interface: the only way nfsctl touches a machine. Commands are argv arrays,
// never shell strings; a non-zero exit is a result, not an exception (callers decide what
// a failure means: LVM, for one, prints warnings on stderr and still exits 0).

import { atomicWriteArgv, readFileArgv, READ_MISSING_EXIT } from './atomic-write.js';

export interface RunOptions {
  /** Kill the command after this many ms; the result has timedOut=true and exitCode 124. */
  timeoutMs?: number;
  /** Data for the command's standard input. */
  input?: string;
  /** Extra environment variables (remote: passed via `env`, quoted like any argument). */
  env?: Record<string, string>;
  /**
   * Cancel the command when aborted: a local one is killed (TERM, then KILL); over SSH its
   * remote process group is sent TERM, then KILL, and the channel closed. The run then
   * rejects with CommandCancelledError, once the command is known to be gone (or with
   * `mayStillRun` when that could not be confirmed).
   */
  signal?: AbortSignal;
  /** Standard output as it arrives (progress); the result still carries all of it. */
  onStdout?: (chunk: string) => void;
}

export interface RunResult {
  host: string;
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface WriteOptions {
  /** File mode for a new file (an existing file keeps its mode). Default 0644. */
  mode?: number;
  /** Keep a timestamped copy of the previous content next to the file. */
  backup?: boolean;
}

export interface WriteResult {
  /** Where the previous content was kept, if a backup was taken. */
  backupPath?: string;
}

export type HostKind = 'local' | 'ssh' | 'fake';

export interface Host {
  /** The pair member name from config ("primary", "backup") or a node name. */
  readonly name: string;
  readonly address: string;
  readonly kind: HostKind;
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /**
   * Independent read-only commands, all at once, as one process on the host (see batch.ts);
   * one result per argv, in order, each as `run` would have returned it.
   */
  runMany(argvs: string[][], opts?: RunOptions): Promise<RunResult[]>;
  /** File content, or null when the file does not exist. */
  readFile(path: string): Promise<string | null>;
  /** Replace a file atomically: temp file in the same directory, fsync, rename. */
  writeFileAtomic(path: string, content: string, opts?: WriteOptions): Promise<WriteResult>;
  close(): Promise<void>;
}

/** Throw-on-failure wrapper for the common case where a non-zero exit is an error. */
export class CommandFailedError extends Error {
  readonly result: RunResult;
  constructor(result: RunResult) {
    const why = result.timedOut ? `timed out after ${result.durationMs} ms` : `exit ${result.exitCode}`;
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
    super(`${result.host}: \`${result.argv.join(' ')}\` failed (${why})${detail ? `: ${detail}` : ''}`);
    this.name = 'CommandFailedError';
    this.result = result;
  }
}

/** A command stopped through RunOptions.signal. */
export class CommandCancelledError extends Error {
  constructor(
    readonly host: string,
    readonly argv: string[],
    /** The end of the command could not be confirmed (a remote host that stopped answering). */
    readonly mayStillRun = false,
  ) {
    super(`${host}: \`${argv.join(' ')}\` was cancelled${mayStillRun ? ' (it may still be running there)' : ''}`);
    this.name = 'CommandCancelledError';
  }
}

export async function runChecked(host: Host, argv: string[], opts?: RunOptions): Promise<RunResult> {
  const r = await host.run(argv, opts);
  if (r.exitCode !== 0) throw new CommandFailedError(r);
  return r;
}

/** readFile for any host that can run commands: same script locally and over SSH. */
export async function readFileVia(host: Pick<Host, 'run'>, path: string): Promise<string | null> {
  return fileContent(await host.run(readFileArgv(path)), path);
}

/** What a readFileArgv(path) command returned: the content, or null when the file does not exist. */
export function fileContent(r: RunResult, path: string): string | null {
  if (r.exitCode === READ_MISSING_EXIT) return null;
  // the error names the file, not the little script that read it
  if (r.exitCode !== 0) throw new CommandFailedError({ ...r, argv: ['cat', path] });
  return r.stdout;
}

/** writeFileAtomic for any host that can run commands (see atomic-write.ts). */
export async function writeFileAtomicVia(
  host: Pick<Host, 'run'>,
  path: string,
  content: string,
  opts: WriteOptions = {},
): Promise<WriteResult> {
  const r = await host.run(atomicWriteArgv(path, content, opts.mode ?? 0o644, opts.backup ?? false), {
    input: content,
  });
  if (r.exitCode !== 0) throw new CommandFailedError(r);
  return r.stdout ? { backupPath: r.stdout } : {};
}
