// Export and unexport steps, through the NFS server contract (src/volume/nfs-server/): the
// configured server kind (nfs.server) builds them; a volume whose backend supplies its own
// ganesha FSAL (shared storage ganesha reads itself) passes it along.
import type { Config, PairRole } from '../config/schema.js';
import type { Step } from '../plan/plan.js';
import type { HostInventory } from './inventory.js';
import type { VolumeIdentity } from './identity.js';
import { exporterNamed, exporterOf } from './nfs-server/registry.js';
import type { ExportSpec, GaneshaFsal } from './nfs-server/contract.js';
import { holderOnly, type VolumeBackend } from './backend/contract.js';

export type { ExportSpec } from './nfs-server/contract.js';
export { ganeshaBlock, ganeshaFile, INCLUDE_FILE } from './nfs-server/ganesha.js';
export { kernelOptions } from './nfs-server/kernel.js';

/**
 * Validate clients and options before anything is planned: never a broken exports file, no
 * fsid (derived), and with Ganesha only options its EXPORT block can represent.
 */
export function checkExportSpec(spec: ExportSpec, server: string): void {
  exporterNamed(server).checkSpec(spec);
}

/**
 * The spec as `b`'s volumes are exported: a volume served by the VIP holder only (DRBD, a
 * mapped RBD image) is served only while it is mounted (`mp`), so a holder that crashed and
 * boots again does not serve its bare mount point from the line it kept (seen on the vm tier
 * with an RBD image before: the rebooted primary's nfsd exported the bare path).
 */
export function exportSpecFor(
  config: Config,
  b: Pick<VolumeBackend, 'placement' | 'makesFilesystem'>,
  spec: ExportSpec,
): ExportSpec {
  return holderOnly(b, config) ? { ...spec, onlyWhenMounted: true } : spec;
}

/** Steps that make `v` exported on one host (idempotent: an existing export is updated). */
export function exportSteps(
  config: Config,
  role: PairRole,
  inv: HostInventory,
  v: VolumeIdentity,
  spec: ExportSpec,
  fsal: GaneshaFsal | null = null,
): Step[] {
  return exporterOf(config).exportSteps(config, role, inv, v, spec, fsal);
}

/** Steps that stop exporting `v` on one host; nothing when it is not exported there. */
export function unexportSteps(config: Config, role: PairRole, inv: HostInventory, v: VolumeIdentity): Step[] {
  return exporterOf(config).unexportSteps(config, role, inv, v);
}
