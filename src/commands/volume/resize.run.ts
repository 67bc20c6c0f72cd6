// volume resize: grow a volume on both hosts (a plan through the runner; shrinking is refused).
import type { Context } from '../../cli/context.js';
import { parseVolumeRef } from '../../core/names.js';
import { parseSize } from '../../core/sizes.js';
import { findVolume, planResize } from '../../volume/plans.js';
import { runPlan, type PlanFlags } from '../../plan/reporter.js';
import { availableFor, loadPairState } from './common.js';

export interface ResizeOptions extends PlanFlags {
  size: string;
}

export async function runResize(ctx: Context, target: string, o: ResizeOptions): Promise<void> {
  const ref = parseVolumeRef(target);
  const size = parseSize(o.size);
  await ctx.withPairLock(`volume resize ${target}`, async () => {
    const state = await loadPairState(ctx);
    const plan = planResize(ctx.config, state, ref, size, await availableFor(ctx, findVolume(state, ref)?.backend));
    const report = await runPlan(ctx, plan, o, `${plan.title}?`);
    if (o.dryRun) return;
    if (o.json) ctx.out.json({ volume: target, sizeBytes: size, planId: report.planId, hosts: report.hostStates });
    else ctx.out.line(`${plan.title}: done`);
  });
}
