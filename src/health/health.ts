// `nfsctl health`: every check on both hosts at once, each under its own time limit, so a
// dead host or a firewall that drops packets gives a critical finding, never a hang.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import { bounded, type Finding } from './check.js';
import { probeTcp } from './probe.js';
import { clusterInventories, emptyInventory, hostInventory, type HostInventory } from '../volume/inventory.js';
import { configuredBackends } from '../volume/backend/registry.js';
import { hasCopyPerHost } from '../volume/backend/contract.js';
import type { ClusterInventories } from '../volume/state.js';
import { mergeVolumes, type VolumeView } from '../volume/state.js';
import { usageFindings } from './usage.js';
import { vipState } from '../ha/vip.js';
import { serviceArgv, serviceCommand } from '../ha/services.js';
import { quoteArg } from '../host/quote.js';
import { readSyncRecord } from '../ha/sync-state.js';
import { pairPromises, rpoText } from '../ha/promise.js';
import { evaluateInput, NFS_CLIENT_PORTS } from '../core/firewall.js';
import { readLock } from '../state/lock.js';
import { formatSize } from '../core/sizes.js';
import { adviseFailback, freshnessFindings, vipHoldersOf } from './freshness.js';
import { pairFreshness } from '../ha/freshness.js';
import { capacityMatch, protectionChecks } from './protection.js';
import { AuditLog } from '../state/audit.js';

/** What the pair-level checks read: the config, a host per role, the audit log. */
interface HealthEnv {
  config: Config;
  host(role: PairRole): Host;
  audit: AuditLog;
}
import { foreignInBatch, type ForeignReads } from '../volume/unmanaged.js';
import { unmanagedFindings } from './unmanaged.js';
import { drbdChecks } from './drbd.js';
import { holdChecks } from './vip-hold.js';

const NFS_PORTS: [number, string][] = [
  [111, 'rpcbind'],
  [20048, 'mountd'],
  [2049, 'nfs'],
];

export interface HealthOptions {
  /** The hosts to check (both: the pair-level checks run too). */
  hosts: PairRole[];
  /** The config file the checks ran against (evidence of the config finding). */
  configFile: string;
  /** Default: the audit log the config names. */
  audit?: AuditLog;
  /** Filled with what the checks read (for metrics: one round of host traffic serves both). */
  collect?: HealthCollect;
}

export interface HealthCollect {
  inventories?: Map<PairRole, HostInventory>;
  cluster?: ClusterInventories;
  vipHolders?: PairRole[] | null;
  views?: VolumeView[];
}

export async function runHealthChecks(
  config: Config,
  pair: Record<PairRole, Host>,
  opts: HealthOptions,
): Promise<Finding[]> {
  const ctx = { config, host: (r: PairRole) => pair[r], audit: opts.audit ?? new AuditLog(config.state.auditLog) };
  const t = config.timeouts.check;
  const inventories = new Map<PairRole, HostInventory>();
  const holdersP = opts.hosts.length === 2 ? vipHoldersOf(config, pair, t).catch(() => null) : Promise.resolve(null);
  // shared backends' clusters (RBD images...): read once (with their usage) from whichever host answers
  let cluster: ClusterInventories | undefined;
  const clusterP: Promise<Finding[]> = configuredBackends(config).some((b) => !hasCopyPerHost(b))
    ? (async () => {
        let timer: NodeJS.Timeout | undefined;
        const read = (async () => {
          cluster = await clusterInventories(
            config,
            opts.hosts.map((r) => pair[r]),
          );
          return [];
        })();
        // only the RBD volumes' use depends on it: a slow pool is a warning, not a failed check
        const late = new Promise<Finding[]>((resolve) => {
          timer = setTimeout(
            () =>
              resolve([
                {
                  id: 'rbd-usage',
                  host: null,
                  status: 'warn',
                  title: "shared volumes' use readable",
                  evidence: `the shared backends (${configuredBackends(config)
                    .filter((b) => !hasCopyPerHost(b))
                    .map((b) => b.name)
                    .join(', ')}) and their use were not read within ${t * 2} ms`,
                },
              ]),
            t * 2,
          );
        });
        try {
          return await Promise.race([read, late]);
        } finally {
          clearTimeout(timer);
        }
      })()
    : Promise.resolve([]);
  const foreignReads = new Map<PairRole, ForeignReads>();
  const freshP = opts.hosts.length === 2 ? pairFreshness(config, pair).catch(() => null) : Promise.resolve(null);
  // Pair-level checks run alongside the per-host ones: the slowest single check sets the pace.
  const pairLevel =
    opts.hosts.length === 2
      ? Promise.all([
          bounded('vip', null, 'exactly one VIP holder', t + 500, () => vip(ctx, t)),
          bounded('sync', 'backup', 'backup sync is recent', t, () => sync(ctx)),
          bounded('freshness', null, 'the VIP holder has the newest data', t + config.timeouts.connect, async () =>
            freshnessFindings(config, await freshP, await holdersP),
          ),
          bounded('protection', null, 'the next sync and a failover can happen', t * 2 + config.timeouts.connect, () =>
            protectionChecks({ config, hosts: pair, t }),
          ),
        ])
      : Promise.resolve([]);
  const perHost = await Promise.all(
    opts.hosts.map(async (role) => {
      const host = ctx.host(role);
      const reach = await bounded('reachable', role, 'host answers', t + config.timeouts.connect, async () => {
        await host.run(['true'], { timeoutMs: t });
        return [];
      });
      if (reach.length > 0) {
        return [
          {
            ...reach[0]!,
            title: `${role} answers over SSH`,
            fix: `check the host and sshd; \`ssh -p ${config.hosts[role].ssh.port} ${quoteArg(`${config.hosts[role].ssh.user}@${config.hosts[role].address}`)} true\``,
          },
        ];
      }
      // The host answers: every check on it starts now, none waits for another.
      return (
        await Promise.all([
          bounded('inventory', role, 'volume and export state readable', t * 2, async () => {
            // what nfsctl does not manage, read in the inventory's batch (their `lvs` runs once)
            const foreign = foreignInBatch(config);
            const i = await hostInventory(config, role, host, foreign.read);
            inventories.set(role, i);
            foreignReads.set(role, foreign.of(i));
            return [];
          }),
          bounded('nfs-ports', role, 'NFS server answers', t + 500, () => nfsPorts(config, role, t)),
          bounded('services', role, 'services running', t, () => services(config, role, host)),
          bounded('firewall', role, 'firewall lets NFS clients in', t, () => firewall(role, host)),
          ...configuredBackends(config).map((b) =>
            bounded(b.health.id, role, b.health.title, t * 2, () => b.health.host(config, role, host, t)),
          ),
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
  findings.push(...capacityMatch(config, inventories));
  findings.push(...(await clusterP));
  const holders = await holdersP;
  findings.push(
    ...(await bounded('drbd-volumes', null, 'DRBD volumes replicate and are served', t * 2, () =>
      drbdChecks(config, pair, inventories, holders),
    )),
    ...(await bounded('vip-hold', null, 'the standby holds NFS traffic to the VIP', t, () =>
      holdChecks(config, pair, inventories, holders),
    )),
  );
  const views = usageViews(config, inventories, cluster);
  findings.push(...usageFindings(config, views, holders && holders.length === 1 ? holders[0]! : null));
  if (opts.collect) Object.assign(opts.collect, { inventories, cluster, vipHolders: holders, views });
  findings.push(...(await bounded('audit', null, 'audit log writable', t, () => audit(ctx))));
  findings.push({ id: 'config', host: null, status: 'ok', title: 'config valid', evidence: opts.configFile });
  return findings;
}

async function nfsPorts(config: Config, role: PairRole, t: number): Promise<Finding[]> {
  const addr = config.hosts[role].address;
  const results = await Promise.all(
    NFS_PORTS.map(async ([port, name]) => ({ port, name, r: await probeTcp(addr, port, t) })),
  );
  return results.map(({ port, name, r }) => ({
    id: `nfs-port-${port}`,
    host: role,
    status: r.state === 'open' ? 'ok' : 'critical',
    title: `${name} answers on ${addr}:${port}/tcp`,
    evidence:
      r.state === 'open'
        ? `connected in ${r.ms} ms`
        : r.state === 'refused'
          ? `connection refused in ${r.ms} ms (not listening, or REJECTed by a firewall)`
          : r.state === 'timeout'
            ? `no answer in ${r.ms} ms (packets DROPped by a firewall, or the host is down)`
            : `error: ${r.detail}`,
    ...(r.state === 'open'
      ? {}
      : {
          fix:
            r.state === 'timeout'
              ? `check the firewall on ${role} (iptables -S INPUT) for DROP rules on ${port}`
              : `start the NFS server on ${role} (${config.services.names.nfs}), then check \`rpcinfo -p ${quoteArg(addr)}\``,
        }),
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
      evidence:
        r.exitCode === 0 ? 'running' : `not running (${serviceCommand(config, 'status', key)}: exit ${r.exitCode})`,
      ...(r.exitCode === 0 ? {} : { fix: serviceCommand(config, 'start', key) + ` (on ${role})` }),
    } satisfies Finding;
  });
}

async function firewall(role: PairRole, host: Host): Promise<Finding[]> {
  const r = await host.run(['iptables', '-S', 'INPUT']);
  if (r.exitCode !== 0)
    return [
      {
        id: 'firewall',
        host: role,
        status: 'warn',
        title: 'firewall readable',
        evidence: `iptables -S INPUT: ${r.stderr.trim() || r.exitCode}`,
      },
    ];
  const blocked = NFS_CLIENT_PORTS.flatMap((port) =>
    (['tcp', 'udp'] as const).map((proto) => evaluateInput(r.stdout, port, proto)),
  ).filter((v) => v.verdict !== 'accept');
  if (blocked.length === 0)
    return [
      {
        id: 'firewall',
        host: role,
        status: 'ok',
        title: 'firewall lets NFS clients in',
        evidence: `ports ${NFS_CLIENT_PORTS.join(',')} tcp+udp accepted`,
      },
    ];
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
      evidence: s.owner
        ? `held by ${s.owner.user}@${s.owner.host} pid ${s.owner.pid} since ${s.owner.startedAt}: ${s.reason}`
        : s.reason,
      ...(stale ? { fix: `nfsctl lock break` } : {}),
    },
  ];
}

async function vip(ctx: HealthEnv, t: number): Promise<Finding[]> {
  const states = await Promise.all(
    (['primary', 'backup'] as const).map((r) => vipState(ctx.config, r, ctx.host(r), t)),
  );
  const holders = states.filter((s) => s.holds).map((s) => s.role);
  const unknown = states.filter((s) => s.holds === null).map((s) => s.role);
  const evidence = `VIP ${ctx.config.vip} on: ${holders.join(', ') || 'nobody'}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`;
  if (holders.length === 1)
    return [
      { id: 'vip', host: null, status: unknown.length ? 'warn' : 'ok', title: 'exactly one VIP holder', evidence },
    ];
  if (holders.length === 2)
    return [
      {
        id: 'vip',
        host: null,
        status: 'critical',
        title: 'exactly one VIP holder',
        evidence: `SPLIT BRAIN: ${evidence}`,
        fix: 'stop keepalived on the host that should not serve (normally the backup), check VRRP between the hosts, then start it again',
      },
    ];
  return [
    {
      id: 'vip',
      host: null,
      status: 'critical',
      title: 'exactly one VIP holder',
      evidence: `NO HOLDER: ${evidence}`,
      fix: `start keepalived on the primary: ${serviceCommand(ctx.config, 'start', 'keepalived')}`,
    },
  ];
}

async function sync(ctx: HealthEnv): Promise<Finding[]> {
  const rec = await readSyncRecord(ctx.host('backup'), ctx.config.state.stateDir, 'last-ok');
  const interval = ctx.config.rsync.interval;
  if (!rec)
    return [
      {
        id: 'sync',
        host: 'backup',
        status: 'warn',
        title: 'backup sync is recent',
        evidence: 'no successful sync recorded',
        fix: 'nfsctl sync (and `nfsctl sync install-timer`)',
      },
    ];
  const age = Date.now() - Date.parse(rec.time);
  const mins = (ms: number) => `${Math.round(ms / 60_000)} min`;
  const status = age > 3 * interval ? 'critical' : age > 1.5 * interval ? 'warn' : 'ok';
  const copies = pairPromises(ctx.config).some((p) => p.kind === 'copy')
    ? `; ${rpoText(Math.round(age / 1000))} (rsync-copy volumes; on any VIP move their clients holding files open get I/O errors and must be restarted)`
    : '';
  return [
    {
      id: 'sync',
      host: 'backup',
      status,
      title: 'backup sync is recent',
      evidence: `last successful sync ${rec.direction} ${mins(age)} ago (interval ${mins(interval)}), ${formatSize(rec.bytes)}${copies}`,
      ...(status === 'ok' ? {} : { fix: 'nfsctl sync; then check the timer (nfsctl sync install-timer)' }),
    },
  ];
}

function exportsAndVolumes(config: Config, inv: Map<PairRole, HostInventory>, roles: PairRole[]): Finding[] {
  const out: Finding[] = [];
  for (const role of roles) {
    const i = inv.get(role);
    if (!i) continue;
    if (i.servedError)
      out.push({
        id: 'exports-served',
        host: role,
        status: 'critical',
        title: 'NFS server lists its exports',
        evidence: i.servedError,
        fix: `start the NFS server on ${role}`,
      });
  }
  if (inv.size === 0) return out;
  const full = {
    primary: inv.get('primary') ?? emptyInventory('primary', 'not checked'),
    backup: inv.get('backup') ?? emptyInventory('backup', 'not checked'),
  };
  const views = mergeVolumes(config, full);
  const relevant = views.map((v) => ({
    v,
    drift: v.drift.filter((d) => roles.length === 2 || d.startsWith(roles[0]!) || !/^(primary|backup)/.test(d)),
  }));
  const bad = relevant.filter((x) => x.drift.length > 0);
  for (const { v, drift } of bad) {
    out.push({
      id: `volume:${v.id}`,
      host: null,
      status: 'critical',
      title: `volume ${v.id} consistent on both hosts`,
      evidence: drift.join('; '),
      fix: `nfsctl troubleshoot-mount ${v.id}`,
    });
  }
  out.push({
    id: 'volumes',
    host: null,
    status: bad.length ? 'critical' : 'ok',
    title: 'volumes present, mounted and exported',
    evidence: `${views.length - bad.length} of ${views.length} volumes consistent${intentional(views)}`,
  });
  return out;
}

/** ", 2 unexported on purpose": chosen states are told apart from drift, never counted as it. */
function intentional(views: { intent: string | null }[]): string {
  const n = new Map<string, number>();
  for (const v of views) if (v.intent) n.set(v.intent, (n.get(v.intent) ?? 0) + 1);
  return [...n].map(([k, c]) => `, ${c} ${k} on purpose`).join('');
}

/** Every volume with what each host says of its use (RBD images with the pool's accounting). */
function usageViews(
  config: Config,
  inv: Map<PairRole, HostInventory>,
  cluster: ClusterInventories | undefined,
): VolumeView[] {
  if (inv.size === 0 && !cluster) return [];
  const full = {
    primary: inv.get('primary') ?? emptyInventory('primary', 'not checked'),
    backup: inv.get('backup') ?? emptyInventory('backup', 'not checked'),
  };
  return mergeVolumes(config, full, cluster);
}

function capacity(config: Config, inv: Map<PairRole, HostInventory>): Finding[] {
  const out: Finding[] = [];
  const p = inv.get('primary');
  const b = inv.get('backup');
  const backends = configuredBackends(config);
  for (const i of [p, b]) {
    if (!i) continue;
    for (const be of backends) out.push(...be.health.room(config, i));
  }
  for (const be of backends) out.push(...be.health.pairRoom(config, p, b));
  return out;
}

async function audit(ctx: HealthEnv): Promise<Finding[]> {
  try {
    await ctx.audit.checkWritable();
    return [
      { id: 'audit', host: null, status: 'ok', title: 'audit log writable', evidence: ctx.config.state.auditLog },
    ];
  } catch (err) {
    return [
      {
        id: 'audit',
        host: null,
        status: 'warn',
        title: 'audit log writable',
        evidence: (err as Error).message,
        fix: `mkdir -p -- "$(dirname -- ${quoteArg(ctx.config.state.auditLog)})"`,
      },
    ];
  }
}
