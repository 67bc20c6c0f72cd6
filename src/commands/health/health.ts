import { Option, type Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('health')
    .description('check the whole pair in parallel (NFS, exports, volumes, VIP, sync, space, Ceph, firewall); exit 0 only when healthy')
    .addOption(new Option('--host <role>', 'only this host').choices(['primary', 'backup']))
    .option('-v, --verbose', 'list the checks that passed too')
    .addOption(jsonFlag('print {"health": "ok"|"warn"|"critical", "checks": [...]}'))
    .action(
      withContext(async (ctx, cmd) => {
        const { runHealthChecks } = await import('../../health/health.js');
        const { worst } = await import('../../health/check.js');
        const { renderFindings } = await import('../../health/render.js');
        const { NfsctlError } = await import('../../core/errors.js');
        const o = cmd.opts<{ host?: 'primary' | 'backup'; verbose?: boolean; json?: boolean }>();
        const started = Date.now();
        const checks = await runHealthChecks(ctx.config, { primary: ctx.host('primary'), backup: ctx.host('backup') }, { hosts: o.host ? [o.host] : ['primary', 'backup'], configFile: ctx.configFile, audit: ctx.audit });
        const health = worst(checks);
        if (o.json) ctx.out.json({ health, checkedAt: new Date().toISOString(), durationMs: Date.now() - started, checks });
        else {
          ctx.out.line(renderFindings(checks, ctx.out.color, o.verbose));
          ctx.out.line(`health: ${health.toUpperCase()} (${Date.now() - started} ms)`);
        }
        // Exit 1 when anything needs attention; the JSON (or the list above) says what.
        if (health !== 'ok') throw new NfsctlError('', { exitCode: 1 });
      }),
    );
  examples(cmd, [
    ['is the pair healthy?', 'nfsctl health'],
    ['for monitoring', 'nfsctl health --json | jq -r .health'],
  ]);
}
