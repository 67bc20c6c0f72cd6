// What failback and switchover share: the facts preflight hands to the plan, the plan's
// inputs (one plain object, passed to every phase builder), and the phases both directions
// have: the bulk copy, the write freeze, the final copy and its verification, serving on the
// new holder, and the old holder's return to the standby role. The direction modules
// (failback.ts, switchover.ts) add what only they do; handover.ts puts it together.
import { exporterOf } from '../volume/nfs-server/registry.js';
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import { NfsctlError } from '../core/errors.js';
import type { Action, Phase, Step, StepContext } from '../plan/plan.js';
import type { RsyncReport } from '../core/rsync.js';
import { formatCopyProgress } from '../core/rsync-progress.js';
import { quoteArgv } from '../host/quote.js';
import { serviceArgv } from './services.js';
import type { HostInventory } from '../volume/inventory.js';
import type { VolumeView } from '../volume/state.js';
import type { NfsClients } from './promise.js';
import type { OpJournal, OpKind } from './journal.js';
import type { DrbdVolume } from './drbd-pair.js';
import { writeSyncRecord } from './sync-state.js';
import { noteReceived } from './freshness.js';
import { ensureExports, freezeExports, freezeKernelNfs, unfreezeKernelNfs } from './freeze.js';
import { resetConnectionsStep } from './vip-sockets.js';
import {
  checkUnitCaps,
  previewUnits,
  rsyncArgv,
  runUnits,
  syncRecord,
  treeDigest,
  unitName,
  unitShort,
  unitsReport,
  type ReadyUnit,
  type UnitPreview,
} from './sync.js';

export interface HandoverOptions {
  kind: OpKind;
  resume: boolean;
  maxDelete: number;
  verify: boolean;
  /** How long to wait for the VIP to settle on `to`. */
  vipTimeoutMs?: number;
  operator?: string;
  /** Go on with the other volumes when one is not mounted on its own device on both hosts. */
  skipUnready?: boolean;
  /** How long to wait for a DRBD resync under way before anything changes (default 10 min, handover-drbd.ts). */
  resyncWaitMs?: number;
}

/** What preflight found; everything the plan is built from. */
export interface HandoverFacts {
  from: PairRole;
  to: PairRole;
  vip: Record<PairRole, boolean | null>;
  keepalivedRunning: Record<PairRole, boolean>;
  keepalivedEnabled: Record<PairRole, boolean>;
  nfsRunning: Record<PairRole, boolean>;
  rsyncdRunning: Record<PairRole, boolean>;
  inv: Record<PairRole, HostInventory>;
  views: VolumeView[];
  preview: RsyncReport | null;
  /** Per unit (volume filesystem, or the NFS root), paths as seen from the root. */
  previews: UnitPreview[] | null;
  /** The units to copy, each checked on both hosts. */
  units: ReadyUnit[];
  /** Volumes left out (--skip-unready), each with why. */
  skipped: string[];
  /** What `from`'s NFS server knows of its clients before the move (rmtab, connections on 2049). */
  clients: NfsClients;
  journal: OpJournal | null;
  /** The DRBD volumes, both hosts' sides (handover-drbd.ts); none are copied. */
  drbd?: DrbdVolume[];
  /** Those with a resync under way at preflight: the plan waits for them first. */
  drbdResync?: DrbdVolume[];
  /** nfsctl's notify hook program on each host (drbd-move.ts runs it); set when there are DRBD volumes. */
  drbdHooks?: Record<PairRole, string>;
}

export interface SyncSummary {
  step: string;
  bytes: number;
  files: number | null;
  deleted: number;
  durationMs: number;
}

/** What the steps find out while they run, read by later steps and by the final report. */
export interface HandoverRun {
  vipSettleMs?: number;
  /** After the VIP settled: until the new holder served every DRBD volume. */
  drbdServeMs?: number;
  syncs: SyncSummary[];
  verify?: { files: number; bytes: number; digest: string; checksums: boolean };
  warnings: string[];
  /** `from`'s listing for the verification, taken while the final copy runs (`from` is frozen then). */
  fromListing?: Promise<Digest[]>;
}

type Digest = Awaited<ReturnType<typeof treeDigest>>;

/** Everything a phase builder needs: one plain object, the same for every phase. */
export interface HandoverInput {
  config: Config;
  hosts: Record<PairRole, Host>;
  facts: HandoverFacts;
  opts: HandoverOptions;
  run: HandoverRun;
}

/** What differs between failback and switchover. */
export interface HandoverDirection {
  kind: OpKind;
  from: PairRole;
  to: PairRole;
  /** Before the bulk copy (failback: keep the stale primary out of the VIP). */
  prepare(x: HandoverInput): Phase[];
  /** Move the VIP, after `exportsStep` (the new holder serves everything). */
  moveVip(x: HandoverInput, exportsStep: Step): Phase[];
}

export function direction(kind: OpKind): { from: PairRole; to: PairRole } {
  return kind === 'failback' ? { from: 'backup', to: 'primary' } : { from: 'primary', to: 'backup' };
}

export function svc(
  config: Config,
  action: 'start' | 'stop' | 'enable' | 'disable',
  key: 'keepalived' | 'nfs' | 'rsyncd',
): Action {
  return { kind: 'run', argv: serviceArgv(config, action, key) };
}

/** The bulk copy (`bulk-sync`) or the final delta copy (`final-sync`) from `from` to `to`. */
export function copyStep(x: HandoverInput, id: 'bulk-sync' | 'final-sync', title: string): Step {
  const { config, facts: f, opts: o } = x;
  const { from, to } = f;
  return {
    id: `${to}:${id}`,
    host: to,
    title,
    action: {
      kind: 'fn',
      describe:
        f.units
          .map((u) => quoteArgv(rsyncArgv({ config, source: from, dryRun: false, maxDelete: o.maxDelete, unit: u })))
          .join('; ') || 'nothing to copy',
      fn: (h, step) => runCopy(x, id, h, step),
    },
    undo: null,
    noUndoReason: `${to} keeps the copied data (it is ${from}'s, and a re-run continues from it)`,
  };
}

async function runCopy(x: HandoverInput, id: 'bulk-sync' | 'final-sync', h: Host, step: StepContext): Promise<void> {
  const { config, hosts, facts: f, opts: o, run } = x;
  const { from, to } = f;
  const started = Date.now();
  const a = { config, source: from, maxDelete: o.maxDelete };
  let previews = id === 'bulk-sync' ? f.previews : null;
  if (id === 'bulk-sync' && !previews) {
    // no preview before confirmation (the daemon was not running): preview and cap now
    previews = await previewUnits(h, a, f.units);
    checkUnitCaps(previews, o.maxDelete, from, to);
  }
  if (id === 'final-sync') {
    run.fromListing = digests(x, hosts[from]);
    run.fromListing.catch(() => undefined); // awaited (and its error reported) by the verification
  }
  const expected = new Map((previews ?? []).map((p) => [p.unit.path, p.report.stats.transferredFileSize]));
  const per = { volumes: f.units.flatMap((u) => u.volumes), skipped: f.skipped };
  try {
    const live = {
      signal: step.signal,
      name: unitShort,
      expected: (u: ReadyUnit) => expected.get(u.path) ?? null,
      progress: (s: Parameters<typeof formatCopyProgress>[0]) => step.progress(`copy ${formatCopyProgress(s)}`),
    };
    const rep = unitsReport(await runUnits(h, a, f.units, undefined, live));
    run.syncs.push({
      step: id,
      bytes: rep.stats.transferredFileSize ?? 0,
      files: rep.stats.files,
      deleted: rep.deletions.length,
      durationMs: rep.durationMs,
    });
    await writeSyncRecord(h, config.state.stateDir, syncRecord(from, to, started, rep, undefined, per)).catch(
      () => undefined,
    );
    await noteReceived(config, hosts, from, to, started, id === 'final-sync');
  } catch (err) {
    await writeSyncRecord(
      h,
      config.state.stateDir,
      syncRecord(from, to, started, null, (err as Error).message, per),
    ).catch(() => undefined);
    throw err;
  }
}

function digests(x: HandoverInput, h: Host): Promise<Digest[]> {
  return Promise.all(x.facts.units.map((u) => treeDigest(x.config, h, x.opts.verify, u.path, u.only)));
}

/** 2. the bulk copy while clients still write to `from` (its rsync daemon started if needed). */
export function bulkPhases(x: HandoverInput): Phase[] {
  const { config, facts: f, opts: o } = x;
  const { from, to } = f;
  const unitList = f.units.map((u) => unitName(u)).join('; ') || 'nothing (no mirrored volume)';
  const start: Step[] = f.rsyncdRunning[from]
    ? []
    : [
        {
          id: `${from}:rsyncd-start`,
          host: from,
          title: `start the rsync daemon on ${from} for the sync`,
          action: svc(config, 'start', 'rsyncd'),
          undo: { title: `stop the rsync daemon on ${from}`, action: svc(config, 'stop', 'rsyncd') },
        },
      ];
  return [
    { title: `bulk sync ${from} -> ${to} (clients still write to ${from})`, steps: start },
    {
      title: `bulk sync ${from} -> ${to}: copy`,
      steps: [
        copyStep(
          x,
          'bulk-sync',
          `bulk copy from ${from}, one rsync per volume filesystem (deletions capped at ${o.maxDelete} per volume): ${unitList}`,
        ),
      ],
    },
  ];
}

/** 3a. the write freeze on `from`. */
export function freezePhase(x: HandoverInput): Phase {
  const { config, facts: f } = x;
  const { from } = f;
  const kernel = exporterOf(config).freezeStopsServer;
  return {
    title: `write freeze on ${from}`,
    steps: [
      {
        id: `${from}:freeze`,
        host: from,
        title: kernel
          ? `stop the NFS server on ${from} (write freeze; hard-mounted clients wait and retry)`
          : `stop serving the rsync-copy volumes on ${from} (write freeze; their clients wait and retry)`,
        action: {
          kind: 'fn',
          describe: kernel
            ? `${serviceArgv(config, 'stop', 'nfs').join(' ')}; check no nfsd thread is left`
            : 'dbus RemoveExport for each rsync-copy volume (shared volumes stay served)',
          fn: async (h) =>
            void (kernel ? await freezeKernelNfs(config, h, f.views) : await freezeExports(config, h, f.views)),
        },
        undo: {
          title: `serve the volumes on ${from} again`,
          action: {
            kind: 'fn',
            describe: kernel ? `${serviceArgv(config, 'start', 'nfs').join(' ')}; exportfs -ra` : 'dbus AddExport',
            fn: async (h) =>
              void (kernel ? await unfreezeKernelNfs(config, h, f.views) : await ensureExports(config, h, f.views)),
          },
        },
      },
    ],
  };
}

/** 3b. the final delta copy (nothing changes on `from` now) and the verification. */
export function finalPhase(x: HandoverInput): Phase {
  const { facts: f, opts: o } = x;
  const { from, to } = f;
  return {
    title: `final sync ${from} -> ${to} and verification`,
    steps: [
      copyStep(x, 'final-sync', `final delta sync from ${from} (nothing can change there now)`),
      {
        id: `${to}:verify`,
        host: to,
        title: `verify ${to} has exactly ${from}'s files (${o.verify ? 'sha256 of every file' : 'names, counts and sizes'})`,
        action: {
          kind: 'fn',
          describe: `find <each volume filesystem> -xdev -type f on both hosts${o.verify ? ' | sha256sum' : ''}, compare`,
          fn: (h) => verify(x, h),
        },
        undo: null,
        noUndoReason: 'a check: changes nothing',
      },
    ],
  };
}

async function verify(x: HandoverInput, h: Host): Promise<void> {
  const { facts: f, opts: o, run } = x;
  const [as, bs] = await Promise.all([run.fromListing ?? digests(x, x.hosts[f.from]), digests(x, h)]);
  delete run.fromListing;
  const bad: string[] = [];
  f.units.forEach((u, i) => {
    const a = as[i]!;
    const b = bs[i]!;
    if (a.digest !== b.digest || a.files !== b.files || a.bytes !== b.bytes)
      bad.push(
        `${unitName(u)}: ${f.from} has ${a.files} files / ${a.bytes} bytes, ${f.to} has ${b.files} files / ${b.bytes} bytes${a.digest !== b.digest ? ' (listings differ)' : ''}`,
      );
  });
  if (bad.length) throw new NfsctlError(`verification failed:\n  ${bad.join('\n  ')}`);
  run.verify = {
    files: as.reduce((n, d) => n + d.files, 0),
    bytes: as.reduce((n, d) => n + d.bytes, 0),
    digest: as.map((d) => d.digest).join(','),
    checksums: o.verify,
  };
}

/** 4a. `to` serves every volume before the VIP comes to it. */
export function exportsStep(x: HandoverInput): Step {
  const { config, facts: f } = x;
  return {
    id: `${f.to}:exports`,
    host: f.to,
    title: `make sure ${f.to} serves every volume`,
    action: {
      kind: 'fn',
      describe: `ask ${exporterOf(config).servedBy} what it serves; serve the volumes both hosts serve (rsync copies, CephFS) that are missing from it`,
      fn: async (h) => void (await ensureExports(config, h, f.views)),
    },
    undo: null,
    noUndoReason: 'serving without the VIP is harmless',
  };
}

/**
 * 4b. `to` resets the connections it kept on the VIP from its last time as holder, before the
 * VIP reaches it; 5a. `from` resets those it still has on the VIP it released (vip-sockets.ts).
 * Best effort: a reset that cannot be done is a warning, not a reason to stop the move.
 */
export function vipConnectionsStep(x: HandoverInput, role: PairRole, when: 'before' | 'after'): Step {
  return resetConnectionsStep(
    x.config,
    role,
    when === 'before'
      ? `reset the connections ${role} kept on the VIP from an earlier time (a client reconnecting from the same port would stall on them)`
      : `reset the connections ${role} still has on the VIP it released (so they cannot catch clients when the VIP comes back)`,
    (line, problem) => void (problem && x.run.warnings.push(line)),
  );
}

/** 5. `from` is the standby now: it serves its copy again; the rsync daemon we started stops. */
export function restorePhase(x: HandoverInput): Phase {
  const { config, facts: f, opts: o, run } = x;
  const { from } = f;
  const kernel = exporterOf(config).freezeStopsServer;
  const steps: Step[] = [
    vipConnectionsStep(x, from, 'after'),
    {
      id: `${from}:unfreeze`,
      host: from,
      title: `serve the volumes on ${from} again (it is the standby now${o.kind === 'failback' ? '; syncs run primary -> backup again' : ''})`,
      action: {
        kind: 'fn',
        describe: kernel
          ? `${serviceArgv(config, 'start', 'nfs').join(' ')}; exportfs -ra`
          : 'dbus AddExport for the frozen exports',
        fn: async (h) => {
          try {
            if (kernel) await unfreezeKernelNfs(config, h, f.views);
            else await ensureExports(config, h, f.views);
          } catch (err) {
            // the VIP has moved: failing here must not undo that; report instead
            run.warnings.push(
              `${from}: could not serve the volumes again: ${(err as Error).message}; run \`nfsctl volume export <volume>\` for each`,
            );
          }
        },
      },
      undo: null,
      noUndoReason: 'the standby serving its copy is its normal role',
    },
  ];
  if (!f.rsyncdRunning[from])
    steps.push({
      id: `${from}:rsyncd-stop`,
      host: from,
      title: `stop the rsync daemon we started on ${from}`,
      action: { kind: 'run', argv: serviceArgv(config, 'stop', 'rsyncd'), okExitCodes: [0, 1, 3] },
      undo: null,
      noUndoReason: 'it was not running before',
    });
  return { title: `restore ${from}'s normal role`, steps };
}
