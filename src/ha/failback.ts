// Failback (backup -> primary after an outage) and switchover (primary -> backup for
// maintenance) are one operation seen from two sides: the VIP holder `from` has the fresh
// data, `to` gets it, then the VIP moves. Order matters and is the point of this file:
//
//   1. preflight (read-only, before any change): both hosts answer, `from` holds the VIP
//      alone and serves, `to` has its NFS root mounted and the same volumes (no drift);
//      failback: the primary's keepalived is stopped and disabled at boot (step 1 changes);
//   2. bulk sync from -> to (rsync daemon on `from`, started for the sync if needed), with an
//      itemised dry-run preview and a deletion cap;
//   3. write freeze on `from` (kernel nfsd: the NFS server stopped, so hard-mounted clients wait
//      instead of getting ESTALE; ganesha: every nfsctl export removed), final
//      delta sync, verification (file counts and sizes; sha256 of every file with --verify);
//   4. move the VIP: failback starts (and enables) keepalived on the primary; switchover stops
//      (and disables) it; then wait until `to`, and only `to`, holds the VIP and serves;
//   5. restore `from`'s exports (it is the standby now) and stop the rsync daemon we started.
//
// Steps up to 4 never put the VIP on a stale host: keepalived on the primary stays stopped
// (no undo) until the data is verified, and an undo of 4 stops it again. Every completed
// step is journaled on both hosts (<stateDir>/failback.json), so `--resume` skips what is done.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import { CommandFailedError, runChecked } from '../host/host.js';
import { NfsctlError, PreconditionError, HostUnreachableError } from '../core/errors.js';
import { describeAction, newPlanId, planSteps, type Action, type Phase, type Plan, type Step } from '../plan/plan.js';
import { serviceArgv, serviceCommand } from './services.js';
import { quoteArg, quoteArgv } from '../host/quote.js';
import { vipState } from './vip.js';
import { pairInventory, parseServed, servedArgv, type HostInventory } from '../volume/inventory.js';
import { exporterOf } from '../volume/nfs-server/registry.js';
import { mergeVolumes, mirrored, type VolumeView } from '../volume/state.js';
import { checkUnitCaps, checkUnits, mergeReports, previewUnits, renderUnitPreviews, runUnits, syncRecord, syncUnits, treeDigest, unitName, unitsReport, DEFAULT_MAX_DELETE, type ReadyUnit, type UnitPreview } from './sync.js';
import { writeSyncRecord } from './sync-state.js';
import { movePromise, nfsClients, restartAdvice, type NfsClients } from './promise.js';
import { readJournal, writeJournal, unfinished, type OpJournal, type OpKind } from './journal.js';
import type { RsyncReport } from '../core/rsync.js';
import { rsyncArgv } from './sync.js';
import { assertMayServe, checkSyncFreshness, clearStaleAfterFinalSync, markHostStale, noteReceived, noteServing, trackFilePath } from './freshness.js';

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
}

export function direction(kind: OpKind): { from: PairRole; to: PairRole } {
  return kind === 'failback' ? { from: 'backup', to: 'primary' } : { from: 'primary', to: 'backup' };
}

/** Drift lines that matter for a handover (served/not-served is fixed by the plan itself). */
export function blockingDrift(views: VolumeView[]): string[] {
  return views.filter((v) => mirrored(v.backend)).flatMap((v) => v.drift.filter((d) => !/in the exports config but not served|served but not in the exports config/.test(d)).map((d) => `${v.id}: ${d}`));
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
export async function handoverPreflight(config: Config, hosts: Record<PairRole, Host>, o: HandoverOptions): Promise<HandoverFacts> {
  const { from, to } = direction(o.kind);
  const t = config.timeouts.check + config.timeouts.connect;
  const roles: PairRole[] = ['primary', 'backup'];
  const dead = await Promise.all(roles.map((r) => answers(hosts[r], t)));
  for (const [i, r] of roles.entries()) {
    if (dead[i]) throw new PreconditionError(`${r} is unreachable: ${dead[i]}; nothing was changed`, { hint: `bring ${r} (and its sshd) back, then run \`nfsctl ${o.kind}\` again` });
  }
  const journal = await readJournal(config, o.kind, [hosts.primary, hosts.backup]);
  if (unfinished(journal) && !o.resume) {
    throw new PreconditionError(`an earlier ${o.kind} (${journal.planId}) did not finish: ${journal.done.length} step(s) done${journal.failedStep ? `, failed at ${journal.failedStep}` : ''}`, { hint: `continue it: nfsctl ${o.kind} --resume` });
  }
  const resumeDone = new Set(o.resume && unfinished(journal) ? journal.done : []);
  const vipMoved = resumeDone.has(`${to}:vip-move`);
  const vs = await Promise.all(roles.map((r) => vipState(config, r, hosts[r], config.timeouts.check)));
  const vip = { primary: vs[0]!.holds, backup: vs[1]!.holds };
  if (vip.primary && vip.backup) {
    throw new PreconditionError(`split brain: the VIP ${config.vip} is on BOTH hosts; clients may have written to either, refusing to ${o.kind}`, {
      hint: `on the primary: \`${serviceCommand(config, 'stop', 'keepalived')}\` and \`ip addr del ${quoteArg(config.vip)}/<prefix> dev ${quoteArg(config.keepalived.interface)}\` (see \`ip addr\`); check no client data is on the primary only; then \`nfsctl ${o.kind}\``,
    });
  }
  const holder = vip.primary ? 'primary' : vip.backup ? 'backup' : null;
  if (holder === null) throw new PreconditionError(`nobody holds the VIP ${config.vip}: refusing to ${o.kind}`, { hint: `start keepalived on the host with the newest data: ${serviceCommand(config, 'start', 'keepalived')}` });
  if (holder !== from && !vipMoved) {
    throw new PreconditionError(`the VIP is on ${holder}: nothing to ${o.kind === 'failback' ? 'fail back' : 'switch over'} (it moves the VIP from ${from} to ${to})`, { hint: 'nfsctl status' });
  }
  const svc = async (r: PairRole, a: 'status' | 'is-enabled', k: 'keepalived' | 'nfs' | 'rsyncd') => (await hosts[r].run(serviceArgv(config, a, k))).exitCode === 0;
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
  const facts: HandoverFacts = {
    from,
    to,
    vip,
    keepalivedRunning: { primary: kaP, backup: kaB },
    keepalivedEnabled: { primary: enP, backup: enB },
    nfsRunning: { primary: nfsP, backup: nfsB },
    rsyncdRunning: { primary: rsP, backup: rsB },
    inv: await pairInventory(config, hosts),
    views: [],
    preview: null,
    previews: null,
    units: [],
    skipped: [],
    clients: { mountedBy: new Map(), connected: [] },
    journal,
  };
  if (!vipMoved && !resumeDone.has(`${from}:freeze`) && !facts.nfsRunning[from]) throw new PreconditionError(`${from} holds the VIP but its NFS server is not running: clients are down; fix that first`, { hint: serviceCommand(config, 'start', 'nfs') });
  facts.views = mergeVolumes(config, facts.inv);
  let skippedIds = new Set<string>();
  if (!vipMoved) {
    const check = await checkUnits(config, syncUnits(config, facts.views), { role: from, host: hosts[from] }, { role: to, host: hosts[to] }, { skipUnready: o.skipUnready ?? false });
    facts.units = check.ready;
    facts.skipped = check.problems.map((p) => p.text);
    skippedIds = new Set(check.problems.flatMap((p) => p.unit.volumes));
  }
  const drift = blockingDrift(facts.views.filter((v) => !skippedIds.has(v.id)));
  if (drift.length > 0) {
    throw new PreconditionError(`the volumes on ${to} do not match ${from}:\n  ${drift.join('\n  ')}`, { hint: 'nfsctl volume list; fix the drift (nfsctl troubleshoot-mount <volume>), then run it again' });
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

async function servedPaths(config: Config, host: Host): Promise<string[]> {
  return parseServed(config, (await runChecked(host, servedArgv(config))).stdout).map((e) => e.path);
}

/**
 * One command line that runs `cmds` one after the other on a host, stopping at the first
 * failure, then `last` (whose output is the result): one SSH round trip however many
 * commands. The arguments travel as positional parameters, separated by a marker; the
 * script only ever evals references to them ("${3}" "${4}" ...), never their values.
 */
export const SEQUENCE_SEP = '--nfsctl-sequence-next--';
export const SEQUENCE_SCRIPT = `sep=$1; shift
cmd=; i=0
for a do
  i=$((i + 1))
  if [ "$a" = "$sep" ]; then
    eval "$cmd" >/dev/null || { rc=$?; echo "nfsctl sequence: command failed (exit $rc)" >&2; exit "$rc"; }
    cmd=
  else
    cmd="$cmd \\"\\\${$i}\\""
  fi
done
eval "exec $cmd"
`;
export function sequenceArgv(cmds: string[][], last: string[]): string[] {
  if (last.length === 0) throw new Error('sequence: empty last command');
  for (const c of [...cmds, last]) if (c.includes(SEQUENCE_SEP)) throw new Error(`sequence: an argument is the separator ${SEQUENCE_SEP}`);
  return ['sh', '-c', SEQUENCE_SCRIPT, 'nfsctl-sequence', SEQUENCE_SEP, ...cmds.flatMap((c) => [...c, SEQUENCE_SEP]), ...last];
}

/**
 * Stop serving every mirrored nfsctl volume on `host`: the write freeze. Clients of a
 * removed export hang until the VIP moves, so this is short: one round trip to read what is
 * served, one to remove it all and read again. Returns what it removed.
 */
export async function freezeExports(config: Config, host: Host, views: VolumeView[]): Promise<string[]> {
  // ganesha: remove each export under the id it is served with (hand-made or legacy exports
  // may carry another Export_Id than nfsctl's own; RemoveExport of a wrong id fails)
  const liveIds = new Map(parseServed(config, (await runChecked(host, servedArgv(config))).stdout).map((e) => [e.path, e.exportId] as const));
  const served = new Set(liveIds.keys());
  const removed: string[] = [];
  const cmds: string[][] = [];
  for (const v of views.filter((x) => mirrored(x.backend) && served.has(x.path))) {
    cmds.push(...exporterOf(config).unserveArgvs(config, v.identity, v.hosts[host.name as PairRole]?.clients ?? ['*'], liveIds.get(v.path) ?? undefined));
    removed.push(v.path);
  }
  const after = cmds.length ? parseServed(config, (await runChecked(host, sequenceArgv(cmds, servedArgv(config)))).stdout).map((e) => e.path) : [...served];
  const still = after.filter((p) => removed.includes(p));
  if (still.length > 0) throw new NfsctlError(`${host.name}: still serving ${still.join(', ')} after the freeze`);
  return removed;
}

/**
 * The write freeze with the kernel NFS server: stop it (rpc.nfsd 0). Unexporting a path
 * (exportfs -u) made kernel nfsd answer every client request on it with ESTALE for the whole
 * freeze (seen on the vm tier: ~300 errors per workload in a 60 s freeze); with the server
 * stopped, hard-mounted clients get no answer and retry until the VIP has moved: a stall,
 * not errors. Checked: no nfsd thread left. Returns the mirrored paths it was serving.
 */
export async function freezeKernelNfs(config: Config, host: Host, views: VolumeView[]): Promise<string[]> {
  const served = new Set(await servedPaths(config, host));
  await runChecked(host, serviceArgv(config, 'stop', 'nfs'), { timeoutMs: 60_000 });
  const t = await host.run(['sh', '-c', 'cat /proc/fs/nfsd/threads 2>/dev/null || echo 0']);
  if (Number(t.stdout.trim() || '0') !== 0) throw new NfsctlError(`${host.name}: nfsd still runs ${t.stdout.trim()} thread(s) after \`${serviceArgv(config, 'stop', 'nfs').join(' ')}\``);
  return views.filter((v) => mirrored(v.backend) && served.has(v.path)).map((v) => v.path);
}

/** Undo of the kernel freeze, and the standby's unfreeze: start the NFS server, serve everything. */
export async function unfreezeKernelNfs(config: Config, host: Host, views: VolumeView[]): Promise<string[]> {
  const st = await host.run(serviceArgv(config, 'status', 'nfs'));
  if (st.exitCode !== 0) await runChecked(host, serviceArgv(config, 'start', 'nfs'), { timeoutMs: 120_000 });
  return ensureExports(config, host, views);
}

/** Serve every mirrored nfsctl volume configured on `host` that is not served now. */
export async function ensureExports(config: Config, host: Host, views: VolumeView[]): Promise<string[]> {
  const role = host.name as PairRole;
  // the kernel re-reads its whole exports file at once; ganesha adds each missing export
  const servedBefore = new Set(await servedPaths(config, host));
  const missingBefore = views.filter((x) => mirrored(x.backend) && x.hosts[role]?.configured && !servedBefore.has(x.path)).map((v) => v.identity);
  for (const argv of exporterOf(config).serveArgvs(config, missingBefore)) await runChecked(host, argv);
  const served = new Set(await servedPaths(config, host));
  const missing = views.filter((x) => mirrored(x.backend) && x.hosts[role]?.configured && !served.has(x.path)).map((v) => v.path);
  if (missing.length > 0) throw new NfsctlError(`${host.name}: not serving ${missing.join(', ')}`);
  return [...served];
}

export async function waitVip(config: Config, hosts: Record<PairRole, Host>, want: PairRole, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  const other: PairRole = want === 'primary' ? 'backup' : 'primary';
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    const [a, b] = await Promise.all([vipState(config, want, hosts[want], 3000), vipState(config, other, hosts[other], 3000)]);
    if (a.holds === true && b.holds === false) return Date.now() - t0;
    last = `${want}: ${a.holds ?? a.error}, ${other}: ${b.holds ?? b.error}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new NfsctlError(`the VIP did not settle on ${want} alone within ${timeoutMs} ms (${last})`);
}

export async function performAction(host: Host, a: Action): Promise<void> {
  if (a.kind === 'run') {
    const r = await host.run(a.argv, { ...(a.timeoutMs !== undefined ? { timeoutMs: a.timeoutMs } : {}), ...(a.input !== undefined ? { input: a.input } : {}) });
    if (!(a.okExitCodes ?? [0]).includes(r.exitCode)) throw new CommandFailedError(r);
  } else if (a.kind === 'write') {
    await host.writeFileAtomic(a.path, a.content, { backup: a.backup ?? false, ...(a.mode !== undefined ? { mode: a.mode } : {}) });
  } else {
    await a.fn(host);
  }
}

export interface HandoverPlan {
  plan: Plan;
  /** Steps left out because the journal says they are done (resume). */
  skipped: Step[];
  /** Filled in while the plan runs. */
  result: { vipSettleMs?: number; syncs: { step: string; bytes: number; files: number | null; deleted: number; durationMs: number }[]; verify?: { files: number; bytes: number; digest: string; checksums: boolean }; warnings: string[] };
}

/** Build the plan from preflight facts. Pure apart from the closures the steps run later. */
export function planHandover(config: Config, hosts: Record<PairRole, Host>, f: HandoverFacts, o: HandoverOptions): HandoverPlan {
  const { from, to } = f;
  const kind = o.kind;
  const result: HandoverPlan['result'] = { syncs: [], warnings: [] };
  const svc = (role: PairRole, action: 'start' | 'stop' | 'enable' | 'disable', key: 'keepalived' | 'nfs' | 'rsyncd'): Action => ({ kind: 'run', argv: serviceArgv(config, action, key) });
  const phases: Phase[] = [];
  const primary: PairRole = 'primary';

  // 1. keep the (stale) primary out of the VIP: failback only
  if (kind === 'failback') {
    const s: Step[] = [];
    if (f.keepalivedRunning.primary) {
      s.push({
        id: 'primary:keepalived-stop',
        host: primary,
        title: 'stop keepalived on the primary (it must not take the VIP before its data is current)',
        action: {
          kind: 'fn',
          describe: serviceCommand(config, 'stop', 'keepalived') + ', then check it is stopped and holds no VIP',
          fn: async (h) => {
            const r = await h.run(serviceArgv(config, 'stop', 'keepalived'), { timeoutMs: 30_000 });
            const st = await h.run(serviceArgv(config, 'status', 'keepalived'));
            if (st.exitCode === 0) throw new NfsctlError(`keepalived on the primary refused to stop (stop: exit ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}); it is still running`);
            const v = await vipState(config, primary, h);
            if (v.holds) throw new NfsctlError(`the primary still holds the VIP ${config.vip} with keepalived stopped: remove it (ip addr del ${config.vip}/<prefix> dev ${config.keepalived.interface})`);
          },
        },
        undo: null,
        noUndoReason: 'keepalived stays stopped on the primary until failback completes (the VIP must not go to stale data)',
      });
    }
    if (f.keepalivedEnabled.primary) {
      s.push({ id: 'primary:keepalived-disable', host: primary, title: 'disable keepalived at boot on the primary until failback ends', action: svc(primary, 'disable', 'keepalived'), undo: null, noUndoReason: 'stays disabled until failback completes' });
    }
    if (!f.nfsRunning.primary) {
      s.push({ id: 'primary:nfs-start', host: primary, title: 'start the NFS server on the primary (no VIP yet, so no client sees it)', action: svc(primary, 'start', 'nfs'), undo: null, noUndoReason: 'harmless without the VIP' });
    }
    if (s.length) phases.push({ title: 'preflight: keep the primary out of the VIP', steps: s });
  } else if (!f.nfsRunning.backup) {
    phases.push({ title: 'preflight: NFS on the backup', steps: [{ id: 'backup:nfs-start', host: 'backup', title: 'start the NFS server on the backup', action: svc('backup', 'start', 'nfs'), undo: null, noUndoReason: 'harmless without the VIP' }] });
  }

  // 2. bulk sync
  const rsyncStarted = !f.rsyncdRunning[from];
  // `from`'s listing for the verification, taken while the final sync runs: `from` is frozen
  // by then (the final sync runs after the freeze step), so it is the listing the
  // verification would take after it; `to`'s is only taken once the final sync is done.
  let fromListing: Promise<Awaited<ReturnType<typeof treeDigest>>[]> | undefined;
  const digests = (h: Host) => Promise.all(f.units.map((u) => treeDigest(config, h, o.verify, u.path)));
  const unitList = f.units.map((u) => unitName(u)).join('; ') || 'nothing (no mirrored volume)';
  const syncStep = (id: string, title: string): Step => ({
    id: `${to}:${id}`,
    host: to,
    title,
    action: {
      kind: 'fn',
      describe: f.units.map((u) => quoteArgv(rsyncArgv({ config, source: from, dryRun: false, maxDelete: o.maxDelete, unit: u }))).join('; ') || 'nothing to copy',
      fn: async (h) => {
        const started = Date.now();
        const a = { config, source: from, maxDelete: o.maxDelete };
        if (id === 'bulk-sync' && !f.previews) {
          // no preview before confirmation (the daemon was not running): preview and cap now
          checkUnitCaps(await previewUnits(h, a, f.units), o.maxDelete, from, to);
        }
        if (id === 'final-sync') {
          fromListing = digests(hosts[from]);
          fromListing.catch(() => undefined); // awaited (and its error reported) by the verification
        }
        const per = { volumes: f.units.flatMap((u) => u.volumes), skipped: f.skipped };
        try {
          const rep = unitsReport(await runUnits(h, a, f.units));
          result.syncs.push({ step: id, bytes: rep.stats.transferredFileSize ?? 0, files: rep.stats.files, deleted: rep.deletions.length, durationMs: rep.durationMs });
          await writeSyncRecord(h, config.state.stateDir, syncRecord(from, to, started, rep, undefined, per)).catch(() => undefined);
          await noteReceived(config, hosts, from, to, started, id === 'final-sync');
        } catch (err) {
          await writeSyncRecord(h, config.state.stateDir, syncRecord(from, to, started, null, (err as Error).message, per)).catch(() => undefined);
          throw err;
        }
      },
    },
    undo: null,
    noUndoReason: `${to} keeps the copied data (it is ${from}'s, and a re-run continues from it)`,
  });
  const bulk: Step[] = [];
  if (rsyncStarted) bulk.push({ id: `${from}:rsyncd-start`, host: from, title: `start the rsync daemon on ${from} for the sync`, action: svc(from, 'start', 'rsyncd'), undo: { title: `stop the rsync daemon on ${from}`, action: svc(from, 'stop', 'rsyncd') } });
  phases.push({ title: `bulk sync ${from} -> ${to} (clients still write to ${from})`, steps: bulk.filter((s) => s.host === from) });
  phases.push({ title: `bulk sync ${from} -> ${to}: copy`, steps: [syncStep('bulk-sync', `bulk copy from ${from}, one rsync per volume filesystem (deletions capped at ${o.maxDelete} per volume): ${unitList}`)] });

  // 3. freeze, final sync, verify
  let frozen: string[] = [];
  phases.push({
    title: `write freeze on ${from}`,
    steps: [
      {
        id: `${from}:freeze`,
        host: from,
        title: exporterOf(config).freezeStopsServer ? `stop the NFS server on ${from} (write freeze; hard-mounted clients wait and retry)` : `stop serving the volumes on ${from} (write freeze; clients wait and retry)`,
        action: {
          kind: 'fn',
          describe: !exporterOf(config).freezeStopsServer ? 'dbus RemoveExport for every volume export' : `${serviceArgv(config, 'stop', 'nfs').join(' ')}; check no nfsd thread is left`,
          fn: async (h) => void (frozen = exporterOf(config).freezeStopsServer ? await freezeKernelNfs(config, h, f.views) : await freezeExports(config, h, f.views)),
        },
        undo: { title: `serve the volumes on ${from} again`, action: { kind: 'fn', describe: exporterOf(config).freezeStopsServer ? `${serviceArgv(config, 'start', 'nfs').join(' ')}; exportfs -ra` : 'dbus AddExport', fn: async (h) => void (exporterOf(config).freezeStopsServer ? await unfreezeKernelNfs(config, h, f.views) : await ensureExports(config, h, f.views)) } },
      },
    ],
  });
  phases.push({
    title: `final sync ${from} -> ${to} and verification`,
    steps: [
      syncStep('final-sync', `final delta sync from ${from} (nothing can change there now)`),
      {
        id: `${to}:verify`,
        host: to,
        title: `verify ${to} has exactly ${from}'s files (${o.verify ? 'sha256 of every file' : 'names, counts and sizes'})`,
        action: {
          kind: 'fn',
          describe: `find <each volume filesystem> -xdev -type f on both hosts${o.verify ? ' | sha256sum' : ''}, compare`,
          fn: async (h) => {
            const [as, bs] = await Promise.all([fromListing ?? digests(hosts[from]), digests(h)]);
            fromListing = undefined;
            const bad: string[] = [];
            f.units.forEach((u, i) => {
              const a = as[i]!;
              const b = bs[i]!;
              if (a.digest !== b.digest || a.files !== b.files || a.bytes !== b.bytes) bad.push(`${unitName(u)}: ${from} has ${a.files} files / ${a.bytes} bytes, ${to} has ${b.files} files / ${b.bytes} bytes${a.digest !== b.digest ? ' (listings differ)' : ''}`);
            });
            if (bad.length) throw new NfsctlError(`verification failed:\n  ${bad.join('\n  ')}`);
            result.verify = { files: as.reduce((x, d) => x + d.files, 0), bytes: as.reduce((x, d) => x + d.bytes, 0), digest: as.map((d) => d.digest).join(','), checksums: o.verify };
          },
        },
        undo: null,
        noUndoReason: 'a check: changes nothing',
      },
    ],
  });

  // 4. move the VIP
  const vipTimeout = o.vipTimeoutMs ?? 60_000;
  const move: Step[] = [
    {
      id: `${to}:exports`,
      host: to,
      title: `make sure ${to} serves every volume`,
      action: { kind: 'fn', describe: 'dbus ShowExports; AddExport what is missing', fn: async (h) => void (await ensureExports(config, h, f.views)) },
      undo: null,
      noUndoReason: 'serving without the VIP is harmless',
    },
  ];
  const vipFrom: PairRole[] = [];
  if (kind === 'failback') {
    move.push(
      { id: 'primary:keepalived-enable', host: primary, title: 'enable keepalived at boot on the primary again', action: svc(primary, 'enable', 'keepalived'), undo: { title: 'disable it again', action: svc(primary, 'disable', 'keepalived') } },
      {
        id: 'primary:vip-move',
        host: primary,
        title: `start keepalived on the primary and wait until it alone holds the VIP (up to ${vipTimeout / 1000} s)`,
        action: {
          kind: 'fn',
          describe: `${serviceCommand(config, 'start', 'keepalived')}; poll ip addr on both hosts`,
          fn: async (h) => {
            await clearStaleAfterFinalSync(config, hosts, 'primary', 'backup');
            await assertMayServe(config, hosts, 'primary', 'start keepalived on the primary');
            await runChecked(h, serviceArgv(config, 'start', 'keepalived'));
            result.vipSettleMs = await waitVip(config, hosts, 'primary', vipTimeout);
            for (const p of await noteServing(config, hosts, 'primary').catch((e: Error) => [e.message])) result.warnings.push(`freshness record: ${p}`);
          },
        },
        undo: { title: 'stop keepalived on the primary (the VIP goes back to the backup) and mark it stale again', action: { kind: 'fn', describe: serviceCommand(config, 'stop', 'keepalived') + `; ${trackFilePath(config)} = 1`, fn: async (h) => {
          await runChecked(h, serviceArgv(config, 'stop', 'keepalived'));
          await markHostStale(config, h, primary, 'failback was undone: the backup serves clients again');
        } } },
      },
    );
  } else {
    vipFrom.push('primary');
  }
  phases.push({ title: `move the VIP to ${to}`, steps: move });
  if (kind === 'switchover') {
    phases.push({
      title: 'hand the VIP over',
      steps: [
        { id: 'primary:keepalived-disable', host: primary, title: 'disable keepalived at boot on the primary (maintenance: it must not take the VIP back on reboot)', action: svc(primary, 'disable', 'keepalived'), undo: { title: 'enable it again', action: svc(primary, 'enable', 'keepalived') } },
        {
          id: 'backup:vip-move',
          host: primary,
          title: `stop keepalived on the primary and wait until the backup alone holds the VIP (up to ${vipTimeout / 1000} s)`,
          action: {
            kind: 'fn',
            describe: `${serviceCommand(config, 'stop', 'keepalived')}; poll ip addr on both hosts`,
            fn: async (h) => {
              await runChecked(h, serviceArgv(config, 'stop', 'keepalived'), { timeoutMs: 30_000 });
              result.vipSettleMs = await waitVip(config, hosts, 'backup', vipTimeout);
              for (const p of await noteServing(config, hosts, 'backup').catch((e: Error) => [e.message])) result.warnings.push(`freshness record: ${p}`);
            },
          },
          undo: { title: 'start keepalived on the primary again (the VIP comes back)', action: { kind: 'fn', describe: serviceCommand(config, 'start', 'keepalived') + ' (unless the primary is stale)', fn: async (h) => {
            await assertMayServe(config, hosts, primary, 'start keepalived on the primary again');
            await runChecked(h, serviceArgv(config, 'start', 'keepalived'));
          } } },
        },
      ],
    });
  }

  // 5. restore `from` as the standby
  const restore: Step[] = [
    {
      id: `${from}:unfreeze`,
      host: from,
      title: `serve the volumes on ${from} again (it is the standby now${kind === 'failback' ? '; syncs run primary -> backup again' : ''})`,
      action: {
        kind: 'fn',
        describe: exporterOf(config).freezeStopsServer ? `${serviceArgv(config, 'start', 'nfs').join(' ')}; exportfs -ra` : 'dbus AddExport for the frozen exports',
        fn: async (h) => {
          try {
            if (exporterOf(config).freezeStopsServer) await unfreezeKernelNfs(config, h, f.views);
            else await ensureExports(config, h, f.views);
          } catch (err) {
            // the VIP has moved: failing here must not undo that; report instead
            result.warnings.push(`${from}: could not serve the volumes again: ${(err as Error).message}; run \`nfsctl volume export <volume>\` for each`);
          }
        },
      },
      undo: null,
      noUndoReason: 'the standby serving its copy is its normal role',
    },
  ];
  if (rsyncStarted) restore.push({ id: `${from}:rsyncd-stop`, host: from, title: `stop the rsync daemon we started on ${from}`, action: { kind: 'run', argv: serviceArgv(config, 'stop', 'rsyncd'), okExitCodes: [0, 1, 3] }, undo: null, noUndoReason: 'it was not running before' });
  phases.push({ title: `restore ${from}'s normal role`, steps: restore });
  void frozen;
  void vipFrom;

  const all = phases.filter((p) => p.steps.length > 0);
  // --resume: skip the prefix of steps the journal says are done (and still in effect)
  const done = new Set(o.resume && unfinished(f.journal) ? f.journal.done : []);
  const skipped: Step[] = [];
  let running = false;
  const kept: Phase[] = [];
  for (const p of all) {
    const steps = p.steps.filter((s) => {
      if (!running && done.has(s.id)) {
        skipped.push(s);
        return false;
      }
      running = true;
      return true;
    });
    if (steps.length) kept.push({ ...p, steps });
  }
  const notes: string[] = [];
  if (skipped.length) notes.push(`resuming ${f.journal!.planId}: already done: ${skipped.map((s) => s.id).join(', ')}`);
  if (f.previews) notes.push(...renderUnitPreviews(f.previews, from, to));
  else if (!done.has(`${to}:bulk-sync`)) notes.push(`the rsync daemon on ${from} is not running: the itemised preview and the deletion cap (${o.maxDelete}) are checked right before the bulk copy`);
  for (const t of f.skipped) notes.push(`SKIPPED (--skip-unready), NOT copied: ${t}; after the move its clients see ${to}'s older copy`);
  const copies = f.views.filter((v) => mirrored(v.backend));
  if (copies.length) {
    const p = movePromise(copies[0]!.backend);
    notes.push(`what the move does to clients of the rsync-copy volumes (${copies.map((v) => v.id).join(', ')}): ${p.planned}; ${p.openFiles}`);
    const advice = restartAdvice(copies, f.clients);
    if (advice.length) notes.push(...advice.map((a) => `after the move: ${a}`));
  }
  const rbd = f.views.filter((v) => !mirrored(v.backend));
  if (rbd.length) notes.push(`RBD volumes (${rbd.map((v) => v.id).join(', ')}) are not copied: they follow the VIP through the keepalived notify hook (nfsctl ha notify)`);
  notes.push(`the VIP and clients stay on ${from} until ${to}'s data is verified; a failure before that leaves them there`);
  const plan: Plan = {
    id: newPlanId(),
    title: `${kind} ${from} -> ${to}`,
    phases: kept,
    cleanupHint: `nfsctl ${kind} --resume`,
    notes,
  };
  return { plan, skipped, result };
}

/** Wrap every step so that its completion is journaled on both hosts before the next one. */
export function journaled(config: Config, hosts: Record<PairRole, Host>, hp: HandoverPlan, j: OpJournal): { plan: Plan; journal: OpJournal } {
  const both = [hosts.primary, hosts.backup];
  const plan: Plan = {
    ...hp.plan,
    phases: hp.plan.phases.map((p) => ({
      ...p,
      steps: p.steps.map((s) => ({
        ...s,
        action: {
          kind: 'fn' as const,
          describe: describeAction(s.action),
          fn: async (h: Host) => {
            await performAction(h, s.action);
            j.done = [...j.done.filter((d) => d !== s.id), s.id];
            j.phase = p.title;
            j.status = 'running';
            const failed = await writeJournal(config, j, both);
            if (failed.length === 2) throw new NfsctlError(`could not journal step ${s.id} on either host`);
          },
        },
      })),
    })),
  };
  return { plan, journal: j };
}

export function stepIds(plan: Plan): string[] {
  return planSteps(plan).map((s) => s.id);
}

export { HostUnreachableError, DEFAULT_MAX_DELETE };
