// The Kubernetes PersistentVolume for a volume, so `nfsctl volume create ... --output
// pv-yaml | kubectl apply -f -` is the whole provisioning step.
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { VolumeIdentity } from './identity.js';

/**
 * The PV name: `nfs-<namespace>.<name>`. A namespace is a DNS-1123 label and cannot hold a
 * ".", so the first "." separates the two and different volumes never share a name
 * (`nfs-<namespace>-<name>`, the scheme before, made team-a/b-c and team-a-b/c collide).
 * A DNS-1123 subdomain of at most 253 characters; longer ones are cut and end in a hash of
 * the volume id.
 */
export function pvName(v: VolumeIdentity): string {
  const base = `nfs-${v.ref.namespace}.${v.ref.name}`;
  if (base.length <= 253) return base;
  const h = createHash('sha256').update(v.id).digest('hex').slice(0, 10);
  return `${base.slice(0, 242).replace(/[.-]+$/, '')}-${h}`;
}

/** Labels nfsctl puts on every PV it prints; user labels may not use these keys. */
export const NFSCTL_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/managed-by': 'nfsctl' };

/** Kubernetes quantity: whole Gi/Mi when exact, bytes otherwise. */
export function quantity(bytes: number): string {
  for (const [unit, n] of [
    ['Ti', 2 ** 40],
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return String(bytes);
}

export function persistentVolume(
  config: Config,
  v: VolumeIdentity,
  size: number,
  labels: Record<string, string>,
  opts: {
    accessModes?: string[];
    reclaimPolicy?: string;
    claim?: { namespace: string; name: string } | null;
    storageClass?: string;
    source?: Record<string, unknown>;
    /** ROX: the volume source says readOnly (kubelet mounts it ro). */
    readOnly?: boolean;
  } = {},
) {
  const source = opts.source ?? { nfs: { server: config.vip, path: v.path } };
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: pvName(v),
      // nfsctl's own labels last: metadata written by an older version cannot replace them.
      labels: { ...labels, ...NFSCTL_LABELS },
      annotations: { 'nfsctl/volume': v.id },
    },
    spec: {
      capacity: { storage: quantity(size) },
      accessModes: opts.accessModes ?? ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: opts.reclaimPolicy ?? 'Retain',
      storageClassName: opts.storageClass ?? '',
      mountOptions: ['nfsvers=3', 'hard'],
      // the backend's volume source (src/volume/backend/contract.ts pvSource): NFS from the VIP
      ...(opts.readOnly
        ? Object.fromEntries(
            Object.entries(source).map(([k, s]) => [k, { ...(s as Record<string, unknown>), readOnly: true }]),
          )
        : source),
      ...(opts.claim === null
        ? {}
        : { claimRef: { namespace: (opts.claim ?? v.ref).namespace, name: (opts.claim ?? v.ref).name } }),
    },
  };
}
