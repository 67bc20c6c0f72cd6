import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { dryRunFlag, jsonFlag, yesFlag } from '../../cli/flags.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('delete <namespace/name>')
    .description(
      'unexport, unmount and destroy a volume on both hosts (or retire it with --keep-data: recorded in its metadata as a chosen state, not drift); only what carries the nfsctl metadata of this volume is touched: anything else at its place is refused with exit 4',
    )
    .option('--keep-data', 'stop exporting and unmount, but keep the storage (Retain)')
    .option(
      '--force',
      'go ahead although NFS clients are connected, the mount is busy, or (ganesha) the server cannot tell who mounts it',
    )
    .option('--ignore-not-found', 'exit 0 when the volume does not exist (otherwise exit 4)')
    .addOption(dryRunFlag())
    .addOption(yesFlag('do not ask (scripts); otherwise you type the volume name'))
    .addOption(jsonFlag())
    .action(
      withContext(async (ctx, cmd, target: string) => {
        const { runDelete } = await import('./delete.run.js');
        await runDelete(ctx, target, cmd.opts());
      }),
    );
  examples(cmd, [
    ['delete a volume and its data (asks you to type its name)', 'nfsctl volume delete team-a/data'],
    ['retire it but keep the data', 'nfsctl volume delete team-a/data --keep-data --yes'],
    ['from a script: gone is fine', 'nfsctl volume delete team-a/data --yes --ignore-not-found'],
  ]);
}
