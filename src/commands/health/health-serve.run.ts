// nfsctl health serve: the health URL and scrape target. Each round of checks gets its own
// connections (a long-lived server must not keep an SSH connection that died for good).
import { Context } from '../../cli/context.js';
import { UsageError } from '../../core/errors.js';
import { parseListen } from '../../core/listen.js';
import { optionDuration } from '../../core/numbers.js';
import { startHealthServer } from '../../health/serve.js';
import { renderMetrics, snapshot } from '../../metrics/metrics.js';
import { CONTENT_TYPE } from '../../metrics/exposition.js';
import { interrupts } from '../../plan/interrupt.js';

export async function runServe(
  ctx: Context,
  o: { listen?: string; cacheTtl?: string; requestTimeout?: string },
): Promise<void> {
  const listenText = o.listen ?? ctx.config.health.listen;
  const listen = parseListen(listenText);
  if (!listen)
    throw new UsageError(
      `--listen ${JSON.stringify(listenText)}: expected ADDR:PORT with an IP literal, e.g. 127.0.0.1:9655 or [::1]:9655`,
    );
  const ttlMs = optionDuration('--cache-ttl', o.cacheTtl, ctx.config.health.cacheTtl, { minMs: 0, maxMs: 3_600_000 });
  const requestTimeoutMs = optionDuration('--request-timeout', o.requestTimeout, 10_000, {
    minMs: 100,
    maxMs: 600_000,
  });
  const log = (line: string) => ctx.out.stderr.write(`nfsctl health serve: ${line}\n`);
  const srv = await startHealthServer({
    host: listen.host,
    port: listen.port,
    ttlMs,
    requestTimeoutMs,
    metricsContentType: CONTENT_TYPE,
    collect: async () => {
      const round = new Context(ctx.configFile, ctx.config, ctx.opts);
      try {
        return await snapshot(
          round.config,
          { primary: round.host('primary'), backup: round.host('backup') },
          { configFile: round.configFile },
        );
      } finally {
        await round.close();
      }
    },
    metrics: (s) => renderMetrics(ctx.config, s),
    log,
  }).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot listen on ${listenText}: ${err.code ?? ''} ${err.message}`.trim());
  });
  const shown = srv.address.host.includes(':')
    ? `[${srv.address.host}]:${srv.address.port}`
    : `${srv.address.host}:${srv.address.port}`;
  log(`listening on http://${shown}/ (GET /, /health, /metrics; checks cached ${ttlMs} ms)`);
  // SIGTERM/SIGINT: stop accepting, let answers in flight finish, then the process ends (main.ts)
  await new Promise<void>((resolve) => {
    interrupts.addCleanup(async () => {
      await srv.close();
      log('stopped');
      resolve();
    });
  });
}
