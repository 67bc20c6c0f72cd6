// volume delete: show what will be destroyed, refuse while it is in use, then unexport,
// unmount, drop fstab and destroy, on both hosts. Re-running finishes a half-deleted volume.
import { intentSteps, withIntent } from '../../volume/intent.js';
import type { Context } from '../../cli/context.js';
import type { Host } from '../../host/host.js';
import { parseVolumeRef } from '../../core/names.js';
import { formatSize } from '../../core/sizes.js';
import { PreconditionError } from '../../core/errors.js';
import { planDelete, ROLES } from '../../volume/plans.js';
import { loadPairState } from './common.js';
import { exporterOf } from '../../volume/nfs-server/registry.js';
import { identify } from '../../volume/identity.js';
import type { PairRole } from '../../config/schema.js';
import { pvName } from '../../volume/pv.js';
import { runPlan } from '../../plan/reporter.js';

export interface DeleteOptions {
  keepData?: boolean;
  force?: boolean;
  ignoreNotFound?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

async function emptyDir(host: Host, path: string): Promise<boolean> {
  const r = await host.run(['find', path, '-mindepth', '1', '-maxdepth', '1', '-print', '-quit']);
  return r.exitCode === 0 && r.stdout.trim() === '';
}

async function busy(host: Host, path: string): Promise<boolean> {
  const r = await host.run(['fuser', '-s', '-m', path]);
  return r.exitCode === 0;
}

export async function runDelete(ctx: Context, target: string, o: DeleteOptions): Promise<void> {
  const ref = parseVolumeRef(target);
  await ctx.withPairLock(`volume delete ${target}`, async () => {
    const state = await loadPairState(ctx);
    const path = identify(ctx.config, ref).path;
    // an empty directory without nfsctl's metadata (an interrupted create) may be rmdir'ed; anything else is refused
    const emptyDirs: Partial<Record<PairRole, boolean>> = {};
    for (const r of ROLES) if (state.inv[r].dirs.has(path)) emptyDirs[r] = await emptyDir(ctx.host(r), path);
    const planned = planDelete(ctx.config, state, { ref, keepData: o.keepData ?? false, emptyDirs });
    const { view, v } = planned;
    // retiring (--keep-data) is a state the operator chose: recorded, so it is not drift
    const plan =
      o.keepData && view ? withIntent(planned.plan, intentSteps(ctx.config, state, view, 'retired')) : planned.plan;
    if (plan.phases.length === 0) {
      const msg = view ? `${v.id}: nothing left to remove` : `${v.id} does not exist on either host: nothing to delete`;
      // a volume that is not there is an error (exit 4) unless the script says it is fine
      if (!view && !o.ignoreNotFound)
        throw new PreconditionError(msg, {
          hint: 'see `nfsctl volume list`; scripts that only want it gone: --ignore-not-found (exit 0)',
        });
      if (o.json) ctx.out.json({ volume: v.id, deleted: false, found: view !== null, message: msg });
      else ctx.out.line(msg);
      return;
    }
    const notes: string[] = [];
    if (view) {
      for (const r of ROLES) {
        const h = view.hosts[r];
        notes.push(
          `${r}: ${h.present ? `${formatSize(h.sizeBytes ?? view.sizeBytes)}${h.usedBytes !== null ? `, ${formatSize(h.usedBytes)} used` : ''}` : 'storage missing'}${h.mounted ? ', mounted' : ''}${h.served ? ', exported' : ''}`,
        );
      }
    } else {
      notes.push(`${v.id} has no metadata left: finishing a half-created or half-deleted volume`);
    }
    const inUse: string[] = [];
    const summary: string[] = [];
    for (const r of ROLES) {
      const clients = await exporterOf(ctx.config).activeClients(ctx.host(r), v);
      // who mounts it cannot be told: treat it as possibly in use (only where it is served)
      if (clients === null && view?.hosts[r].served)
        inUse.push(`${r}: clients unknown: nfs-ganesha cannot tell which NFS clients mount ${v.path}`);
      else if (clients !== null && clients.length > 0)
        inUse.push(`${r}: NFS clients ${clients.join(', ')} have it mounted`);
      if (state.inv[r].mounts.some((m) => m.target === v.path) && (await busy(ctx.host(r), v.path)))
        inUse.push(`${r}: ${v.path} is busy (processes use it)`);
    }
    if (inUse.length > 0 && !o.force) {
      const unknownOnly = inUse.every((u) => u.includes('clients unknown'));
      throw new PreconditionError(`${v.id} ${unknownOnly ? 'may be in use' : 'is in use'}:\n  ${inUse.join('\n  ')}`, {
        hint: unknownOnly
          ? `check that no pod uses it (kubectl get pv ${pvName(v)}, and the pods of its claim), then add --force`
          : 'stop the pods using it first, or add --force',
      });
    }
    plan.notes = notes;
    // the last lines above the prompt: what is destroyed, where, and what was forced
    const where = view ? ROLES.filter((r) => view.hosts[r].present) : [];
    summary.push(
      o.keepData
        ? `retires ${v.id}: unexported and unmounted on ${ROLES.join(' and ')}; the storage is kept`
        : `DESTROYS ${v.id} and its data: ${view ? `${view.backend} ${formatSize(view.sizeBytes)}` : 'what is left of it'}${where.length ? ` on ${where.join(' and ')}` : ''}`,
    );
    summary.push(...inUse.map((u) => `FORCED: ${u}`));
    plan.summary = summary;
    const report = await runPlan(ctx, plan, o, {
      kind: 'type',
      message: o.keepData ? `Retire ${v.id}?` : `This destroys ${v.id} and its data on both hosts.`,
      expected: v.id,
    });
    if (o.dryRun) return;
    if (o.json)
      ctx.out.json({
        volume: v.id,
        deleted: !o.keepData,
        retained: o.keepData ?? false,
        planId: report.planId,
        hosts: report.hostStates,
      });
    else ctx.out.line(`${o.keepData ? 'retired' : 'deleted'} ${v.id}`);
  });
}
