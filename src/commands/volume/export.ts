import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { collect } from './collect.js';
import { dryRunFlag, yesFlag } from '../../cli/flags.js';
import { runPlan } from '../../plan/reporter.js';

export function registerExport(parent: Command): void {
  const cmd = parent
    .command('export <namespace/name>')
    .description('export a volume (again) on both hosts, or change its clients and options')
    .option('--clients <cidr>', 'NFS clients allowed (repeatable or comma-separated; default: nfs.clients)', collect)
    .option('--options <opts>', 'export options, comma-separated (default: nfs.options)')
    .addOption(dryRunFlag())
    .addOption(yesFlag())
    .action(
      withContext(async (ctx, cmd, target: string) => {
        const { parseVolumeRef } = await import('../../core/names.js');
        const { planExport } = await import('../../volume/plans.js');
        const { loadPairState, exportSpecFrom } = await import('./common.js');
        const o = cmd.opts<{ clients?: string[]; options?: string; dryRun?: boolean; yes?: boolean }>();
        const ref = parseVolumeRef(target);
        const spec = exportSpecFrom(ctx, o);
        await ctx.withPairLock(`volume export ${target}`, async () => {
          const { intentSteps, withIntent } = await import('../../volume/intent.js');
          const { findVolume } = await import('../../volume/plans.js');
          const state = await loadPairState(ctx);
          const base = planExport(ctx.config, state, ref, spec);
          const plan = withIntent(base, intentSteps(ctx.config, state, findVolume(state, ref)!, null));
          await runPlan(ctx, plan, { dryRun: o.dryRun, yes: o.yes }, `${plan.title}?`);
          if (!o.dryRun) ctx.out.line(`${plan.title}: done`);
        });
      }),
    );
  examples(cmd, [
    ['re-export with the default clients and options', 'nfsctl volume export team-a/data'],
    [
      'allow a second node network, read-only',
      'nfsctl volume export team-a/data --clients 10.1.0.0/16,10.2.0.0/16 --options ro,sync,no_subtree_check',
    ],
  ]);
}

export function registerUnexport(parent: Command): void {
  const cmd = parent
    .command('unexport <namespace/name>')
    .description(
      'stop exporting a volume on both hosts (or only to some clients); its data stays, and a full unexport is recorded in its metadata as a chosen state, not drift (volume export clears it)',
    )
    .option('--clients <cidr>', 'only stop exporting to these clients (repeatable or comma-separated)', collect)
    .addOption(dryRunFlag())
    .addOption(yesFlag())
    .action(
      withContext(async (ctx, cmd, target: string) => {
        const { parseVolumeRef } = await import('../../core/names.js');
        const { planUnexport, findVolume } = await import('../../volume/plans.js');
        const { loadPairState, exportSpecFrom, clientList } = await import('./common.js');
        const { UsageError } = await import('../../core/errors.js');
        const o = cmd.opts<{ clients?: string[]; dryRun?: boolean; yes?: boolean }>();
        const ref = parseVolumeRef(target);
        const drop = o.clients !== undefined ? clientList(o.clients) : undefined;
        if (drop) exportSpecFrom(ctx, { clients: drop });
        await ctx.withPairLock(`volume unexport ${target}`, async () => {
          const state = await loadPairState(ctx);
          let remaining = null;
          if (drop) {
            const view = findVolume(state, ref);
            const current = view?.hosts.primary.clients ?? [];
            const missing = drop.filter((c) => !current.includes(c));
            if (missing.length > 0)
              throw new UsageError(
                `${target} is not exported to ${missing.join(', ')} (exported to: ${current.join(', ') || 'nobody'})`,
              );
            const keep = current.filter((c) => !drop.includes(c));
            remaining = keep.length > 0 ? { clients: keep, options: ctx.config.nfs.options } : null;
          }
          const { intentSteps, withIntent } = await import('../../volume/intent.js');
          const base = planUnexport(ctx.config, state, ref, remaining);
          // a full unexport is a state the operator chose: recorded, so it is not drift
          const plan = drop
            ? base
            : withIntent(base, intentSteps(ctx.config, state, findVolume(state, ref)!, 'unexported'));
          await runPlan(ctx, plan, { dryRun: o.dryRun, yes: o.yes }, `${plan.title}?`);
          if (!o.dryRun) ctx.out.line(`${plan.title}: done`);
        });
      }),
    );
  examples(cmd, [['take a volume off the network, keeping its data', 'nfsctl volume unexport team-a/data']]);
}
