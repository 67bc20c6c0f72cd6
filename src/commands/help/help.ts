// `nfsctl help [topic...]`: help for a command (like --help), or a topic: exit-codes.
import type { Command } from 'commander';
import { examples } from '../../cli/app.js';
import { EXIT_CODES } from '../../cli/exit-codes.js';

export function register(program: Command): void {
  const cmd = program
    .command('help [topic...]')
    .description('help for a command, or a topic: exit-codes')
    .action((topic: string[]) => {
      if (topic.join(' ') === 'exit-codes') {
        process.stdout.write(
          'Exit codes:\n' + EXIT_CODES.map(([c, d]) => `  ${String(c).padStart(3)}  ${d}`).join('\n') + '\n',
        );
        return;
      }
      let target: Command = program;
      for (const word of topic) {
        const next = target.commands.find((c) => c.name() === word || c.aliases().includes(word));
        if (!next)
          program.error(`unknown help topic "${topic.join(' ')}": try \`nfsctl help\` or \`nfsctl help exit-codes\``, {
            exitCode: 2,
          });
        target = next!;
      }
      target.outputHelp();
    });
  examples(cmd, [
    ['help for one command (same as --help)', 'nfsctl help lock break'],
    ['what each exit code means', 'nfsctl help exit-codes'],
  ]);
}
