// `volume reconcile`: the pair's volumes against the cluster's PVs (a `kubectl get pv -o json`
// List the operator hands in; nfsctl never talks to a cluster). Read-only: it reports, and
// prints the commands that would fix what it finds.
import type { Config } from '../config/schema.js';
import type { Pv } from '../core/adopt-names.js';
import { pvsForServers } from '../core/adopt-names.js';
import { parseQuantity } from '../core/k8s-quantity.js';
import { formatSize } from '../core/sizes.js';
import type { VolumeView } from './state.js';
import type { UnmanagedVolume } from './unmanaged.js';

export type FindingKind =
  | 'orphan'
  | 'dangling'
  | 'size-mismatch'
  | 'udp'
  | 'nfsv2'
  | 'released-retain'
  | 'released-delete'
  | 'unmanaged';

export interface ReconcileFinding {
  kind: FindingKind;
  /** The nfsctl volume, when there is one. */
  volume: string | null;
  /** The PV, when there is one. */
  pv: string | null;
  path: string;
  message: string;
  /** A command that deals with it (read it first: nothing here runs it). */
  command?: string;
}

function norm(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** The mount options a current kernel refuses or that break a failover. */
function optionFindings(pv: Pv, volume: string | null, path: string): ReconcileFinding[] {
  const out: ReconcileFinding[] = [];
  const opts = (pv.spec.mountOptions ?? []).flatMap((o) => o.split(',')).map((o) => o.trim());
  const name = pv.metadata.name;
  if (opts.some((o) => o === 'udp' || o === 'proto=udp' || o === 'mountproto=udp'))
    out.push({
      kind: 'udp',
      volume,
      pv: name,
      path,
      message: `PV ${name} mounts with UDP (${opts.filter((o) => /udp/.test(o)).join(',')}): current kernels have NFS over UDP disabled; use proto=tcp`,
    });
  if (opts.some((o) => o === 'nfsvers=2' || o === 'vers=2'))
    out.push({
      kind: 'nfsv2',
      volume,
      pv: name,
      path,
      message: `PV ${name} mounts with NFSv2 (${opts.filter((o) => /vers=2$/.test(o)).join(',')}): kernel nfsd no longer serves v2; use nfsvers=3`,
    });
  return out;
}

/** Every finding, given this pair's volumes, its unmanaged volumes and the cluster's PVs (other servers' PVs are ignored). */
export function reconcile(
  config: Config,
  views: readonly VolumeView[],
  unmanaged: readonly UnmanagedVolume[],
  allPvs: readonly Pv[],
): { findings: ReconcileFinding[]; pvsConsidered: number; pvsIgnored: number } {
  const servers = [config.vip, config.hosts.primary.address, config.hosts.backup.address];
  const pvs = pvsForServers(allPvs, servers);
  const byPath = new Map<string, Pv[]>();
  for (const p of pvs) byPath.set(norm(p.spec.nfs!.path), [...(byPath.get(norm(p.spec.nfs!.path)) ?? []), p]);
  const findings: ReconcileFinding[] = [];
  const known = new Set(views.map((v) => norm(v.path)));
  for (const v of views) {
    const mine = byPath.get(norm(v.path)) ?? [];
    if (mine.length === 0) {
      findings.push({
        kind: 'orphan',
        volume: v.id,
        pv: null,
        path: v.path,
        message: `${v.id} (${formatSize(v.sizeBytes)}) has no PV pointing at ${v.path}`,
        command: `nfsctl volume reconcile --pvs FILE --output pv-yaml   # prints its PV; or retire it: nfsctl volume delete ${v.id} --keep-data`,
      });
      continue;
    }
    for (const p of mine) {
      const name = p.metadata.name;
      const cap = p.spec.capacity?.storage;
      const bytes = cap === undefined ? null : parseQuantity(cap);
      if (bytes !== null && bytes !== v.sizeBytes)
        findings.push({
          kind: 'size-mismatch',
          volume: v.id,
          pv: name,
          path: v.path,
          message: `PV ${name} says ${String(cap)} (${formatSize(bytes)}), ${v.id} is ${formatSize(v.sizeBytes)}${bytes > v.sizeBytes ? ': the PV promises more than there is' : ''}`,
          ...(bytes > v.sizeBytes ? { command: `nfsctl volume resize ${v.id} --size ${bytes}B` } : {}),
        });
      findings.push(...optionFindings(p, v.id, v.path));
      const phase = p.status?.phase;
      const policy = p.spec.persistentVolumeReclaimPolicy ?? 'Retain';
      if (phase === 'Released' && policy === 'Retain')
        findings.push({
          kind: 'released-retain',
          volume: v.id,
          pv: name,
          path: v.path,
          message: `PV ${name} is Released with reclaim policy Retain: its claim is gone; ${v.id} can be retired`,
          command: `nfsctl volume delete ${v.id} --keep-data   # or, data no longer wanted: nfsctl volume delete ${v.id}`,
        });
      if (phase === 'Released' && policy === 'Delete')
        findings.push({
          kind: 'released-delete',
          volume: v.id,
          pv: name,
          path: v.path,
          message: `PV ${name} is Released with reclaim policy Delete, but ${v.id} still exists (no provisioner deletes NFS volumes)`,
          command: `nfsctl volume delete ${v.id}`,
        });
    }
  }
  for (const [path, list] of byPath) {
    if (known.has(path)) continue;
    const u = unmanaged.find((x) => norm(x.path) === path);
    for (const p of list) {
      if (u)
        findings.push({
          kind: 'unmanaged',
          volume: null,
          pv: p.metadata.name,
          path,
          message: `PV ${p.metadata.name} points at ${path}, which nfsctl does not manage${u.differences.length ? ` (${u.differences[0]})` : ''}`,
          command:
            p.spec.claimRef?.namespace && p.spec.claimRef.name
              ? `nfsctl volume adopt ${p.spec.claimRef.namespace}/${p.spec.claimRef.name} --path ${path} --dry-run`
              : `nfsctl volume adopt <namespace/name> --path ${path} --dry-run`,
        });
      else
        findings.push({
          kind: 'dangling',
          volume: null,
          pv: p.metadata.name,
          path,
          message: `PV ${p.metadata.name} points at ${path}: no volume there on this pair${p.status?.phase ? ` (PV ${p.status.phase})` : ''}`,
        });
      findings.push(...optionFindings(p, null, path));
    }
  }
  return { findings, pvsConsidered: pvs.length, pvsIgnored: allPvs.length - pvs.length };
}
