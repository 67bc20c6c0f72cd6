// Shared by the `nfsctl rbd` commands: the Ceph client options and where rbd/ceph run.
import type { Command } from 'commander';
import type { Context } from '../../cli/context.js';
import { noNodeCheck, SshNodeProber, type NodeProber } from '../../rbd/nodes.js';

export interface CephCliOptions {
  clusterConf?: string;
  id?: string;
  keyring?: string;
}

export function cephOptions(cmd: Command): Command {
  return cmd
    .option('--cluster-conf <file>', 'ceph.conf on the storage host (default: config backends.rbd.cephConf)')
    .option('--id <name>', 'cephx user (default: config backends.rbd.id, else admin)')
    .option(
      '--keyring <file>',
      'keyring for --id (default: config backends.rbd.keyring when --id is the configured one)',
    );
}

/**
 * rbd/ceph run on this storage host when config `this` is set, else on the primary over
 * SSH. Options are validated (exit 2) before anything runs.
 */
export async function openCeph(ctx: Context, o: CephCliOptions) {
  const { Ceph, cephTarget } = await import('../../rbd/ceph.js');
  const target = cephTarget(ctx.config, o);
  const host = ctx.host(ctx.config.this ?? 'primary');
  return new Ceph(host, target);
}

/** How the verdict reaches the node a kubelet lock names (--no-node-check: it does not). */
export function makeProber(ctx: Context, nodeCheck: boolean | undefined): NodeProber {
  if (nodeCheck === false) return noNodeCheck;
  return new SshNodeProber({
    connectTimeoutMs: ctx.config.timeouts.connect,
    sshPort: ctx.config.hosts.primary.ssh.port,
    open: (name, address) => ctx.hosts.node(name, address),
  });
}
