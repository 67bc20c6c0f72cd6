// Health checks that the pair's protection is real, not only that both hosts look up: the
// next sync can run (the source answers the receiving host now), the sync timer is installed
// and its last run worked, a failover can happen (the standby's keepalived runs, with the
// lower priority), and the next mirrored create fits on both hosts (comparable room).
import type { Config, PairRole } from '../config/schema.js';
import { peerOf } from '../core/roles.js';
import type { Host } from '../host/host.js';
import type { Finding, Status } from './check.js';
import type { HostInventory } from '../volume/inventory.js';
import { serviceArgv, serviceCommand } from '../ha/services.js';
import { vipState } from '../ha/vip.js';
import { readSyncRecord, type SyncRecord } from '../ha/sync-state.js';
import { cronSchedule } from '../core/cron.js';
import { formatSize } from '../core/sizes.js';
import { quoteArg } from '../host/quote.js';

export const TIMER_FILE = '/etc/cron.d/nfsctl-sync';
const ROLES: PairRole[] = ['primary', 'backup'];
const other = peerOf;
const T = (secs: number, argv: string[]) => ['timeout', '--foreground', '-k', '1', String(secs), ...argv];

/** `priority N` (and `state`) of one vrrp_instance in a keepalived.conf; null when the instance is not there. */
export function keepalivedPriority(
  text: string,
  instance: string,
): { priority: number; state: string | null; nopreempt: boolean } | null {
  const lines = text.replace(/[#!].*$/gm, '').split('\n');
  let depth = 0;
  let inside = false;
  let priority = 100; // keepalived's default
  let state: string | null = null;
  let nopreempt = false;
  let found = false;
  for (const line of lines) {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (depth === 0 && words[0] === 'vrrp_instance' && words[1] === instance) {
      inside = true;
      found = true;
    }
    if (inside && depth === 1) {
      if (words[0] === 'priority' && /^\d+$/.test(words[1] ?? '')) priority = Number(words[1]);
      if (words[0] === 'state') state = words[1] ?? null;
      if (words[0] === 'nopreempt') nopreempt = true;
    }
    for (const ch of line) {
      if (ch === '{') depth++;
      if (ch === '}') {
        depth--;
        if (depth === 0) inside = false;
      }
    }
  }
  return found ? { priority, state, nopreempt } : null;
}

/** The cron entry's schedule (its first five fields) and whether it pulls over SSH. */
export function parseTimer(text: string): { schedule: string; ssh: boolean } | null {
  const line = text.split('\n').find((l) => /\bnfsctl\S*\s+sync\b/.test(l) && !l.trimStart().startsWith('#'));
  if (!line) return null;
  return { schedule: line.trim().split(/\s+/).slice(0, 5).join(' '), ssh: /\ssync\b.*\s--ssh\b/.test(line) };
}

export interface ProtectionInput {
  config: Config;
  hosts: Record<PairRole, Host>;
  t: number;
}

/** Sync source, timer, last run, standby keepalived and its priority: run in parallel. */
export async function protectionChecks(p: ProtectionInput): Promise<Finding[]> {
  const { config, hosts, t } = p;
  const secs = Math.max(1, Math.ceil(t / 1000));
  const [vips, timers, lasts, confs] = await Promise.all([
    Promise.all(ROLES.map((r) => vipState(config, r, hosts[r], t))),
    Promise.all(ROLES.map((r) => hosts[r].readFile(TIMER_FILE).catch(() => null))),
    Promise.all(ROLES.map((r) => readSyncRecord(hosts[r], config.state.stateDir, 'last').catch(() => null))),
    Promise.all(ROLES.map((r) => hosts[r].readFile(config.keepalived.config).catch(() => null))),
  ]);
  const holders = ROLES.filter((_, i) => vips[i]!.holds === true);
  // only with exactly one holder is there a "next sync" and a standby (the vip check says the rest)
  if (holders.length !== 1) return [];
  const holder = holders[0]!;
  const standby = other(holder);
  const timer = ROLES.map((r, i) => ({
    role: r,
    text: timers[i] ?? null,
    parsed: timers[i] ? parseTimer(timers[i]!) : null,
  }));
  const out: Finding[] = [];
  const [source, keepalived] = await Promise.all([
    syncSource(
      config,
      hosts,
      holder,
      standby,
      secs,
      timer.some((x) => x.parsed?.ssh),
    ),
    standbyKeepalived(config, hosts[standby], standby, secs),
  ]);
  out.push(source, keepalived);
  out.push(timerFinding(config, timer));
  const last = newest(lasts);
  if (last) out.push(lastRunFinding(config, last));
  out.push(priorityFinding(config, confs));
  return out;
}

/** rsync's/ssh's telling line (not the trailing "rsync error: ... (code 10)"). */
function saying(stderr: string): string | undefined {
  const lines = stderr
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (
    lines.find((l) => /@ERROR|failed to connect|refused|timed out|unreachable|Permission denied|Host key/i.test(l)) ??
    lines.pop()
  );
}

async function syncSource(
  config: Config,
  hosts: Record<PairRole, Host>,
  holder: PairRole,
  dest: PairRole,
  secs: number,
  ssh: boolean,
): Promise<Finding> {
  const addr = config.hosts[holder].address;
  const title = `${dest} can pull from ${holder} now (${ssh ? 'SSH' : `rsync daemon module ${config.rsync.module}`})`;
  const s = config.hosts[holder].ssh;
  const argv = ssh
    ? T(secs, [
        'ssh',
        '-p',
        String(s.port),
        '-i',
        s.identity,
        '-o',
        `UserKnownHostsFile=${s.knownHosts}`,
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        `ConnectTimeout=${secs}`,
        `${s.user}@${addr}`,
        'true',
      ])
    : T(secs, [
        'rsync',
        `--contimeout=${secs}`,
        `--timeout=${secs}`,
        '--list-only',
        '--no-motd',
        `rsync://${addr}/${config.rsync.module}/`,
      ]);
  const r = await hosts[dest]
    .run(argv, { timeoutMs: (secs + 3) * 1000 })
    .catch((err: Error) => ({ exitCode: -1, stdout: '', stderr: err.message, timedOut: false }));
  if (r.exitCode === 0)
    return {
      id: 'sync-source',
      host: dest,
      status: 'ok',
      title,
      evidence: ssh ? `ssh ${s.user}@${addr} answers` : `rsync://${addr}/${config.rsync.module}/ lists`,
    };
  const why =
    r.timedOut || r.exitCode === 124
      ? `no answer within ${secs} s (dropped, or the host hangs)`
      : (saying(r.stderr) ?? `exit ${r.exitCode}`);
  const fix = ssh
    ? `check sshd on ${holder} and that ${dest}'s key is authorised there: ssh -p ${s.port} ${quoteArg(`${s.user}@${addr}`)} true  # from ${dest}`
    : /unknown module/i.test(why)
      ? `add the module [${config.rsync.module}] (path = ${config.nfs.root}, read only) to /etc/rsyncd.conf on ${holder}`
      : `start the rsync daemon on ${holder}: ${serviceCommand(config, 'start', 'rsyncd')}; then check port 873 is open from ${dest}`;
  return {
    id: 'sync-source',
    host: dest,
    status: 'critical',
    title,
    evidence: `from ${dest}: ${why}: the next sync cannot run, ${dest}'s copy ages`,
    fix,
  };
}

async function standbyKeepalived(config: Config, host: Host, standby: PairRole, secs: number): Promise<Finding> {
  const r = await host
    .run(serviceArgv(config, 'status', 'keepalived'), { timeoutMs: (secs + 3) * 1000 })
    .catch(() => null);
  const title = `standby ${standby}'s keepalived runs (a failover can happen)`;
  if (r && r.exitCode === 0)
    return { id: 'standby-keepalived', host: standby, status: 'ok', title, evidence: 'running' };
  return {
    id: 'standby-keepalived',
    host: standby,
    status: 'critical',
    title,
    evidence: `${serviceCommand(config, 'status', 'keepalived')}: ${r ? `exit ${r.exitCode}` : 'no answer'}: if the VIP holder fails, nobody takes the VIP`,
    fix: `${serviceCommand(config, 'start', 'keepalived')}  # on ${standby}`,
  };
}

function priorityFinding(config: Config, confs: (string | null)[]): Finding {
  const title = `keepalived priority: primary above backup (${config.keepalived.instance})`;
  const [p, b] = confs.map((c) => (c === null ? null : keepalivedPriority(c, config.keepalived.instance)));
  if (!p || !b) {
    const missing = ROLES.filter((_, i) => !(i === 0 ? p : b));
    return {
      id: 'keepalived-priority',
      host: null,
      status: 'warn',
      title,
      evidence: `no vrrp_instance ${config.keepalived.instance} in ${config.keepalived.config} on ${missing.join(' and ')}`,
      fix: 'nfsctl ha install',
    };
  }
  if (p.priority > b.priority)
    return {
      id: 'keepalived-priority',
      host: null,
      status: 'ok',
      title,
      evidence: `primary ${p.priority}, backup ${b.priority}`,
    };
  return {
    id: 'keepalived-priority',
    host: 'backup',
    status: 'critical',
    title,
    evidence: `primary ${p.priority}, backup ${b.priority}: ${p.priority === b.priority ? 'equal priorities: VRRP elects by address, the VIP may sit on either host' : 'the backup wins every election: it takes the VIP whenever it runs'}`,
    fix: `set priority below ${p.priority} in vrrp_instance ${config.keepalived.instance} of ${config.keepalived.config} on the backup, then ${serviceCommand(config, 'restart', 'keepalived')} there`,
  };
}

function timerFinding(
  config: Config,
  timer: { role: PairRole; text: string | null; parsed: { schedule: string; ssh: boolean } | null }[],
): Finding {
  const title = 'sync timer installed';
  const installed = timer.filter((x) => x.parsed);
  if (installed.length === 0)
    return {
      id: 'sync-timer',
      host: null,
      status: 'warn',
      title,
      evidence: `no ${TIMER_FILE} with an nfsctl sync line on either host: nothing syncs unless run by hand`,
      fix: 'nfsctl sync install-timer  # on the backup',
    };
  let want: string | null = null;
  try {
    want = cronSchedule(config.rsync.interval, 'rsync.interval');
  } catch {
    want = null;
  }
  const off = installed.filter((x) => want !== null && x.parsed!.schedule !== want);
  const where = installed.map((x) => `${x.role} (${x.parsed!.schedule})`).join(', ');
  if (off.length)
    return {
      id: 'sync-timer',
      host: off[0]!.role,
      status: 'warn',
      title,
      evidence: `on ${where}; rsync.interval asks for "${want}"`,
      fix: `nfsctl sync install-timer --host ${off[0]!.role}  # rewrites it from rsync.interval`,
    };
  return {
    id: 'sync-timer',
    host: installed.length === 1 ? installed[0]!.role : null,
    status: 'ok',
    title,
    evidence: `on ${where}`,
  };
}

function newest(recs: (SyncRecord | null)[]): SyncRecord | null {
  return (
    recs
      .filter((r): r is SyncRecord => r !== null && !Number.isNaN(Date.parse(r.time)))
      .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0] ?? null
  );
}

function lastRunFinding(config: Config, last: SyncRecord): Finding {
  const title = 'the last sync run succeeded';
  const age = Math.round((Date.now() - Date.parse(last.time)) / 60_000);
  const evidence = `${last.direction} ${age} min ago: ${last.ok ? 'ok' : `FAILED: ${last.error ?? '?'}`}`;
  if (last.ok)
    return {
      id: 'sync-last-run',
      host: last.destination === 'primary' || last.destination === 'backup' ? last.destination : null,
      status: 'ok',
      title,
      evidence,
    };
  const status: Status = 'critical';
  return {
    id: 'sync-last-run',
    host: null,
    status,
    title,
    evidence,
    fix: `nfsctl sync --dry-run  # shows why; then nfsctl sync --yes (the timer's log: /var/log/nfsctl/sync.log)`,
  };
}

/** The next mirrored create must fit on both hosts: their room may differ by at most the tolerance. */
export function capacityMatch(config: Config, inv: Map<PairRole, HostInventory>): Finding[] {
  const p = inv.get('primary');
  const b = inv.get('backup');
  if (!p || !b) return [];
  const tol = config.capacity.tolerancePercent;
  const out: Finding[] = [];
  const cmp = (id: string, what: string, pv: number, bv: number, size: boolean) => {
    const max = Math.max(pv, bv);
    const diff = max === 0 ? 0 : (Math.abs(pv - bv) / max) * 100;
    const title = `${what} comparable on both hosts (within ${tol}%)`;
    const evidence = `primary ${formatSize(pv)}, backup ${formatSize(bv)} (${diff.toFixed(0)}% apart)`;
    if (diff <= tol) out.push({ id, host: null, status: 'ok', title, evidence });
    else {
      const small = pv < bv ? 'primary' : 'backup';
      out.push({
        id,
        host: small,
        status: 'warn',
        title,
        evidence: `${evidence}: ${size ? 'the pair needs equal disks' : `a mirrored create larger than ${formatSize(Math.min(pv, bv))} fails on the ${small}`}`,
        fix: size
          ? `grow the ${small}'s disk to match (vgextend / a bigger filesystem)`
          : `free space on the ${small}, or grow its disk; nfsctl volume list shows what uses it`,
      });
    }
  };
  if (p.vg && b.vg) {
    cmp('capacity-vg-size', `volume group ${p.vg.name} size`, p.vg.size, b.vg.size, true);
    cmp('capacity-vg-free', `volume group ${p.vg.name} free space`, p.vg.free, b.vg.free, false);
  }
  if (p.xfs && b.xfs && config.backends.xfsquota) {
    cmp('capacity-xfs-size', `${config.backends.xfsquota.root} size`, p.xfs.sizeBytes, b.xfs.sizeBytes, true);
    cmp('capacity-xfs-free', `${config.backends.xfsquota.root} free space`, p.xfs.freeBytes, b.xfs.freeBytes, false);
  }
  return out;
}
