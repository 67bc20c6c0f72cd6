import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { dryRunFlag, jsonFlag, yesFlag } from '../../cli/flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('switchover')
    .description(
      'planned move of the VIP from the primary to the backup (maintenance): sync, freeze, final sync, move; the primary is then marked stale until failback',
    )
    .addOption(dryRunFlag('run the preflight, show the plan, change nothing'))
    .addOption(yesFlag('do not ask (otherwise you type the name "backup")'))
    .option('--resume', 'continue an interrupted switchover')
    .option('--max-delete <n>', 'refuse when a sync would delete more than n paths on the backup (default 500)')
    .option('--verify', 'compare sha256 checksums of every file')
    .option(
      '--skip-unready',
      'go on with the other volumes when a volume is not mounted on its own device on both hosts; those are NOT copied (default: refuse)',
    )
    .option(
      '--resync-wait <duration>',
      'DRBD volumes: wait up to this long for a resync under way before anything changes (default 10m; a longer ETA is refused with its figures)',
    )
    .addOption(jsonFlag('print the result as JSON'))
    .action(
      withContext(async (ctx, cmd) => {
        const { runHandover } = await import('./handover.js');
        await runHandover(ctx, 'switchover', cmd.opts());
      }),
    );
  examples(cmd, [
    ['see the plan', 'nfsctl switchover --dry-run'],
    ['move clients to the backup before primary maintenance', 'nfsctl switchover --yes'],
  ]);
}
