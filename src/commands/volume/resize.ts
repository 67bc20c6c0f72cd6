import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { dryRunFlag, jsonFlag, yesFlag } from '../../cli/flags.js';
import { runPlan } from '../../plan/reporter.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('resize <namespace/name>')
    .description('grow a volume on both hosts (shrinking is refused: XFS cannot shrink)')
    .requiredOption('-s, --size <size>', 'new total size, binary units (20G = 20Gi)')
    .addOption(dryRunFlag())
    .addOption(yesFlag())
    .addOption(jsonFlag())
    .action(
      withContext(async (ctx, cmd, target: string) => {
        const { parseVolumeRef } = await import('../../core/names.js');
        const { parseSize } = await import('../../core/sizes.js');
        const { planResize } = await import('../../volume/plans.js');
        const { loadPairState, rbdAvailable } = await import('./common.js');
        const o = cmd.opts<{ size: string; dryRun?: boolean; yes?: boolean; json?: boolean }>();
        const ref = parseVolumeRef(target);
        const size = parseSize(o.size);
        await ctx.withPairLock(`volume resize ${target}`, async () => {
          const state = await loadPairState(ctx);
          const plan = planResize(ctx.config, state, ref, size, ctx.config.backends.rbd ? await rbdAvailable(ctx) : null);
          const report = await runPlan(ctx, plan, o, `${plan.title}?`);
          if (o.dryRun) return;
          if (o.json) ctx.out.json({ volume: target, sizeBytes: size, planId: report.planId, hosts: report.hostStates });
          else ctx.out.line(`${plan.title}: done`);
        });
      }),
    );
  examples(cmd, [['grow team-a/data to 20 GiB', 'nfsctl volume resize team-a/data --size 20G']]);
}
