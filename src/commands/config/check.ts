import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('check')
    .description('validate the config file and print the effective configuration (defaults filled in)')
    .addOption(jsonFlag('print the effective configuration as JSON'))
    .action(
      withContext(async (ctx) => {
        // The context already loaded (and validated) the file; read it again for the warnings.
        const { loadConfigWithWarnings } = await import('../../config/load.js');
        const { effectiveConfig } = await import('../../config/print.js');
        const { escapeControls } = await import('../../core/numbers.js');
        const { warnings } = await loadConfigWithWarnings(ctx.configFile);
        const file = escapeControls(ctx.configFile);
        const config = effectiveConfig(ctx.config);
        if (ctx.opts.json) {
          ctx.out.json({
            file: ctx.configFile,
            valid: true,
            config,
            warnings: warnings.map((w) => ({ key: w.key, line: w.line, column: w.column, message: w.message })),
          });
          return;
        }
        const { stringify } = await import('../../cli/yaml-out.js');
        ctx.out.info(ctx.out.errColor.green(`${file}: valid`));
        for (const w of warnings)
          ctx.out.warn(`${file}:${w.line ? `${w.line}:${w.column}` : '(default)'}: ${w.key}: ${w.message}`);
        ctx.out.line(stringify(config).trimEnd());
      }),
    );
  examples(cmd, [
    ['check the installed config', 'nfsctl config check'],
    ['check a candidate before installing it', 'nfsctl --config ./new-config.yaml config check'],
  ]);
}
