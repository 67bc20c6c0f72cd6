// The keepalived notify hook: `nfsctl ha notify <INSTANCE|GROUP> <name> <state> [priority]`.
// Mirrored volumes (LVM, XFS) are served by both hosts all the time, so only RBD and DRBD
// volumes follow the VIP (followsVip): RBD on MASTER fences the old holder (ceph osd
// blocklist), maps, mounts, exports, and on BACKUP/FAULT/STOP unexports, unmounts, unmaps;
// DRBD on MASTER promotes (never a side that is not UpToDate: refused, reported as an
// error), mounts, exports, and on BACKUP/FAULT/STOP unexports, unmounts, demotes. With
// `backends.rbd.map: false` (the netns lab: no krbd) only the export side runs; what would
// have been mapped is recorded, not done. On MASTER with kernel nfsd, last: sm-notify as the
// VIP so NFSv3 clients reclaim their locks (nlm.ts).
// Every transition is recorded in <stateDir>/vrrp/last.json (and the audit log).
import type { Config, PairRole } from '../config/schema.js';
import { runChecked, type Host } from '../host/host.js';
import { UsageError } from '../core/errors.js';
import { optionInt, quoteValue } from '../core/numbers.js';
import { clusterInventories, hostInventory, emptyInventory } from '../volume/inventory.js';
import { exporterOf } from '../volume/nfs-server/registry.js';
import { exportSpecFor } from '../volume/exporter.js';
import { configuredBackends } from '../volume/backend/registry.js';
import { followsVip, holderOnly, type FollowingVolume } from '../volume/backend/contract.js';
import { mergeVolumes, mirrored, type ClusterInventories, type VolumeView } from '../volume/state.js';
import { newPlanId, type Phase, type Plan, type Step } from '../plan/plan.js';
import { peerOf } from '../core/roles.js';
import { markStale, mayServe } from '../core/freshness.js';
import { noteServing, noteStopped, pairFreshness, readFreshness, writeFreshness } from './freshness.js';
import { freezeExports } from './freeze.js';
import { nlmNotifyStep } from './nlm.js';
import { hold, holdDescribe, release, releaseDescribe } from './vip-hold.js';
import { resetConnectionsStep } from './vip-sockets.js';

export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

export interface NotifyArgs {
  type: 'INSTANCE' | 'GROUP';
  name: string;
  state: VrrpState;
  priority?: number;
}

export function parseNotifyArgs(type: string, name: string, state: string, priority?: string): NotifyArgs {
  const t = type.toUpperCase();
  if (t !== 'INSTANCE' && t !== 'GROUP') throw new UsageError(`expected INSTANCE or GROUP, got ${quoteValue(type)}`);
  const s = state.toUpperCase();
  if (!['MASTER', 'BACKUP', 'FAULT', 'STOP'].includes(s))
    throw new UsageError(`expected MASTER, BACKUP, FAULT or STOP, got ${quoteValue(state)}`);
  // keepalived passes the instance's priority: 1-254 (255 is an address owner's, which the VIP never is)
  const p = priority === undefined ? undefined : optionInt('priority', priority, 0, { min: 1, max: 254 });
  return { type: t, name, state: s as VrrpState, ...(p !== undefined ? { priority: p } : {}) };
}

export interface NotifyRecord extends NotifyArgs {
  time: string;
  /** Run by switchover/failback (`--planned`), not by keepalived. */
  planned?: boolean;
  host: PairRole;
  /** What was done (export side) and, where krbd is off, what would have been done. */
  done: string[];
  wouldDo: string[];
  errors: string[];
}

/**
 * Is this transition nfsctl's to act on? Only the configured vrrp_instance: keepalived also
 * calls the hook for sync groups and for any other instance a shared notify line serves.
 */
export function forOurInstance(config: Config, a: NotifyArgs): boolean {
  return a.type === 'INSTANCE' && a.name === config.keepalived.instance;
}

/** Host-local lock serialising notify runs (not the pair lock: a switchover holds that while keepalived calls us). */
export function notifyLockPath(config: Config): string {
  return `${config.state.stateDir}/vrrp/notify.lock`;
}

/** The plan for one transition on `role` (the host keepalived runs on). */
export async function planNotify(
  config: Config,
  role: PairRole,
  host: Host,
  a: NotifyArgs,
  opts: {
    lockRecovery?: boolean;
    planned?: boolean;
    /** The shared backends' cluster, when this run has read it already (the freshness check). */
    cluster?: ClusterInventories;
  } = {},
): Promise<{ plan: Plan; wouldDo: string[]; refused: string[] }> {
  const wouldDo: string[] = [];
  const refused: string[] = [];
  const plan: Plan = { id: newPlanId(), title: `keepalived ${a.name} -> ${a.state} on ${role}`, phases: [] };
  if (!forOurInstance(config, a)) return { plan, wouldDo, refused };
  // NFSv3 locks: the new VIP holder tells the clients it knows of to reclaim them (nlm.ts),
  // after everything that follows the VIP is exported here
  // (not on a planned move: the handover runs it, with the old holder's list copied first)
  const nlm = a.state === 'MASTER' && opts.lockRecovery !== false ? nlmNotifyStep(config, role) : null;
  // connections on the VIP (vip-sockets.ts): the new holder resets those it kept from an
  // earlier time first, the host that lost the VIP resets its own last
  const connections: Phase = {
    title:
      a.state === 'MASTER'
        ? 'MASTER: reset the connections this host kept on the VIP from an earlier time'
        : `${a.state}: reset the connections this host still has on the VIP`,
    steps: [notifyConnectionsStep(config, role)],
  };
  if (a.state === 'MASTER') plan.phases.push(connections);
  const withNlm = () => {
    if (nlm) plan.phases.push({ title: 'MASTER: NFSv3 clients reclaim their locks here', steps: [nlm] });
    if (a.state !== 'MASTER') plan.phases.push(connections);
    return { plan, wouldDo, refused };
  };
  const following = configuredBackends(config).filter((b) => followsVip(b));
  if (following.length === 0) return withNlm();
  // the standby holds NFS traffic to the VIP (vip-hold.ts) so that when the VIP lands here on a
  // crash, clients wait until this run has served the DRBD volumes instead of reading ESTALE
  const held = holdsOnStandby(config);
  const [inv, cluster] = await Promise.all([
    hostInventory(config, role, host),
    opts.cluster ?? clusterInventories(config, [host]),
  ]);
  const empty = {
    ...inv,
    role: peerOf(role),
    ganeshaFiles: new Map<string, string>(),
    served: [],
    mounts: [],
    dirs: new Set<string>(),
    lvs: [],
    drbd: { states: new Map(), files: new Map(), lvs: [] },
  };
  const all = mergeVolumes(
    config,
    role === 'primary' ? { primary: inv, backup: empty } : { primary: empty, backup: inv },
    cluster,
  );
  const served = new Set(inv.served.map((e) => e.path));
  const servedId = new Map(inv.served.map((e) => [e.path, e.exportId] as const));
  const gained = a.state === 'MASTER';
  const exporter = exporterOf(config);
  for (const b of following) {
    // a volume retired on purpose (data kept, not served) is not brought up on the new holder;
    // one unexported on purpose is, but not exported (volume export serves it again). Letting
    // go takes everything down that is up here.
    const views = all.filter((v) => v.backend === b.name && !(gained && v.intent === 'retired'));
    const serve = (fv: FollowingVolume): Step | null => {
      const v = views.find((x) => x.id === fv.id)!;
      if (gained) {
        if (served.has(v.path) || v.intent !== null) return null;
        if (!v.hosts[role].configured) {
          // a holder-only volume (DRBD, a mapped RBD image) is in the exports of the host that
          // served it last only: the new holder adds it to its own (what `volume create` wrote
          // there) and serves it
          if (!holderOnly(b, config)) return null;
          const sub = exporter.exportSteps(
            config,
            role,
            inv,
            v.identity,
            exportSpecFor(config, b, { clients: config.nfs.clients, options: config.nfs.options }),
            null,
          );
          return {
            id: `${role}:export:${v.id}`,
            host: role,
            title: `export ${v.path} (${sub.map((x) => x.title).join('; ')})`,
            action: {
              kind: 'fn',
              describe: sub.map((x) => x.title).join('; '),
              fn: runAll(sub),
            },
            undo: null,
            noUndoReason: 'the next transition unexports',
          };
        }
        return {
          id: `${role}:export:${v.id}`,
          host: role,
          title: `export ${v.path}`,
          action: { kind: 'run', argv: exporter.serveArgvs(config, [v.identity])[0]! },
          undo: null,
          noUndoReason: 'the next transition unexports',
        };
      }
      if (holderOnly(b, config)) {
        // holder-only: the line goes too, or the next `exportfs -ra` here meets the unmounted
        // mount point ("does not support NFS export"); also mends a line an older create left
        const sub = exporter.unexportSteps(config, role, inv, v.identity);
        if (sub.length === 0) return null;
        return {
          id: `${role}:unexport:${v.id}`,
          host: role,
          title: `unexport ${v.path} (${sub.map((x) => x.title).join('; ')})`,
          action: { kind: 'fn', describe: sub.map((x) => x.title).join('; '), fn: runAll(sub) },
          undo: null,
          noUndoReason: 'the next transition exports',
        };
      }
      if (!served.has(v.path)) return null;
      return {
        id: `${role}:unexport:${v.id}`,
        host: role,
        title: `unexport ${v.path}`,
        action: { kind: 'run', argv: exporter.unserveArgvs(config, v.identity, ['*'], servedId.get(v.path))[0]! },
        undo: null,
        noUndoReason: 'the next transition exports',
      };
    };
    const f = b.followVip(config, role, inv, views, gained, serve);
    if (f.steps.length)
      plan.phases.push({
        title: `${a.state}: ${b.noun}s ${gained ? 'follow the VIP here' : 'leave this host'}`,
        steps: f.steps,
      });
    if (f.recordedOnly.length)
      plan.notes = [...(plan.notes ?? []), `${f.why}: NOT done, recorded only: ${f.recordedOnly.join('; ')}`];
    wouldDo.push(...f.recordedOnly);
    if (f.refused?.length) {
      plan.notes = [...(plan.notes ?? []), ...f.refused.map((r) => `NOT served: ${r}`)];
      refused.push(...f.refused);
    }
  }
  if (held && !gained)
    plan.phases.push({
      title: `${a.state}: hold NFS traffic to the VIP here (standby)`,
      steps: [holdStep(config, role)],
    });
  // MASTER releases it after serving (on a planned move the handover releases it, after its check)
  if (held && gained && !opts.planned)
    plan.phases.push({ title: 'MASTER: clients are answered here', steps: [releaseStep(config, role)] });
  plan.notes ??= [];
  return withNlm();
}

/**
 * The volumes as `role`'s host alone sees them (its peer taken as empty: not asked), with the
 * shared ones (RBD images, CephFS subvolumes) read from the cluster: without them a pair whose
 * volumes are all RBD images would count as one with no volumes, and so as mirrored.
 */
async function soloViews(
  config: Config,
  role: PairRole,
  host: Host,
): Promise<{ views: VolumeView[]; cluster: ClusterInventories }> {
  const [inv, cluster] = await Promise.all([hostInventory(config, role, host), clusterInventories(config, [host])]);
  const views = mergeVolumes(
    config,
    role === 'primary'
      ? { primary: inv, backup: emptyInventory('backup') }
      : { primary: emptyInventory('primary'), backup: inv },
    cluster,
  );
  return { views, cluster };
}

/** Are all of the volumes on `role` ones rsync does not copy (DRBD, shared)? False with no volume at all. */
function holdsNoMirrored(views: VolumeView[], role: PairRole): boolean {
  const here = views.filter((v) => v.hosts[role].present);
  return here.length > 0 && !here.some((v) => mirrored(v.backend));
}

/**
 * Does the standby hold NFS traffic to the VIP? Where a volume's filesystem is mounted on the
 * VIP holder only (DRBD; RBD images nfsctl maps): until the new holder has mounted and exported
 * it, its nfsd would answer the clients' file handles with ESTALE, which a kernel client
 * passes on to every process holding a file open (for good), instead of retransmitting.
 */
/** Reset the connections on the VIP (vip-sockets.ts); best effort: what it says goes to the hook's output, the transition goes on. */
export function notifyConnectionsStep(config: Config, role: PairRole): Step {
  return resetConnectionsStep(
    config,
    role,
    'reset TCP connections on the VIP (clients reconnect at once instead of stalling on a stale one)',
    (line, _problem, ctx) => ctx.progress(line),
  );
}

export function holdsOnStandby(config: Config): boolean {
  return configuredBackends(config).some((b) => holderOnly(b, config));
}

export function holdStep(config: Config, role: PairRole): Step {
  return {
    id: `${role}:vip-hold`,
    host: role,
    title: `drop NFS traffic to the VIP here (port 2049) until this host serves again`,
    action: {
      kind: 'fn',
      describe: holdDescribe(config.vip),
      fn: (h) => hold(h, config.vip),
    },
    undo: null,
    noUndoReason: 'the next MASTER transition releases it',
  };
}

export function releaseStep(config: Config, role: PairRole): Step {
  return {
    id: `${role}:vip-release`,
    host: role,
    title: 'release the hold: clients are answered here',
    action: {
      kind: 'fn',
      describe: releaseDescribe(config.vip),
      fn: async (h) => void (await release(h, config.vip)),
    },
    undo: null,
    noUndoReason: 'serving clients is the state to keep',
  };
}

/** Sub-steps run as one step of the hook's plan, in order. */
function runAll(sub: Step[]): Extract<Step['action'], { kind: 'fn' }>['fn'] {
  return async (h, ctx) => {
    for (const x of sub) {
      const act = x.action;
      if (act.kind === 'write') await h.writeFileAtomic(act.path, act.content, { backup: act.backup });
      else if (act.kind === 'run') await runChecked(h, act.argv);
      else await act.fn(h, ctx);
    }
  };
}

export function notifyRecordPath(config: Config): string {
  return `${config.state.stateDir}/vrrp/last.json`;
}

/**
 * Freshness on a VRRP transition of the configured instance (before the RBD plan runs).
 * MASTER on a host whose data is older than its peer's (a keepalived started by hand without
 * nfsctl's track_file, or a marker that never reached it): refused — the host marks itself
 * stale (keepalived's track_file then puts it in FAULT and the VIP goes back) and stops serving
 * the mirrored volumes. MASTER otherwise: a new data generation (the primary marked stale when
 * the backup takes over). BACKUP/FAULT/STOP: the serving period ends. Generations are about
 * the rsync copies: a host whose volumes are all DRBD (or shared) opens none and is refused
 * nothing, since DRBD itself never promotes a stale disk (a backup that took the VIP without
 * serving must not make the primary, with the only good data, "older").
 */
export async function freshnessOnTransition(
  config: Config,
  role: PairRole,
  hosts: Record<PairRole, Host>,
  a: NotifyArgs,
): Promise<{ refused: string | null; notes: string[]; cluster?: ClusterInventories }> {
  if (a.type !== 'INSTANCE' || a.name !== config.keepalived.instance) return { refused: null, notes: [] };
  const host = hosts[role];
  if (a.state !== 'MASTER') {
    await noteStopped(config, host, role);
    return { refused: null, notes: [] };
  }
  // the cluster read here serves the MASTER plan too (planNotify's opts.cluster): the pool is
  // not read twice while clients wait
  const { views, cluster } = await soloViews(config, role, host);
  if (holdsNoMirrored(views, role)) return { refused: null, notes: [], cluster };
  // the backup never preempts: it becomes MASTER only when the primary is gone, and then it
  // serves what it has (the pair's purpose). The primary does preempt: it is the one guarded.
  if (role !== 'primary')
    return {
      refused: null,
      notes: (await noteServing(config, hosts, role)).map((p) => `could not record on the peer: ${p}`),
      cluster,
    };
  const f = await pairFreshness(config, hosts);
  // the peer unreachable (it died: a failover) leaves only our own marker to go by
  const own = f.records[role] ?? (await readFreshness(config, host).catch(() => null));
  const why = f.errors[peerOf(role)]
    ? own?.stale
      ? `${role} is marked stale since ${own.stale.since}: ${own.stale.reason}`
      : null
    : mayServe(role, f.verdict);
  if (why) {
    const now = new Date().toISOString();
    await writeFreshness(
      config,
      host,
      markStale(own, role, `became MASTER while its data is older than ${peerOf(role)}'s`, now),
    );
    const removed = await freezeExports(config, host, views).catch((e: Error) => [`(freeze failed: ${e.message})`]);
    return {
      refused: `refusing to serve on ${role}: ${why}; marked stale (keepalived's track_file keeps it in FAULT)${removed.length ? `; stopped serving ${removed.join(', ')}` : ''}; run nfsctl failback`,
      notes: [],
    };
  }
  const problems = await noteServing(config, hosts, role);
  return { refused: null, notes: problems.map((p) => `could not record on the peer: ${p}`), cluster };
}
