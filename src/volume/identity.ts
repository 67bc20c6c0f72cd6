// Where a volume lives, derived only from (namespace, name) and config, so both hosts agree
// without talking to each other: path, LV name, RBD image, XFS project, fsid, Export_Id.
import type { Config } from '../config/schema.js';
import {
  exportIdFor,
  fsidFor,
  lvName,
  projectName,
  rbdImageName,
  volumePath,
  formatVolumeRef,
  type VolumeRef,
} from '../core/names.js';

/** A backend's name: one per entry of src/volume/backend/registry.ts. */
export type { Backend } from './backend/registry.js';

export interface VolumeIdentity {
  ref: VolumeRef;
  /** "team-a/data" */
  id: string;
  path: string;
  lv: string;
  image: string;
  project: string;
  /** XFS project id: 31 bits from the fsid, never 0 (0 is "no project"). */
  projectId: number;
  fsid: string;
  exportId: number;
  /** Set for a volume nfsctl took over (`volume adopt`): the names it had are kept. */
  adopted?: AdoptedNames;
}

/**
 * What an adopted volume keeps from before: its LV, path and fsid (null: its export line had
 * no fsid=, so clients' file handles depend on the device; it stays without one).
 */
export interface AdoptedNames {
  lv?: string;
  path: string;
  fsid: string | null;
}

/** The `adopted` record in a volume's metadata, or undefined for a volume nfsctl created. */
export function adoptedNames(meta: unknown): AdoptedNames | undefined {
  const a = (meta as { adopted?: unknown } | null)?.adopted as Partial<AdoptedNames> | undefined;
  if (!a || typeof a !== 'object' || typeof a.path !== 'string' || !a.path.startsWith('/')) return undefined;
  return {
    path: a.path,
    fsid: typeof a.fsid === 'string' ? a.fsid : null,
    ...(typeof a.lv === 'string' ? { lv: a.lv } : {}),
  };
}

/** identify(), with the names an adopted volume's metadata records in place of the derived ones. */
export function identifyVolume(config: Config, ref: VolumeRef, meta?: unknown): VolumeIdentity {
  const v = identify(config, ref);
  const a = adoptedNames(meta);
  if (!a) return v;
  return { ...v, path: a.path, lv: a.lv ?? v.lv, adopted: a };
}

export function identify(config: Config, ref: VolumeRef): VolumeIdentity {
  const fsid = fsidFor(ref);
  return {
    ref,
    id: formatVolumeRef(ref),
    path: volumePath(config.nfs.pathTemplate, config.nfs.root, ref),
    lv: lvName(ref),
    image: rbdImageName(ref),
    project: projectName(ref),
    projectId: parseInt(fsid.replace(/-/g, '').slice(0, 8), 16) & 0x7fffffff || 1,
    fsid,
    exportId: exportIdFor(ref),
  };
}
