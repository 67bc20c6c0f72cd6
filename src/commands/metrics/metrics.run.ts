// nfsctl metrics [--textfile DIR], metrics install-timer.
import { cronFilePlan } from '../../plan/cron-file.js';
import type { Context } from '../../cli/context.js';
import type { PairRole } from '../../config/schema.js';
import { renderMetrics, snapshot } from '../../metrics/metrics.js';
import { checkTextfileDir, writeTextfile } from '../../metrics/textfile.js';
import { cronCommand, cronSchedule, parseCronInterval } from '../../core/cron.js';
import { checkPlainPath } from '../../core/plain-path.js';
import { simpleDiff } from '../../core/line-diff.js';

export async function runMetrics(ctx: Context, o: { textfile?: string }): Promise<void> {
  const dir = o.textfile !== undefined ? await checkTextfileDir(o.textfile) : undefined;
  const s = await snapshot(
    ctx.config,
    { primary: ctx.host('primary'), backup: ctx.host('backup') },
    { configFile: ctx.configFile },
  );
  const text = renderMetrics(ctx.config, s);
  if (dir === undefined) {
    ctx.out.line(text.replace(/\n$/, ''));
    return;
  }
  await writeTextfile(dir, text);
}

export const METRICS_CRON_PATH = '/etc/cron.d/nfsctl-metrics';

/** The cron line; every value checked (and quoted for sh and cron) before any host is asked. */
export function metricsCronLine(intervalMs: number, nfsctlPath: string, dir: string): string {
  const when = cronSchedule(intervalMs);
  const program = checkPlainPath(nfsctlPath, '--nfsctl-path');
  const d = checkPlainPath(dir, '--dir');
  return `${when} root ${cronCommand([program, 'metrics', '--textfile', d])} >> /var/log/nfsctl/metrics.log 2>&1`;
}

export async function runInstallMetricsTimer(
  ctx: Context,
  o: {
    interval?: string;
    dir?: string;
    nfsctlPath?: string;
    host?: PairRole;
    dryRun?: boolean;
    yes?: boolean;
    json?: boolean;
  },
): Promise<void> {
  const ms = parseCronInterval(o.interval ?? '1m');
  const line = metricsCronLine(
    ms,
    o.nfsctlPath ?? '/usr/local/sbin/nfsctl',
    o.dir ?? '/var/lib/prometheus/node-exporter',
  );
  const path = METRICS_CRON_PATH;
  const role: PairRole = o.host ?? ctx.config.this ?? 'primary';
  const host = ctx.host(role);
  const before = await host.readFile(path);
  const content = `# Managed by nfsctl (nfsctl metrics install-timer): the pair's metrics for node_exporter's textfile collector.\nSHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n${line}\n`;
  const diff = simpleDiff(before, content);
  if (diff.length === 0) {
    if (o.json) ctx.out.json({ host: role, path, content, changed: false });
    else ctx.out.line(`${role}:${path} is already up to date`);
    return;
  }
  const plan = cronFilePlan({ title: `install the metrics timer on ${role}`, role, path, before, content, line, diff });

  if (!o.json) ctx.out.info(`diff ${role}:${path}\n${diff.join('\n')}`);
  const runner = await ctx.runner();
  await ctx.withPairLock('metrics install-timer', async () => {
    await runner.run(plan, {
      dryRun: o.dryRun ?? false,
      yes: o.yes ?? false,
      json: o.json ?? false,
      interactive: ctx.interactive,
      confirm: { kind: 'yesno', message: `Write ${path} on ${role}?` },
    });
  });
  if (!o.dryRun) {
    if (o.json) ctx.out.json({ host: role, path, content, changed: true });
    else ctx.out.line(`installed ${role}:${path}`);
  }
}
