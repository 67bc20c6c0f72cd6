import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('log')
    .description(
      'show recent operations, one line each (when, who, on which host, what, result, plan id), merged from the audit logs of both hosts',
    )
    .option('-n, --lines <count>', 'how many operations', '20')
    .option('--plan <id>', 'only the operation with this plan id')
    .option('--commands', 'list the commands, file writes and failed steps behind each operation')
    .addOption(jsonFlag('print the operations, each with its audit records, as a JSON array'))
    .action(
      withContext(async (ctx, cmd) => {
        const { runLog } = await import('./show.run.js');
        await runLog(ctx, {
          ...cmd.opts<{ lines: string; plan?: string; commands?: boolean }>(),
          json: ctx.opts.json ?? false,
        });
      }),
    );
  examples(cmd, [
    ['the last 20 operations on the pair', 'nfsctl log'],
    ['every command one failed plan ran', 'nfsctl log --plan 20261122T101530-a1b2c3 --commands'],
  ]);
}
