// What both NFS server kinds share: the check, after a change, that the running server
// really serves (or no longer serves) a path, by its own account.
import type { Config } from '../../config/schema.js';
import { runChecked, type Host } from '../../host/host.js';
import { NfsctlError } from '../../core/errors.js';
import { exporterOf } from './registry.js';

/** `exportId`: also served when an export with that id is (ganesha reports an FSAL CEPH export at its Path inside CephFS). */
export async function verifyServed(
  config: Config,
  host: Host,
  path: string,
  want: boolean,
  exportId?: number,
): Promise<void> {
  const e = exporterOf(config);
  const entries = e.parseServed((await runChecked(host, e.servedArgv(config))).stdout);
  const served = entries.map((x) => x.path);
  if (entries.some((x) => x.path === path || (exportId !== undefined && x.exportId === exportId)) !== want) {
    throw new NfsctlError(
      `${host.name}: the NFS server ${want ? 'does not serve' : 'still serves'} ${path} after the change (served: ${served.join(', ') || 'nothing'})`,
    );
  }
}
