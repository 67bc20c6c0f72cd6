// `nfsctl health`: every check on both hosts at once, each under its own time limit, so a
// dead host or a firewall that drops packets gives a critical finding, never a hang.
import type { Context } from '../cli/context.js';
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import { bounded, type Finding } from './check.js';
import { probeTcp } from './probe.js';
import { emptyInventory, hostInventory, rbdArgs, type HostInventory } from '../volume/inventory.js';
import { mergeVolumes } from '../volume/state.js';
import { vipState } from '../ha/vip.js';
import { serviceArgv, serviceCommand } from '../ha/services.js';
import { quoteArg } from '../host/quote.js';
import { readSyncRecord } from '../ha/sync-state.js';
import { pairPromises, rpoText } from '../ha/promise.js';
import { evaluateInput, NFS_CLIENT_PORTS } from '../core/firewall.js';
import { parseCephHealth } from '../core/ceph-json.js';
import { readLock } from '../state/lock.js';
import { formatSize } from '../core/sizes.js';
import { adviseFailback, freshnessFindings, vipHoldersOf } from './freshness.js';
import { pairFreshness } from '../ha/freshness.js';
import { readForeign, type ForeignReads } from '../volume/unmanaged.js';
import { unmanagedFindings } from './unmanaged.js';

const NFS_PORTS: [number, string][] = [
  [111, 'rpcbind'],
  [20048, 'mountd'],
  [2049, 'nfs'],
];

export interface HealthOptions {
  hosts: PairRole[];
}

export async function runHealthChecks(ctx: Context, opts: HealthOptions): Promise<Finding[]> {
  const config = ctx.config;
  const t = config.timeouts.check;
  const inventories = new Map<PairRole, HostInventory>();
  const foreignReads = new Map<PairRole, ForeignReads>();
  const freshP = opts.hosts.length === 2 ? pairFreshness(config, { primary: ctx.host('primary'), backup: ctx.host('backup') }).catch(() => null) : Promise.resolve(null);
  // Pair-level checks run alongside the per-host ones: the slowest single check sets the pace.
  const pairLevel =
    opts.hosts.length === 2
      ? Promise.all([bounded('vip', null, 'exactly one VIP holder', t + 500, () => vip(ctx, t)), bounded('sync', 'backup', 'backup sync is recent', t, () => sync(ctx)), bounded('freshness', null, 'the VIP holder has the newest data', t + config.timeouts.connect, async () => freshnessFindings(config, await freshP, await vipHoldersOf(ctx, t)))])
      : Promise.resolve([]);
  const perHost = await Promise.all(
    opts.hosts.map(async (role) => {
      const host = ctx.host(role);
      const reach = await bounded('reachable', role, 'host answers', t + config.timeouts.connect, async () => {
        await host.run(['true'], { timeoutMs: t });
        return [];
      });
      if (reach.length > 0) {
        return [{ ...reach[0]!, title: `${role} answers over SSH`, fix: `check the host and sshd; \`ssh -p ${config.hosts[role].ssh.port} ${quoteArg(`${config.hosts[role].ssh.user}@${config.hosts[role].address}`)} true\`` }];
      }
      // The host answers: every check on it starts now, none waits for another.
      return (
        await Promise.all([
          bounded('inventory', role, 'volume and export state readable', t * 2, async () => {
            const [i, f] = await Promise.all([hostInventory(config, role, host), readForeign(config, host)]);
            inventories.set(role, i);
            foreignReads.set(role, f);
            return [];
          }),
          bounded('nfs-ports', role, 'NFS server answers', t + 500, () => nfsPorts(config, role, t)),
          bounded('services', role, 'services running', t, () => services(config, role, host)),
          bounded('firewall', role, 'firewall lets NFS clients in', t, () => firewall(role, host)),
          bounded('rbd', role, 'RBD client ready', t * 2, () => rbdReady(config, role, host)),
          bounded('lock', role, 'nfsctl lock', t, () => lock(config, role, host, (x) => ctx.host(x))),
        ])
      ).flat();
    }),
  );
  const findings = perHost.flat();
  findings.push(...(await pairLevel).flat());
  adviseFailback(findings, await freshP);
  findings.push(...exportsAndVolumes(config, inventories, opts.hosts));
  findings.push(...unmanagedFindings(config, inventories, foreignReads, opts.hosts));
  findings.push(...capacity(config, inventories));
  findings.push(...(await bounded('audit', null, 'audit log writable', t, () => audit(ctx))));
  findings.push({ id: 'config', host: null, status: 'ok', title: 'config valid', evidence: ctx.configFile });
  return findings;
}

async function nfsPorts(config: Config, role: PairRole, t: number): Promise<Finding[]> {
  const addr = config.hosts[role].address;
  const results = await Promise.all(NFS_PORTS.map(async ([port, name]) => ({ port, name, r: await probeTcp(addr, port, t) })));
  return results.map(({ port, name, r }) => ({
    id: `nfs-port-${port}`,
    host: role,
    status: r.state === 'open' ? 'ok' : 'critical',
    title: `${name} answers on ${addr}:${port}/tcp`,
    evidence: r.state === 'open' ? `connected in ${r.ms} ms` : r.state === 'refused' ? `connection refused in ${r.ms} ms (not listening, or REJECTed by a firewall)` : r.state === 'timeout' ? `no answer in ${r.ms} ms (packets DROPped by a firewall, or the host is down)` : `error: ${r.detail}`,
    ...(r.state === 'open' ? {} : { fix: r.state === 'timeout' ? `check the firewall on ${role} (iptables -S INPUT) for DROP rules on ${port}` : `start the NFS server on ${role} (${config.services.names.nfs}), then check \`rpcinfo -p ${quoteArg(addr)}\`` }),
  }));
}

async function services(config: Config, role: PairRole, host: Host): Promise<Finding[]> {
  const keys = ['keepalived', 'nfs'] as const;
  const results = await Promise.all(keys.map((key) => host.run(serviceArgv(config, 'status', key))));
  return keys.map((key, i) => {
    const r = results[i]!;
    const name = config.services.names[key];
    return {
      id: `service-${key}`,
      host: role,
      status: r.exitCode === 0 ? 'ok' : 'critical',
      title: `${name} running`,
      evidence: r.exitCode === 0 ? 'running' : `not running (${serviceCommand(config, 'status', key)}: exit ${r.exitCode})`,
      ...(r.exitCode === 0 ? {} : { fix: serviceCommand(config, 'start', key) + ` (on ${role})` }),
    } satisfies Finding;
  });
}

async function firewall(role: PairRole, host: Host): Promise<Finding[]> {
  const r = await host.run(['iptables', '-S', 'INPUT']);
  if (r.exitCode !== 0) return [{ id: 'firewall', host: role, status: 'warn', title: 'firewall readable', evidence: `iptables -S INPUT: ${r.stderr.trim() || r.exitCode}` }];
  const blocked = NFS_CLIENT_PORTS.flatMap((port) => (['tcp', 'udp'] as const).map((proto) => evaluateInput(r.stdout, port, proto))).filter((v) => v.verdict !== 'accept');
  if (blocked.length === 0) return [{ id: 'firewall', host: role, status: 'ok', title: 'firewall lets NFS clients in', evidence: `ports ${NFS_CLIENT_PORTS.join(',')} tcp+udp accepted` }];
  return [
    {
      id: 'firewall',
      host: role,
      status: 'critical',
      title: 'firewall lets NFS clients in',
      evidence: blocked.map((b) => `${b.port}/${b.proto} ${b.verdict.toUpperCase()} (${b.rule})`).join('; '),
      fix: `remove the rule(s) on ${role}: ${[...new Set(blocked.map((b) => b.rule))].map((rule) => `iptables ${rule!.replace(/^-A /, '-D ')}`).join(' ; ')}`,
    },
  ];
}

async function rbdReady(config: Config, role: PairRole, host: Host): Promise<Finding[]> {
  const r = config.backends.rbd;
  if (!r) return [];
  const out: Finding[] = [];
  // What services (keepalived's notify hook, kubelet) find on their PATH, not our shell's.
  const [health, tools] = await Promise.all([
    host.run(['ceph', ...rbdArgs(config), 'health', '--format', 'json']),
    host.run(['env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'sh', '-c', 'command -v rbd; [ -d /sys/module/rbd ] && echo module-loaded; grep -rqsw rbd /etc/modules /etc/modules-load.d && echo module-at-boot; [ -r "$1" ] && echo keyring-readable', 'nfsctl-rbd', r.keyring ?? '/etc/ceph/ceph.client.admin.keyring']),
  ]);
  if (health.exitCode !== 0) out.push({ id: 'ceph-health', host: role, status: 'critical', title: 'Ceph cluster reachable', evidence: health.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${health.exitCode}`, fix: `check ${r.cephConf} and the monitors` });
  else {
    const h = parseCephHealth(health.stdout);
    out.push({ id: 'ceph-health', host: role, status: h.status === 'HEALTH_OK' ? 'ok' : h.status === 'HEALTH_WARN' ? 'warn' : 'critical', title: 'Ceph healthy', evidence: `${h.status}${Object.keys(h.checks).length ? ': ' + Object.entries(h.checks).map(([code, c]) => `${code}: ${c.message}`).join('; ') : ''}` });
  }
  const has = (s: string) => tools.stdout.includes(s);
  out.push({ id: 'rbd-path', host: role, status: tools.stdout.includes('/rbd') ? 'ok' : 'critical', title: 'rbd on the services PATH', evidence: tools.stdout.split('\n')[0] || 'not found in /usr/sbin:/usr/bin:/sbin:/bin', ...(has('/rbd') ? {} : { fix: 'apt-get install ceph-common' }) });
  if (r.map) {
    out.push({ id: 'rbd-module', host: role, status: has('module-loaded') ? 'ok' : 'critical', title: 'rbd kernel module loaded', evidence: has('module-loaded') ? '/sys/module/rbd present' : '/sys/module/rbd missing', ...(has('module-loaded') ? {} : { fix: 'modprobe rbd' }) });
    out.push({ id: 'rbd-boot', host: role, status: has('module-at-boot') ? 'ok' : 'warn', title: 'rbd module loaded at boot', evidence: has('module-at-boot') ? 'listed in /etc/modules(-load.d)' : 'not in /etc/modules or /etc/modules-load.d', ...(has('module-at-boot') ? {} : { fix: 'echo rbd > /etc/modules-load.d/rbd.conf' }) });
  }
  out.push({ id: 'rbd-keyring', host: role, status: has('keyring-readable') ? 'ok' : 'critical', title: 'Ceph keyring readable', evidence: r.keyring ?? '/etc/ceph/ceph.client.admin.keyring', ...(has('keyring-readable') ? {} : { fix: `install the keyring for client.${r.id}` }) });
  return out;
}

async function lock(config: Config, role: PairRole, host: Host, hostOfRole: (r: PairRole) => Host): Promise<Finding[]> {
  const s = await readLock(host, config.state.lockDir, hostOfRole);
  if (!s.held) return [{ id: 'lock', host: role, status: 'ok', title: 'no stale nfsctl lock', evidence: 'free' }];
  const stale = s.alive === false;
  return [
    {
      id: 'lock',
      host: role,
      status: stale ? 'warn' : 'ok',
      title: 'no stale nfsctl lock',
      evidence: s.owner ? `held by ${s.owner.user}@${s.owner.host} pid ${s.owner.pid} since ${s.owner.startedAt}: ${s.reason}` : s.reason,
      ...(stale ? { fix: `nfsctl lock break` } : {}),
    },
  ];
}

async function vip(ctx: Context, t: number): Promise<Finding[]> {
  const states = await Promise.all((['primary', 'backup'] as const).map((r) => vipState(ctx.config, r, ctx.host(r), t)));
  const holders = states.filter((s) => s.holds).map((s) => s.role);
  const unknown = states.filter((s) => s.holds === null).map((s) => s.role);
  const evidence = `VIP ${ctx.config.vip} on: ${holders.join(', ') || 'nobody'}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`;
  if (holders.length === 1) return [{ id: 'vip', host: null, status: unknown.length ? 'warn' : 'ok', title: 'exactly one VIP holder', evidence }];
  if (holders.length === 2) return [{ id: 'vip', host: null, status: 'critical', title: 'exactly one VIP holder', evidence: `SPLIT BRAIN: ${evidence}`, fix: 'stop keepalived on the host that should not serve (normally the backup), check VRRP between the hosts, then start it again' }];
  return [{ id: 'vip', host: null, status: 'critical', title: 'exactly one VIP holder', evidence: `NO HOLDER: ${evidence}`, fix: `start keepalived on the primary: ${serviceCommand(ctx.config, 'start', 'keepalived')}` }];
}

async function sync(ctx: Context): Promise<Finding[]> {
  const rec = await readSyncRecord(ctx.host('backup'), ctx.config.state.stateDir, 'last-ok');
  const interval = ctx.config.rsync.interval;
  if (!rec) return [{ id: 'sync', host: 'backup', status: 'warn', title: 'backup sync is recent', evidence: 'no successful sync recorded', fix: 'nfsctl sync (and `nfsctl sync install-timer`)' }];
  const age = Date.now() - Date.parse(rec.time);
  const mins = (ms: number) => `${Math.round(ms / 60_000)} min`;
  const status = age > 3 * interval ? 'critical' : age > 1.5 * interval ? 'warn' : 'ok';
  const copies = pairPromises(ctx.config).some((p) => p.kind === 'copy') ? `; ${rpoText(Math.round(age / 1000))} (rsync-copy volumes; on any VIP move their clients holding files open get I/O errors and must be restarted)` : '';
  return [{ id: 'sync', host: 'backup', status, title: 'backup sync is recent', evidence: `last successful sync ${rec.direction} ${mins(age)} ago (interval ${mins(interval)}), ${formatSize(rec.bytes)}${copies}`, ...(status === 'ok' ? {} : { fix: 'nfsctl sync; then check the timer (nfsctl sync install-timer)' }) }];
}

function exportsAndVolumes(config: Config, inv: Map<PairRole, HostInventory>, roles: PairRole[]): Finding[] {
  const out: Finding[] = [];
  for (const role of roles) {
    const i = inv.get(role);
    if (!i) continue;
    if (i.servedError) out.push({ id: 'exports-served', host: role, status: 'critical', title: 'NFS server lists its exports', evidence: i.servedError, fix: `start the NFS server on ${role}` });
  }
  if (inv.size === 0) return out;
  const full = { primary: inv.get('primary') ?? emptyInventory('primary', 'not checked'), backup: inv.get('backup') ?? emptyInventory('backup', 'not checked') };
  const views = mergeVolumes(config, full);
  const relevant = views.map((v) => ({ v, drift: v.drift.filter((d) => roles.length === 2 || d.startsWith(roles[0]!) || !/^(primary|backup)/.test(d)) }));
  const bad = relevant.filter((x) => x.drift.length > 0);
  for (const { v, drift } of bad) {
    out.push({ id: `volume:${v.id}`, host: null, status: 'critical', title: `volume ${v.id} consistent on both hosts`, evidence: drift.join('; '), fix: `nfsctl troubleshoot-mount ${v.id}` });
  }
  out.push({ id: 'volumes', host: null, status: bad.length ? 'critical' : 'ok', title: 'volumes present, mounted and exported', evidence: `${views.length - bad.length} of ${views.length} volumes consistent${intentional(views)}` });
  return out;
}

/** ", 2 unexported on purpose": chosen states are told apart from drift, never counted as it. */
function intentional(views: { intent: string | null }[]): string {
  const n = new Map<string, number>();
  for (const v of views) if (v.intent) n.set(v.intent, (n.get(v.intent) ?? 0) + 1);
  return [...n].map(([k, c]) => `, ${c} ${k} on purpose`).join('');
}

function capacity(config: Config, inv: Map<PairRole, HostInventory>): Finding[] {
  const out: Finding[] = [];
  const p = inv.get('primary');
  const b = inv.get('backup');
  for (const i of [p, b]) {
    if (!i) continue;
    if (i.vg) {
      const pct = i.vg.size ? (i.vg.free / i.vg.size) * 100 : 0;
      out.push({ id: 'vg-free', host: i.role, status: pct < 5 ? 'critical' : pct < 15 ? 'warn' : 'ok', title: `volume group ${i.vg.name} has room`, evidence: `${formatSize(i.vg.free)} free of ${formatSize(i.vg.size)} (${pct.toFixed(0)}%)` });
    }
    if (i.xfs) {
      const pct = i.xfs.sizeBytes ? (i.xfs.freeBytes / i.xfs.sizeBytes) * 100 : 0;
      out.push({ id: 'xfs-free', host: i.role, status: pct < 5 ? 'critical' : pct < 15 ? 'warn' : 'ok', title: `${config.backends.xfsquota!.root} has room`, evidence: `${formatSize(i.xfs.freeBytes)} free of ${formatSize(i.xfs.sizeBytes)} (${pct.toFixed(0)}%)` });
    }
  }
  if (p?.vg && b?.vg && p.vg.size !== b.vg.size) out.push({ id: 'vg-match', host: null, status: 'warn', title: 'both hosts have equal room', evidence: `primary ${formatSize(p.vg.size)}, backup ${formatSize(b.vg.size)}: a mirrored pair needs equal volume groups` });
  return out;
}

async function audit(ctx: Context): Promise<Finding[]> {
  try {
    await ctx.audit.checkWritable();
    return [{ id: 'audit', host: null, status: 'ok', title: 'audit log writable', evidence: ctx.config.state.auditLog }];
  } catch (err) {
    return [{ id: 'audit', host: null, status: 'warn', title: 'audit log writable', evidence: (err as Error).message, fix: `mkdir -p -- "$(dirname -- ${quoteArg(ctx.config.state.auditLog)})"` }];
  }
}
