// Helpers for lab tests (vitest project `lab`). The lab itself is built by lab/lab.sh; these
// helpers only drive it. Nothing here imports vitest, so global-setup.ts can use them too.
//
//   labExec('primary', ['labsvc', 'status', 'keepalived'])  -> { stdout, stderr, exitCode, ... }
//   await fault('reject', 'primary', ['--port', '2049']); ... finally { await undoFault('reject', 'primary', ['--port', '2049']) }
//   await waitFor(async () => (await vipHolders()).join() === 'backup', 15_000)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const LAB_SH = path.join(REPO_ROOT, 'lab', 'lab.sh');
/** Namespace prefix of this lab (NFSLAB_NS lets several labs run side by side; lab.sh reads it too). */
export const NS = process.env.NFSLAB_NS ?? 'nfslab';
/** State dir of the netns tier (lab.sh reads the same variable). */
export const LAB_DIR = process.env.NFSLAB_DIR ?? `/tmp/${NS}`;

export const VIP = '198.51.100.100';
export const LAB_NET = '198.51.100.0/24';
export const HOST_IPS = {
  primary: '198.51.100.11',
  backup: '198.51.100.12',
  client: '198.51.100.21',
  ceph: '198.51.100.31',
} as const;
export type LabHost = keyof typeof HOST_IPS;
export type StorageHost = 'primary' | 'backup';
export const LAB_HOSTS = Object.keys(HOST_IPS) as LabHost[];
export const STORAGE_HOSTS: StorageHost[] = ['primary', 'backup'];
/** Every network namespace of the netns tier (the vm tier has its own nfslab-vm* ones). */
export const LAB_NAMESPACES = [`${NS}-sw`, ...LAB_HOSTS.map((h) => `${NS}-${h}`)];

export interface RunResult {
  stdout: string;
  stderr: string;
  /** exit code; 124 when killed by our timeout, 128+n when killed by signal n */
  exitCode: number;
  timedOut: boolean;
  durationMs: number;
}
export interface RunOptions {
  /** written to stdin (stdin is closed either way: nothing ever waits for a TTY) */
  input?: string;
  /** kill the whole process group after this long (default 60 s) */
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Run a command in the root namespace. Never throws on a non-zero exit. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // detached: own process group, so a timeout also kills what nsenter/ssh started
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined); // command exited before reading its input
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const exitCode = timedOut ? 124 : (code ?? 128 + (SIGNALS[signal ?? ''] ?? 0));
      resolve({ stdout, stderr, exitCode, timedOut, durationMs: Date.now() - started });
    });
  });
}

/** `bash lab/lab.sh ARGS...` */
export function labSh(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('bash', [LAB_SH, ...args], opts);
}

/** Run argv inside a lab host (its net + mount + uts namespaces). Never throws on non-zero. */
export function labExec(host: LabHost, argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  return labSh(['exec', host, '--', ...argv], opts);
}

/** labExec, but throws (with the output) unless the command exits 0; returns stdout. */
export async function labExecOk(host: LabHost, argv: string[], opts: RunOptions = {}): Promise<string> {
  const r = await labExec(host, argv, opts);
  if (r.exitCode !== 0) throw new Error(formatFailure(`exec ${host}: ${argv.join(' ')}`, r));
  return r.stdout;
}

/** Storage hosts whose eth0 carries the VIP right now, in order primary, backup. */
export async function vipHolders(): Promise<StorageHost[]> {
  const holders: StorageHost[] = [];
  for (const h of STORAGE_HOSTS) {
    const r = await run('ip', ['-n', `${NS}-${h}`, '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
    if (r.exitCode === 0 && r.stdout.includes(` ${VIP}/`)) holders.push(h);
  }
  return holders;
}

/**
 * Apply a lab fault (see `npm run lab -- fault list`), e.g. fault('drop', 'primary', ['--port', '111']),
 * fault('remove-export', 'primary', ['--path', '/nfs/ns_vol']), fault('no-vip').
 * Faults that move the VIP return once it settled. Throws if the fault cannot be applied.
 */
export async function fault(name: string, host?: LabHost, extra: string[] = []): Promise<RunResult> {
  const r = await labSh(['fault', name, ...(host ? [host] : []), ...extra], { timeoutMs: 90_000 });
  if (r.exitCode !== 0) throw new Error(formatFailure(`fault ${name}`, r));
  return r;
}

/** Undo a fault (same arguments as fault()). Idempotent. */
export async function undoFault(name: string, host?: LabHost, extra: string[] = []): Promise<RunResult> {
  const r = await labSh(['fault', name, ...(host ? [host] : []), ...extra, '--undo'], { timeoutMs: 90_000 });
  if (r.exitCode !== 0) throw new Error(formatFailure(`undo fault ${name}`, r));
  return r;
}

/** Undo every fault recorded as active (e.g. in afterAll, or after an aborted run). */
export async function undoAllFaults(): Promise<void> {
  const r = await labSh(['fault', 'undo-all'], { timeoutMs: 180_000 });
  if (r.exitCode !== 0) throw new Error(formatFailure('fault undo-all', r));
}

/** Active faults as recorded by lab.sh, e.g. ['split-brain primary', 'reject primary --port 2049']. */
export async function activeFaults(): Promise<string[]> {
  const r = await labSh(['status']);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('fault: '))
    .map((l) => l.slice('fault: '.length));
}

/** Facts about what this machine's lab can do, e.g. { xfs_prjquota: 'no', kernel: '6.1.0' }. */
export async function labFacts(): Promise<Record<string, string>> {
  const r = await labSh(['facts']);
  const facts: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) facts[line.slice(0, i)] = line.slice(i + 1);
  }
  return facts;
}

/**
 * Poll fn until it returns a truthy value (which is returned). Errors thrown by fn count as
 * "not yet". Throws after timeoutMs with the last value or error.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const what = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`waitFor: condition not met within ${timeoutMs} ms (last: ${what})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A readable error text for a failed command. */
export function formatFailure(what: string, r: RunResult): string {
  return `${what} failed (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
