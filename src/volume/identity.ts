// Where a volume lives, derived only from (namespace, name) and config, so both hosts agree
// without talking to each other: path, LV name, RBD image, XFS project, fsid, Export_Id.
import type { Config } from '../config/schema.js';
import { exportIdFor, fsidFor, lvName, projectName, rbdImageName, volumePath, formatVolumeRef, type VolumeRef } from '../core/names.js';

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
    projectId: (parseInt(fsid.replace(/-/g, '').slice(0, 8), 16) & 0x7fffffff) || 1,
    fsid,
    exportId: exportIdFor(ref),
  };
}
