// DRBD volumes seen from both hosts at once: what switchover/failback, health, status and
// `ha split-brain` read about them. Each host's DRBD state comes from its inventory
// (`inv.drbd`, filled by the drbd backend's readHost); here it is put side by side per
// volume, judged (ready for a VIP move? resyncing? split brain?) and said in figures
// (out-of-sync bytes, percent, ETA). Pure, except readPairDrbd/waitDrbd which read hosts.
import type { Config, PairRole } from '../config/schema.js';
import { peerOf } from '../core/roles.js';
import type { Host } from '../host/host.js';
import type { HostInventory } from '../volume/inventory.js';
import type { VolumeView } from '../volume/state.js';
import { backendNamed } from '../volume/backend/registry.js';
import { hostInventory } from '../volume/inventory.js';
import { formatSize } from '../core/sizes.js';
import { formatEta } from '../core/rsync-progress.js';

import { drbdResourceName, type DrbdState } from '../core/drbd.js';
import type { DrbdInventory } from '../volume/inventory.js';

export type { DrbdState } from '../core/drbd.js';
export type { DrbdInventory } from '../volume/inventory.js';

export const ROLES: readonly PairRole[] = ['primary', 'backup'];
export const peer = peerOf;

export function drbdInventory(inv: HostInventory | undefined): DrbdInventory | undefined {
  return inv?.drbd;
}

/** Is this backend's storage replicated underneath (DRBD) rather than copied by rsync? */
export function isReplicated(backend: string): boolean {
  return backendNamed(backend).placement === 'replicated';
}

/** One host's side of one DRBD volume. */
export interface DrbdSide {
  reachable: boolean;
  /** The resource's state on this host, or null: not up here (drbdadm down, module not loaded). */
  state: DrbdState | null;
  /** Why the state could not be read (the host, /proc/drbd). */
  error?: string;
  mounted: boolean;
  served: boolean;
  /** nfsctl's resource file for it on this host (content), or null. */
  file: string | null;
}

export interface DrbdVolume {
  id: string;
  path: string;
  resource: string;
  minor: number | null;
  device: string | null;
  view: VolumeView;
  hosts: Record<PairRole, DrbdSide>;
}

/** The resource name of a drbd volume: its metadata's (both hosts agree), else the name a host reports for its minor. */
function resourceOf(
  config: Config,
  v: VolumeView,
  inv: Record<PairRole, HostInventory>,
): { resource: string; minor: number | null } {
  for (const r of ROLES) {
    const meta = backendNamed(v.backend).metaOnHost(inv[r], v.identity) as
      | { drbd?: { resource?: string; minor?: number } }
      | null
      | undefined;
    if (meta?.drbd?.resource)
      return { resource: meta.drbd.resource, minor: typeof meta.drbd.minor === 'number' ? meta.drbd.minor : null };
  }
  return { resource: drbdResourceName(v.identity.lv), minor: null };
}

/** Every DRBD volume of the pair with both hosts' sides. */
export function drbdVolumes(
  config: Config,
  views: readonly VolumeView[],
  inv: Record<PairRole, HostInventory>,
): DrbdVolume[] {
  const out: DrbdVolume[] = [];
  for (const v of views) {
    if (!isReplicated(v.backend)) continue;
    const { resource, minor: metaMinor } = resourceOf(config, v, inv);
    const side = (r: PairRole): DrbdSide => {
      const i = inv[r];
      const d = drbdInventory(i);
      const st = d?.states.get(resource) ?? null;
      // a resource file without the resource in /proc/drbd: not up here
      const state = st && st.cstate !== 'Unconfigured' ? st : null;
      const err = !i.reachable ? (i.error ?? 'unreachable') : d?.error;
      return {
        reachable: i.reachable,
        state,
        ...(err ? { error: err } : !d ? { error: 'no DRBD state read' } : {}),
        mounted: v.hosts[r].mounted,
        served: v.hosts[r].served,
        file: d?.files.get(resource) ?? null,
      };
    };
    const hosts = { primary: side('primary'), backup: side('backup') };
    const minor = metaMinor ?? hosts.primary.state?.minor ?? hosts.backup.state?.minor ?? null;
    out.push({
      id: v.id,
      path: v.path,
      resource,
      minor,
      device: minor === null ? null : `/dev/drbd${minor}`,
      view: v,
      hosts,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Figures

const SYNCING =
  /^(SyncSource|SyncTarget|PausedSyncS|PausedSyncT|StartingSyncS|StartingSyncT|WFBitMapS|WFBitMapT|WFSyncUUID)$/;

export function isSyncing(s: DrbdState | null): boolean {
  return s !== null && SYNCING.test(s.cstate);
}

export interface ResyncFigures {
  outOfSyncBytes: number | null;
  percent: number | null;
  etaSeconds: number | null;
  /** Which host is the sync target (being brought up to date), if one is. */
  target: PairRole | null;
}

/** The resync's figures from whichever side reports them (the target shows percent and ETA). */
export function resyncFigures(dv: DrbdVolume): ResyncFigures {
  const st = (r: PairRole) => dv.hosts[r].state;
  let target: PairRole | null = null;
  for (const r of ROLES) {
    const s = st(r);
    if (!s) continue;
    if (/SyncT$|SyncTarget$|MapT$/.test(s.cstate) || (s.disk === 'Inconsistent' && isSyncing(s))) target = r;
    else if (/SyncS$|SyncSource$|MapS$/.test(s.cstate)) target = peer(r);
  }
  const pick = <K extends 'outOfSyncKiB' | 'syncPercent' | 'syncEtaSeconds'>(k: K): number | null => {
    const order = target ? [target, peer(target)] : ROLES;
    for (const r of order) {
      const v = st(r)?.[k];
      if (typeof v === 'number') return v;
    }
    return null;
  };
  const oos = pick('outOfSyncKiB');
  return {
    outOfSyncBytes: oos === null ? null : oos * 1024,
    percent: pick('syncPercent'),
    etaSeconds: pick('syncEtaSeconds'),
    target,
  };
}

/** "1.5Gi out of sync, 42.1% synced, ETA 3:05" (what is known of it). */
export function formatFigures(f: ResyncFigures): string {
  const parts: string[] = [];
  if (f.outOfSyncBytes !== null) parts.push(`${formatSize(f.outOfSyncBytes)} out of sync`);
  if (f.percent !== null) parts.push(`${f.percent.toFixed(1)}% synced`);
  if (f.etaSeconds !== null) parts.push(`ETA ${formatEta(f.etaSeconds)}`);
  return parts.join(', ') || 'no resync figures reported';
}

/** A text bar for the progress line: "[#########...........] 45.0%". */
export function progressBar(percent: number | null, width = 20): string {
  if (percent === null || !Number.isFinite(percent)) return `[${'?'.repeat(width)}]`;
  const p = Math.max(0, Math.min(100, percent));
  const full = Math.floor((p / 100) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${p.toFixed(1)}%`;
}

/** One host's state in a few words: "Primary/Secondary Connected UpToDate/UpToDate". */
export function sideText(s: DrbdSide): string {
  if (!s.reachable) return `unreachable (${s.error ?? '?'})`;
  if (!s.state) return `not up${s.error ? ` (${s.error})` : ''}`;
  const x = s.state;
  return `${x.role}/${x.peerRole} ${x.cstate} ${x.disk}/${x.peerDisk}${s.mounted ? ', mounted' : ''}${s.served ? ', exported' : ''}`;
}

// ---------------------------------------------------------------------------------------
// Judgements

export type DrbdHealth =
  | { kind: 'ok' }
  | { kind: 'syncing'; figures: ResyncFigures }
  | { kind: 'split-brain'; why: string }
  | { kind: 'bad'; why: string };

export interface SplitBrain {
  /** both-primary: both sides Primary (each may have taken writes); detected: DRBD found diverged data on reconnect and dropped the connection. */
  kind: 'both-primary' | 'detected' | 'suspected';
  why: string;
}

/** Kernel log lines of DRBD that tell a split brain DRBD did not resolve itself, by minor and resource. */
export interface SplitBrainEvidence {
  minors: Set<number>;
  resources: Set<string>;
}

/**
 * The kernel log (dmesg) read for unresolved split brains: "block drbd100: Split-Brain
 * detected but unresolved, dropping connection!" (DRBD 8.4; 9 names the resource). A later
 * "-> Connected" of the same device/resource means it was resolved since.
 */
export function parseSplitBrainLog(text: string): SplitBrainEvidence {
  const minors = new Map<number, boolean>();
  const resources = new Map<string, boolean>();
  for (const line of text.split('\n')) {
    const minor = /\bdrbd(\d+)\b/.exec(line)?.[1];
    const res =
      /\bdrbd ([A-Za-z0-9_.+-]+)(?:\/\d+)?(?: drbd\d+)?:/.exec(line)?.[1] ??
      /\bd-con ([A-Za-z0-9_.+-]+):/.exec(line)?.[1];
    let mark: boolean | null = null;
    if (/Split-Brain detected but unresolved/i.test(line)) mark = true;
    else if (/conn\( [A-Za-z]+ -> Connected \)|Split-Brain detected, .*solved/.test(line)) mark = false;
    if (mark === null) continue;
    if (minor !== undefined) minors.set(Number(minor), mark);
    if (res !== undefined) resources.set(res, mark);
  }
  return {
    minors: new Set([...minors].filter(([, m]) => m).map(([k]) => k)),
    resources: new Set([...resources].filter(([, m]) => m).map(([k]) => k)),
  };
}

const hasEvidence = (dv: DrbdVolume, e: SplitBrainEvidence | undefined) =>
  !!e && ((dv.minor !== null && e.minors.has(dv.minor)) || e.resources.has(dv.resource));

/**
 * A split brain of one volume, or null. Both sides Primary (the pair was partitioned and
 * each promoted: each may hold writes the other lacks); or a side StandAlone that the kernel
 * log says dropped the connection over diverged data ("detected"); a side StandAlone with
 * the other side once Primary too but no log evidence left is "suspected". Never resolved here.
 */
export function splitBrainOf(
  dv: DrbdVolume,
  evidence?: Partial<Record<PairRole, SplitBrainEvidence>>,
): SplitBrain | null {
  const p = dv.hosts.primary.state;
  const b = dv.hosts.backup.state;
  if (p?.role === 'Primary' && b?.role === 'Primary' && !(p.cstate === 'Connected' && b.cstate === 'Connected'))
    return {
      kind: 'both-primary',
      why: `both hosts are DRBD Primary for ${dv.resource} without a connection: each may hold writes the other lacks`,
    };
  const alone = ROLES.filter((r) => dv.hosts[r].state?.cstate === 'StandAlone');
  const logged = ROLES.filter((r) => hasEvidence(dv, evidence?.[r]));
  if (alone.length && logged.length)
    return {
      kind: 'detected',
      why: `DRBD found diverged data on reconnect and dropped the connection ("Split-Brain detected but unresolved" in ${logged.join(' and ')}'s kernel log); ${alone.join(' and ')} ${alone.length > 1 ? 'are' : 'is'} StandAlone`,
    };
  if (alone.length === 2)
    return {
      kind: 'suspected',
      why: `both hosts are StandAlone for ${dv.resource} (no split-brain line left in the kernel log to confirm it): the data may have diverged`,
    };
  return null;
}

/** Ready for a VIP move, resyncing, split, or not usable (with why), from both sides. */
export function drbdHealth(dv: DrbdVolume, evidence?: Partial<Record<PairRole, SplitBrainEvidence>>): DrbdHealth {
  const sb = splitBrainOf(dv, evidence);
  if (sb) return { kind: 'split-brain', why: sb.why };
  for (const r of ROLES) {
    const s = dv.hosts[r];
    if (!s.reachable) return { kind: 'bad', why: `${r} is unreachable: ${s.error ?? '?'}` };
    if (!s.state) return { kind: 'bad', why: `${dv.resource} is not up on ${r}${s.error ? ` (${s.error})` : ''}` };
  }
  const p = dv.hosts.primary.state!;
  const b = dv.hosts.backup.state!;
  if (isSyncing(p) || isSyncing(b)) return { kind: 'syncing', figures: resyncFigures(dv) };
  for (const [r, s] of [
    ['primary', p],
    ['backup', b],
  ] as const) {
    if (s.cstate !== 'Connected')
      return {
        kind: 'bad',
        why: `${r} is ${s.cstate}, not Connected: the hosts do not replicate ${dv.resource} (a write now is on one host only)`,
      };
    if (s.disk !== 'UpToDate') return { kind: 'bad', why: `${r}'s disk is ${s.disk}, not UpToDate` };
  }
  return { kind: 'ok' };
}

/** Who serves it: the host where it is Primary, mounted and exported. */
export function servesOn(dv: DrbdVolume, r: PairRole): boolean {
  const s = dv.hosts[r];
  return s.state?.role === 'Primary' && s.mounted && s.served;
}

/** Why `r` does not serve it yet (Primary, mounted, exported), or null when it does. */
export function notServingWhy(dv: DrbdVolume, r: PairRole): string | null {
  const s = dv.hosts[r];
  const miss: string[] = [];
  if (s.state?.role !== 'Primary') miss.push(`DRBD ${s.state?.role ?? 'not up'}`);
  if (!s.mounted) miss.push('not mounted');
  if (!s.served) miss.push('not exported');
  return miss.length ? `${dv.id}: ${miss.join(', ')}` : null;
}

// ---------------------------------------------------------------------------------------
// Reads

/** The kernel log's DRBD lines (dmesg, else the journal), for split-brain evidence; '' when unreadable. */
export const KERNEL_LOG_SCRIPT =
  '{ dmesg 2>/dev/null || journalctl -k -q --no-pager -o cat 2>/dev/null; } | grep -i drbd | tail -n 2000; true';

export async function readSplitBrainEvidence(host: Host, timeoutMs = 15_000): Promise<SplitBrainEvidence> {
  try {
    const r = await host.run(['sh', '-c', KERNEL_LOG_SCRIPT], { timeoutMs });
    return parseSplitBrainLog(r.stdout);
  } catch {
    return { minors: new Set(), resources: new Set() };
  }
}

/** Re-read one host's side of `dvs` (its inventory: DRBD state, mounts, exports). */
export async function readSides(
  config: Config,
  role: PairRole,
  host: Host,
  dvs: readonly DrbdVolume[],
): Promise<Map<string, DrbdSide>> {
  const inv = await hostInventory(config, role, host);
  const d = drbdInventory(inv);
  const mounts = new Set(inv.mounts.map((m) => m.target));
  const served = new Set(inv.served.map((e) => e.path));
  return new Map(
    dvs.map((dv) => [
      dv.id,
      {
        reachable: inv.reachable,
        state: ((x) => (x && x.cstate !== 'Unconfigured' ? x : null))(d?.states.get(dv.resource) ?? null),
        ...(inv.error ? { error: inv.error } : d?.error ? { error: d.error } : {}),
        mounted: mounts.has(dv.path),
        served: served.has(dv.path),
        file: dv.hosts[role].file,
      },
    ]),
  );
}

/** `dvs` with both sides read again. */
export async function rereadPair(
  config: Config,
  hosts: Record<PairRole, Host>,
  dvs: readonly DrbdVolume[],
): Promise<DrbdVolume[]> {
  const [p, b] = await Promise.all(ROLES.map((r) => readSides(config, r, hosts[r], dvs)));
  return dvs.map((dv) => ({
    ...dv,
    hosts: { primary: p!.get(dv.id) ?? dv.hosts.primary, backup: b!.get(dv.id) ?? dv.hosts.backup },
  }));
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  progress?: (text: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Read both hosts' sides again (default: their inventories); a seam for tests. */
  reread?: (dvs: readonly DrbdVolume[]) => Promise<DrbdVolume[]>;
}

/**
 * Poll both hosts until every volume of `dvs` is Connected and UpToDate on both (the resync
 * done), showing the slowest one's progress; throws with the figures when the time is up.
 */
export async function waitResynced(
  config: Config,
  hosts: Record<PairRole, Host>,
  dvs: readonly DrbdVolume[],
  o: WaitOptions,
): Promise<DrbdVolume[]> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const t0 = now();
  let cur = [...dvs];
  for (;;) {
    cur = await (o.reread ? o.reread(cur) : rereadPair(config, hosts, cur));
    const judged = cur.map((dv) => ({ dv, h: drbdHealth(dv) }));
    const left = judged.filter((j) => j.h.kind !== 'ok');
    if (left.length === 0) return cur;
    const hard = left.find(
      (j) =>
        j.h.kind === 'split-brain' ||
        (j.h.kind === 'bad' && !/not Connected|disk is (Inconsistent|Outdated)/.test(j.h.why)),
    );
    const text = left
      .map(({ dv, h }) =>
        h.kind === 'syncing'
          ? `${dv.id} ${progressBar(h.figures.percent)} ${formatFigures(h.figures)}`
          : `${dv.id}: ${(h as { why: string }).why}`,
      )
      .join(' · ');
    o.progress?.(`DRBD resync: ${text}`);
    if (hard && hard.h.kind !== 'ok' && hard.h.kind !== 'syncing' && now() - t0 > Math.min(o.timeoutMs, 10_000))
      throw new Error(`${hard.dv.id}: ${hard.h.why}`);
    if (now() - t0 >= o.timeoutMs)
      throw new Error(
        `the DRBD resync did not finish within ${Math.round(o.timeoutMs / 1000)} s: ${text}; it goes on by itself (see nfsctl status)`,
      );
    if (o.signal?.aborted) throw new Error('interrupted while waiting for the DRBD resync');
    await sleep(o.intervalMs ?? 2000);
  }
}

/**
 * Poll `role` until it serves every volume of `dvs` (DRBD Primary, mounted at the path,
 * exported): the keepalived notify hook does that on MASTER. Returns the ms it took.
 */
export async function waitServing(
  config: Config,
  role: PairRole,
  host: Host,
  dvs: readonly DrbdVolume[],
  o: WaitOptions,
): Promise<number> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const t0 = now();
  for (;;) {
    const now2 = o.reread ? await o.reread(dvs) : null;
    const sides = now2 ? new Map(now2.map((d) => [d.id, d.hosts[role]])) : await readSides(config, role, host, dvs);
    const missing = dvs
      .map((dv) => notServingWhy({ ...dv, hosts: { ...dv.hosts, [role]: sides.get(dv.id)! } }, role))
      .filter((x): x is string => x !== null);
    if (missing.length === 0) return now() - t0;
    o.progress?.(`waiting for ${role} to serve the DRBD volumes: ${missing.join('; ')}`);
    if (now() - t0 >= o.timeoutMs)
      throw new Error(
        `${role} holds the VIP but does not serve every DRBD volume after ${Math.round(o.timeoutMs / 1000)} s: ${missing.join('; ')} (see ${config.state.stateDir}/vrrp/last.json on ${role}: what the notify hook did)`,
      );
    await sleep(o.intervalMs ?? 500);
  }
}
