// `nfsctl completion <shell>` prints the completion script generated from the command tree;
// the hidden `nfsctl __complete <kind> [prefix]` answers the scripts' questions about
// dynamic values. Neither needs a config, a host or the network.
import { Argument, type Command } from 'commander';
import { allOptions, examples } from '../../cli/app.js';

/** Longest `__complete` may take, whatever happens (a hung disk, a FIFO for a cache...). */
export const COMPLETE_DEADLINE_MS = 2000;

export function register(program: Command): void {
  const cmd = program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'the shell the script is for').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: 'bash' | 'zsh' | 'fish', _opts: unknown, self: Command) => {
      const { completionScript } = await import('../../cli/completion.js');
      let root = self;
      while (root.parent) root = root.parent;
      process.stdout.write(completionScript(root, shell));
    });
  examples(cmd, [
    ['completion in the current bash session', 'source <(nfsctl completion bash)'],
    [
      'install for zsh (any directory in $fpath)',
      'nfsctl completion zsh > /usr/local/share/zsh/site-functions/_nfsctl',
    ],
    ['install for fish', 'nfsctl completion fish > ~/.config/fish/completions/nfsctl.fish'],
  ]);

  // Called by the completion scripts on Tab. Reads local files only and never fails: the
  // worst answer is no answer.
  program
    .command('__complete', { hidden: true })
    .description('print completion values of a kind (volumes, hosts, pools, images) from local state')
    .argument('<kind>', 'volumes, hosts, pools or images')
    .argument('[prefix]', 'only values starting with this', '')
    .action(async (kind: string, prefix: string, _opts: unknown, self: Command) => {
      // A completion must never hang the shell: if a read blocks (a hung NFS mount under
      // the state dir...), give up with no output. process.exit() would wait for the
      // blocked read (node joins its I/O threads on exit), so the watchdog uses SIGKILL;
      // the scripts ignore the exit status. The timer does not keep node alive.
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), COMPLETE_DEADLINE_MS).unref();
      const { configPath } = await import('../../config/load.js');
      const { completeValues } = await import('../../cli/completion.js');
      const values = await completeValues(kind, prefix, { configFile: configPath(allOptions(self).config) });
      if (values.length > 0) process.stdout.write(values.join('\n') + '\n');
    });
}
