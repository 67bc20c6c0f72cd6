// The storage backends nfsctl knows, by name, with the value each writes in the `backend`
// field of its metadata records (the on-disk format: xfsquota writes "xfs"). A plain list so
// that the CLI (the --backend choices, at every start) and the metadata parser need not load
// the backends themselves; src/volume/backend/registry.ts fails to compile when this list and
// the implementations disagree.
export const BACKEND_META_NAMES = {
  lvm: 'lvm',
  rbd: 'rbd',
  xfsquota: 'xfs',
  cephfs: 'cephfs',
  drbd: 'drbd',
} as const;

export type BackendName = keyof typeof BACKEND_META_NAMES;
export type BackendMetaName = (typeof BACKEND_META_NAMES)[BackendName];

export const BACKEND_NAMES = Object.keys(BACKEND_META_NAMES) as [BackendName, ...BackendName[]];
export const BACKEND_META_VALUES = Object.values(BACKEND_META_NAMES) as [BackendMetaName, ...BackendMetaName[]];

/** How `volume create --replication` keeps an lvm volume's second copy: rsync (backend lvm) or DRBD (backend drbd). */
export const REPLICATIONS = ['rsync', 'drbd'] as const;
export type Replication = (typeof REPLICATIONS)[number];
