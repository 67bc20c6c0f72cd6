import { NFS_SERVER_KINDS } from '../../core/export-options.js';
import type { Command } from 'commander';
import { Option } from 'commander';
import { examples } from '../../cli/app.js';
import { dryRunFlag, yesFlag } from '../../cli/flags.js';
import { allOptions } from '../../cli/app.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('init')
    .description(
      'draft the config from what this storage host has (keepalived.conf, VGs, NFS server and exports, the crontab rsync pull, Ceph, systemd); shown first, written only after a diff and confirmation',
    )
    .addOption(
      new Option('--this <role>', 'which pair member this host is (default: from the keepalived state)').choices([
        'primary',
        'backup',
      ]),
    )
    .option('--address <ip>', 'the address of this host (default: keepalived unicast_src_ip)')
    .option('--peer <ip>', 'the address of the other storage host (default: keepalived unicast_peer)')
    .option('--vip <ip>', 'the virtual IP (default: virtual_ipaddress of the instance)')
    .option('--interface <name>', 'the VIP interface (default: interface of the instance)')
    .option('--instance <name>', 'the vrrp_instance that holds the VIP (default: the only one with a VIP)')
    .option('--vg <name>', 'the volume group of the volumes (default: the only VG)')
    .option('--root <dir>', 'the NFS root the volumes are mounted under (default: /nfs)')
    .addOption(new Option('--server <kind>', 'NFS server (default: the one running)').choices(NFS_SERVER_KINDS))
    .option('--rbd-pool <pool>', 'also manage RBD volumes in this Ceph pool')
    .option('--keepalived-conf <file>', 'keepalived config to read', '/etc/keepalived/keepalived.conf')
    .addOption(dryRunFlag('print the config and write nothing'))
    .addOption(yesFlag('do not ask for confirmation'))
    .action(async (_o: unknown, c: Command) => {
      const { runInit } = await import('./init.run.js');
      await runInit(allOptions(c), c.opts());
    });
  examples(cmd, [
    ['what would be written', 'nfsctl config init --dry-run'],
    ['on a host whose keepalived.conf has no unicast peers', 'nfsctl config init --peer 198.51.100.12'],
  ]);
}
