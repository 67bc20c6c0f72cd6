// nfsctl sync: the periodic pull of the NFS root by the host that does NOT hold the VIP
// from the one that does, run on the receiving host (over its one SSH connection when this
// is the other host), with a source sanity check, a dry-run pass and a deletion cap.
import { cronFilePlan } from '../../plan/cron-file.js';
import { simpleDiff } from '../../core/line-diff.js';
import type { Context } from '../../cli/context.js';
import type { PairRole } from '../../config/schema.js';
import { NfsctlError, PreconditionError } from '../../core/errors.js';
import { vipHolders } from '../../ha/vip.js';
import { peerOf } from '../../core/roles.js';
import {
  checkUnitCaps,
  checkUnits,
  mergeReports,
  previewSize,
  rsyncArgv,
  previewUnits,
  renderUnitPreviews,
  runUnits,
  syncRecord,
  syncUnits,
  unitName,
  unitShort,
  unitsReport,
  DEFAULT_MAX_DELETE,
  type UnitPreview,
  type UnitResult,
} from '../../ha/sync.js';
import { pairInventory } from '../../volume/inventory.js';
import { mergeVolumes } from '../../volume/state.js';
import type { Host } from '../../host/host.js';
import { writeSyncRecord } from '../../ha/sync-state.js';
import { checkSyncFreshness, noteReceived } from '../../ha/freshness.js';
import { readJournal, unfinished } from '../../ha/journal.js';
import { newPlanId, type Plan, type StepContext } from '../../plan/plan.js';
import { formatCopyProgress, type CopySnapshot } from '../../core/rsync-progress.js';
import { serviceArgv } from '../../ha/services.js';
import { parseCronInterval } from '../../core/cron.js';
import { cronLine, syncTimerContent } from '../../ha/sync-timer.js';
import { quoteArgv } from '../../host/quote.js';
import { optionInt } from '../../core/numbers.js';
import { runPlan } from '../../plan/reporter.js';

export interface SyncOptions {
  dryRun?: boolean;
  yes?: boolean;
  maxDelete?: string;
  ssh?: boolean;
  json?: boolean;
  skipUnready?: boolean;
}

export async function runSync(ctx: Context, o: SyncOptions): Promise<void> {
  const cap = optionInt('--max-delete', o.maxDelete, DEFAULT_MAX_DELETE);
  const config = ctx.config;
  const hosts = { primary: ctx.host('primary'), backup: ctx.host('backup') };
  const vs = await vipHolders(config, hosts, config.timeouts.check);
  const unknown = vs.filter((v) => v.holds === null);
  if (unknown.length)
    throw new PreconditionError(
      `cannot tell who holds the VIP: ${unknown.map((v) => `${v.role}: ${v.error ?? 'no answer'}`).join('; ')}`,
      { hint: 'nfsctl status' },
    );
  const holders = vs.filter((v) => v.holds).map((v) => v.role);
  if (holders.length === 2)
    throw new PreconditionError(
      'split brain: the VIP is on both hosts; refusing to sync (either copy may be the one clients wrote to)',
      { hint: 'nfsctl status' },
    );
  if (holders.length === 0)
    throw new PreconditionError('nobody holds the VIP: no host is known to have the current data; refusing to sync', {
      hint: 'nfsctl status',
    });
  const source: PairRole = holders[0]!;
  const dest = peerOf(source);
  for (const kind of ['failback', 'switchover'] as const) {
    const j = await readJournal(config, kind, [hosts.primary, hosts.backup]).catch(() => null);
    if (unfinished(j))
      throw new PreconditionError(`a ${kind} (${j.planId}) is unfinished: the periodic sync stays out of its way`, {
        hint: `nfsctl ${kind} --resume`,
      });
  }
  const body = async () => {
    const started = Date.now();
    const dh = hosts[dest];
    let results: UnitResult[] = [];
    let skipped: string[] = [];
    let recorded = false;
    try {
      const inv = await pairInventory(config, hosts);
      const units = syncUnits(config, mergeVolumes(config, inv));
      const check = await checkUnits(
        config,
        units,
        { role: source, host: hosts[source] },
        { role: dest, host: dh },
        { skipUnready: o.skipUnready ?? false },
      );
      skipped = check.problems.map((p) => p.text);
      const args = { config, source, maxDelete: cap, ...(o.ssh ? { ssh: true } : {}) };
      let previews: UnitPreview[];
      try {
        previews = await previewUnits(dh, args, check.ready);
      } catch (err) {
        const rsyncd = quoteArgv(serviceArgv(config, 'status', 'rsyncd'));
        throw new NfsctlError((err as Error).message, {
          hint: `is the rsync daemon running on ${source}? (${rsyncd})`,
        });
      }
      await checkSyncFreshness(config, hosts, source, dest, mergeReports(previews.map((p) => p.report)));
      checkUnitCaps(previews, cap, source, dest);
      const notes = [
        ...renderUnitPreviews(previews, source, dest),
        ...skipped.map((t) => `SKIPPED (--skip-unready): ${t}`),
      ];
      if (check.ready.length === 0)
        notes.push(`nothing to sync: no mirrored volume, and ${config.nfs.root} is a plain directory on both hosts`);
      const plan: Plan = {
        id: newPlanId(),
        title: `sync ${source} -> ${dest}`,
        notes,
        summary: [`copy ${source} -> ${dest} (dry run): ${previewSize(previews)}`],
        phases: [
          {
            title: `pull from ${source} into ${dest}, one rsync per volume filesystem`,
            steps: previews.map((p) => ({
              id: `${dest}:rsync:${p.unit.rel || 'root'}`,
              host: dest,
              title: `rsync ${unitName(p.unit)} from ${source} (${p.report.transfers.length} file(s) to copy, ${p.report.deletions.length} to delete)`,
              action: {
                kind: 'fn' as const,
                describe: `${quoteArgv(rsyncArgv({ ...args, dryRun: false, unit: p.unit }))} (only while ${p.unit.path} is still mounted from ${p.unit.destMajmin || '?'})`,
                fn: async (h: Host, step: StepContext) => {
                  const live = {
                    signal: step.signal,
                    name: unitShort,
                    expected: () => p.report.stats.transferredFileSize,
                    progress: (s: CopySnapshot) => step.progress(`copy ${formatCopyProgress(s)}`),
                  };
                  results.push(...(await runUnits(h, args, [p.unit], undefined, live)));
                },
              },
              undo: null,
              noUndoReason: `${dest} is a mirror of ${source}: there is nothing to restore`,
            })),
          },
        ].filter((ph) => ph.steps.length > 0),
      };
      if (plan.phases.length > 0) {
        await runPlan(ctx, plan, o, `Mirror ${source}'s volumes onto ${dest}?`);
      }
      for (const t of skipped) ctx.out.warn(`skipped: ${t}`);
      if (o.dryRun) {
        if (!o.json) ctx.out.line(notes.join('\n'));
        return;
      }
      const rec = syncRecord(source, dest, started, unitsReport(results), undefined, {
        volumes: results.flatMap((r) => r.unit.volumes),
        skipped,
      });
      await writeSyncRecord(dh, config.state.stateDir, rec);
      await noteReceived(config, hosts, source, dest, started, false);
      if (o.json) ctx.out.json({ sync: rec, itemized: results.reduce((a, r) => a + r.report.changes.length, 0) });
      else
        ctx.out.line(
          `synced ${source} -> ${dest}: ${results.length} unit(s), ${rec.bytes} bytes copied, ${rec.deleted ?? 0} deleted, ${rec.files ?? '?'} files in the tree, ${rec.durationMs} ms${skipped.length ? `; ${skipped.length} problem(s) skipped` : ''}`,
        );
      recorded = true; // the partial sync's record is written: a throw below must not replace it
      if (skipped.length)
        throw new PreconditionError(
          `sync ${source} -> ${dest} left ${skipped.length} volume problem(s) out (--skip-unready): their copies on ${dest} are stale`,
          { hint: 'mount each volume on its LV on both hosts, then nfsctl sync --yes' },
        );
    } catch (err) {
      const e = err as Error;
      if (!o.dryRun && !recorded) {
        await writeSyncRecord(
          dh,
          config.state.stateDir,
          syncRecord(source, dest, started, null, e.message.split('\n')[0]!, {
            volumes: results.flatMap((r) => r.unit.volumes),
            skipped,
          }),
        ).catch(() => undefined);
      }
      throw err;
    }
  };
  return ctx.withPairLock(`sync ${source}->${dest}`, body);
}

/** `sync install-timer`: a cron entry on the backup running `nfsctl sync --yes` (see ha/sync-timer.ts). */
export { cronLine };

export async function runInstallTimer(
  ctx: Context,
  o: { interval?: string; nfsctlPath?: string; host?: PairRole; dryRun?: boolean; yes?: boolean; json?: boolean },
): Promise<void> {
  // Every value is checked before any host is contacted.
  const ms = o.interval !== undefined ? parseCronInterval(o.interval) : ctx.config.rsync.interval;
  const line = cronLine(
    ms,
    o.nfsctlPath ?? '/usr/local/sbin/nfsctl',
    o.interval !== undefined ? '--interval' : 'rsync.interval (config)',
  );
  const path = '/etc/cron.d/nfsctl-sync';
  const role: PairRole = o.host ?? 'backup';
  const host = ctx.host(role);
  const before = await host.readFile(path);
  const content = syncTimerContent(line);
  const diff = simpleDiff(before, content);
  if (diff.length === 0) {
    ctx.out.line(`${role}:${path} is already up to date`);
    return;
  }
  const plan = cronFilePlan({ title: `install the sync timer on ${role}`, role, path, before, content, line, diff });

  if (!o.json) ctx.out.info(`diff ${role}:${path}\n${diff.join('\n')}`);
  await ctx.withPairLock('sync install-timer', async () => {
    await runPlan(ctx, plan, o, `Write ${path} on ${role}?`);
  });
  if (!o.dryRun) {
    if (o.json) ctx.out.json({ host: role, path, content });
    else ctx.out.line(`installed ${role}:${path}`);
  }
}
