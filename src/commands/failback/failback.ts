import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { dryRunFlag, jsonFlag, yesFlag } from '../../cli/flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('failback')
    .description(
      'move the VIP back to the primary after an outage without losing what clients wrote to the backup; the only way a stale primary serves again (its stale mark is cleared after the verified final sync)',
    )
    .addOption(dryRunFlag('run the preflight, show the plan and the itemised sync preview, change nothing'))
    .addOption(yesFlag('do not ask (otherwise you type the name "primary")'))
    .option('--resume', 'continue an interrupted failback from its last completed step (journal on both hosts)')
    .option('--max-delete <n>', 'refuse when a sync would delete more than n paths on the primary (default 500)')
    .option('--verify', 'compare sha256 checksums of every file, not only names and sizes')
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
        await runHandover(ctx, 'failback', cmd.opts());
      }),
    );
  examples(cmd, [
    ['see what failback would do', 'nfsctl failback --dry-run'],
    ['fail back, checksumming every file', 'nfsctl failback --verify'],
    ['finish an interrupted failback', 'nfsctl failback --resume --yes'],
  ]);
}
