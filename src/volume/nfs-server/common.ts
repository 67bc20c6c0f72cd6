// What both NFS server kinds share: the check, after a change, that the running server
// really serves (or no longer serves) a path, by its own account.
import type { Config } from '../../config/schema.js';
import { runChecked, type Host } from '../../host/host.js';
import { NfsctlError } from '../../core/errors.js';
import { exporterOf } from './registry.js';

export async function verifyServed(config: Config, host: Host, path: string, want: boolean): Promise<void> {
  const e = exporterOf(config);
  const served = e.parseServed((await runChecked(host, e.servedArgv(config))).stdout).map((x) => x.path);
  if (served.includes(path) !== want) {
    throw new NfsctlError(`${host.name}: the NFS server ${want ? 'does not serve' : 'still serves'} ${path} after the change (served: ${served.join(', ') || 'nothing'})`);
  }
}
