import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('check')
    .description('validate the config file and print the effective configuration (defaults filled in)')
    .option('--json', 'print the effective configuration as JSON')
    .action(
      withContext(async (ctx) => {
        if (ctx.opts.json) {
          ctx.out.json({ file: ctx.configFile, valid: true, config: ctx.config });
          return;
        }
        const { stringify } = await import('../../cli/yaml-out.js');
        ctx.out.info(ctx.out.errColor.green(`${ctx.configFile}: valid`));
        ctx.out.line(stringify(ctx.config).trimEnd());
      }),
    );
  examples(cmd, [
    ['check the installed config', 'nfsctl config check'],
    ['check a candidate before installing it', 'nfsctl --config ./new-config.yaml config check'],
  ]);
}
