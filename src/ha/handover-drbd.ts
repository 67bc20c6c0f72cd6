// The DRBD volumes' part of a switchover or failback (handover.ts): nothing is copied for
// them (DRBD keeps both hosts block-identical, protocol C); instead
//   - preflight refuses unless every DRBD volume is Connected and UpToDate on both hosts; a
//     resync under way (failback after a crash: the primary comes back as SyncTarget) is
//     waited for, up to --resync-wait, by the plan's first step with its progress, or refused
//     at once with its figures when its ETA is longer than that;
//   - the plan moves them itself around the VIP move (drbd-move.ts): clients held on the new
//     holder, the old one lets go, the new one serves, the hold released;
//   - the notes and summary say what clients see, and what NFS server state does not move.
// The rsync volumes of a mixed pair are copied as before (handover-steps.ts).
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import { PreconditionError } from '../core/errors.js';
import type { Phase, StepContext } from '../plan/plan.js';
import { formatEta } from '../core/rsync-progress.js';
import { REPLICATED_PROMISE } from './promise.js';
import { backendNamed } from '../volume/backend/registry.js';
import {
  drbdHealth,
  drbdVolumes,
  formatFigures,
  readSplitBrainEvidence,
  ROLES,
  sideText,
  waitResynced,
  waitServing,
  type DrbdVolume,
  type SplitBrainEvidence,
} from './drbd-pair.js';
import type { HandoverFacts, HandoverInput, HandoverOptions } from './handover-steps.js';
import { drbdMovePreflight } from './drbd-move.js';

/** How long a handover waits for a DRBD resync by default (--resync-wait). */
export const DEFAULT_RESYNC_WAIT_MS = 10 * 60_000;

/**
 * Read-only: fill `f.drbd` and refuse (PreconditionError, nothing changed) unless every DRBD
 * volume can move now or after a resync short enough to wait for.
 */
export async function drbdPreflight(
  config: Config,
  hosts: Record<PairRole, Host>,
  f: HandoverFacts,
  o: HandoverOptions,
  { judge }: { judge: boolean } = { judge: true },
): Promise<void> {
  const dvs = drbdVolumes(config, f.views, f.inv);
  f.drbd = dvs;
  f.drbdResync = [];
  if (dvs.length === 0) return;
  if (judge) {
    const wait = o.resyncWaitMs ?? DEFAULT_RESYNC_WAIT_MS;
    // the kernel log is read only when a side is StandAlone (evidence of a split brain)
    let evidence: Partial<Record<PairRole, SplitBrainEvidence>> | undefined;
    if (dvs.some((dv) => ROLES.some((r) => dv.hosts[r].state?.cstate === 'StandAlone'))) {
      const [p, b] = await Promise.all(ROLES.map((r) => readSplitBrainEvidence(hosts[r])));
      evidence = { primary: p!, backup: b! };
    }
    f.drbdResync = judgeForHandover(dvs, evidence, o.kind, wait);
  }
  f.drbdHooks = await drbdMovePreflight(config, hosts, f.to);
}

/**
 * The DRBD volumes that need a wait (resync under way, its ETA within `waitMs`); throws
 * PreconditionError with the figures when any cannot move. Pure.
 */
export function judgeForHandover(
  dvs: readonly DrbdVolume[],
  evidence: Partial<Record<PairRole, SplitBrainEvidence>> | undefined,
  kind: HandoverOptions['kind'],
  waitMs: number,
): DrbdVolume[] {
  const refused: string[] = [];
  const resync: DrbdVolume[] = [];
  let splitBrain = false;
  for (const dv of dvs) {
    const h = drbdHealth(dv, evidence);
    const sides = `primary: ${sideText(dv.hosts.primary)}; backup: ${sideText(dv.hosts.backup)}`;
    if (h.kind === 'split-brain') {
      splitBrain = true;
      refused.push(`${dv.id}: SPLIT BRAIN: ${h.why} (${sides})`);
    } else if (h.kind === 'bad') refused.push(`${dv.id}: ${h.why} (${sides})`);
    else if (h.kind === 'syncing') {
      const eta = h.figures.etaSeconds;
      if (eta !== null && eta * 1000 > waitMs)
        refused.push(
          `${dv.id}: resyncing${h.figures.target ? ` to ${h.figures.target}` : ''}: ${formatFigures(h.figures)}, longer than --resync-wait ${formatEta(waitMs / 1000)}`,
        );
      else resync.push(dv);
    }
  }
  if (refused.length)
    throw new PreconditionError(
      `refusing to ${kind}: the DRBD volumes must be Connected and UpToDate on both hosts; nothing was changed:\n  ${refused.join('\n  ')}`,
      {
        hint: splitBrain
          ? 'nfsctl ha split-brain (what diverged), then nfsctl ha split-brain resolve <volume> --keep primary|backup'
          : 'wait for the resync (nfsctl status shows its progress) or give it longer: --resync-wait 1h; a host not Connected: drbdadm connect <resource> there',
      },
    );
  return resync;
}

/** First phase (nothing changed before it): wait for the DRBD resyncs preflight saw under way. */
export function drbdResyncPhase(x: HandoverInput): Phase[] {
  const { config, hosts, facts: f, opts: o } = x;
  const dvs = f.drbdResync ?? [];
  if (dvs.length === 0) return [];
  const wait = o.resyncWaitMs ?? DEFAULT_RESYNC_WAIT_MS;
  return [
    {
      title: `wait for the DRBD resync (${dvs.map((d) => d.id).join(', ')}); nothing is changed before it ends`,
      steps: [
        {
          id: `${f.to}:drbd-resync`,
          host: f.to,
          title: `wait until ${dvs.map((d) => d.resource).join(', ')} ${dvs.length > 1 ? 'are' : 'is'} Connected and UpToDate on both hosts (up to ${formatEta(wait / 1000)})`,
          action: {
            kind: 'fn',
            describe: 'poll the DRBD state (/proc/drbd) on both hosts, showing the resync progress',
            fn: async (_h, step) =>
              void (await waitResynced(config, hosts, dvs, {
                timeoutMs: wait,
                signal: step.signal,
                progress: (t) => step.progress(t),
              })),
          },
          undo: null,
          noUndoReason: 'a wait: changes nothing',
        },
      ],
    },
  ];
}

/** The plan's notes about the DRBD volumes. */
export function drbdNotes(x: HandoverInput): string[] {
  const { facts: f } = x;
  const dvs = f.drbd ?? [];
  if (dvs.length === 0) return [];
  const { from, to } = f;
  const p = backendNamed(dvs[0]!.view.backend).movePromise ?? REPLICATED_PROMISE;
  const notes = [
    `DRBD volumes (${dvs.map((d) => d.id).join(', ')}) are not copied: DRBD keeps both hosts block-identical; NFS traffic to the VIP is held on ${to} (dropped, so clients retransmit rather than see stale handles) from before the VIP moves until ${to} serves them; after the move ${from} unexports, unmounts and demotes them and ${to} promotes, mounts and exports them (the notify hook, run by the plan)`,
    `what the move does to clients of the DRBD volumes: ${p.planned}; ${p.openFiles}`,
    ...drbdStateNotes(to),
  ];
  for (const dv of f.drbdResync ?? []) {
    const h = drbdHealth(dv);
    if (h.kind === 'syncing')
      notes.push(`${dv.id}: resync under way (${formatFigures(h.figures)}): the plan waits for it first`);
  }
  return notes;
}

/**
 * What NFS server state moves with a DRBD volume and what does not: said in every handover
 * plan and in the README ("DRBD volumes: what a takeover keeps").
 */
export function drbdStateNotes(to: PairRole): string[] {
  return [
    `server state that moves with a DRBD volume: its data, so its inodes and the clients' file handles (same fsid on both hosts)`,
    `server state that does NOT move: each host's /var/lib/nfs (NFSv4 client recovery records in /var/lib/nfs/nfsdcltrack, statd's monitor list in /var/lib/nfs/sm) stays on its own root filesystem; ${to}'s NFS server starts its grace period without the clients ${to} did not serve before, so it may refuse their NFSv4 reclaims (they open again after the grace period; locks they held are lost) and NFSv3 lock holders are told to reclaim (kernel nfsd: ${to} runs sm-notify as the VIP with the old holder's statd list copied), but its lockd accepts reclaims only in its grace period, which nfsctl does not start at a move: they may be refused (not shown on a kernel; restart the programs that rely on NFSv3 locks if they report lost locks)`,
  ];
}

/** Summary lines for the DRBD volumes (each within the summary width, cut by the caller). */
export function drbdSummary(x: HandoverInput, fit: (head: string, items: string[]) => string): string[] {
  const dvs = x.facts.drbd ?? [];
  if (dvs.length === 0) return [];
  const lines = [
    fit(
      'open files kept (DRBD, nothing acknowledged lost): ',
      dvs.map((d) => d.id),
    ),
  ];
  if ((x.facts.drbdResync ?? []).length)
    lines.push(
      `DRBD resync under way: waited for first (up to ${formatEta((x.opts.resyncWaitMs ?? DEFAULT_RESYNC_WAIT_MS) / 1000)})`,
    );
  lines.push(`DRBD volumes: no copy; clients held on ${x.facts.to} until it serves them`);
  return lines;
}

export type { DrbdVolume };
