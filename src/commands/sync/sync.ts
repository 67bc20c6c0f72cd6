import { Option, type Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { dryRunFlag, jsonFlag, yesFlag } from '../../cli/flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('sync')
    .description(
      "pull the NFS root into the host without the VIP from the VIP holder (rsync), with a deletion cap; refused (exit 4, naming what would be lost) when the destination served clients more recently than the source's data (no override: use failback)",
    )
    .addOption(dryRunFlag('show what would be copied and deleted (itemised) and change nothing'))
    .option('--max-delete <n>', 'refuse when more than n paths would be deleted (default 500)')
    .option('--ssh', 'pull over SSH instead of the rsync daemon module')
    .option(
      '--skip-unready',
      'go on with the other volumes when a volume is not mounted on its own device on both hosts (default: refuse)',
    )
    .addOption(yesFlag('do not ask (the timer uses this)'))
    .addOption(jsonFlag('print the sync record as JSON'))
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
    ['sync every volume that is mounted on both hosts, report the others', 'nfsctl sync --skip-unready --yes'],
  ]);

  const timer = cmd
    .command('install-timer')
    .description(
      'install the periodic sync as a cron entry (/etc/cron.d/nfsctl-sync) on the backup, showing the diff first',
    )
    .option('--interval <duration>', 'how often, e.g. 15m or 1h (default: rsync.interval from the config)')
    .option('--nfsctl-path <path>', 'nfsctl as cron should run it', '/usr/local/sbin/nfsctl')
    .addOption(new Option('--host <role>', 'where to install it').choices(['primary', 'backup']).default('backup'))
    .addOption(dryRunFlag('show the diff and the plan, change nothing'))
    .addOption(yesFlag('do not ask'))
    .addOption(jsonFlag())
    .action(
      withContext(async (ctx, cmd) => {
        const { runInstallTimer } = await import('./sync.run.js');
        // sync's own --dry-run, --yes and --json are parsed by the parent command when given after
        // install-timer (commander's default), so read them merged.
        await runInstallTimer(ctx, cmd.optsWithGlobals());
      }),
    );
  examples(timer, [
    ['every 15 minutes on the backup', 'nfsctl sync install-timer --interval 15m'],
    ['see the diff only', 'nfsctl sync install-timer --dry-run'],
  ]);
}
