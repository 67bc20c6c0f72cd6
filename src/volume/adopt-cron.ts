// `volume adopt --replace-cron`: the old service's rsync pull (a crontab line copying the NFS
// root into the backup) and nfsctl's sync must never run side by side. The conversion is part
// of the adoption plan: each discovered line is turned off (a "#" in front, nfsctl's marker
// above, nothing else in its file changes) in the very crontab it was found in, only while it
// is there exactly as discovered; then nfsctl's sync timer is installed. Undo puts the line back.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import { CommandFailedError, fileContent } from '../host/host.js';
import { readFileArgv } from '../host/atomic-write.js';
import type { Step } from '../plan/plan.js';
import { cronFilePlan } from '../plan/cron-file.js';
import { NfsctlError } from '../core/errors.js';
import { commentOutCronLine, cronRsyncLines, restoreCronLine, type CronPullLine } from '../core/cron-edit.js';
import { simpleDiff } from '../core/line-diff.js';
import { catDirArgv, splitCat } from './inventory.js';
import { cronLine, DEFAULT_NFSCTL_PATH, SYNC_TIMER_PATH, syncTimerContent } from '../ha/sync-timer.js';

export interface OldPull extends CronPullLine {
  role: PairRole;
  /** /etc/crontab or /etc/cron.d/<name>; null for root's own crontab (crontab -l / crontab -). */
  file: string | null;
}

/** How a person finds the line again. */
export function pullWhere(p: Pick<OldPull, 'role' | 'file' | 'lineNo'>): string {
  return `${p.role}:${p.file ?? "root's crontab (crontab -l)"} line ${p.lineNo}`;
}

/** Names cron reads in /etc/cron.d (Debian's run-parts rule): a file with a dot in its name never runs. */
const CRON_D_NAME = /^[A-Za-z0-9_-]+$/;

function under(root: string, p: string | null): boolean {
  if (!p) return false;
  const n = p.replace(/\/+$/, '') || '/';
  return n === root || n.startsWith(`${root}/`);
}

/** Is this rsync line the old pull of this pair's data (into the NFS root, or from nfsctl's rsync module)? */
export function isOldPull(config: Config, l: CronPullLine): boolean {
  const root = config.nfs.root.replace(/\/+$/, '');
  return under(root, l.dest) || (l.module !== null && l.module === config.rsync.module);
}

/** Every old rsync pull on one host: /etc/crontab, /etc/cron.d/* (as cron reads them) and root's crontab. Reads only. */
export async function readOldPulls(config: Config, role: PairRole, host: Host): Promise<OldPull[]> {
  const [tab, dir, user] = await host.runMany([
    readFileArgv('/etc/crontab'),
    catDirArgv('/etc/cron.d', '', 'nfsctl-cron-d'),
    ['crontab', '-l'],
  ]);
  const out: OldPull[] = [];
  const add = (file: string | null, text: string, systemWide: boolean) => {
    for (const l of cronRsyncLines(text, systemWide)) if (isOldPull(config, l)) out.push({ ...l, role, file });
  };
  add('/etc/crontab', fileContent(tab!, '/etc/crontab') ?? '', true);
  for (const [name, text] of splitCat(dir!.stdout)) {
    if (!CRON_D_NAME.test(name) || name.startsWith('nfsctl')) continue;
    add(`/etc/cron.d/${name}`, text, true);
  }
  if (user!.exitCode === 0) add(null, user!.stdout, false);
  return out;
}

async function readCrontab(host: Host, file: string | null): Promise<string> {
  if (file !== null) {
    const t = await host.readFile(file);
    if (t === null) throw new NfsctlError(`${host.name}: ${file} is gone; nothing was changed`);
    return t;
  }
  const r = await host.run(['crontab', '-l']);
  if (r.exitCode !== 0) throw new CommandFailedError(r);
  return r.stdout;
}

async function writeCrontab(host: Host, file: string | null, text: string): Promise<void> {
  if (file !== null) {
    await host.writeFileAtomic(file, text, { backup: true });
    return;
  }
  // crontab(1) installs the whole table at once (and checks it); it is the only sanctioned writer
  const r = await host.run(['crontab', '-'], { input: text });
  if (r.exitCode !== 0) throw new CommandFailedError(r);
}

/** The part of the job's command that runs (cron makes the first unescaped `%` the end of it). */
function jobCommand(command: string): string {
  const m = /^(?:[^%\\]|\\.)*/.exec(command);
  return (m ? m[0] : command).replace(/\\%/g, '%').trim();
}

/** How long the step waits for a run of the old job that had started before it was turned off. */
export const OLD_JOB_WAIT_MS = 10 * 60_000;

/** Pids of processes whose command line is the old job's (cron's `sh -c COMMAND`, or the command itself). */
export async function runningOldJob(host: Host, command: string): Promise<string[]> {
  const cmd = jobCommand(command);
  const r = await host.run(['ps', '-eo', 'pid=,args=']);
  if (r.exitCode !== 0) throw new CommandFailedError(r);
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const args = m[2]!.trim();
    if (args === cmd || args.endsWith(` -c ${cmd}`)) out.push(m[1]!);
  }
  return out;
}

/** The steps: each old line off (waiting for a run in progress to end); then, in a later phase (never in parallel with them), nfsctl's timer. */
export function cronConversionSteps(
  config: Config,
  pulls: OldPull[],
  timer: { role: PairRole; before: string | null },
  opts: { waitMs?: number; pollMs?: number } = {},
): { off: Step[]; timer: Step[]; notes: string[] } {
  const waitMs = opts.waitMs ?? OLD_JOB_WAIT_MS;
  const pollMs = opts.pollMs ?? 2000;
  const off: Step[] = pulls.map((p) => {
    const where = pullWhere(p);
    return {
      id: `${p.role}:cron-off:${p.file ?? 'crontab'}:${p.lineNo}`,
      host: p.role,
      title: `turn off the old rsync pull at ${where} (a "#" in front, nfsctl's marker above; no other line changes), then wait until no run of it is left`,
      action: {
        kind: 'fn',
        describe: `comment out ${JSON.stringify(p.raw)} only if it is there exactly once, as found${p.file === null ? ' (crontab -l | … | crontab -)' : ''}`,
        fn: async (h, ctx) => {
          await writeCrontab(h, p.file, commentOutCronLine(await readCrontab(h, p.file), p.raw, where));
          const end = Date.now() + waitMs;
          for (;;) {
            const pids = await runningOldJob(h, p.command);
            if (pids.length === 0) return;
            if (Date.now() >= end)
              throw new NfsctlError(
                `${h.name}: the old pull is still running (pid ${pids.join(', ')}) after ${Math.round(waitMs / 1000)} s; it and nfsctl sync must not run side by side: let it end (or stop it), then run this again`,
              );
            ctx.progress(`the old pull is still running (pid ${pids.join(', ')}): waiting for it to end`);
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, pollMs);
              ctx.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
            });
            if (ctx.signal.aborted) throw new NfsctlError('interrupted while the old pull was still running');
          }
        },
      },
      undo: {
        title: `put the old rsync pull back at ${where}`,
        action: {
          kind: 'fn',
          describe: `uncomment ${JSON.stringify(p.raw)} (only the line nfsctl turned off)`,
          fn: async (h) => writeCrontab(h, p.file, restoreCronLine(await readCrontab(h, p.file), p.raw, where)),
        },
      },
    };
  });
  const line = cronLine(config.rsync.interval, DEFAULT_NFSCTL_PATH, 'rsync.interval (config)');
  const content = syncTimerContent(line);
  const notes = [
    ...pulls.map((p) => `old rsync pull at ${pullWhere(p)}: ${p.raw.replace(/\r$/, '')}`),
    `it is turned off first, then nfsctl's sync timer (${timer.role}:${SYNC_TIMER_PATH}: ${line}) is installed: the two never run side by side (a run of the old job in progress is waited for)`,
  ];
  const timerSteps: Step[] = [];
  if (timer.before !== content) {
    const diff = simpleDiff(timer.before, content);
    const step = cronFilePlan({
      title: '',
      role: timer.role,
      path: SYNC_TIMER_PATH,
      before: timer.before,
      content,
      line,
      diff,
    }).phases[0]!.steps[0]!;
    timerSteps.push({
      ...step,
      id: `${timer.role}:sync-timer`,
      title: `install nfsctl's sync timer (${SYNC_TIMER_PATH})`,
    });
    notes.push(`diff of ${timer.role}:${SYNC_TIMER_PATH}:`, ...diff);
  } else notes.push(`${timer.role}:${SYNC_TIMER_PATH} is already installed as it should be`);
  return { off, timer: timerSteps, notes };
}
