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
    .option(
      '--planned',
      'run by switchover/failback, not by keepalived: only the volumes that follow the VIP (no freshness record, no sm-notify: the handover does those)',
    )
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
      'check on both hosts what a takeover depends on (fsid of every export, nfsd scope, grace/lease, keepalived roles and priorities, nopreempt, notify hook, sync timer and its last run, pinned mountd/statd/lockd ports from nfs.conf, RPCMOUNTDOPTS/STATDOPTS in /etc/default or the lockd sysctl, sm-notify and rpc.statd installed, NFSv4 client records kept the same way on both); each finding with its fix; exit 1 when anything needs attention',
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
  const sb = ha
    .command('split-brain')
    .description(
      "DRBD volumes: show per volume what diverged (each host's role, connection and disk state, where the VIP is, what each side marks out of sync); exit 1 when a split brain is found. nfsctl never resolves one by itself",
    )
    .addOption(jsonFlag('print {"vipHolder", "volumes": [...]}'))
    .action(
      withContext(async (ctx, cmd) => {
        const { runSplitBrainShow } = await import('./split-brain.js');
        await runSplitBrainShow(ctx, cmd.opts());
      }),
    );
  const resolve = sb
    .command('resolve <volume>')
    .description(
      "resolve a DRBD split brain of one volume: keep one host's data, discard the other's changes since the split (unexport, unmount, drbdadm disconnect, secondary, connect --discard-my-data there; connect on the kept side), wait for the resync, then the VIP holder serves it again; you type the volume id to confirm",
    )
    .addOption(new Option('--keep <host>', 'whose data is kept (required)').choices(['primary', 'backup']))
    .option('--wait <duration>', 'how long to wait for the resync (default 30m)')
    .addOption(dryRunFlag('show the plan, change nothing'))
    .addOption(yesFlag('do not ask (otherwise you type the volume id)'))
    .addOption(jsonFlag())
    .action(
      withContext(async (ctx, cmd, volume: string) => {
        const { runSplitBrainResolve } = await import('./split-brain.js');
        await runSplitBrainResolve(ctx, volume, cmd.optsWithGlobals());
      }),
    );
  examples(sb, [
    ['what diverged?', 'nfsctl ha split-brain'],
    ['for a script', 'nfsctl ha split-brain --json | jq ".volumes[] | select(.splitBrain)"'],
  ]);
  examples(resolve, [
    ["see the plan keeping the primary's data", 'nfsctl ha split-brain resolve team-a/data --keep primary --dry-run'],
    ['keep what the backup served', 'nfsctl ha split-brain resolve team-a/data --keep backup'],
  ]);
  examples(install, [
    ['see the change', 'nfsctl ha install --dry-run'],
    ['install on both hosts', 'nfsctl ha install --yes'],
  ]);
}
