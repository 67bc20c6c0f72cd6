import type { Command } from 'commander';
import { Option } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('reconcile')
    .description(
      'compare the volumes of the pair with the PVs of the cluster (read-only): orphans, dangling PVs, size mismatches, UDP/NFSv2 mount options, Released PVs whose volume can be retired',
    )
    .requiredOption(
      '--pvs <file>',
      'the output of `kubectl get pv -o json` (- for stdin); PVs for other NFS servers are ignored',
    )
    .addOption(
      new Option('-o, --output <format>', 'print the PVs that should exist instead of the report').choices(['pv-yaml']),
    )
    .addOption(jsonFlag('print the findings as JSON'))
    .action(
      withContext(async (ctx, cmd) => {
        const { runReconcile } = await import('./reconcile.run.js');
        await runReconcile(ctx, cmd.opts());
      }),
    );
  examples(cmd, [
    ['what disagrees between the pair and the cluster', 'kubectl get pv -o json | nfsctl volume reconcile --pvs -'],
    [
      'the PVs that should exist, to review and apply',
      'nfsctl volume reconcile --pvs pvs.json --output pv-yaml > pvs.yaml',
    ],
  ]);
}
