import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';

export function registerList(parent: Command): void {
  const cmd = parent
    .command('list')
    .alias('ls')
    .description('list every volume on the pair, both hosts merged, with drift between them')
    .addOption(jsonFlag('print volumes as JSON (documented in the man page)'))
    .action(
      withContext(async (ctx) => {
        const { runList } = await import('./list.run.js');
        await runList(ctx);
      }),
    );
  examples(cmd, [
    ['what is on the pair', 'nfsctl volume list'],
    ['volumes that drifted, for a script', "nfsctl volume list --json | jq '.volumes[] | select(.drift | length > 0) | .id'"],
  ]);
}

export function registerShow(parent: Command): void {
  const cmd = parent
    .command('show <namespace/name>')
    .description('everything nfsctl knows about one volume, per host')
    .addOption(jsonFlag('print it as JSON'))
    .action(
      withContext(async (ctx, _cmd, target: string) => {
        const { runShow } = await import('./list.run.js');
        await runShow(ctx, target);
      }),
    );
  examples(cmd, [['one volume in detail', 'nfsctl volume show team-a/data']]);
}
