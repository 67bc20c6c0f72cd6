// `nfsctl status`: the pair at a glance — who holds the VIP, keepalived and NFS on each host,
// the last sync, any operation under way, and what needs attention.
//
// --json prints one object (stable; new keys may be added):
//   {
//     "checkedAt": "2026-11-22T10:00:00.000Z",
//     "vip": { "address": "198.51.100.100", "holders": ["primary"] },        // [] = nobody, 2 = split brain
//     "hosts": {
//       "primary": {
//         "reachable": true, "error"?: "...",
//         "holdsVip": true | false | null,                                    // null = cannot tell
//         "keepalived": { "running": bool|null, "enabledAtBoot": bool|null,
//                         "priority": 150|null, "state": "MASTER"|"BACKUP"|null,   // from keepalived.conf
//                         "notifyHook": bool|null },                           // `nfsctl ha notify` installed?
//         "nfs": { "running": bool|null }
//       },
//       "backup": { ...same... }
//     },
//     "lastSync": { "direction": "primary->backup", "time": ISO, "ageSeconds": 42, "bytes": 123,
//                   "files"?: n, "deleted"?: n, "ok": true, "error"?: "...", "recordedOn": "backup" } | null,
//     "lastOkSync": { ...same shape... } | null,
//     "operation": {
//       "lock": { "host": "primary", "owner": {user, host, pid, command, startedAt} | null, "alive": bool|"unknown" } | null,
//       "failback": { "planId", "status": "running"|"failed", "startedAt", "updatedAt", "phase"?, "failedStep"?,
//                     "error"?, "done": [step ids], "staleHost"?: "primary" } | null,
//       "switchover": { ...same... } | null
//     },
//     "drbd"?: [ { "volume", "resource", "minor", "vipOn", "state": "ok"|"syncing"|"split-brain"|"bad", "why",
//                  "splitBrain": {kind, why}|null, "resync": {outOfSyncBytes, percent, etaSeconds, target}|null,
//                  "hosts": { "primary": {text, role, cstate, disk, outOfSyncBytes, mounted, exported}, "backup": ... },
//                  "resolve": "nfsctl ha split-brain resolve ..."|null } ],   // only with a DRBD backend configured
//     "warnings": [ { "id": "split-brain", "message": "...", "fix": "..." } ]
//   }
// Warning ids: split-brain, no-vip, host-unreachable, stale-primary-enabled, primary-out-of-date,
// sync-overdue, never-synced, sync-failed, lock-held, lock-stale, operation-unfinished, nfs-down,
// vip-on-older-host, drbd-split-brain, drbd-not-replicating, drbd-resync. "freshness": { newest, older, reason, hosts: { primary, backup } } (records).
import type { Config, PairRole } from '../config/schema.js';
import { peerOf } from '../core/roles.js';
import type { Host } from '../host/host.js';
import { serviceArgv, serviceCommand } from './services.js';
import { quoteArg } from '../host/quote.js';
import { readSyncRecord, type SyncRecord } from './sync-state.js';
import { pairPromises, rpoText, type MoveKind } from './promise.js';
import type { Backend } from '../volume/identity.js';
import { readJournal, type OpJournal } from './journal.js';
import { readLock, type LockOwner } from '../state/lock.js';
import { describeRecord, holderIsOlder, type FreshnessRecord, type Newest } from '../core/freshness.js';
import { pairFreshness } from './freshness.js';
import { readSplitBrain, splitBrainReport, type SplitBrainVolume } from './split-brain.js';
import { progressBar } from './drbd-pair.js';
import { configuredBackends } from '../volume/backend/registry.js';
import { formatSize } from '../core/sizes.js';
import { runsNfsctlHook } from './notify-wrapper.js';

export interface KeepalivedConf {
  priority: number | null;
  state: 'MASTER' | 'BACKUP' | null;
  notify: string | null;
}

/** The `vrrp_instance NAME { ... }` block's priority, state and notify script. */
export function parseKeepalivedConf(text: string, instance: string): KeepalivedConf {
  const block = instanceBlock(text, instance);
  if (!block) return { priority: null, state: null, notify: null };
  const body = text.slice(block.start, block.end).replace(/[#!].*$/gm, '');
  const prio = /^\s*priority\s+(\d+)/m.exec(body);
  const state = /^\s*state\s+(MASTER|BACKUP)\b/m.exec(body);
  const notify = /^\s*notify\s+(.+?)\s*$/m.exec(body);
  return {
    priority: prio ? Number(prio[1]) : null,
    state: (state?.[1] as 'MASTER' | 'BACKUP' | undefined) ?? null,
    notify: notify ? notify[1]!.replace(/^"(.*)"$/, '$1') : null,
  };
}

/** Offsets of the body of `vrrp_instance <instance> { ... }` (between its braces). */
export function instanceBlock(text: string, instance: string): { start: number; end: number } | null {
  const re = new RegExp(`^\\s*vrrp_instance\\s+${instance.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\{`, 'm');
  const m = re.exec(text);
  if (!m) return null;
  const start = m.index + m[0].length;
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '#' || c === '!') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return { start, end: i };
  }
  return null;
}

export interface HostStatus {
  reachable: boolean;
  error?: string;
  holdsVip: boolean | null;
  keepalived: {
    running: boolean | null;
    enabledAtBoot: boolean | null;
    priority: number | null;
    state: 'MASTER' | 'BACKUP' | null;
    notifyHook: boolean | null;
  };
  nfs: { running: boolean | null };
}

export interface SyncView {
  direction: string;
  time: string;
  ageSeconds: number;
  bytes: number;
  files?: number;
  deleted?: number;
  ok: boolean;
  error?: string;
  recordedOn: PairRole;
}

export interface Warning {
  id: string;
  message: string;
  fix?: string;
}

export interface PairStatus {
  checkedAt: string;
  vip: { address: string; holders: PairRole[] };
  hosts: Record<PairRole, HostStatus>;
  lastSync: SyncView | null;
  lastOkSync: SyncView | null;
  operation: {
    lock: { host: PairRole; owner: LockOwner | null; alive: boolean | 'unknown' } | null;
    failback: OpJournal | null;
    switchover: OpJournal | null;
  };
  /** Which host holds the newest data (src/core/freshness.ts), from both hosts' records. */
  freshness?: {
    newest: Newest;
    older: PairRole | null;
    reason: string;
    hosts: Record<PairRole, FreshnessRecord | null>;
  };
  warnings: Warning[];
  /** What a VIP move does to clients, per kind of the configured backends. */
  vipMove: { kind: MoveKind; backends: Backend[]; text: string }[];
  /** Age of the last good sync (what a crash of the VIP holder loses), null: never. */
  rpoSeconds: number | null;
  /** DRBD volumes (only with a replicated backend configured): each host's role, cstate, disk, out of sync, resync, split brain. */
  drbd?: SplitBrainVolume[];
}

function holds(ipJson: string, vip: string): boolean {
  const links = JSON.parse(ipJson) as { addr_info?: { local?: string }[] }[];
  return links.some((l) => (l.addr_info ?? []).some((a) => a.local === vip));
}

export async function hostStatus(config: Config, host: Host, timeoutMs: number): Promise<HostStatus> {
  const unknown: HostStatus = {
    reachable: false,
    holdsVip: null,
    keepalived: { running: null, enabledAtBoot: null, priority: null, state: null, notifyHook: null },
    nfs: { running: null },
  };
  try {
    const o = { timeoutMs };
    const [ip, ka, kaEn, nfs, conf] = await Promise.all([
      host.run(['ip', '-j', 'addr', 'show'], o),
      host.run(serviceArgv(config, 'status', 'keepalived'), o),
      host.run(serviceArgv(config, 'is-enabled', 'keepalived'), o),
      host.run(serviceArgv(config, 'status', 'nfs'), o),
      host.readFile(config.keepalived.config),
    ]);
    const kc =
      conf === null
        ? { priority: null, state: null, notify: null }
        : parseKeepalivedConf(conf, config.keepalived.instance);
    const yes = (code: number, timedOut: boolean) => (timedOut ? null : code === 0);
    return {
      reachable: true,
      holdsVip: ip.exitCode === 0 ? holds(ip.stdout, config.vip) : null,
      keepalived: {
        running: yes(ka.exitCode, ka.timedOut),
        enabledAtBoot: yes(kaEn.exitCode, kaEn.timedOut),
        priority: kc.priority,
        state: kc.state,
        notifyHook: conf === null ? null : runsNfsctlHook(kc.notify),
      },
      nfs: { running: yes(nfs.exitCode, nfs.timedOut) },
    };
  } catch (err) {
    return { ...unknown, error: (err as Error).message };
  }
}

export function syncView(rec: SyncRecord | null, on: PairRole, now: number): SyncView | null {
  if (!rec) return null;
  return {
    direction: rec.direction,
    time: rec.time,
    ageSeconds: Math.max(0, Math.round((now - Date.parse(rec.time)) / 1000)),
    bytes: rec.bytes,
    ...(rec.files !== undefined ? { files: rec.files } : {}),
    ...(rec.deleted !== undefined ? { deleted: rec.deleted } : {}),
    ok: rec.ok,
    ...(rec.error !== undefined ? { error: rec.error } : {}),
    recordedOn: on,
  };
}

function newest(a: SyncView | null, b: SyncView | null): SyncView | null {
  if (!a) return b;
  if (!b) return a;
  return a.time >= b.time ? a : b;
}

/** Everything `status` shows, gathered from both hosts in parallel. */
export async function gatherStatus(
  config: Config,
  hosts: Record<PairRole, Host>,
  now = Date.now(),
): Promise<PairStatus> {
  const t = config.timeouts.check;
  const roles: PairRole[] = ['primary', 'backup'];
  const hs = await Promise.all(roles.map((r) => hostStatus(config, hosts[r], t)));
  const reachable = roles.filter((_, i) => hs[i]!.reachable).map((r) => hosts[r]);
  const safe = <T>(p: Promise<T>): Promise<T | null> => p.catch(() => null);
  const [syncs, okSyncs, locks, failback, switchover, fresh] = await Promise.all([
    Promise.all(
      roles.map((r, i) => (hs[i]!.reachable ? safe(readSyncRecord(hosts[r], config.state.stateDir, 'last')) : null)),
    ),
    Promise.all(
      roles.map((r, i) => (hs[i]!.reachable ? safe(readSyncRecord(hosts[r], config.state.stateDir, 'last-ok')) : null)),
    ),
    Promise.all(roles.map((r, i) => (hs[i]!.reachable ? safe(readLock(hosts[r], config.state.lockDir)) : null))),
    safe(readJournal(config, 'failback', reachable)),
    safe(readJournal(config, 'switchover', reachable)),
    safe(pairFreshness(config, hosts)),
  ]);
  const held = locks.map((l, i) => ({ l, role: roles[i]! })).find((x) => x.l?.held);
  const st: PairStatus = {
    checkedAt: new Date(now).toISOString(),
    vip: { address: config.vip, holders: roles.filter((_, i) => hs[i]!.holdsVip === true) },
    hosts: { primary: hs[0]!, backup: hs[1]! },
    lastSync: newest(syncView(syncs[0] ?? null, 'primary', now), syncView(syncs[1] ?? null, 'backup', now)),
    lastOkSync: newest(syncView(okSyncs[0] ?? null, 'primary', now), syncView(okSyncs[1] ?? null, 'backup', now)),
    operation: {
      lock: held && held.l?.held ? { host: held.role, owner: held.l.owner, alive: held.l.alive } : null,
      failback: failback && failback.status !== 'done' ? failback : null,
      switchover: switchover && switchover.status !== 'done' ? switchover : null,
    },
    ...(fresh
      ? {
          freshness: {
            newest: fresh.verdict.newest,
            older: fresh.verdict.older,
            reason: fresh.verdict.reason,
            hosts: fresh.records,
          },
        }
      : {}),
    warnings: [],
    vipMove: pairPromises(config),
    rpoSeconds: null,
  };
  st.rpoSeconds = st.lastOkSync?.ageSeconds ?? null;
  if (configuredBackends(config).some((b) => b.placement === 'replicated') && reachable.length > 0) {
    const d = await safe(readSplitBrain(config, hosts));
    if (d) st.drbd = splitBrainReport(d.dvs, d.evidence, d.vipHolder, new Date(now)).volumes;
  }
  st.warnings = statusWarnings(config, st);
  return st;
}

/** What needs attention, derived only from the gathered state (pure, unit-tested). */
export function statusWarnings(config: Config, st: PairStatus): Warning[] {
  const w: Warning[] = [];
  const svc = (role: PairRole, action: 'stop' | 'disable') =>
    serviceCommand(config, action, 'keepalived') + ` (on ${role})`;
  for (const r of ['primary', 'backup'] as const) {
    if (!st.hosts[r].reachable)
      w.push({
        id: 'host-unreachable',
        message: `${r} does not answer: ${st.hosts[r].error ?? 'unknown error'}`,
        fix: `check ${r} and its sshd`,
      });
  }
  if (st.vip.holders.length === 2) {
    w.push({
      id: 'split-brain',
      message: `SPLIT BRAIN: the VIP ${config.vip} is on both hosts; clients may write to either`,
      fix: `on the host that should NOT serve: ${serviceCommand(config, 'stop', 'keepalived')} and \`ip addr del ${quoteArg(config.vip)}/<prefix> dev ${quoteArg(config.keepalived.interface)}\`; then \`nfsctl failback\` if the backup took writes`,
    });
  } else if (st.vip.holders.length === 0 && st.hosts.primary.holdsVip !== null && st.hosts.backup.holdsVip !== null) {
    w.push({
      id: 'no-vip',
      message: `nobody holds the VIP ${config.vip}: clients cannot reach NFS`,
      fix:
        st.freshness?.older === 'primary'
          ? `start keepalived on the backup (its data is the newest): ${serviceCommand(config, 'start', 'keepalived')} (on backup); then nfsctl failback`
          : `start keepalived: ${serviceCommand(config, 'start', 'keepalived')}`,
    });
  }
  for (const r of ['primary', 'backup'] as const) {
    if (st.hosts[r].holdsVip && st.hosts[r].nfs.running === false)
      w.push({
        id: 'nfs-down',
        message: `${r} holds the VIP but its NFS server is not running`,
        fix: serviceCommand(config, 'start', 'nfs'),
      });
  }
  w.push(...freshnessWarnings(config, st));
  const fb = st.operation.failback;
  const primaryStale =
    (fb && fb.staleHost === 'primary') || (st.vip.holders.length === 1 && st.vip.holders[0] === 'backup');
  if (
    primaryStale &&
    st.hosts.primary.keepalived.enabledAtBoot === true &&
    st.hosts.primary.keepalived.running !== true
  ) {
    w.push({
      id: 'stale-primary-enabled',
      message: `keepalived is enabled at boot on the primary, whose data is out of date (${fb ? `unfinished failback ${fb.planId}` : 'the backup holds the VIP'}): a reboot would move the VIP and clients to stale data`,
      fix: `${svc('primary', 'disable')}; then \`nfsctl failback${fb ? ' --resume' : ''}\``,
    });
  } else if (st.vip.holders.length === 1 && st.vip.holders[0] === 'backup' && !fb) {
    w.push({
      id: 'primary-out-of-date',
      message: 'the backup holds the VIP: clients write to the backup, the primary falls behind',
      fix: 'nfsctl failback',
    });
  }
  for (const [kind, j] of [
    ['failback', fb],
    ['switchover', st.operation.switchover],
  ] as const) {
    if (j)
      w.push({
        id: 'operation-unfinished',
        message: `${kind} ${j.planId} is unfinished (${j.status}${j.failedStep ? ` at ${j.failedStep}` : ''}${j.error ? `: ${j.error}` : ''})`,
        fix: `nfsctl ${kind} --resume`,
      });
  }
  const ok = st.lastOkSync;
  const interval = config.rsync.interval / 1000;
  if (!ok)
    w.push({
      id: 'never-synced',
      message: 'no successful sync is recorded on either host',
      fix: 'nfsctl sync; nfsctl sync install-timer',
    });
  else if (ok.ageSeconds > 1.5 * interval)
    w.push({
      id: 'sync-overdue',
      message: `last successful sync (${ok.direction}) was ${Math.round(ok.ageSeconds / 60)} min ago; the interval is ${Math.round(interval / 60)} min`,
      fix: 'nfsctl sync; check the timer (nfsctl sync install-timer)',
    });
  if (st.lastSync && !st.lastSync.ok)
    w.push({
      id: 'sync-failed',
      message: `the last sync (${st.lastSync.direction}, ${st.lastSync.time}) failed: ${st.lastSync.error ?? 'unknown error'}`,
      fix: 'nfsctl sync --dry-run',
    });
  w.push(...drbdWarnings(st));
  const lock = st.operation.lock;
  if (lock) {
    const who = lock.owner
      ? `${lock.owner.user}@${lock.owner.host} running \`${lock.owner.command}\``
      : 'an unknown owner';
    if (lock.alive === false)
      w.push({
        id: 'lock-stale',
        message: `the pair lock on ${lock.host} is stale (${who}, process gone)`,
        fix: `nfsctl lock break`,
      });
    else w.push({ id: 'lock-held', message: `an operation is under way: ${who}` });
  }
  return w;
}

export function renderStatus(st: PairStatus): string {
  const yn = (b: boolean | null, y: string, n: string) => (b === null ? '?' : b ? y : n);
  const lines: string[] = [];
  lines.push(
    `VIP ${st.vip.address}: ${st.vip.holders.length === 0 ? 'NOBODY' : st.vip.holders.join(' + ')}${st.vip.holders.length === 2 ? '  (SPLIT BRAIN)' : ''}`,
  );
  for (const r of ['primary', 'backup'] as const) {
    const h = st.hosts[r];
    if (!h.reachable) {
      lines.push(`${r.padEnd(8)} UNREACHABLE (${h.error ?? '?'})`);
      continue;
    }
    const k = h.keepalived;
    lines.push(
      `${r.padEnd(8)} ${h.holdsVip ? 'holds VIP' : 'no VIP   '}  keepalived ${yn(k.running, 'running', 'stopped')}, ${yn(k.enabledAtBoot, 'enabled', 'disabled')} at boot, ${k.state ?? '?'} priority ${k.priority ?? '?'}${k.notifyHook ? ', notify hook' : ''}  NFS ${yn(h.nfs.running, 'running', 'stopped')}`,
    );
  }
  const s = st.lastSync;
  const age = (sec: number) =>
    sec < 120 ? `${sec} s` : sec < 7200 ? `${Math.round(sec / 60)} min` : `${Math.round(sec / 3600)} h`;
  lines.push(
    s
      ? `last sync: ${s.direction} ${age(s.ageSeconds)} ago (${s.time}), ${s.bytes} bytes${s.files !== undefined ? `, ${s.files} files` : ''}${s.deleted !== undefined ? `, ${s.deleted} deleted` : ''}: ${s.ok ? 'ok' : `FAILED: ${s.error ?? ''}`}`
      : 'last sync: never',
  );
  if (s && !s.ok && st.lastOkSync)
    lines.push(`last good sync: ${st.lastOkSync.direction} ${age(st.lastOkSync.ageSeconds)} ago`);
  const op = st.operation;
  if (op.lock)
    lines.push(
      `operation: lock held on ${op.lock.host}${op.lock.owner ? ` by ${op.lock.owner.user}@${op.lock.owner.host} \`${op.lock.owner.command}\`` : ''}${op.lock.alive === false ? ' (STALE)' : ''}`,
    );
  if (op.failback)
    lines.push(
      `operation: failback ${op.failback.planId} ${op.failback.status}, ${op.failback.done.length} step(s) done${op.failback.phase ? `, last phase "${op.failback.phase}"` : ''}`,
    );
  if (op.switchover)
    lines.push(
      `operation: switchover ${op.switchover.planId} ${op.switchover.status}, ${op.switchover.done.length} step(s) done`,
    );
  if (!op.lock && !op.failback && !op.switchover) lines.push('operation: none');
  if (st.freshness) {
    const f = st.freshness;
    lines.push(
      `data: ${f.newest === 'unknown' ? 'freshness unknown' : f.newest === 'same' ? 'both hosts hold the same generation' : f.newest === 'diverged' ? 'DIVERGED' : `newest on ${f.newest}`}${f.older ? `; ${f.older} ${f.hosts[f.older]?.stale ? 'is STALE (only nfsctl failback brings it back)' : st.vip.holders.includes(f.older) ? 'is OLDER and holds the VIP' : 'is behind (the next sync brings it up to date)'}` : ''} (${f.reason})`,
    );
    for (const r of ['primary', 'backup'] as const) lines.push(`  ${r.padEnd(8)} ${describeRecord(f.hosts[r])}`);
    for (const r of st.vip.holders.length === 1 ? st.vip.holders : []) {
      if (!f.hosts[r]?.serving)
        lines.push(
          `  (${r} holds the VIP but no takeover was recorded there: is the notify hook installed? \`nfsctl ha install\`)`,
        );
    }
  }
  for (const p of st.vipMove ?? [])
    lines.push(
      `on a VIP move (${p.backends.join(', ')}): ${p.text}${p.kind === 'copy' ? `; ${rpoText(st.rpoSeconds ?? null)}` : ''}`,
    );
  lines.push(...renderDrbdStatus(st));
  for (const w of st.warnings) lines.push(`WARNING [${w.id}] ${w.message}${w.fix ? `\n  fix: ${w.fix}` : ''}`);
  return lines.join('\n');
}

/** The VIP on a host whose data is older than its peer's (or on one of two diverged copies). */
export function freshnessWarnings(config: Config, st: PairStatus): Warning[] {
  const f = st.freshness;
  if (!f || st.vip.holders.length !== 1) return [];
  const holder = st.vip.holders[0]!;
  const other = peerOf(holder);
  if (!holderIsOlder(holder, { newest: f.newest, older: f.older, reason: f.reason }, f.hosts)) return [];
  return [
    {
      id: 'vip-on-older-host',
      message: `the VIP holder ${holder} is older than its peer: clients see ${holder}'s out-of-date data (${f.reason}); a sync ${holder} -> ${other} is refused`,
      fix:
        holder === 'primary'
          ? `on the primary: ${serviceCommand(config, 'stop', 'keepalived')} (the VIP goes back to the backup); then \`nfsctl failback\` (files written on the primary meanwhile are not on the backup: compare with \`nfsctl sync --dry-run\` first)`
          : `on the backup: ${serviceCommand(config, 'stop', 'keepalived')} and start keepalived on the primary; then \`nfsctl sync\``,
    },
  ];
}

/** Warnings about the DRBD volumes: a split brain, not replicating, a resync under way. */
export function drbdWarnings(st: PairStatus): Warning[] {
  const w: Warning[] = [];
  for (const v of st.drbd ?? []) {
    if (v.splitBrain)
      w.push({
        id: 'drbd-split-brain',
        message: `DRBD SPLIT BRAIN on ${v.volume} (${v.splitBrain.kind}): ${v.splitBrain.why}`,
        fix: `nfsctl ha split-brain; then ${v.resolve ?? `nfsctl ha split-brain resolve ${v.volume} --keep primary|backup`}`,
      });
    else if (v.state === 'bad')
      w.push({
        id: 'drbd-not-replicating',
        message: `DRBD volume ${v.volume}: ${v.why ?? 'not replicating'}`,
        fix: v.resolve ? 'nfsctl ha split-brain' : `drbdadm status ${v.resource} on both hosts`,
      });
    else if (v.state === 'syncing')
      w.push({
        id: 'drbd-resync',
        message: `DRBD volume ${v.volume} is resyncing: ${v.why ?? ''}; a VIP move waits for it`,
      });
  }
  return w;
}

/** One line per DRBD volume (two when it resyncs: the bar). */
export function renderDrbdStatus(st: PairStatus): string[] {
  const lines: string[] = [];
  for (const v of st.drbd ?? []) {
    const side = (r: PairRole) => {
      const h = v.hosts[r];
      return `${r} ${h.text}${h.outOfSyncBytes ? ` oos ${formatSize(h.outOfSyncBytes)}` : ''}`;
    };
    const tag = v.splitBrain
      ? 'SPLIT BRAIN'
      : v.state === 'ok'
        ? 'ok'
        : v.state === 'syncing'
          ? 'RESYNC'
          : 'NOT REPLICATING';
    lines.push(`drbd ${v.volume} (${v.resource}): ${tag}; ${side('primary')}; ${side('backup')}`);
    if (v.resync)
      lines.push(
        `  resync${v.resync.target ? ` to ${v.resync.target}` : ''} ${progressBar(v.resync.percent)} ${v.why ?? ''}`,
      );
  }
  return lines;
}
