import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { dryRunFlag, yesFlag } from '../../cli/flags.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('break')
    .description('remove the pair lock left by a run that died, on both hosts unless --host (audited; asks first)')
    .option('--host <role>', 'only on this host (primary or backup); default: both')
    .addOption(dryRunFlag('show what would be removed and change nothing'))
    .addOption(yesFlag())
    .action(
      withContext(async (ctx, cmd) => {
        const { runLockBreak } = await import('./break.run.js');
        await runLockBreak(ctx, cmd.opts<{ host?: string; yes?: boolean; dryRun?: boolean }>());
      }),
    );
  examples(cmd, [
    ['clear a stale lock after a crashed run (both hosts)', 'nfsctl lock break'],
    ['see what it would remove', 'nfsctl lock break --dry-run'],
  ]);
}
