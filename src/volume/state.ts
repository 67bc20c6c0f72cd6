// The merged view of every nfsctl volume on the pair: what each host has, and where the
// two disagree (drift). Built from one inventory per host; nothing per volume.
import type { Config, PairRole } from '../config/schema.js';
import type { VolumeMeta } from '../core/lvm-json.js';
import { volumeRef } from '../core/names.js';
import type { HostInventory } from './inventory.js';
import { identifyVolume, type Backend, type VolumeIdentity } from './identity.js';
import { BACKEND_LIST, backendNamed, backendOfMeta } from './backend/registry.js';
import { hasCopyPerHost, isMirrored, servedByBoth, type ClusterInventory } from './backend/contract.js';
import { exporterOf } from './nfs-server/registry.js';
import { intentOf, type VolumeIntent } from './intent.js';
import { hostUsage, type Usage } from './usage.js';

/** The shared backends' cluster inventories, by backend name. */
export type ClusterInventories = Partial<Record<string, ClusterInventory>>;

export interface HostVolumeState {
  reachable: boolean;
  present: boolean;
  sizeBytes: number | null;
  usedBytes: number | null;
  /** Used against capacity (and inodes) from the backend's accounting on this host (src/volume/usage.ts); null: unknown. */
  usage: Usage | null;
  mounted: boolean;
  /** In the exports file / ganesha export dir. */
  configured: boolean;
  /** Actually served by the running NFS server. */
  served: boolean;
  clients: string[];
  /** The export gives every client read-only access (ROX); absent when the exporter cannot tell. */
  readOnly?: boolean;
}

export interface VolumeView {
  id: string;
  namespace: string;
  name: string;
  backend: Backend;
  sizeBytes: number;
  labels: Record<string, string>;
  createdAt: string;
  createdBy: string;
  path: string;
  identity: VolumeIdentity;
  hosts: Record<PairRole, HostVolumeState>;
  /** A state the operator chose (volume unexport, volume delete --keep-data), or null. */
  intent: VolumeIntent | null;
  drift: string[];
}

/** Does this backend keep a separate copy per host (true) or share one copy (a cluster)? */
export function mirrored(b: Backend): boolean {
  return isMirrored(backendNamed(b));
}

/** Is a volume of this backend served by both hosts all the time (mirrored copies, shared storage such as CephFS)? */
export function bothHostsServe(b: Backend): boolean {
  return servedByBoth(backendNamed(b));
}

/**
 * Lookups by path into one inventory, built once: hostState runs for every volume on both
 * hosts, and a scan of each list per volume made `volume list` quadratic (5,000 volumes x
 * 5,000 records x 2 hosts). The backends and the exporter index their own records.
 */
interface InventoryIndex {
  mounts: Set<string>;
  served: Set<string>;
}
const indexes = new WeakMap<HostInventory, InventoryIndex>();
function indexOf(inv: HostInventory): InventoryIndex {
  let ix = indexes.get(inv);
  if (ix) return ix;
  ix = { mounts: new Set(inv.mounts.map((m) => m.target)), served: new Set(inv.served.map((e) => e.path)) };
  indexes.set(inv, ix);
  return ix;
}

export function hostState(
  config: Config,
  inv: HostInventory,
  v: VolumeIdentity,
  backend: Backend,
  cluster?: ClusterInventories,
): HostVolumeState {
  if (!inv.reachable)
    return {
      reachable: false,
      present: false,
      sizeBytes: null,
      usedBytes: null,
      usage: null,
      mounted: false,
      configured: false,
      served: false,
      clients: [],
    };
  const b = backendNamed(backend);
  const { present, sizeBytes } = b.storageState(config, inv, v, cluster?.[backend]);
  let { usedBytes } = b.storageState(config, inv, v, cluster?.[backend]);
  const ix = indexOf(inv);
  const mounted = ix.mounts.has(v.path);
  const { configured, clients, readOnly } = exporterOf(config).exportState(config, inv, v);
  const served = ix.served.has(v.path);
  const usage = present ? hostUsage(config, backend, inv, v, cluster?.[backend]) : null;
  if (usage) usedBytes = usage.usedBytes;
  return {
    reachable: true,
    present,
    sizeBytes,
    usedBytes,
    usage,
    mounted,
    configured,
    served,
    clients,
    ...(readOnly !== undefined ? { readOnly } : {}),
  };
}

/** The intent in this host's own metadata record of `v` (undefined: no record here). */
function hostIntent(inv: HostInventory, v: VolumeIdentity, backend: Backend): VolumeIntent | null | undefined {
  if (!inv.reachable) return undefined;
  const meta = backendNamed(backend).metaOnHost(inv, v);
  return meta === undefined ? undefined : intentOf(meta);
}

/** Every volume either host (or the pool) knows about, with its drift. */
export function mergeVolumes(
  config: Config,
  inv: Record<PairRole, HostInventory>,
  cluster?: ClusterInventories,
): VolumeView[] {
  const metas = new Map<string, VolumeMeta>();
  const add = (m: VolumeMeta | null | undefined) => {
    if (m && !metas.has(`${m.namespace}/${m.name}`)) metas.set(`${m.namespace}/${m.name}`, m);
  };
  for (const role of ['primary', 'backup'] as const) {
    for (const b of BACKEND_LIST) for (const m of b.hostMetas(inv[role])) add(m);
  }
  for (const b of BACKEND_LIST) for (const m of cluster?.[b.name]?.metas.values() ?? []) add(m);
  const views: VolumeView[] = [];
  for (const meta of metas.values()) {
    const b = backendOfMeta(meta.backend);
    if (!b) continue; // a record of a backend this nfsctl does not know
    const ref = volumeRef(meta.namespace, meta.name);
    const v = identifyVolume(config, ref, meta);
    const backend = b.name as Backend;
    const hosts = {
      primary: hostState(config, inv.primary, v, backend, cluster),
      backup: hostState(config, inv.backup, v, backend, cluster),
    };
    // each copy of a mirrored (or DRBD-replicated) volume carries its own record: both must say the same
    const own = hasCopyPerHost(b)
      ? (['primary', 'backup'] as const).map((r) => (hosts[r].present ? hostIntent(inv[r], v, backend) : undefined))
      : [];
    const intent = own.find((x) => x) ?? intentOf(meta);
    const differ = own[0] !== undefined && own[1] !== undefined && own[0] !== own[1];
    views.push({
      id: v.id,
      namespace: meta.namespace,
      name: meta.name,
      backend,
      sizeBytes: meta.size,
      labels: meta.labels ?? {},
      createdAt: meta.createdAt,
      createdBy: meta.createdBy,
      path: v.path,
      identity: v,
      hosts,
      intent,
      drift: [
        ...(differ ? [`state differs: primary ${own[0] ?? 'active'}, backup ${own[1] ?? 'active'}`] : []),
        ...drift(config, backend, hosts, intent),
      ],
    });
  }
  return views.sort((a, b) => a.id.localeCompare(b.id));
}

export function drift(
  config: Config,
  backend: Backend,
  hosts: Record<PairRole, HostVolumeState>,
  intent: VolumeIntent | null = null,
): string[] {
  const out: string[] = [];
  const roles = ['primary', 'backup'] as const;
  if (roles.some((r) => !hosts[r].reachable))
    return roles.filter((r) => !hosts[r].reachable).map((r) => `${r} unreachable: state unknown`);
  const b = backendNamed(backend);
  const both = servedByBoth(b);
  if (hasCopyPerHost(b)) {
    const present = roles.filter((r) => hosts[r].present);
    if (present.length === 1) out.push(`present on ${present[0]} only`);
    if (present.length === 0) out.push('storage missing on both hosts');
    if (present.length === 2 && hosts.primary.sizeBytes !== hosts.backup.sizeBytes)
      out.push(`size differs: primary ${hosts.primary.sizeBytes ?? '?'} B, backup ${hosts.backup.sizeBytes ?? '?'} B`);
  } else if (!hosts.primary.present) {
    out.push(`${b.noun} missing`);
  }
  const needsMount = b.makesFilesystem(config);
  for (const r of roles) {
    const h = hosts[r];
    // served only where the VIP is: the other host rightly has it neither mounted nor served
    if (both || h.served) {
      if (needsMount && h.served && !h.mounted) out.push(`${r}: exported but not mounted`);
      if (needsMount && h.mounted && !h.configured) out.push(`${r}: mounted but not exported`);
    }
    if (h.configured && !h.served && both) out.push(`${r}: in the exports config but not served`);
    // a DRBD volume's line belongs on the holder only: on the standby its unmounted mount point
    // makes every `exportfs -ra` there fail
    if (h.configured && !h.served && b.placement === 'replicated')
      out.push(`${r}: in the exports config but not served (a DRBD volume's line belongs on the VIP holder only)`);
    if (!h.configured && h.served) out.push(`${r}: served but not in the exports config`);
    if (intent) {
      // unexported/retired on purpose: not exporting is right, exporting is the drift
      if (h.configured || h.served) out.push(`${r}: exported although the volume is ${intent} (on purpose)`);
    } else if (both && h.present && !h.configured) out.push(`${r}: not exported`);
  }
  const cp = hosts.primary.clients.join(',');
  const cb = hosts.backup.clients.join(',');
  if (both && hosts.primary.configured && hosts.backup.configured && cp !== cb)
    out.push(`export clients differ: primary ${cp}, backup ${cb}`);
  return out;
}
