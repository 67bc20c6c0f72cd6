// `nfsctl ha split-brain`: what diverged, per DRBD volume, and `ha split-brain resolve
// <volume> --keep primary|backup`: the resolution DRBD's guide describes, as a plan (dry run,
// typed confirmation of the volume id, journal, audit). nfsctl never resolves one by itself.
//
// The plan, with K the host whose data is kept and D the one whose changes are discarded:
//   1. on D: stop serving it (unexport, unmount), `drbdadm disconnect` (unless StandAlone),
//      `drbdadm secondary` (if Primary);
//   2. on D: `drbdadm connect --discard-my-data <res>`;
//   3. on K: `drbdadm connect <res>` if StandAlone;
//   4. wait until both are Connected and UpToDate (the resync K -> D, only the blocks the
//      bitmaps mark), with its progress;
//   5. the VIP holder serves it again: if that is D, K is demoted first (unexport, unmount,
//      secondary), then D promotes, mounts and exports; if it is K and K does not serve, K does.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import { runChecked } from '../host/host.js';
import { PreconditionError, UsageError } from '../core/errors.js';
import { quoteValue } from '../core/numbers.js';
import { formatSize } from '../core/sizes.js';
import { formatEta } from '../core/rsync-progress.js';
import { newPlanId, type Phase, type Plan, type Step } from '../plan/plan.js';
import { loadPairState } from '../volume/pair-state.js';
import { exporterOf } from '../volume/nfs-server/registry.js';
import { unmountStep } from '../volume/unmount.js';
import {
  drbdHealth,
  drbdVolumes,
  formatFigures,
  peer,
  readSplitBrainEvidence,
  resyncFigures,
  ROLES,
  sideText,
  splitBrainOf,
  waitResynced,
  type DrbdHealth,
  type DrbdVolume,
  type SplitBrain,
  type SplitBrainEvidence,
} from './drbd-pair.js';

export const DEFAULT_RESOLVE_WAIT_MS = 30 * 60_000;

export interface SplitBrainVolume {
  volume: string;
  resource: string;
  minor: number | null;
  vipOn: PairRole | null;
  splitBrain: SplitBrain | null;
  /** ok | syncing | split-brain | bad, with why. */
  state: DrbdHealth['kind'];
  why: string | null;
  hosts: Record<
    PairRole,
    {
      text: string;
      role: string | null;
      cstate: string | null;
      disk: string | null;
      /** Blocks this side's bitmap marks out of sync (while disconnected: what it changed since). */
      outOfSyncBytes: number | null;
      mounted: boolean;
      exported: boolean;
    }
  >;
  /** A resync under way: out-of-sync bytes, percent, ETA, and its target host. */
  resync: ReturnType<typeof resyncFigures> | null;
  /** The command that resolves it keeping the VIP holder's data (null: nothing to resolve). */
  resolve: string | null;
}

export interface SplitBrainReport {
  checkedAt: string;
  vipHolder: PairRole | null;
  volumes: SplitBrainVolume[];
}

/** Read-only: every DRBD volume's sides, with the kernel logs' split-brain evidence. */
export async function readSplitBrain(
  config: Config,
  hosts: Record<PairRole, Host>,
): Promise<{
  dvs: DrbdVolume[];
  evidence: Record<PairRole, SplitBrainEvidence>;
  vipHolder: PairRole | null;
  state: Awaited<ReturnType<typeof loadPairState>>;
}> {
  const state = await loadPairState(config, hosts);
  const dvs = drbdVolumes(config, state.views, state.inv);
  // the kernel logs only matter when a side is StandAlone (DRBD dropped the connection)
  const alone = dvs.some((dv) => ROLES.some((r) => dv.hosts[r].state?.cstate === 'StandAlone'));
  const none = (): SplitBrainEvidence => ({ minors: new Set<number>(), resources: new Set<string>() });
  const ev = await Promise.all(
    ROLES.map((r) => (state.inv[r].reachable && alone ? readSplitBrainEvidence(hosts[r]) : Promise.resolve(none()))),
  );
  return { dvs, evidence: { primary: ev[0]!, backup: ev[1]! }, vipHolder: state.vipHolder, state };
}

/** Is there something for `resolve` to do: a split brain, or the two sides not connected. */
export function resolvable(dv: DrbdVolume, evidence?: Partial<Record<PairRole, SplitBrainEvidence>>): boolean {
  if (splitBrainOf(dv, evidence)) return true;
  const cs = ROLES.map((r) => dv.hosts[r].state?.cstate);
  return (
    cs.every((c) => c !== undefined) &&
    cs.some((c) => c === 'StandAlone' || c === 'WFConnection' || c === 'Disconnecting' || c === 'Unconnected')
  );
}

export function splitBrainReport(
  dvs: DrbdVolume[],
  evidence: Partial<Record<PairRole, SplitBrainEvidence>>,
  vipHolder: PairRole | null,
  now = new Date(),
): SplitBrainReport {
  return {
    checkedAt: now.toISOString(),
    vipHolder,
    volumes: dvs.map((dv) => {
      const h = drbdHealth(dv, evidence);
      const sb = splitBrainOf(dv, evidence);
      const side = (r: PairRole) => {
        const s = dv.hosts[r];
        return {
          text: sideText(s),
          role: s.state?.role ?? null,
          cstate: s.state?.cstate ?? null,
          disk: s.state?.disk ?? null,
          outOfSyncBytes: s.state?.outOfSyncKiB == null ? null : s.state.outOfSyncKiB * 1024,
          mounted: s.mounted,
          exported: s.served,
        };
      };
      return {
        volume: dv.id,
        resource: dv.resource,
        minor: dv.minor,
        vipOn: vipHolder,
        splitBrain: sb,
        state: h.kind,
        why: h.kind === 'ok' ? null : h.kind === 'syncing' ? formatFigures(h.figures) : h.why,
        hosts: { primary: side('primary'), backup: side('backup') },
        resync: h.kind === 'syncing' ? h.figures : null,
        resolve: resolvable(dv, evidence)
          ? `nfsctl ha split-brain resolve ${dv.id} --keep ${vipHolder ?? '<primary|backup>'}`
          : null,
      };
    }),
  };
}

export function renderSplitBrain(r: SplitBrainReport): string {
  if (r.volumes.length === 0) return 'no DRBD volumes';
  const lines: string[] = [];
  const fine = r.volumes.filter((v) => !v.splitBrain && !v.resolve);
  for (const v of r.volumes.filter((x) => x.splitBrain || x.resolve)) {
    lines.push(
      `${v.volume}  resource ${v.resource}${v.minor !== null ? `  /dev/drbd${v.minor}` : ''}  VIP on ${v.vipOn ?? 'NOBODY'}`,
    );
    lines.push(
      v.splitBrain
        ? `  SPLIT BRAIN (${v.splitBrain.kind}): ${v.splitBrain.why}`
        : `  NOT CONNECTED: ${v.why ?? '?'} (no split brain confirmed)`,
    );
    for (const role of ROLES) {
      const s = v.hosts[role];
      lines.push(
        `  ${role.padEnd(8)} ${s.text}${s.outOfSyncBytes !== null ? `; marked out of sync: ${formatSize(s.outOfSyncBytes)}` : ''}${v.vipOn === role ? '  <- VIP (clients see this side)' : ''}`,
      );
    }
    if (v.resolve)
      lines.push(
        `  resolve (keeps ${v.vipOn ? `the VIP holder ${v.vipOn}'s` : "one side's"} data, discards the other's changes): ${v.resolve}`,
      );
  }
  if (fine.length)
    lines.push(
      `${fine.length} DRBD volume(s) without a split brain: ${fine.map((v) => `${v.volume} (${v.state === 'ok' ? 'Connected, UpToDate' : v.why})`).join(', ')}`,
    );
  return lines.join('\n');
}

/** --keep: required, primary or backup. Checked before any host is contacted. */
export function parseKeep(value: unknown): PairRole {
  if (value === undefined || value === null || value === '')
    throw new UsageError(
      "--keep is required: --keep primary or --keep backup (whose data is kept; the other host's changes since the split are discarded)",
    );
  if (value !== 'primary' && value !== 'backup')
    throw new UsageError(`--keep: expected primary or backup, got ${quoteValue(value)}`);
  return value;
}

export interface ResolveOptions {
  keep: PairRole;
  waitMs?: number;
}

const run = (argv: string[]) => ({ kind: 'run' as const, argv });

function unexportStep(config: Config, dv: DrbdVolume, role: PairRole, why: string): Step {
  const ex = exporterOf(config);
  const served = dv.view.hosts[role];
  const un = ex.unserveArgvs(
    config,
    dv.view.identity,
    served.clients.length ? served.clients : ['*'],
    dv.view.identity.exportId,
  );
  const serve = ex.serveArgvs(config, [dv.view.identity]);
  return {
    id: `${role}:unexport`,
    host: role,
    title: `unexport ${dv.path} on ${role} (${why})`,
    action: {
      kind: 'fn',
      describe: un.map((a) => a.join(' ')).join('; '),
      fn: async (h) => void (await runAll(h, un)),
    },
    undo: {
      title: `export ${dv.path} again`,
      action: {
        kind: 'fn',
        describe: serve.map((a) => a.join(' ')).join('; '),
        fn: async (h) => void (await runAll(h, serve)),
      },
    },
  };
}

function exportStep(config: Config, dv: DrbdVolume, role: PairRole): Step {
  const serve = exporterOf(config).serveArgvs(config, [dv.view.identity]);
  return {
    id: `${role}:export`,
    host: role,
    title: `export ${dv.path} on ${role} (the VIP holder serves it again)`,
    action: {
      kind: 'fn',
      describe: serve.map((a) => a.join(' ')).join('; '),
      fn: async (h) => void (await runAll(h, serve)),
    },
    undo: null,
    noUndoReason: 'the VIP holder serving it is the normal state',
  };
}

async function runAll(h: Host, argvs: string[][]): Promise<void> {
  for (const a of argvs) await runChecked(h, a);
}

function umountStep(config: Config, dv: DrbdVolume, role: PairRole): Step {
  return unmountStep(
    config,
    role,
    `${role}:umount`,
    dv.path,
    { title: `mount ${dv.device} at ${dv.path} again`, action: run(['mount', '-t', 'xfs', dv.device!, dv.path]) },
    { title: `unmount ${dv.path} on ${role}` },
  );
}

function demoteSteps(config: Config, dv: DrbdVolume, role: PairRole, why: string): Step[] {
  const s = dv.hosts[role];
  const steps: Step[] = [];
  if (s.served) steps.push(unexportStep(config, dv, role, why));
  if (s.mounted) steps.push(umountStep(config, dv, role));
  if (s.state?.role === 'Primary')
    steps.push({
      id: `${role}:drbd-secondary`,
      host: role,
      title: `drbdadm secondary ${dv.resource} on ${role}`,
      action: run(['drbdadm', 'secondary', dv.resource]),
      undo: { title: `drbdadm primary ${dv.resource}`, action: run(['drbdadm', 'primary', dv.resource]) },
    });
  return steps;
}

/**
 * The resolution plan. Throws PreconditionError (nothing changed) when there is nothing to
 * resolve or it cannot be done safely from what was read.
 */
export function planResolve(
  config: Config,
  dv: DrbdVolume,
  vipHolder: PairRole | null,
  evidence: Partial<Record<PairRole, SplitBrainEvidence>>,
  o: ResolveOptions,
  hosts: Record<PairRole, Host>,
): Plan {
  const K = o.keep;
  const D = peer(K);
  for (const r of ROLES) {
    if (!dv.hosts[r].reachable)
      throw new PreconditionError(`${r} is unreachable: ${dv.hosts[r].error ?? '?'}; nothing was changed`);
    if (!dv.hosts[r].state)
      throw new PreconditionError(
        `${dv.resource} is not up on ${r}${dv.hosts[r].error ? ` (${dv.hosts[r].error})` : ''}: nothing was changed`,
        {
          hint: `on ${r}: drbdadm up ${dv.resource}, then nfsctl ha split-brain`,
        },
      );
  }
  if (!dv.device) throw new PreconditionError(`${dv.id}: its DRBD minor is not known; nothing was changed`);
  const sb = splitBrainOf(dv, evidence);
  if (!resolvable(dv, evidence)) {
    const h = drbdHealth(dv, evidence);
    throw new PreconditionError(
      `${dv.id}: no split brain to resolve: ${h.kind === 'ok' ? 'Connected and UpToDate on both hosts' : h.kind === 'syncing' ? `resyncing (${formatFigures(h.figures)})` : h.why}; nothing was changed`,
      { hint: 'nfsctl ha split-brain' },
    );
  }
  const k = dv.hosts[K].state!;
  const d = dv.hosts[D].state!;
  if (k.disk !== 'UpToDate' && k.disk !== 'Consistent')
    throw new PreconditionError(
      `${dv.id}: ${K}'s disk is ${k.disk}: its data cannot be the one kept; nothing was changed`,
      {
        hint: `keep the other side: --keep ${D}`,
      },
    );
  const phases: Phase[] = [];
  const p1 = demoteSteps(config, dv, D, 'its changes are discarded');
  if (d.cstate !== 'StandAlone')
    p1.splice(p1.length - (d.role === 'Primary' ? 1 : 0), 0, {
      id: `${D}:drbd-disconnect`,
      host: D,
      title: `drbdadm disconnect ${dv.resource} on ${D} (it is ${d.cstate})`,
      action: run(['drbdadm', 'disconnect', dv.resource]),
      undo: null,
      noUndoReason: 'it did not replicate anyway (split brain); step 3 reconnects',
    });
  if (p1.length) phases.push({ title: `${D}: stop using its copy of ${dv.id}`, steps: p1 });
  phases.push({
    title: `${D}: discard its changes since the split`,
    steps: [
      {
        id: `${D}:drbd-discard`,
        host: D,
        title: `drbdadm connect --discard-my-data ${dv.resource} on ${D} (DISCARDS what ${D} wrote since the split)`,
        action: run(['drbdadm', 'connect', '--discard-my-data', dv.resource]),
        undo: null,
        noUndoReason: `irreversible: ${D} becomes the resync target of ${K}`,
      },
    ],
  });
  if (k.cstate === 'StandAlone')
    phases.push({
      title: `${K}: reconnect (its data is kept)`,
      steps: [
        {
          id: `${K}:drbd-connect`,
          host: K,
          title: `drbdadm connect ${dv.resource} on ${K}`,
          action: run(['drbdadm', 'connect', dv.resource]),
          undo: null,
          noUndoReason: 'reconnecting is what the resolution is for',
        },
      ],
    });
  const wait = o.waitMs ?? DEFAULT_RESOLVE_WAIT_MS;
  phases.push({
    title: `resync ${K} -> ${D}`,
    steps: [
      {
        id: `${K}:drbd-resync`,
        host: K,
        title: `wait until ${dv.resource} is Connected and UpToDate on both hosts (up to ${formatEta(wait / 1000)})`,
        action: {
          kind: 'fn',
          describe: 'poll the DRBD state on both hosts, showing the resync progress',
          fn: async (_h, step) =>
            void (await waitResynced(config, hosts, [dv], {
              timeoutMs: wait,
              signal: step.signal,
              progress: (t) => step.progress(t),
            })),
        },
        undo: null,
        noUndoReason: 'a wait: changes nothing (the resync goes on by itself)',
      },
    ],
  });
  // the VIP holder serves it again
  const H = vipHolder;
  if (H === D) {
    const off = demoteSteps(config, dv, K, 'the VIP holder serves it');
    if (off.length) phases.push({ title: `${K}: hand ${dv.id} to the VIP holder ${D}`, steps: off });
  }
  if (H !== null && (H === D || dv.hosts[H].state?.role !== 'Primary' || !dv.hosts[H].mounted || !dv.hosts[H].served)) {
    const s =
      H === D
        ? { role: 'Secondary', mounted: false, served: false }
        : { role: dv.hosts[H].state!.role, mounted: dv.hosts[H].mounted, served: dv.hosts[H].served };
    const steps: Step[] = [];
    if (s.role !== 'Primary')
      steps.push({
        id: `${H}:drbd-primary`,
        host: H,
        title: `drbdadm primary ${dv.resource} on ${H}`,
        action: run(['drbdadm', 'primary', dv.resource]),
        undo: { title: `drbdadm secondary ${dv.resource}`, action: run(['drbdadm', 'secondary', dv.resource]) },
      });
    if (!s.mounted)
      steps.push({
        id: `${H}:mount`,
        host: H,
        title: `mount ${dv.device} at ${dv.path} on ${H}`,
        action: run(['mount', '-t', 'xfs', dv.device, dv.path]),
        undo: { title: `unmount ${dv.path}`, action: run(['umount', dv.path]) },
      });
    if (!s.served) steps.push(exportStep(config, dv, H));
    phases.push({ title: `${H} (the VIP holder) serves ${dv.id} again`, steps });
  }
  const fig = (r: PairRole) => {
    const b = dv.hosts[r].state?.outOfSyncKiB;
    return b == null ? 'an unknown amount' : formatSize(b * 1024);
  };
  const notes = [
    `${dv.id} (${dv.resource}, ${dv.device}): ${sb ? `SPLIT BRAIN (${sb.kind}): ${sb.why}` : 'not connected; no split brain confirmed (no "Split-Brain detected" line in the kernel logs): the discarded side\'s writes since the disconnect are lost all the same'}`,
    ...ROLES.map(
      (r) =>
        `${r}: ${sideText(dv.hosts[r])}; marked out of sync there: ${fig(r)}${H === r ? ' (VIP holder: clients see this side)' : ''}`,
    ),
    H === D
      ? `the VIP is on ${D}, whose changes are discarded: its clients lose what they wrote since the split and cannot use ${dv.id} from its unexport until the resync ends and ${D} serves ${K}'s data`
      : H === K
        ? `the VIP is on ${K}, whose data is kept: its clients go on as they are`
        : 'nobody holds the VIP: the notify hook serves it where the VIP goes next',
  ];
  return {
    id: newPlanId(),
    title: `resolve the DRBD split brain of ${dv.id}: keep ${K}, discard ${D}'s changes`,
    phases,
    notes,
    summary: [
      `KEEPS ${K}'s data of ${dv.id}; DISCARDS what ${D} wrote since the split (~${fig(D)} marked there)`,
      `then resyncs ${K} -> ${D} and waits for it (up to ${formatEta(wait / 1000)})`,
    ],
    cleanupHint: `nfsctl ha split-brain  (then resolve ${dv.id} again)`,
    audit: [
      { event: 'drbd-split-brain-resolve', detail: `${dv.id} (${dv.resource}): kept ${K}, discarded ${D}'s changes` },
    ],
  };
}

export { resyncFigures };
