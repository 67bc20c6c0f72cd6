// The command tree. Registration is cheap (no command body is loaded until it runs), so the
// tree can be built for --help, completions and the man page alike.
import { Command, Option } from 'commander';
import { createRequire } from 'node:module';
import { register as configCheck } from '../commands/config/check.js';
import { register as configInit } from '../commands/config/init.js';
import { register as logShow } from '../commands/log/show.js';
import { register as lockStatus } from '../commands/lock/status.js';
import { register as lockBreak } from '../commands/lock/break.js';
import { register as health } from '../commands/health/health.js';
import { register as metrics } from '../commands/metrics/metrics.js';
import { register as troubleshootMount } from '../commands/troubleshoot/mount.js';
import { register as volumeCreate } from '../commands/volume/create.js';
import { register as volumeDelete } from '../commands/volume/delete.js';
import { register as volumeResize } from '../commands/volume/resize.js';
import { register as volumeAdopt } from '../commands/volume/adopt.js';
import { register as volumeReconcile } from '../commands/volume/reconcile.js';
import { registerExport as volumeExport, registerUnexport as volumeUnexport } from '../commands/volume/export.js';
import { registerList as volumeList, registerShow as volumeShow } from '../commands/volume/list.js';
import { register as helpCommand } from '../commands/help/help.js';
import { register as completion } from '../commands/completion/completion.js';
import { register as pairStatus } from '../commands/status/status.js';
import { register as sync } from '../commands/sync/sync.js';
import { register as failback } from '../commands/failback/failback.js';
import { register as switchover } from '../commands/failback/switchover.js';
import { register as ha } from '../commands/ha/ha.js';
import { registerList as rbdLockList, registerRemove as rbdLockRemove } from '../commands/rbd/lock.js';
import { registerList as rbdBlocklistList, registerRemove as rbdBlocklistRemove } from '../commands/rbd/blocklist.js';

export function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../../package.json') as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command('nfsctl')
    .description(
      'Operate an NFS storage pair (primary + backup behind a keepalived VIP) that backs Kubernetes persistent volumes',
    )
    .version(version(), '-V, --version', 'print the nfsctl version')
    .addOption(new Option('-c, --config <file>', 'config file (default: $NFSCTL_CONFIG or /etc/nfsctl/config.yaml)'))
    .option('--no-color', 'no colour in output (also: NO_COLOR=1)')
    // Inherited by every subcommand added below: usage errors reach main() as exceptions
    // (exit 2 there) instead of commander calling process.exit(1) itself.
    .exitOverride()
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .helpCommand(false)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true });

  const volume = program
    .command('volume')
    .description('create, export, list, resize and delete persistent volumes on both storage hosts');
  volumeCreate(volume);
  volumeList(volume);
  volumeShow(volume);
  volumeExport(volume);
  volumeUnexport(volume);
  volumeResize(volume);
  volumeDelete(volume);
  volumeAdopt(volume);
  volumeReconcile(volume);

  pairStatus(program);
  health(program);
  metrics(program);
  sync(program);
  failback(program);
  switchover(program);
  ha(program);
  troubleshootMount(program);

  const config = program.command('config').description('inspect and validate the nfsctl configuration');
  configCheck(config);
  configInit(config);

  const lock = program
    .command('lock')
    .description('inspect or clear the pair lock that keeps two operators from changing the pair at once');
  lockStatus(lock);
  lockBreak(lock);

  logShow(program);

  const rbd = program
    .command('rbd')
    .description('find and clear stale RBD advisory locks (kubelet) and the blocklist entries they leave');
  const rbdLock = rbd
    .command('lock')
    .description('list RBD advisory locks with a stale/live verdict, remove stale ones');
  rbdLockList(rbdLock);
  rbdLockRemove(rbdLock);
  const rbdBlocklist = rbd
    .command('blocklist')
    .description('list or lift OSD blocklist entries (fenced client instances)');
  rbdBlocklistList(rbdBlocklist);
  rbdBlocklistRemove(rbdBlocklist);

  helpCommand(program);
  completion(program);

  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 failed, 2 usage/config, 3 lock held, 4 precondition failed, 5 interrupted after a change, 130 cancelled (`nfsctl help exit-codes`).',
  );
  return program;
}
