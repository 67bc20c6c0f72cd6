import { Option, type Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { dryRunFlag, jsonFlag, yesFlag } from '../../cli/flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('metrics')
    .description(
      "print the pair's state in the Prometheus text format (volumes' size, use, inodes, export state and drift; hosts' reachability, VIP, services, last good sync; every health check); exit 0 whatever the pair's health",
    )
    .option(
      '--textfile <dir>',
      "write <dir>/nfsctl.prom atomically for node_exporter's textfile collector instead of printing",
    )
    .action(
      withContext(async (ctx, cmd) => {
        const { runMetrics } = await import('./metrics.run.js');
        await runMetrics(ctx, cmd.opts());
      }),
    );
  examples(cmd, [
    ['look at them', 'nfsctl metrics | grep nfsctl_volume_used_bytes'],
    [
      'for node_exporter (--collector.textfile.directory)',
      'nfsctl metrics --textfile /var/lib/prometheus/node-exporter',
    ],
    ['check them', 'nfsctl metrics | promtool check metrics'],
  ]);

  const timer = cmd
    .command('install-timer')
    .description(
      'install a cron entry (/etc/cron.d/nfsctl-metrics) that runs `nfsctl metrics --textfile DIR`, showing the diff first',
    )
    .option('--interval <duration>', 'how often, e.g. 1m or 5m', '1m')
    .option('--dir <dir>', "node_exporter's textfile directory", '/var/lib/prometheus/node-exporter')
    .option('--nfsctl-path <path>', 'nfsctl as cron should run it', '/usr/local/sbin/nfsctl')
    .addOption(
      new Option(
        '--host <role>',
        'where to install it (default: this host, from `this:` in the config; else the primary)',
      ).choices(['primary', 'backup']),
    )
    .addOption(dryRunFlag('show the diff and the plan, change nothing'))
    .addOption(yesFlag('do not ask'))
    .addOption(jsonFlag('print the result as JSON'))
    .action(
      withContext(async (ctx, cmd) => {
        const { runInstallMetricsTimer } = await import('./metrics.run.js');
        await runInstallMetricsTimer(ctx, cmd.optsWithGlobals());
      }),
    );
  examples(timer, [
    ['every minute on this host', 'nfsctl metrics install-timer --yes'],
    ['see the diff only', 'nfsctl metrics install-timer --dry-run'],
  ]);
}
