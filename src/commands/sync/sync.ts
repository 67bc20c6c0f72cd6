import { Option, type Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';

export function register(program: Command): void {
  const cmd = program
    .command('sync')
    .description('pull the NFS root into the host without the VIP from the VIP holder (rsync), with a deletion cap')
    .option('--dry-run', 'show what would be copied and deleted (itemised) and change nothing')
    .option('--max-delete <n>', 'refuse when more than n paths would be deleted (default 500)')
    .option('--ssh', 'pull over SSH instead of the rsync daemon module')
    .option('-y, --yes', 'do not ask (the timer uses this)')
    .option('--json', 'print the sync record as JSON')
    .action(
      withContext(async (ctx, cmd) => {
        const { runSync } = await import('./sync.run.js');
        await runSync(ctx, cmd.opts());
      }),
    );
  examples(cmd, [
    ['what would the next sync copy and delete?', 'nfsctl sync --dry-run'],
    ['sync now, from a script', 'nfsctl sync --yes'],
    ['allow a big cleanup', 'nfsctl sync --max-delete 5000 --yes'],
  ]);

  const timer = cmd
    .command('install-timer')
    .description('install the periodic sync as a cron entry (/etc/cron.d/nfsctl-sync) on the backup, showing the diff first')
    .option('--interval <duration>', 'how often, e.g. 15m or 1h (default: rsync.interval from the config)')
    .option('--nfsctl-path <path>', 'nfsctl as cron should run it', '/usr/local/sbin/nfsctl')
    .addOption(new Option('--host <role>', 'where to install it').choices(['primary', 'backup']).default('backup'))
    .option('--dry-run', 'show the diff and the plan, change nothing')
    .option('-y, --yes', 'do not ask')
    .option('--json', 'print the result as JSON')
    .action(
      withContext(async (ctx, cmd) => {
        const { runInstallTimer } = await import('./sync.run.js');
        await runInstallTimer(ctx, cmd.optsWithGlobals()); // --dry-run/--yes/--json after install-timer are parsed by `sync` itself
      }),
    );
  examples(timer, [
    ['every 15 minutes on the backup', 'nfsctl sync install-timer --interval 15m'],
    ['see the diff only', 'nfsctl sync install-timer --dry-run'],
  ]);
}
