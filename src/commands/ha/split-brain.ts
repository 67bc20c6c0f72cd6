// ha split-brain (show what diverged per DRBD volume) and ha split-brain resolve <volume>
// --keep primary|backup (the plan through the runner: dry run, typed confirmation of the
// volume id, journal, audit). The domain is src/ha/split-brain.ts.
import type { Context } from '../../cli/context.js';
import { NfsctlError, PreconditionError } from '../../core/errors.js';
import { formatVolumeRef, parseVolumeRef } from '../../core/names.js';
import { optionDuration } from '../../core/numbers.js';
import { runPlan } from '../../plan/reporter.js';
import {
  DEFAULT_RESOLVE_WAIT_MS,
  parseKeep,
  planResolve,
  readSplitBrain,
  renderSplitBrain,
  splitBrainReport,
} from '../../ha/split-brain.js';

export async function runSplitBrainShow(ctx: Context, o: { json?: boolean }): Promise<void> {
  const hosts = { primary: ctx.host('primary'), backup: ctx.host('backup') };
  const { dvs, evidence, vipHolder } = await readSplitBrain(ctx.config, hosts);
  const r = splitBrainReport(dvs, evidence, vipHolder);
  if (o.json) ctx.out.json(r);
  else ctx.out.line(renderSplitBrain(r));
  // a split brain needs the operator: exit 1, as `ha lint` does for findings
  if (r.volumes.some((v) => v.splitBrain)) throw new NfsctlError('', { exitCode: 1 });
}

export interface ResolveCliOptions {
  keep?: string;
  wait?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

export async function runSplitBrainResolve(ctx: Context, target: string, o: ResolveCliOptions): Promise<void> {
  // every argument is checked before any host is contacted
  const ref = parseVolumeRef(target);
  const keep = parseKeep(o.keep);
  const waitMs = optionDuration('--wait', o.wait, DEFAULT_RESOLVE_WAIT_MS, { minMs: 1000, maxMs: 24 * 3_600_000 });
  const id = formatVolumeRef(ref);
  const hosts = { primary: ctx.host('primary'), backup: ctx.host('backup') };
  const body = async () => {
    const { dvs, evidence, vipHolder, state } = await readSplitBrain(ctx.config, hosts);
    const dv = dvs.find((d) => d.id === id);
    if (!dv) {
      const v = state.views.find((x) => x.id === id);
      throw new PreconditionError(
        v
          ? `${id} is a ${v.backend} volume, not a DRBD one: no split brain to resolve`
          : `no volume ${id} on either host`,
        { hint: 'nfsctl ha split-brain lists the DRBD volumes' },
      );
    }
    const plan = planResolve(ctx.config, dv, vipHolder, evidence, { keep, waitMs }, hosts);
    await runPlan(ctx, plan, o, {
      kind: 'type',
      message: `This discards what ${keep === 'primary' ? 'backup' : 'primary'} wrote to ${id} since the split.`,
      expected: id,
    });
    if (!o.dryRun && !o.json)
      ctx.out.line(`${id}: split brain resolved: ${keep}'s data kept, both hosts Connected and UpToDate`);
  };
  if (o.dryRun) return body();
  return ctx.withPairLock(`ha split-brain resolve ${id}`, body);
}
