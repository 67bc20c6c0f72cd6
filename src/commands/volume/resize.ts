import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { dryRunFlag, jsonFlag, yesFlag } from '../../cli/flags.js';
import type { ResizeOptions } from './resize.run.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('resize <namespace/name>')
    .description('grow a volume on both hosts (shrinking is refused: XFS cannot shrink)')
    .requiredOption('-s, --size <size>', 'new total size, binary units (20G = 20Gi)')
    .addOption(dryRunFlag())
    .addOption(yesFlag())
    .addOption(jsonFlag())
    .action(
      withContext(async (ctx, cmd, target: string) => {
        const { runResize } = await import('./resize.run.js');
        await runResize(ctx, target, cmd.opts<ResizeOptions>());
      }),
    );
  examples(cmd, [['grow team-a/data to 20 GiB', 'nfsctl volume resize team-a/data --size 20G']]);
}
