import { Option, type Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { dryRunFlag, jsonFlag, yesFlag } from '../../cli/flags.js';

export function register(program: Command): void {
  const ha = program
    .command('ha')
    .description('keepalived integration: the notify hook, its installation, and a lint of what a takeover depends on');
  const notify = ha
    .command('notify <type> <name> <state> [priority]')
    .description(
      "keepalived notify hook (INSTANCE|GROUP name MASTER|BACKUP|FAULT|STOP [priority]): RBD volumes follow the VIP; acts only for the configured vrrp_instance (any other name or a GROUP: nothing done, exit 0), one notify at a time per host (flock on <stateDir>/vrrp/notify.lock); records when this host serves; refuses MASTER on a primary whose data is older than the backup's",
    )
    .addOption(jsonFlag('print the record as JSON'))
    .action(
      withContext(async (ctx, cmd, type: string, name: string, state: string, priority?: string) => {
        const { runNotify } = await import('./ha.run.js');
        await runNotify(ctx, type, name, state, priority, cmd.opts());
      }),
    );
  examples(notify, [
    ['what keepalived runs when this host becomes MASTER', 'nfsctl ha notify INSTANCE VI_NFS MASTER 150'],
    ['by hand, after a manual VIP move', 'nfsctl ha notify INSTANCE VI_NFS BACKUP'],
  ]);
  const install = ha
    .command('install')
    .description(
      'add `notify "nfsctl ha notify"` and the freshness track_file (a stale host stays in FAULT) to keepalived.conf\'s vrrp_instance on both hosts, showing the diff first',
    )
    .option('--nfsctl-path <path>', 'nfsctl as keepalived should run it', '/usr/local/sbin/nfsctl')
    .addOption(new Option('--host <role>', 'only this host').choices(['primary', 'backup']))
    .option('--replace', 'replace an existing, different notify script')
    .addOption(dryRunFlag('show the diff and the plan, change nothing'))
    .addOption(yesFlag('do not ask'))
    .addOption(jsonFlag())
    .action(
      withContext(async (ctx, cmd) => {
        const { runInstall } = await import('./ha.run.js');
        await runInstall(ctx, cmd.opts());
      }),
    );
  const lint = ha
    .command('lint')
    .description(
      'check on both hosts what a takeover depends on (fsid of every export, nfsd scope, grace/lease, keepalived roles and priorities, nopreempt, notify hook, sync timer and its last run, pinned ports); each finding with its fix; exit 1 when anything needs attention',
    )
    .option('-v, --verbose', 'list the checks that passed too')
    .addOption(jsonFlag('print {"lint": "ok"|"warn"|"critical", "findings": [...]}'))
    .action(
      withContext(async (ctx, cmd) => {
        const { runLint } = await import('./ha.run.js');
        await runLint(ctx, cmd.opts());
      }),
    );
  examples(lint, [
    ['is the pair ready for a takeover?', 'nfsctl ha lint'],
    ['for a script', 'nfsctl ha lint --json | jq -r .lint'],
  ]);
  examples(install, [
    ['see the change', 'nfsctl ha install --dry-run'],
    ['install on both hosts', 'nfsctl ha install --yes'],
  ]);
}
