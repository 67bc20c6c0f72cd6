import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('status')
    .description('show whether the pair lock is held, by whom, and whether the holder is still running')
    .addOption(jsonFlag('print the lock state as JSON'))
    .action(
      withContext(async (ctx) => {
        const { runLockStatus } = await import('./status.run.js');
        await runLockStatus(ctx, { json: ctx.opts.json ?? false });
      }),
    );
  examples(cmd, [['who holds the lock?', 'nfsctl lock status']]);
}
