import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { cephOptions } from './common.js';
import { dryRunFlag, jsonFlag, yesFlag } from '../../cli/flags.js';

export function registerList(parent: Command): void {
  const cmd = cephOptions(
    parent
      .command('list')
      .alias('ls')
      .description('list the OSD blocklist (clients fenced, e.g. by a removed lock) and when each entry expires')
      .addOption(jsonFlag()),
  ).action(
    withContext(async (ctx, cmd) => {
      const { runBlocklistList } = await import('./blocklist.run.js');
      await runBlocklistList(ctx, cmd.opts());
    }),
  );
  examples(cmd, [['who is fenced', 'nfsctl rbd blocklist list']]);
}

export function registerRemove(parent: Command): void {
  const cmd = cephOptions(
    parent
      .command('remove <address>')
      .alias('rm')
      .description('lift one blocklist entry before it expires (audited; asks first)')
      .addOption(dryRunFlag('show the entry and the plan, change nothing'))
      .addOption(yesFlag()),
  ).action(
    withContext(async (ctx, cmd, address: string) => {
      const { runBlocklistRemove } = await import('./blocklist.run.js');
      await runBlocklistRemove(ctx, address, cmd.opts());
    }),
  );
  examples(cmd, [
    ['unfence a client', 'nfsctl rbd blocklist remove 198.51.100.21:0/1300091762'],
    ['see what it would run', 'nfsctl rbd blocklist remove 198.51.100.21:0/1300091762 --dry-run'],
  ]);
}
