import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { cephOptions } from './common.js';
import { dryRunFlag, jsonFlag, yesFlag } from '../../cli/flags.js';

export function registerList(parent: Command): void {
  const cmd = cephOptions(
    parent
      .command('list [pool/image]')
      .alias('ls')
      .description('list RBD advisory locks with their watchers and a stale/live/unknown verdict')
      .option('--pool <pool>', 'every locked image in this pool (default: config backends.rbd.pool)')
      .option('--all-pools', 'every pool with the rbd application enabled')
      .option(
        '--no-node-check',
        'do not try to reach the node a kubelet lock names (verdict stays unknown unless live)',
      )
      .addOption(jsonFlag('print the result as JSON (shape: README "RBD locks")')),
  ).action(
    withContext(async (ctx, cmd, target: string | undefined) => {
      const { runLockList } = await import('./lock-list.run.js');
      await runLockList(ctx, target, cmd.opts());
    }),
  );
  examples(cmd, [
    ['locks in the configured pool, with verdicts', 'nfsctl rbd lock list'],
    ['one image', 'nfsctl rbd lock list rbd/pv.team-a.data'],
    ['every rbd pool, for a script', 'nfsctl rbd lock list --all-pools --json'],
  ]);
}

export function registerRemove(parent: Command): void {
  const cmd = cephOptions(
    parent
      .command('remove <pool/image> [lock-id] [locker]')
      .alias('rm')
      .description(
        'remove a stale RBD advisory lock (explains the blocklisting first; asks you to type the image name)',
      )
      .option('--force', 'remove the lock although its holder still watches the image')
      .option('--no-blocklist', 'do not blocklist the locker (rbd_blocklist_on_break_lock=false for this call)')
      .option('--no-node-check', 'do not try to reach the node a kubelet lock names')
      .addOption(dryRunFlag('show the verdict, the fencing and the plan, change nothing'))
      .addOption(yesFlag('do not ask (scripts); otherwise you type the image name')),
  ).action(
    withContext(async (ctx, cmd, target: string, lockId: string | undefined, locker: string | undefined) => {
      const { runLockRemove } = await import('./lock-remove.run.js');
      await runLockRemove(ctx, target, lockId, locker, cmd.opts());
    }),
  );
  examples(cmd, [
    ['remove the only lock of an image', 'nfsctl rbd lock remove rbd/pv.team-a.data'],
    ['remove one of several locks', 'nfsctl rbd lock remove rbd/pv.team-a.data kubelet_lock_magic_node-3 client.4130'],
    [
      'see the verdict, the fencing and the plan first',
      'nfsctl rbd lock remove rbd/pv.team-a.data --no-blocklist --dry-run',
    ],
  ]);
}
