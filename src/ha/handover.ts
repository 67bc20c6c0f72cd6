// Failback (backup -> primary after an outage) and switchover (primary -> backup for
// maintenance) are one operation seen from two sides: the VIP holder `from` has the fresh
// data, `to` gets it, then the VIP moves. Three phases, one function each, each handing a
// plain object to the next: preflight (read-only) -> HandoverFacts; planHandover -> the plan;
// applyHandover runs it. Order matters and is the point of the plan:
//
//   1. preflight (read-only, before any change): both hosts answer, `from` holds the VIP
//      alone and serves, `to` has its NFS root mounted and the same volumes (no drift); an
//      rsync dry run per volume gives the copy's size for the confirmation;
//      failback: the primary's keepalived is stopped and disabled at boot (failback.ts);
//   2. bulk sync from -> to (rsync daemon on `from`, started for the sync if needed), with an
//      itemised dry-run preview and a deletion cap;
//   3. write freeze on `from` (kernel nfsd: the NFS server stopped, so hard-mounted clients wait
//      instead of getting ESTALE; ganesha: every nfsctl export removed), final
//      delta sync, verification (file counts and sizes; sha256 of every file with --verify);
//   4. move the VIP: failback starts (and enables) keepalived on the primary; switchover stops
//      (and disables) it (switchover.ts); then wait until `to`, and only `to`, holds the VIP;
//   5. restore `from`'s exports (it is the standby now) and stop the rsync daemon we started.
//
// Steps up to 4 never put the VIP on a stale host: keepalived on the primary stays stopped
// (no undo) until the data is verified, and an undo of 4 stops it again. The runner's journal
// of the plan is mirrored on both hosts (<stateDir>/<kind>.json) as each step ends, so
// `--resume` skips what is done and `status` sees an unfinished operation from either host.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import { PreconditionError } from '../core/errors.js';
import { newPlanId, type Phase, type Plan, type PlanJournal, type Step } from '../plan/plan.js';
import { PlanFailedError, type Runner } from '../plan/runner.js';
import { operatorName } from '../state/audit.js';
import { serviceArgv, serviceCommand } from './services.js';
import { quoteArg } from '../host/quote.js';
import { vipState } from './vip.js';
import { clusterInventories, pairInventory } from '../volume/inventory.js';
import { bothHostsServe, mergeVolumes, mirrored, type VolumeView } from '../volume/state.js';
import { backendNamed } from '../volume/backend/registry.js';
import { servedByBoth } from '../volume/backend/contract.js';
import {
  checkUnitCaps,
  checkUnits,
  mergeReports,
  previewSize,
  previewUnits,
  renderUnitPreviews,
  syncUnits,
} from './sync.js';
import { clientState, movePromise, nfsClients, restartAdvice, type MoveKind } from './promise.js';
import { readJournal, writeJournal, unfinished, type OpJournal, type OpKind } from './journal.js';
import { checkSyncFreshness } from './freshness.js';
import {
  bulkPhases,
  direction,
  exportsStep,
  finalPhase,
  freezePhase,
  restorePhase,
  type HandoverDirection,
  type HandoverFacts,
  type HandoverInput,
  type HandoverOptions,
  type HandoverRun,
} from './handover-steps.js';
import { drbdNotes, drbdPreflight, drbdResyncPhase, drbdSummary } from './handover-drbd.js';
import { drbdHoldPhase, drbdMovePhase } from './drbd-move.js';
import { failback } from './failback.js';
import { nlmRecoverySteps } from './nlm.js';
import { switchover } from './switchover.js';

export type { HandoverFacts, HandoverOptions, HandoverRun } from './handover-steps.js';
export { direction } from './handover-steps.js';

const DIRECTIONS: Record<OpKind, HandoverDirection> = { failback, switchover };

/**
 * Drift lines that matter for a handover (served/not-served is fixed by the plan itself): of
 * the volumes both hosts serve (mirrored copies, and shared storage such as CephFS), since
 * `to` serves them the moment the VIP arrives. Volumes that follow the VIP are checked by
 * their own move (DRBD preflight, the notify hook).
 */
export function blockingDrift(views: VolumeView[]): string[] {
  return views
    .filter((v) => bothHostsServe(v.backend))
    .flatMap((v) =>
      v.drift
        .filter((d) => !/in the exports config but not served|served but not in the exports config/.test(d))
        .map((d) => `${v.id}: ${d}`),
    );
}

async function answers(host: Host, t: number): Promise<string | null> {
  try {
    const r = await host.run(['true'], { timeoutMs: t });
    return r.exitCode === 0 ? null : `exit ${r.exitCode}`;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Read-only preflight. Throws PreconditionError (exit 4, nothing changed) when it must not go on. */
export async function handoverPreflight(
  config: Config,
  hosts: Record<PairRole, Host>,
  o: HandoverOptions,
): Promise<HandoverFacts> {
  const { from, to } = direction(o.kind);
  const t = config.timeouts.check + config.timeouts.connect;
  const roles: PairRole[] = ['primary', 'backup'];
  const dead = await Promise.all(roles.map((r) => answers(hosts[r], t)));
  for (const [i, r] of roles.entries()) {
    if (dead[i])
      throw new PreconditionError(`${r} is unreachable: ${dead[i]}; nothing was changed`, {
        hint: `bring ${r} (and its sshd) back, then run \`nfsctl ${o.kind}\` again`,
      });
  }
  const journal = await readJournal(config, o.kind, [hosts.primary, hosts.backup]);
  if (unfinished(journal) && !o.resume) {
    throw new PreconditionError(
      `an earlier ${o.kind} (${journal.planId}) did not finish: ${journal.done.length} step(s) done${journal.failedStep ? `, failed at ${journal.failedStep}` : ''}`,
      { hint: `continue it: nfsctl ${o.kind} --resume` },
    );
  }
  const resumeDone = new Set(o.resume && unfinished(journal) ? journal.done : []);
  const vipMoved = resumeDone.has(`${to}:vip-move`);
  const vs = await Promise.all(roles.map((r) => vipState(config, r, hosts[r], config.timeouts.check)));
  const vip = { primary: vs[0]!.holds, backup: vs[1]!.holds };
  if (vip.primary && vip.backup) {
    throw new PreconditionError(
      `split brain: the VIP ${config.vip} is on BOTH hosts; clients may have written to either, refusing to ${o.kind}`,
      {
        hint: `on the primary: \`${serviceCommand(config, 'stop', 'keepalived')}\` and \`ip addr del ${quoteArg(config.vip)}/<prefix> dev ${quoteArg(config.keepalived.interface)}\` (see \`ip addr\`); check no client data is on the primary only; then \`nfsctl ${o.kind}\``,
      },
    );
  }
  const holder = vip.primary ? 'primary' : vip.backup ? 'backup' : null;
  if (holder === null)
    throw new PreconditionError(`nobody holds the VIP ${config.vip}: refusing to ${o.kind}`, {
      hint: `start keepalived on the host with the newest data: ${serviceCommand(config, 'start', 'keepalived')}`,
    });
  if (holder !== from && !vipMoved) {
    throw new PreconditionError(
      `the VIP is on ${holder}: nothing to ${o.kind === 'failback' ? 'fail back' : 'switch over'} (it moves the VIP from ${from} to ${to})`,
      { hint: 'nfsctl status' },
    );
  }
  const svc = async (r: PairRole, a: 'status' | 'is-enabled', k: 'keepalived' | 'nfs' | 'rsyncd') =>
    (await hosts[r].run(serviceArgv(config, a, k))).exitCode === 0;
  const [kaP, kaB, enP, enB, nfsP, nfsB, rsP, rsB] = await Promise.all([
    svc('primary', 'status', 'keepalived'),
    svc('backup', 'status', 'keepalived'),
    svc('primary', 'is-enabled', 'keepalived'),
    svc('backup', 'is-enabled', 'keepalived'),
    svc('primary', 'status', 'nfs'),
    svc('backup', 'status', 'nfs'),
    svc('primary', 'status', 'rsyncd'),
    svc('backup', 'status', 'rsyncd'),
  ]);
  // the shared backends' volumes (RBD, CephFS) are known from their cluster, not from a host:
  // the plan has to name them too, and say what the move does to their clients
  const [inv, cluster] = await Promise.all([
    pairInventory(config, hosts),
    clusterInventories(config, [hosts[from], hosts[to]]),
  ]);
  const facts: HandoverFacts = {
    from,
    to,
    vip,
    keepalivedRunning: { primary: kaP, backup: kaB },
    keepalivedEnabled: { primary: enP, backup: enB },
    nfsRunning: { primary: nfsP, backup: nfsB },
    rsyncdRunning: { primary: rsP, backup: rsB },
    inv,
    views: [],
    preview: null,
    previews: null,
    units: [],
    skipped: [],
    clients: { mountedBy: new Map(), connected: [] },
    journal,
  };
  if (!vipMoved && !resumeDone.has(`${from}:freeze`) && !facts.nfsRunning[from])
    throw new PreconditionError(
      `${from} holds the VIP but its NFS server is not running: clients are down; fix that first`,
      { hint: serviceCommand(config, 'start', 'nfs') },
    );
  facts.views = mergeVolumes(config, facts.inv, cluster);
  let skippedIds = new Set<string>();
  if (!vipMoved) {
    const check = await checkUnits(
      config,
      syncUnits(config, facts.views),
      { role: from, host: hosts[from] },
      { role: to, host: hosts[to] },
      { skipUnready: o.skipUnready ?? false },
    );
    facts.units = check.ready;
    facts.skipped = check.problems.map((p) => p.text);
    skippedIds = new Set(check.problems.flatMap((p) => p.unit.volumes));
  }
  // DRBD volumes: no copy; before the VIP moved, both hosts Connected and UpToDate (or a resync
  // short enough to wait for); on a resume after it moved, they still have to move with it
  await drbdPreflight(config, hosts, facts, o, { judge: !vipMoved });
  const drift = blockingDrift(facts.views.filter((v) => !skippedIds.has(v.id)));
  if (drift.length > 0) {
    throw new PreconditionError(`the volumes on ${to} do not match ${from}:\n  ${drift.join('\n  ')}`, {
      hint: 'nfsctl volume list; fix the drift (nfsctl troubleshoot-mount <volume>), then run it again',
    });
  }
  if (vipMoved) return facts;
  facts.clients = await nfsClients(hosts[from]);
  if (facts.rsyncdRunning[from]) {
    facts.previews = await previewUnits(hosts[to], { config, source: from }, facts.units);
    facts.preview = mergeReports(facts.previews.map((p) => p.report));
    checkUnitCaps(facts.previews, o.maxDelete, from, to);
  }
  await checkSyncFreshness(config, hosts, from, to, facts.preview);
  return facts;
}

export interface HandoverPlan {
  plan: Plan;
  /** Steps left out because the journal says they are done (resume). */
  skipped: Step[];
  /** Filled in while the plan runs. */
  result: HandoverRun;
  /** The operation's journal as last mirrored on the hosts (what is done and still in effect). */
  journal: () => OpJournal;
}

/** Phase 2: the plan, from preflight's facts. Nothing runs here. */
export function planHandover(
  config: Config,
  hosts: Record<PairRole, Host>,
  f: HandoverFacts,
  o: HandoverOptions,
): HandoverPlan {
  const dir = DIRECTIONS[o.kind];
  const x: HandoverInput = { config, hosts, facts: f, opts: o, run: { syncs: [], warnings: [] } };
  const all = [
    ...drbdResyncPhase(x),
    ...dir.prepare(x),
    ...bulkPhases(x),
    freezePhase(x),
    finalPhase(x),
    ...drbdHoldPhase(x),
    ...dir.moveVip(x, exportsStep(x)),
    ...drbdMovePhase(x),
    lockRecoveryPhase(x),
    restorePhase(x),
  ].filter((p) => p.steps.length > 0);
  const { phases, skipped } = resumeFrom(all, o.resume && unfinished(f.journal) ? f.journal.done : []);
  const plan: Plan = {
    id: newPlanId(),
    title: `${o.kind} ${f.from} -> ${f.to}`,
    phases,
    cleanupHint: `nfsctl ${o.kind} --resume`,
    notes: handoverNotes(x, skipped),
    summary: handoverSummary(x),
  };
  const j = hostJournal(x, plan);
  plan.journalHook = j.hook;
  return { plan, skipped, result: x.run, journal: j.state };
}

/** After the VIP is on `to`: NFSv3 clients told to reclaim their NLM locks there (kernel nfsd). */
function lockRecoveryPhase(x: HandoverInput): Phase {
  const { from, to } = x.facts;
  return {
    title: `NFSv3 lock recovery on ${to}`,
    steps: nlmRecoverySteps(x.config, x.hosts, from, to, { warn: (l) => x.run.warnings.push(l) }),
  };
}

/** --resume: leave out the prefix of steps the journal says are done (and still in effect). */
export function resumeFrom(all: Phase[], doneIds: string[]): { phases: Phase[]; skipped: Step[] } {
  const done = new Set(doneIds);
  const skipped: Step[] = [];
  let running = false;
  const phases: Phase[] = [];
  for (const p of all) {
    const steps = p.steps.filter((s) => {
      if (!running && done.has(s.id)) {
        skipped.push(s);
        return false;
      }
      running = true;
      return true;
    });
    if (steps.length) phases.push({ ...p, steps });
  }
  return { phases, skipped };
}

/** The notes above the plan: the itemised preview, what is left out, what clients see. */
function handoverNotes(x: HandoverInput, skipped: Step[]): string[] {
  const { facts: f, opts: o } = x;
  const { from, to } = f;
  const notes: string[] = [];
  if (skipped.length) notes.push(`resuming ${f.journal!.planId}: already done: ${skipped.map((s) => s.id).join(', ')}`);
  if (f.previews) notes.push(...renderUnitPreviews(f.previews, from, to));
  else if (!skipped.some((s) => s.id === `${to}:bulk-sync`))
    notes.push(
      `the rsync daemon on ${from} is not running: the itemised preview and the deletion cap (${o.maxDelete}) are checked right before the bulk copy`,
    );
  for (const t of f.skipped)
    notes.push(`SKIPPED (--skip-unready), NOT copied: ${t}; after the move its clients see ${to}'s older copy`);
  const copies = f.views.filter((v) => mirrored(v.backend));
  if (copies.length) {
    const p = movePromise(copies[0]!.backend);
    notes.push(
      `what the move does to clients of the rsync-copy volumes (${copies.map((v) => v.id).join(', ')}): ${p.planned}; ${p.openFiles}`,
    );
    const advice = restartAdvice(copies, f.clients);
    if (advice.length) notes.push(...advice.map((a) => `after the move: ${a}`));
  }
  notes.push(...sharedNotes(f.views, new Set((f.drbd ?? []).map((d) => d.id))));
  notes.push(...drbdNotes(x));
  notes.push(...clientStateNotes(x));
  notes.push(
    `the VIP and clients stay on ${from} until ${to}'s data is verified; a failure before that leaves them there`,
  );
  return notes;
}

/**
 * The shared-storage volumes (one copy in a cluster: RBD, CephFS), per backend: not copied,
 * how they move (the notify hook maps and mounts on the new holder; or both hosts serve them
 * already) and what that does to their clients.
 */
export function sharedNotes(views: VolumeView[], drbdIds: Set<string>): string[] {
  const byBackend = new Map<string, VolumeView[]>();
  for (const v of views.filter((x) => !mirrored(x.backend) && !drbdIds.has(x.id)))
    byBackend.set(v.backend, [...(byBackend.get(v.backend) ?? []), v]);
  return [...byBackend.values()].map((vs) => {
    const b = backendNamed(vs[0]!.backend);
    const p = movePromise(vs[0]!.backend);
    const how = servedByBoth(b)
      ? 'both hosts serve them already, nothing is moved'
      : 'they follow the VIP through the keepalived notify hook (nfsctl ha notify)';
    return `${b.name} volumes (${vs.map((v) => v.id).join(', ')}) are not copied, one ${b.noun} each is shared: ${how}; ${p.planned}; ${p.openFiles}`;
  });
}

/** Per volume kind: what the move does to NFS locks, opens and delegations (promise.ts). */
function clientStateNotes(x: HandoverInput): string[] {
  const byKind = new Map<MoveKind, VolumeView[]>();
  for (const v of x.facts.views) {
    const k = movePromise(v.backend).kind;
    byKind.set(k, [...(byKind.get(k) ?? []), v]);
  }
  return [...byKind.values()].map((vs) => {
    const cs = clientState(x.config, vs[0]!.backend);
    return `NFS client state on ${vs.map((v) => v.id).join(', ')}: NFSv3: ${cs.nfsv3}; NFSv4: ${cs.nfsv4}`;
  });
}

/** Summary lines are shown indented by 2: this keeps them within 80 columns. */
export const SUMMARY_WIDTH = 78;

/** `items` joined after `head`, cut to `width` with how many were left out. */
export function fitList(head: string, items: string[], width = SUMMARY_WIDTH): string {
  if (items.length === 0) return `${head}none`;
  let line = head;
  for (const [i, it] of items.entries()) {
    const more = items.length - i - 1;
    const next = `${line}${i ? ', ' : ''}${it}`;
    const tail = more ? ` (+${more} more)` : '';
    if (next.length + tail.length > width && i > 0) return `${line} (+${items.length - i} more)`;
    line = next;
  }
  return line;
}

/**
 * The last lines above the confirmation, each within 80 columns: the hosts and the VIP, how
 * much will be copied (per volume, from the dry run), the volumes, the clients, and what the
 * clients see (which volumes keep open files across the VIP move and which do not).
 */
export function handoverSummary(x: HandoverInput): string[] {
  const { config, facts: f, opts: o } = x;
  const { from, to } = f;
  const lines = [`${o.kind}: the VIP ${config.vip} and its clients move from ${from} to ${to}`];
  if (f.previews) {
    lines.push(`copy ${from} -> ${to} (dry run): ${previewSize(f.previews)}`);
    const big = [...f.previews].sort(
      (a, b) => (b.report.stats.transferredFileSize ?? 0) - (a.report.stats.transferredFileSize ?? 0),
    );
    if (f.previews.length > 1) {
      for (const p of big.slice(0, 4)) lines.push(`  ${p.unit.volumes.join(', ') || p.unit.path}: ${previewSize([p])}`);
      if (big.length > 4) lines.push(`  ... ${big.length - 4} more volume(s): ${previewSize(big.slice(4))}`);
    }
  } else if (f.units.length)
    lines.push(`copy ${from} -> ${to}: size known at the copy (no rsync daemon on ${from} yet)`);
  const copies = f.views.filter((v) => mirrored(v.backend));
  const drbdIds = new Set((f.drbd ?? []).map((d) => d.id));
  const shared = f.views.filter((v) => !mirrored(v.backend) && !drbdIds.has(v.id));
  lines.push(
    fitList(
      `volumes (${f.views.length}): `,
      f.views.map((v) => v.id),
    ),
  );
  // the backend decides what a move costs the clients (copy or shared storage): say it
  if (f.views.length) {
    const per = new Map<string, number>();
    for (const v of f.views) per.set(v.backend, (per.get(v.backend) ?? 0) + 1);
    lines.push(
      fitList(
        'backend: ',
        [...per].map(([b, n]) => `${b} (${n})`),
      ),
    );
  }
  if (f.skipped.length) lines.push(`NOT copied (--skip-unready): ${f.skipped.length} problem(s), see the notes above`);
  const mounted = [...new Set(copies.flatMap((v) => f.clients.mountedBy.get(v.path) ?? []))];
  const clients = mounted.length ? mounted : f.clients.connected;
  lines.push(
    clients.length
      ? fitList(`clients of ${from}${mounted.length ? '' : ' (connected to NFS)'}: `, clients)
      : `clients of ${from}: none seen (no rmtab entry, no NFS connection)`,
  );
  if (copies.length)
    lines.push(
      fitList(
        'open files lost (I/O errors, restart the pod): ',
        copies.map((v) => v.id),
      ),
    );
  if (shared.length)
    lines.push(
      fitList(
        `open files kept (${movePromise(shared[0]!.backend).kind} storage): `,
        shared.map((v) => v.id),
      ),
    );
  lines.push(...drbdSummary(x, (h, items) => fitList(h, items)));
  if (copies.length) lines.push('clients stall from the freeze to the VIP move; nothing acknowledged is lost');
  return lines.map((l) => (l.length > SUMMARY_WIDTH ? `${l.slice(0, SUMMARY_WIDTH - 1)}…` : l));
}

/**
 * The runner's journal of the plan, mirrored on both hosts in the shape `status`, `sync`
 * and `--resume` read (<stateDir>/<kind>.json): the steps done and still in effect (with
 * those a resumed run skipped), running / failed / done. Written from the first step done
 * on (or at once when resuming).
 */
export function hostJournal(
  x: HandoverInput,
  plan: Plan,
): { hook: (j: PlanJournal) => Promise<void>; state: () => OpJournal } {
  const { config, hosts, facts: f, opts: o, run } = x;
  const prev = o.resume && unfinished(f.journal) ? f.journal : null;
  const phaseOf = new Map(plan.phases.flatMap((p) => p.steps.map((s) => [s.id, p.title] as const)));
  let state: OpJournal = prev
    ? { ...prev, status: 'running' }
    : {
        kind: o.kind,
        planId: plan.id,
        status: 'running',
        startedAt: new Date().toISOString(),
        updatedAt: '',
        by: operatorName(),
        done: [],
        staleHost: 'primary',
      };
  delete state.failedStep;
  delete state.error;
  const base = state;
  let written = false;
  let warned = false;
  const hook = async (j: PlanJournal) => {
    const done = [...base.done];
    let phase = base.phase;
    for (const s of j.steps) {
      const at = done.indexOf(s.id);
      if (s.status === 'done' || s.status === 'undone' || s.status === 'failed') if (at >= 0) done.splice(at, 1);
      if (s.status === 'done') {
        done.push(s.id);
        phase = phaseOf.get(s.id) ?? phase;
      }
    }
    const bad = j.steps.find((s) => s.status === 'failed' || s.status === 'unknown');
    const over = j.steps.some((s) => s.status !== 'done' && s.status !== 'running' && s.status !== 'pending');
    const status: OpJournal['status'] = j.steps.every((s) => s.status === 'done')
      ? 'done'
      : over
        ? 'failed'
        : 'running';
    const { failedStep: _f, error: _e, phase: _p, ...rest } = base;
    state = {
      ...rest,
      done,
      status,
      ...(phase ? { phase } : {}),
      ...(bad ? { failedStep: bad.id, ...(bad.error ? { error: bad.error } : {}) } : {}),
    };
    if (status === 'done' && o.kind === 'failback') delete state.staleHost;
    if (!written && !prev && done.length === 0) return; // nothing changed yet: no unfinished operation to report
    written = true;
    const failed = await writeJournal(config, state, [hosts.primary, hosts.backup]);
    if (failed.length === 2 && !warned) {
      warned = true;
      run.warnings.push(`could not write the ${o.kind} journal on either host: \`--resume\` may repeat steps`);
    }
  };
  return { hook, state: () => state };
}

export interface HandoverReport {
  kind: OpKind;
  planId: string;
  from: PairRole;
  to: PairRole;
  durationMs: number;
  vipSettleMs: number | null;
  /** After the VIP settled: until the new holder served every DRBD volume (null: none). */
  drbdServeMs: number | null;
  syncs: HandoverRun['syncs'];
  verify: HandoverRun['verify'] | null;
  warnings: string[];
  skipped: string[];
  restart: string[];
  hosts: Record<string, string>;
}

export interface ApplyHandoverOptions {
  yes: boolean;
  json: boolean;
  interactive: boolean;
}

/**
 * Phase 3: confirm and apply the plan through the runner (its journal mirrored on both
 * hosts). A failure says where the VIP is and how to go on.
 */
export async function applyHandover(
  runner: Runner,
  f: HandoverFacts,
  hp: HandoverPlan,
  o: HandoverOptions,
  a: ApplyHandoverOptions,
): Promise<HandoverReport> {
  const t0 = Date.now();
  const { from, to } = f;
  let report;
  try {
    report = await runner.run(hp.plan, {
      dryRun: false,
      yes: a.yes,
      json: a.json,
      interactive: a.interactive,
      confirm: {
        kind: 'type',
        message: `${o.kind}: move the VIP and clients from ${from} to ${to}. Type the name of the ${to} to go on`,
        expected: to,
      },
    });
  } catch (err) {
    if (!(err instanceof PlanFailedError)) throw err;
    const j = hp.journal();
    const where = j.done.includes(`${to}:vip-move`) ? `the VIP is on ${to}` : `the VIP and clients stay on ${from}`;
    throw new PlanFailedError(`${err.message}\n${where}`, err.report, {
      exitCode: err.exitCode,
      ...(j.done.length > 0
        ? { hint: `fix the cause, then: nfsctl ${o.kind} --resume` }
        : { hint: 'nothing was left changed; fix the cause and run it again' }),
    });
  }
  const r = hp.result;
  const restart = restartAdvice(
    f.views.filter((v) => mirrored(v.backend)),
    f.clients,
  );
  return {
    kind: o.kind,
    planId: report.planId,
    from,
    to,
    durationMs: Date.now() - t0,
    vipSettleMs: r.vipSettleMs ?? null,
    drbdServeMs: r.drbdServeMs ?? null,
    syncs: r.syncs,
    verify: r.verify ?? null,
    warnings: r.warnings,
    skipped: f.skipped,
    restart,
    hosts: report.hostStates,
  };
}
