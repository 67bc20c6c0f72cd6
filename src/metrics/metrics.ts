// The pair's state as Prometheus metrics: one round of health checks (which reads every
// host's inventory once) plus the sync records, turned into metric families. `nfsctl
// metrics`, its textfile and `health serve`'s GET /metrics all come from here.
import { configuredBackends } from '../volume/backend/registry.js';
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import { ROLES } from '../config/schema.js';
import { RANK, worst, type Finding, type Status } from '../health/check.js';
import { runHealthChecks, type HealthCollect } from '../health/health.js';
import { readSyncRecord, type SyncRecord } from '../ha/sync-state.js';
import { volumeUsage } from '../volume/usage.js';
import type { VolumeView } from '../volume/state.js';
import { drbdVolumes } from '../ha/drbd-pair.js';
import { drbdConfigured } from '../health/drbd.js';
import { emptyInventory, type HostInventory } from '../volume/inventory.js';
import { drbdFamilies } from './drbd.js';
import { renderExposition, sanitizeLabelName, type Family, type Sample } from './exposition.js';

export interface PairSnapshot {
  /** When the round of checks finished (ms since the epoch). */
  checkedAt: number;
  durationMs: number;
  health: Status;
  findings: Finding[];
  collect: HealthCollect;
  syncOk: Record<PairRole, SyncRecord | null>;
}

/** One round: every health check on both hosts, and both hosts' last good sync record. */
export async function snapshot(
  config: Config,
  pair: Record<PairRole, Host>,
  opts: { configFile: string },
): Promise<PairSnapshot> {
  const started = Date.now();
  const collect: HealthCollect = {};
  const [findings, ...syncs] = await Promise.all([
    runHealthChecks(config, pair, { hosts: ['primary', 'backup'], collect, configFile: opts.configFile }),
    ...ROLES.map((r) => readSyncRecord(pair[r], config.state.stateDir, 'last-ok').catch(() => null)),
  ]);
  const checkedAt = Date.now();
  return {
    checkedAt,
    durationMs: checkedAt - started,
    health: worst(findings as Finding[]),
    findings: findings as Finding[],
    collect,
    syncOk: { primary: (syncs[0] as SyncRecord | null) ?? null, backup: (syncs[1] as SyncRecord | null) ?? null },
  };
}

const STATUS_HELP = '0 ok, 1 warn, 2 critical';

function volumeLabels(v: VolumeView): Record<string, string> {
  return { volume: v.id, namespace: v.namespace, name: v.name };
}

/** Kubernetes labels as `label_<key>` (kube-state-metrics' convention); keys that collide once sanitised: the first in key order wins. */
function kubeLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) {
    const name = sanitizeLabelName(k);
    if (!(name in out)) out[name] = labels[k]!;
  }
  return out;
}

export function pairFamilies(config: Config, s: PairSnapshot, now = Date.now()): Family[] {
  const fam = (name: string, help: string, samples: Sample[] = [], type: Family['type'] = 'gauge'): Family => ({
    name,
    help,
    type,
    samples,
  });
  const views = s.collect.views ?? [];
  const inv = s.collect.inventories ?? new Map();
  const holders = s.collect.vipHolders;
  const holder = holders && holders.length === 1 ? holders[0]! : null;

  const f = {
    up: fam('nfsctl_up', 'Whether this collection of the pair state ran (1); host problems show in the other metrics'),
    dur: fam('nfsctl_collect_duration_seconds', 'Time the health checks and reads behind these metrics took'),
    at: fam('nfsctl_collect_timestamp_seconds', 'When these metrics were collected (Unix time)'),
    health: fam('nfsctl_health_status', `Worst health check result of the pair: ${STATUS_HELP}`),
    check: fam(
      'nfsctl_health_check_status',
      `Result of one health check (check = its id, host = where it ran, empty for pair checks): ${STATUS_HELP}`,
    ),
    reach: fam('nfsctl_host_reachable', 'Whether the storage host answered over SSH (1) or not (0)'),
    vip: fam(
      'nfsctl_host_vip_held',
      'Whether the storage host holds the VIP (1) or not (0); absent when it cannot be read',
    ),
    svc: fam('nfsctl_host_service_running', 'Whether the service (keepalived, nfs) runs on the storage host'),
    syncAt: fam(
      'nfsctl_sync_last_success_timestamp_seconds',
      'When the last successful sync into this host finished (Unix time)',
    ),
    syncAge: fam(
      'nfsctl_sync_last_success_age_seconds',
      'Seconds since the last successful sync into this host finished',
    ),
    syncBytes: fam(
      'nfsctl_sync_last_success_transferred_bytes',
      'Bytes the last successful sync into this host copied',
    ),
    count: fam('nfsctl_volumes', 'Number of volumes on the pair by backend'),
    info: fam(
      'nfsctl_volume_info',
      'One series per volume with its backend and state (active, unexported or retired on purpose)',
    ),
    labels: fam(
      'nfsctl_volume_labels',
      'The Kubernetes labels of each volume, as label_<key> (characters other than letters, digits and _ become _)',
    ),
    size: fam('nfsctl_volume_size_bytes', 'Size the volume was created with (its PersistentVolume capacity)'),
    used: fam(
      'nfsctl_volume_used_bytes',
      "Bytes used in the volume on this host, from the backend's accounting (df, XFS project quota or rbd du)",
    ),
    cap: fam(
      'nfsctl_volume_capacity_bytes',
      'Bytes the volume can hold on this host by the same accounting (used / capacity is its use)',
    ),
    iused: fam('nfsctl_volume_inodes_used', 'Inodes used in the volume on this host, where the backend counts them'),
    icap: fam(
      'nfsctl_volume_inodes_capacity',
      'Inodes the volume can hold on this host, where the backend limits them',
    ),
    ratio: fam(
      'nfsctl_volume_used_ratio',
      'Use of the volume (0-1) as nfsctl judges it: the VIP holder copy, else the primary, else the backup',
    ),
    exported: fam('nfsctl_volume_exported', "Whether the volume is in this host's NFS export configuration"),
    served: fam('nfsctl_volume_served', "Whether this host's running NFS server serves the volume"),
    drift: fam(
      'nfsctl_volume_drift',
      'Number of differences between the hosts (or from the export config) for the volume; 0 when consistent',
    ),
  };

  f.up.samples.push({ value: 1 });
  f.dur.samples.push({ value: s.durationMs / 1000 });
  f.at.samples.push({ value: Math.floor(s.checkedAt / 1000) });
  f.health.samples.push({ value: RANK[s.health] });
  for (const x of s.findings)
    f.check.samples.push({ labels: { check: x.id, host: x.host ?? '' }, value: RANK[x.status] });

  for (const r of ROLES) {
    const unreachable = s.findings.some((x) => x.id === 'reachable' && x.host === r && x.status !== 'ok');
    f.reach.samples.push({ labels: { host: r }, value: unreachable ? 0 : 1 });
    if (holders) f.vip.samples.push({ labels: { host: r }, value: holders.includes(r) ? 1 : 0 });
    for (const svc of ['keepalived', 'nfs'] as const) {
      const x = s.findings.find((y) => y.id === `service-${svc}` && y.host === r);
      if (x) f.svc.samples.push({ labels: { host: r, service: svc }, value: x.status === 'ok' ? 1 : 0 });
    }
    const rec = s.syncOk[r];
    const t = rec ? Date.parse(rec.time) : NaN;
    if (rec && Number.isFinite(t)) {
      f.syncAt.samples.push({ labels: { host: r }, value: Math.floor(t / 1000) });
      f.syncAge.samples.push({ labels: { host: r }, value: Math.max(0, Math.round((now - t) / 1000)) });
      if (Number.isFinite(rec.bytes)) f.syncBytes.samples.push({ labels: { host: r }, value: rec.bytes });
    }
  }

  const perBackend = new Map<string, number>();
  for (const b of configuredBackends(config)) perBackend.set(b.name, 0);
  for (const v of views) {
    perBackend.set(v.backend, (perBackend.get(v.backend) ?? 0) + 1);
    const vl = volumeLabels(v);
    f.info.samples.push({ labels: { ...vl, backend: v.backend, state: v.intent ?? 'active' }, value: 1 });
    if (Object.keys(v.labels).length) f.labels.samples.push({ labels: { ...vl, ...kubeLabels(v.labels) }, value: 1 });
    f.size.samples.push({ labels: vl, value: v.sizeBytes });
    f.drift.samples.push({ labels: vl, value: v.drift.length });
    const u = volumeUsage(v.hosts, holder);
    if (u) f.ratio.samples.push({ labels: vl, value: Math.round((u.usedBytes / u.capacityBytes) * 10_000) / 10_000 });
    for (const r of ROLES) {
      const h = v.hosts[r];
      if (!inv.has(r) || !h.reachable) continue;
      const hl = { ...vl, host: r };
      if (h.usage) {
        f.used.samples.push({ labels: hl, value: h.usage.usedBytes });
        f.cap.samples.push({ labels: hl, value: h.usage.capacityBytes });
        if (h.usage.inodesUsed !== null) f.iused.samples.push({ labels: hl, value: h.usage.inodesUsed });
        if (h.usage.inodesTotal !== null) f.icap.samples.push({ labels: hl, value: h.usage.inodesTotal });
      }
      f.exported.samples.push({ labels: hl, value: h.configured ? 1 : 0 });
      f.served.samples.push({ labels: hl, value: h.served ? 1 : 0 });
    }
  }
  for (const [backend, n] of perBackend) f.count.samples.push({ labels: { backend }, value: n });
  // DRBD volumes' replication state, from the same inventories (no extra host command)
  const dvs =
    drbdConfigured(config) && inv.size > 0
      ? drbdVolumes(
          config,
          views,
          Object.fromEntries(ROLES.map((r) => [r, inv.get(r) ?? emptyInventory(r, 'not checked')])) as Record<
            PairRole,
            HostInventory
          >,
        )
      : [];
  const reachable = (r: PairRole) => inv.get(r)?.reachable === true;
  return [...Object.values(f), ...drbdFamilies(dvs, reachable)];
}

export function renderMetrics(config: Config, s: PairSnapshot, now = Date.now()): string {
  return renderExposition(pairFamilies(config, s, now));
}

/** Every metric family nfsctl exports, with its help text (for the man page and README). */
export function metricCatalogue(): { name: string; help: string; type: string }[] {
  const empty: PairSnapshot = {
    checkedAt: 0,
    durationMs: 0,
    health: 'ok',
    findings: [],
    collect: {},
    syncOk: { primary: null, backup: null },
  };
  return pairFamilies({ backends: {} } as Config, empty, 0).map((f) => ({ name: f.name, help: f.help, type: f.type }));
}
