// Several independent, read-only commands as ONE process on the host: one SSH channel (or one
// local spawn) instead of one per command. Reading a host's state takes about a dozen quick
// commands; each separate one costs a channel open, a login shell on the far side and a
// process spawn here, which is most of what `volume list` and `health` spend.
//
// The script runs every command in the background with its stdout, stderr and exit code in
// a private temp directory, waits for all, then prints each result framed by a random
// boundary line that no command output can guess. Each result is exactly what the command
// would have returned alone (bytes, exit code), except durationMs (the whole batch's).
import { randomBytes } from 'node:crypto';
import type { Host, RunOptions, RunResult } from './host.js';
import { quoteArgv } from './quote.js';

/** The batch could not be run or read back (e.g. no writable temp dir): run one by one. */
const BATCH_SETUP_FAILED = 97;

/**
 * Each command under its own `timeout`, a little shorter than the batch's: one that hangs
 * (a wedged NFS server's dbus call) ends alone with exit 124, the others' results stand.
 */
export function batchArgv(argvs: readonly string[][], boundary: string, commandTimeoutSec: number): string[] {
  const limit = ['timeout', '-k', '2', String(Math.max(1, commandTimeoutSec))];
  const jobs = argvs.map(
    (argv, i) =>
      `{ ${quoteArgv([...limit, ...argv])} ; echo $? >"$d/${i}.c"; } </dev/null >"$d/${i}.o" 2>"$d/${i}.e" &`,
  );
  const script = [
    `d=$(mktemp -d "\${TMPDIR:-/tmp}/nfsctl-batch.XXXXXX") || exit ${BATCH_SETUP_FAILED}`,
    `trap 'rm -rf "$d"' EXIT`,
    ...jobs,
    'wait',
    `i=0; while [ "$i" -lt ${argvs.length} ]; do`,
    `  [ -s "$d/$i.c" ] || exit ${BATCH_SETUP_FAILED}`,
    `  printf '\\n%s %s %s\\n' "$1" "$i" "$(cat "$d/$i.c")"; cat "$d/$i.o"`,
    `  printf '\\n%s e\\n' "$1"; cat "$d/$i.e"`,
    '  i=$((i+1))',
    'done',
  ].join('\n');
  return ['sh', '-c', script, 'nfsctl-batch', boundary];
}

/** Split a batch's output back into one result per command; null when it is not well formed. */
export function parseBatchOutput(
  stdout: string,
  boundary: string,
  argvs: readonly string[][],
  template: Omit<RunResult, 'argv' | 'exitCode' | 'stdout' | 'stderr'>,
): RunResult[] | null {
  // "" then, per command: "<i> <exit>\n<stdout>" and "e\n<stderr>"
  const parts = stdout.split(`\n${boundary} `);
  if (parts[0] !== '' || parts.length !== 2 * argvs.length + 1) return null;
  const out: RunResult[] = [];
  for (let i = 0; i < argvs.length; i++) {
    const head = /^(\d+) (\d+)\n/.exec(parts[1 + 2 * i]!);
    const err = parts[2 + 2 * i]!;
    if (!head || Number(head[1]) !== i || !err.startsWith('e\n')) return null;
    const exitCode = Number(head[2]);
    out.push({
      ...template,
      argv: argvs[i]!,
      exitCode,
      stdout: parts[1 + 2 * i]!.slice(head[0].length),
      stderr: err.slice(2),
      timedOut: template.timedOut || exitCode === 124,
    });
  }
  return out;
}

/**
 * The distinct commands of a batch, and for each argv the index of its distinct command.
 * Backends that read the same thing (lvm and drbd both list the volume group's LVs) ask for
 * it once each: the commands of a batch are read-only and run at the same moment, so one run
 * answers all of them (an `lvs` costs seconds on a big or slow host).
 */
export function distinctArgvs(argvs: readonly string[][]): { unique: string[][]; indexOf: number[] } {
  const seen = new Map<string, number>();
  const unique: string[][] = [];
  const indexOf = argvs.map((argv) => {
    const key = JSON.stringify(argv);
    let i = seen.get(key);
    if (i === undefined) {
      i = unique.push(argv) - 1;
      seen.set(key, i);
    }
    return i;
  });
  return { unique, indexOf };
}

/** runMany for any host that can run commands; identical commands run once (distinctArgvs). */
export async function runManyVia(
  host: Pick<Host, 'run'>,
  argvs: string[][],
  opts: RunOptions,
  defaultTimeoutMs: number,
): Promise<RunResult[]> {
  const { unique, indexOf } = distinctArgvs(argvs);
  if (unique.length === argvs.length) return runDistinct(host, argvs, opts, defaultTimeoutMs);
  const results = await runDistinct(host, unique, opts, defaultTimeoutMs);
  return indexOf.map((i) => ({ ...results[i]! }));
}

/** One batch process for distinct commands; falls back to one command at a time. */
async function runDistinct(
  host: Pick<Host, 'run'>,
  argvs: string[][],
  opts: RunOptions,
  defaultTimeoutMs: number,
): Promise<RunResult[]> {
  if (argvs.length === 0) return [];
  if (argvs.length === 1 || opts.input !== undefined) return Promise.all(argvs.map((a) => host.run(a, opts)));
  const boundary = `--nfsctl-batch-${randomBytes(16).toString('hex')}--`;
  const batchMs = opts.timeoutMs ?? defaultTimeoutMs;
  // the batch itself gets a few seconds more than its commands, to print what they left
  const r = await host.run(batchArgv(argvs, boundary, Math.floor(batchMs / 1000)), {
    ...opts,
    timeoutMs: batchMs + 5_000,
  });
  const parsed =
    r.exitCode === 0
      ? parseBatchOutput(r.stdout, boundary, argvs, { host: r.host, durationMs: r.durationMs, timedOut: false })
      : null;
  if (parsed) return parsed;
  if (r.timedOut)
    return argvs.map((argv) => ({
      ...r,
      argv,
      exitCode: 124,
      stdout: '',
      stderr: 'timed out (in a batch of commands)',
    }));
  return Promise.all(argvs.map((a) => host.run(a, opts)));
}
