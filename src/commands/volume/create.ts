import { Option, type Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { collect } from './collect.js';
import { BACKEND_NAMES, REPLICATIONS } from '../../core/backend-names.js';
import { dryRunFlag, jsonFlag, yesFlag } from '../../cli/flags.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('create <namespace/name>')
    .description('create a volume on both storage hosts, export it, and optionally print its PersistentVolume')
    .requiredOption('-s, --size <size>', 'size in binary units: 500M, 10G (=10Gi), 1.5T; K=1024')
    .addOption(
      new Option('-b, --backend <backend>', 'storage backend (default: backends.default)').choices(BACKEND_NAMES),
    )
    .addOption(
      new Option(
        '--replication <how>',
        'lvm volumes: rsync (a copy per host, synced by nfsctl sync) or drbd (DRBD replicates every write, protocol C); default backends.lvm.replication',
      ).choices(REPLICATIONS),
    )
    .option('--clients <cidr>', 'NFS clients allowed (repeatable or comma-separated; default: nfs.clients)', collect)
    .option('--options <opts>', 'export options, comma-separated (default: nfs.options)')
    .option('-l, --label <key=value>', 'label recorded with the volume and put on the PV (repeatable)', collect)
    .addOption(new Option('-o, --output <format>', 'print the PersistentVolume').choices(['pv-yaml', 'pv-json']))
    .option('--access-mode <mode>', 'PV access mode: RWO, ROX, RWX (repeatable; default RWX)', collect)
    .option('--reclaim-policy <policy>', 'PV reclaim policy: Retain (default) or Delete; Recycle is refused')
    .option('--claim <namespace/name>', 'the claim the PV is pre-bound to (default: the namespace/name of the volume)')
    .option('--no-claim', 'an unbound PV with the labels of the volume, for claims that select by label')
    .option('--storage-class <name>', 'PV storageClassName (default: "")')
    .addOption(dryRunFlag())
    .addOption(yesFlag())
    .addOption(jsonFlag())
    .action(
      withContext(async (ctx, cmd, target: string) => {
        const { runCreate } = await import('./create.run.js');
        await runCreate(ctx, target, cmd.opts());
      }),
    );
  examples(cmd, [
    ['a 10 GiB volume for claim data in namespace team-a', 'nfsctl volume create team-a/data --size 10G'],
    [
      'provision and hand it to Kubernetes in one go',
      'nfsctl volume create team-a/data --size 10Gi --label tier=gold --output pv-yaml --yes | kubectl apply -f -',
    ],
    [
      'see what a DRBD-replicated LVM volume would take',
      'nfsctl volume create team-a/db --size 20G --backend lvm --replication drbd --dry-run',
    ],
  ]);
}
