import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { dryRunFlag, jsonFlag, yesFlag } from '../../cli/flags.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('adopt [namespace/name]')
    .description(
      'take over volumes nfsctl did not create (an LV mounted under the NFS root with its fstab entry and export line), on both hosts, without clients noticing',
    )
    .option('--path <dir>', 'the directory of the volume (default: the path nfs.pathTemplate gives the name)')
    .option(
      '--all',
      'adopt every unmanaged volume that is consistent on both hosts (names from --pvs/--map, or the only possible split)',
    )
    .option(
      '--pvs <file>',
      'the PVs of the cluster (`kubectl get pv -o json`; - for stdin): the claim bound to a path names its volume',
    )
    .option('--map <file>', 'a mapping file: one "<path> <namespace>/<name>" per line')
    .option(
      '--replace-cron',
      'also turn off the old rsync pull found in a crontab (that exact line only, undoable) and install the nfsctl sync timer instead, so the two never run side by side',
    )
    .addOption(dryRunFlag('show the plan and change nothing'))
    .addOption(yesFlag('do not ask for confirmation'))
    .addOption(jsonFlag('print the result as JSON'))
    .action(
      withContext(async (ctx, cmd, target: string | undefined) => {
        const { runAdopt } = await import('./adopt.run.js');
        await runAdopt(ctx, target, cmd.opts());
      }),
    );
  examples(cmd, [
    ['what would be adopted, and what is refused', 'nfsctl volume adopt --all --pvs pvs.json --dry-run'],
    ['one volume of the old layout (/nfs/{namespace}{name})', 'nfsctl volume adopt team-a/data --path /nfs/team-adata'],
    [
      'every volume, names from the cluster, and the old cron pull handed over to the sync timer',
      'kubectl get pv -o json | nfsctl volume adopt --all --pvs - --replace-cron',
    ],
  ]);
}
