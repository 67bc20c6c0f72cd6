import { Option, type Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('health')
    .description(
      'check the whole pair in parallel (NFS, exports, volumes, VIP, sync, space, Ceph, firewall); exit 0 only when healthy',
    )
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
        const checks = await runHealthChecks(
          ctx.config,
          { primary: ctx.host('primary'), backup: ctx.host('backup') },
          { hosts: o.host ? [o.host] : ['primary', 'backup'], configFile: ctx.configFile, audit: ctx.audit },
        );
        const health = worst(checks);
        if (o.json)
          ctx.out.json({ health, checkedAt: new Date().toISOString(), durationMs: Date.now() - started, checks });
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

  const serve = cmd
    .command('serve')
    .description(
      'answer GET / and /health with {"health": "ok"} (200; "warn" 200, "critical" 503, with the checks that are not ok) and GET /metrics with the metrics, one round of checks per health.cacheTtl; runs until SIGTERM',
    )
    .option(
      '--listen <addr:port>',
      'where to listen: IPv4:PORT or [IPv6]:PORT (default: health.listen, 127.0.0.1:9655)',
    )
    .option(
      '--cache-ttl <duration>',
      'answer from one round of checks for this long, e.g. 10s (default: health.cacheTtl)',
    )
    .option('--request-timeout <duration>', 'a client must send its whole request within this, e.g. 10s', '10s')
    .action(
      withContext(async (ctx, cmd) => {
        const { runServe } = await import('./health-serve.run.js');
        await runServe(ctx, cmd.opts());
      }),
    );
  examples(serve, [
    ['on loopback, for a local monitor or a reverse proxy', 'nfsctl health serve'],
    ['for a Prometheus on the storage network', 'nfsctl health serve --listen 198.51.100.11:9655'],
    ['answer from one round of checks for 30 s', 'nfsctl health serve --cache-ttl 30s'],
  ]);
}
