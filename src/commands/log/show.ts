import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('log')
    .description('show recent audit log entries (who ran what, where, and how it ended)')
    .option('-n, --lines <count>', 'how many entries', '20')
    .option('--plan <id>', 'only entries of this plan')
    .addOption(jsonFlag('print entries as a JSON array'))
    .action(
      withContext(async (ctx, cmd) => {
        const o = cmd.opts<{ lines: string; plan?: string }>();
        const { optionInt } = await import('../../core/numbers.js');
        const n = optionInt('--lines', o.lines, 20, { min: 1 });
        let entries = await ctx.audit.tail(o.plan ? Number.MAX_SAFE_INTEGER : n);
        if (o.plan) entries = entries.filter((e) => e.planId === o.plan).slice(-n);
        if (ctx.opts.json) return ctx.out.json(entries);
        if (entries.length === 0) ctx.out.info(`no entries in ${ctx.config.state.auditLog}`);
        const c = ctx.out.color;
        for (const e of entries) {
          const what = e.argv ? e.argv.join(' ') : `${e.event ?? ''}${e.detail ? `: ${e.detail}` : ''}`;
          const rc = e.exitCode === undefined ? '' : e.exitCode === 0 ? c.green(' rc=0') : c.red(` rc=${e.exitCode}`);
          ctx.out.line(`${e.time} ${e.operator} ${c.dim(e.planId ?? '-')} ${e.host ? c.cyan(`[${e.host}] `) : ''}${what}${rc}${e.durationMs !== undefined ? c.dim(` ${e.durationMs}ms`) : ''}`);
        }
      }),
    );
  examples(cmd, [
    ['the last 20 actions', 'nfsctl log'],
    ['everything one failed plan did', 'nfsctl log --plan 20261122T101530-a1b2c3'],
  ]);
}
