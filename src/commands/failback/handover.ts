// failback and switchover: options, reachability, the pair lock, and the report; the
// handover itself (preflight, plan, apply) is src/ha/handover.ts.
import type { Context } from '../../cli/context.js';
import type { PairRole } from '../../config/schema.js';
import type { Host } from '../../host/host.js';
import { NfsctlError, PreconditionError } from '../../core/errors.js';
import { optionDuration, optionInt } from '../../core/numbers.js';
import { DEFAULT_RESYNC_WAIT_MS } from '../../ha/handover-drbd.js';
import { applyHandover, handoverPreflight, planHandover, type HandoverOptions } from '../../ha/handover.js';
import type { OpKind } from '../../ha/journal.js';

export interface HandoverCliOptions {
  dryRun?: boolean;
  yes?: boolean;
  resume?: boolean;
  maxDelete?: string | number;
  verify?: boolean;
  json?: boolean;
  skipUnready?: boolean;
  resyncWait?: string;
}

export async function runHandover(ctx: Context, kind: OpKind, o: HandoverCliOptions): Promise<void> {
  const maxDelete = optionInt('--max-delete', o.maxDelete === undefined ? undefined : String(o.maxDelete), 500);
  const hosts: Record<PairRole, Host> = { primary: ctx.host('primary'), backup: ctx.host('backup') };
  const opts: HandoverOptions = {
    kind,
    resume: o.resume ?? false,
    maxDelete,
    verify: o.verify ?? false,
    skipUnready: o.skipUnready ?? false,
    resyncWaitMs: optionDuration('--resync-wait', o.resyncWait, DEFAULT_RESYNC_WAIT_MS, {
      minMs: 0,
      maxMs: 24 * 3_600_000,
    }),
  };
  const t0 = Date.now();
  // reachability is part of preflight and comes first: a dead host must not leave half a lock
  const body = async () => {
    const facts = await handoverPreflight(ctx.config, hosts, opts);
    const hp = planHandover(ctx.config, hosts, facts, opts);
    const runner = await ctx.runner();
    if (o.dryRun || hp.plan.phases.length === 0) {
      if (hp.plan.phases.length === 0) ctx.out.line(`${kind}: nothing left to do`);
      await runner.run(hp.plan, {
        dryRun: true,
        yes: false,
        json: o.json ?? false,
        interactive: false,
        confirm: { kind: 'yesno', message: '' },
      });
      return;
    }
    const r = {
      ...(await applyHandover(runner, facts, hp, opts, {
        yes: o.yes ?? false,
        json: o.json ?? false,
        interactive: ctx.interactive,
      })),
      durationMs: Date.now() - t0,
    };
    if (o.json) ctx.out.json(r);
    else {
      for (const s of r.syncs)
        ctx.out.line(
          `${s.step}: ${s.bytes} bytes copied, ${s.deleted} deleted, ${s.files ?? '?'} files in the tree, ${s.durationMs} ms`,
        );
      if (r.verify)
        ctx.out.line(
          `verified: ${r.verify.files} files, ${r.verify.bytes} bytes identical on both hosts${r.verify.checksums ? ' (sha256)' : ''}`,
        );
      ctx.out.line(
        `${kind} done in ${Math.round(r.durationMs / 100) / 10} s: the VIP is on ${r.to}${r.vipSettleMs !== null ? ` (settled in ${r.vipSettleMs} ms)` : ''}${r.drbdServeMs !== null ? `; it served the DRBD volumes ${r.drbdServeMs} ms later` : ''}`,
      );
      for (const w of r.warnings) ctx.out.warn(w);
      for (const s of r.skipped) ctx.out.warn(`NOT copied (--skip-unready): ${s}`);
      for (const a of r.restart) ctx.out.warn(a);
    }
    if (r.warnings.length) throw new NfsctlError(`${kind} finished with warnings`, { hint: 'nfsctl status' });
  };
  if (o.dryRun) return body();
  // fail fast on an unreachable host before the lock (the lock would otherwise be half taken)
  await handoverReachable(ctx, kind);
  return ctx.withPairLock(kind, body);
}

async function handoverReachable(ctx: Context, kind: OpKind): Promise<void> {
  for (const r of ['primary', 'backup'] as const) {
    try {
      const res = await ctx
        .host(r)
        .run(['true'], { timeoutMs: ctx.config.timeouts.check + ctx.config.timeouts.connect });
      if (res.exitCode !== 0) throw new Error(`exit ${res.exitCode}`);
    } catch (err) {
      throw new PreconditionError(
        `${r} is unreachable (${(err as Error).message}): refusing to ${kind}; nothing was changed`,
        { hint: `bring ${r} and its sshd back, then run \`nfsctl ${kind}\` again` },
      );
    }
  }
}
