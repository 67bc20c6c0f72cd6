// The command tree. Registration is cheap (no command body is loaded until it runs), so the
// tree can be built for --help, completions and the man page alike.
import { Command, Help, Option } from 'commander';
import { createRequire } from 'node:module';
import { EXIT_CODES } from './exit-codes.js';
import { register as configCheck } from '../commands/config/check.js';
import { register as logShow } from '../commands/log/show.js';
import { register as lockStatus } from '../commands/lock/status.js';
import { register as lockBreak } from '../commands/lock/break.js';

export function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../../package.json') as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command('nfsctl')
    .description('Operate an NFS storage pair (primary + backup behind a keepalived VIP) that backs Kubernetes persistent volumes')
    .version(version(), '-V, --version', 'print the nfsctl version')
    .addOption(new Option('-c, --config <file>', 'config file (default: $NFSCTL_CONFIG or /etc/nfsctl/config.yaml)'))
    .option('--no-color', 'no colour in output (also: NO_COLOR=1)')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .helpCommand(false)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true });

  const config = program.command('config').description('inspect and validate the nfsctl configuration');
  configCheck(config);

  const lock = program.command('lock').description('inspect or clear the pair lock that keeps two operators from changing the pair at once');
  lockStatus(lock);
  lockBreak(lock);

  logShow(program);

  program
    .command('help [topic...]')
    .description('help for a command, or a topic: exit-codes')
    .action((topic: string[]) => {
      if (topic.join(' ') === 'exit-codes') {
        process.stdout.write('Exit codes:\n' + EXIT_CODES.map(([c, d]) => `  ${String(c).padStart(3)}  ${d}`).join('\n') + '\n');
        return;
      }
      let target: Command = program;
      for (const word of topic) {
        const next = target.commands.find((c) => c.name() === word || c.aliases().includes(word));
        if (!next) program.error(`unknown help topic "${topic.join(' ')}": try \`nfsctl help\` or \`nfsctl help exit-codes\``, { exitCode: 2 });
        target = next!;
      }
      target.outputHelp();
    });

  program.addHelpText('after', '\nExit codes: 0 ok, 1 failed, 2 usage/config, 3 lock held, 4 precondition failed, 130 cancelled (`nfsctl help exit-codes`).');
  return program;
}

export { Help };
