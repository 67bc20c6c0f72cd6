// The merged view of every nfsctl volume on the pair: what each host has, and where the
// two disagree (drift). Built from one inventory per host; nothing per volume.
import type { Config, PairRole } from '../config/schema.js';
import { decodeMetaTags, type LvmLv, type VolumeMeta } from '../core/lvm-json.js';
import { normalizeExportPath, type ExportEntry } from '../core/exports-file.js';
import type { RbdListEntry } from '../core/ceph-json.js';
import { volumeRef } from '../core/names.js';
import type { HostInventory, RbdInventory } from './inventory.js';
import { identifyVolume, type Backend, type VolumeIdentity } from './identity.js';
import { ganeshaFile } from './exporter.js';
import { parseGaneshaExports } from '../core/ganesha.js';
import { intentOf, type VolumeIntent } from './intent.js';

export interface HostVolumeState {
  reachable: boolean;
  present: boolean;
  sizeBytes: number | null;
  usedBytes: number | null;
  mounted: boolean;
  /** In the exports file / ganesha export dir. */
  configured: boolean;
  /** Actually served by the running NFS server. */
  served: boolean;
  clients: string[];
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

function backendOf(meta: VolumeMeta): Backend {
  return (meta.backend as string) === 'xfs' ? 'xfsquota' : (meta.backend as Backend);
}

/** Does this backend keep a separate copy per host (true) or share one device (rbd)? */
export function mirrored(b: Backend): boolean {
  return b !== 'rbd';
}

/**
 * Lookups by name/path into one inventory, built once: hostState runs for every volume on
 * both hosts, and a scan of each list per volume made `volume list` quadratic (5,000
 * volumes x 5,000 records x 2 hosts).
 */
interface InventoryIndex {
  lvs: Map<string, LvmLv>;
  metas: Map<string, VolumeMeta>;
  mounts: Set<string>;
  served: Set<string>;
  exports: Map<string, ExportEntry[]>;
}
const indexes = new WeakMap<HostInventory, InventoryIndex>();
function indexOf(inv: HostInventory): InventoryIndex {
  let ix = indexes.get(inv);
  if (ix) return ix;
  const exports = new Map<string, ExportEntry[]>();
  for (const e of inv.exports?.entries ?? []) {
    if (e.kind !== 'export') continue;
    const key = normalizeExportPath(e.path);
    exports.set(key, [...(exports.get(key) ?? []), e]);
  }
  const metas = new Map<string, VolumeMeta>();
  for (const m of inv.xfs?.metas ?? []) if (!metas.has(`${m.namespace}/${m.name}`)) metas.set(`${m.namespace}/${m.name}`, m);
  const lvs = new Map<string, LvmLv>();
  for (const l of inv.lvs) if (!lvs.has(l.name)) lvs.set(l.name, l);
  ix = { lvs, metas, mounts: new Set(inv.mounts.map((m) => m.target)), served: new Set(inv.served.map((e) => e.path)), exports };
  indexes.set(inv, ix);
  return ix;
}
const rbdIndexes = new WeakMap<RbdInventory, Map<string, RbdListEntry>>();
function rbdImage(rbd: RbdInventory, image: string): RbdListEntry | undefined {
  let ix = rbdIndexes.get(rbd);
  if (!ix) {
    ix = new Map();
    for (const i of rbd.images) if (!ix.has(i.image)) ix.set(i.image, i);
    rbdIndexes.set(rbd, ix);
  }
  return ix.get(image);
}

export function hostState(config: Config, inv: HostInventory, v: VolumeIdentity, backend: Backend, rbd?: RbdInventory): HostVolumeState {
  if (!inv.reachable) return { reachable: false, present: false, sizeBytes: null, usedBytes: null, mounted: false, configured: false, served: false, clients: [] };
  let present = false;
  let sizeBytes: number | null = null;
  let usedBytes: number | null = null;
  const ix = indexOf(inv);
  if (backend === 'lvm') {
    const lv = ix.lvs.get(v.lv);
    present = lv !== undefined;
    sizeBytes = lv?.size ?? null;
  } else if (backend === 'xfsquota') {
    const p = inv.xfs?.projects.get(v.projectId);
    if (config.backends.xfsquota?.quota === false) {
      // no quota support: the directory and its metadata record are all there is
      const meta = ix.metas.get(`${v.ref.namespace}/${v.ref.name}`);
      present = inv.dirs.has(v.path);
      sizeBytes = meta?.size ?? null;
    } else {
      present = inv.dirs.has(v.path) && p !== undefined;
      sizeBytes = p && p.hardBytes > 0 ? p.hardBytes : null;
      usedBytes = p?.usedBytes ?? null;
    }
  } else {
    const img = rbd ? rbdImage(rbd, v.image) : undefined;
    present = img !== undefined;
    sizeBytes = img?.size ?? null;
  }
  const mounted = ix.mounts.has(v.path);
  let configured = false;
  let clients: string[] = [];
  if (config.nfs.server === 'kernel') {
    const lines = ix.exports.get(normalizeExportPath(v.path)) ?? [];
    configured = lines.length > 0;
    clients = lines.flatMap((l) => l.clients.map((c) => c.host));
  } else {
    const file = ganeshaFile(config, v).slice(config.nfs.ganeshaExportsDir.length + 1);
    // configured = the file really holds an EXPORT block for this path (not just exists)
    configured = parseGaneshaExports(inv.ganeshaFiles.get(file) ?? '').some((b) => b.path === v.path);
    const m = /Clients\s*=\s*([^;]+);/.exec(inv.ganeshaFiles.get(file) ?? '');
    clients = m ? m[1]!.split(',').map((s) => s.trim().replace(/^"|"$/g, '')) : [];
  }
  const served = ix.served.has(v.path);
  return { reachable: true, present, sizeBytes, usedBytes, mounted, configured, served, clients };
}

/** The intent in this host's own metadata record of `v` (undefined: no record here). */
function hostIntent(inv: HostInventory, v: VolumeIdentity, backend: Backend): VolumeIntent | null | undefined {
  if (!inv.reachable) return undefined;
  const ix = indexOf(inv);
  const meta = backend === 'lvm' ? (ix.lvs.has(v.lv) ? decodeMetaTags(ix.lvs.get(v.lv)!.tags) : undefined) : ix.metas.get(`${v.ref.namespace}/${v.ref.name}`);
  return meta === undefined ? undefined : intentOf(meta);
}

/** Every volume either host (or the pool) knows about, with its drift. */
export function mergeVolumes(config: Config, inv: Record<PairRole, HostInventory>, rbd?: RbdInventory): VolumeView[] {
  const metas = new Map<string, VolumeMeta>();
  const add = (m: VolumeMeta | null | undefined) => {
    if (m && !metas.has(`${m.namespace}/${m.name}`)) metas.set(`${m.namespace}/${m.name}`, m);
  };
  for (const role of ['primary', 'backup'] as const) {
    for (const lv of inv[role].lvs) add(decodeMetaTags(lv.tags));
    for (const m of inv[role].xfs?.metas ?? []) add(m);
  }
  for (const m of rbd?.metas.values() ?? []) add(m);
  const views: VolumeView[] = [];
  for (const meta of metas.values()) {
    const ref = volumeRef(meta.namespace, meta.name);
    const v = identifyVolume(config, ref, meta);
    const backend = backendOf(meta);
    const hosts = {
      primary: hostState(config, inv.primary, v, backend, rbd),
      backup: hostState(config, inv.backup, v, backend, rbd),
    };
    // each copy of a mirrored volume carries its own record: both must say the same
    const own = mirrored(backend) ? (['primary', 'backup'] as const).map((r) => (hosts[r].present ? hostIntent(inv[r], v, backend) : undefined)) : [];
    const intent = own.find((x) => x) ?? intentOf(meta);
    const differ = own[0] !== undefined && own[1] !== undefined && own[0] !== own[1];
    views.push({ id: v.id, namespace: meta.namespace, name: meta.name, backend, sizeBytes: meta.size, labels: meta.labels ?? {}, createdAt: meta.createdAt, createdBy: meta.createdBy, path: v.path, identity: v, hosts, intent, drift: [...(differ ? [`state differs: primary ${own[0] ?? 'active'}, backup ${own[1] ?? 'active'}`] : []), ...drift(config, backend, hosts, intent)] });
  }
  return views.sort((a, b) => a.id.localeCompare(b.id));
}

export function drift(config: Config, backend: Backend, hosts: Record<PairRole, HostVolumeState>, intent: VolumeIntent | null = null): string[] {
  const out: string[] = [];
  const roles = ['primary', 'backup'] as const;
  if (roles.some((r) => !hosts[r].reachable)) return roles.filter((r) => !hosts[r].reachable).map((r) => `${r} unreachable: state unknown`);
  if (mirrored(backend)) {
    const present = roles.filter((r) => hosts[r].present);
    if (present.length === 1) out.push(`present on ${present[0]} only`);
    if (present.length === 0) out.push('storage missing on both hosts');
    if (present.length === 2 && hosts.primary.sizeBytes !== hosts.backup.sizeBytes) out.push(`size differs: primary ${hosts.primary.sizeBytes ?? '?'} B, backup ${hosts.backup.sizeBytes ?? '?'} B`);
  } else if (!hosts.primary.present) {
    out.push('RBD image missing');
  }
  const needsMount = (backend === 'lvm' && !config.backends.lvm?.metadataOnly) || (backend === 'rbd' && config.backends.rbd?.map);
  for (const r of roles) {
    const h = hosts[r];
    if (backend !== 'rbd' || h.served) {
      if (needsMount && h.served && !h.mounted) out.push(`${r}: exported but not mounted`);
      if (needsMount && h.mounted && !h.configured) out.push(`${r}: mounted but not exported`);
    }
    if (h.configured && !h.served && backend !== 'rbd') out.push(`${r}: in the exports config but not served`);
    if (!h.configured && h.served) out.push(`${r}: served but not in the exports config`);
    if (intent) {
      // unexported/retired on purpose: not exporting is right, exporting is the drift
      if (h.configured || h.served) out.push(`${r}: exported although the volume is ${intent} (on purpose)`);
    } else if (mirrored(backend) && h.present && !h.configured) out.push(`${r}: not exported`);
  }
  const cp = hosts.primary.clients.join(',');
  const cb = hosts.backup.clients.join(',');
  if (mirrored(backend) && hosts.primary.configured && hosts.backup.configured && cp !== cb) out.push(`export clients differ: primary ${cp}, backup ${cb}`);
  return out;
}
