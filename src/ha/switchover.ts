// Switchover: the planned move primary -> backup (maintenance), the mirror image of failback
// (see failback.ts for the order of things). The primary ends with keepalived stopped and
// disabled at boot; `nfsctl failback` brings the VIP back when the maintenance is done.
import type { Config, PairRole } from '../config/schema.js';
import type { PlanDoor } from '../plan/reporter.js';
import type { Host } from '../host/host.js';
import { PlanFailedError } from '../plan/runner.js';
import { handoverPreflight, journaled, planHandover, direction, type HandoverOptions } from './failback.js';
import { writeJournal, type OpJournal, type OpKind } from './journal.js';
import { operatorName } from '../state/audit.js';
import { mirrored } from '../volume/state.js';
import { NfsctlError } from '../core/errors.js';
import { optionInt } from '../core/numbers.js';
import { restartAdvice } from './promise.js';

export interface HandoverCliOptions {
  dryRun?: boolean;
  yes?: boolean;
  resume?: boolean;
  maxDelete?: string | number;
  verify?: boolean;
  json?: boolean;
  skipUnready?: boolean;
}

/** failback and switchover: preflight, plan, confirm, apply with the journal on both hosts. */
export async function runHandover(config: Config, hosts: Record<PairRole, Host>, door: PlanDoor, kind: OpKind, o: HandoverCliOptions): Promise<void> {
  const maxDelete = optionInt('--max-delete', o.maxDelete === undefined ? undefined : String(o.maxDelete), 500);
  const ctx = { config, host: (r: PairRole) => hosts[r], out: door.out, interactive: door.interactive, runner: () => door.runner(), withPairLock: <T>(c: string, fn: () => Promise<T>) => door.withPairLock(c, fn) };
  const opts: HandoverOptions = { kind, resume: o.resume ?? false, maxDelete, verify: o.verify ?? false, skipUnready: o.skipUnready ?? false };
  const { from, to } = direction(kind);
  const t0 = Date.now();
  // reachability is part of preflight and comes first: a dead host must not leave half a lock
  const body = async () => {
    const facts = await handoverPreflight(ctx.config, hosts, opts);
    const hp = planHandover(ctx.config, hosts, facts, opts);
    const runner = await ctx.runner();
    if (o.dryRun || hp.plan.phases.length === 0) {
      if (hp.plan.phases.length === 0) ctx.out.line(`${kind}: nothing left to do`);
      await runner.run(hp.plan, { dryRun: true, yes: false, json: o.json ?? false, interactive: false, confirm: { kind: 'yesno', message: '' } });
      return;
    }
    const prev = facts.journal && facts.journal.status !== 'done' && opts.resume ? facts.journal : null;
    const j: OpJournal = prev
      ? { ...prev, status: 'running' }
      : { kind, planId: hp.plan.id, status: 'running', startedAt: new Date().toISOString(), updatedAt: '', by: operatorName(), done: [], staleHost: kind === 'failback' ? 'primary' : 'primary' };
    delete j.failedStep;
    delete j.error;
    const wrapped = journaled(ctx.config, hosts, hp, j);
    try {
      const report = await runner.run(wrapped.plan, {
        dryRun: false,
        yes: o.yes ?? false,
        json: o.json ?? false,
        interactive: ctx.interactive,
        confirm: { kind: 'type', message: `${kind}: move the VIP and clients from ${from} to ${to}. Type the name of the ${to === 'primary' ? 'primary' : 'backup'} to go on`, expected: to },
      });
      j.status = kind === 'failback' ? 'done' : 'done';
      if (kind === 'failback') delete j.staleHost;
      await writeJournal(ctx.config, j, [hosts.primary, hosts.backup]);
      const r = hp.result;
      const restart = restartAdvice(facts.views.filter((v) => mirrored(v.backend)), facts.clients);
      const summary = { kind, planId: report.planId, from, to, durationMs: Date.now() - t0, vipSettleMs: r.vipSettleMs ?? null, syncs: r.syncs, verify: r.verify ?? null, warnings: r.warnings, skipped: facts.skipped, restart, hosts: report.hostStates };
      if (o.json) ctx.out.json(summary);
      else {
        for (const s of r.syncs) ctx.out.line(`${s.step}: ${s.bytes} bytes copied, ${s.deleted} deleted, ${s.files ?? '?'} files in the tree, ${s.durationMs} ms`);
        if (r.verify) ctx.out.line(`verified: ${r.verify.files} files, ${r.verify.bytes} bytes identical on both hosts${r.verify.checksums ? ' (sha256)' : ''}`);
        ctx.out.line(`${kind} done in ${Math.round((Date.now() - t0) / 100) / 10} s: the VIP is on ${to}${r.vipSettleMs !== undefined ? ` (settled in ${r.vipSettleMs} ms)` : ''}`);
        for (const w of r.warnings) ctx.out.warn(w);
        for (const s of facts.skipped) ctx.out.warn(`NOT copied (--skip-unready): ${s}`);
        for (const a of restart) ctx.out.warn(a);
      }
      if (r.warnings.length) throw new NfsctlError(`${kind} finished with warnings`, { hint: 'nfsctl status' });
    } catch (err) {
      if (err instanceof PlanFailedError) {
        const undone = new Set(err.report.steps.filter((s) => s.status === 'undone' || s.status === 'failed').map((s) => s.id));
        j.done = j.done.filter((d) => !undone.has(d));
        const failed = err.report.steps.find((s) => s.status === 'failed' || s.status === 'unknown');
        j.status = 'failed';
        if (failed) j.failedStep = failed.id;
        if (failed?.error) j.error = failed.error;
        if (j.done.length > 0 || prev) await writeJournal(ctx.config, j, [hosts.primary, hosts.backup]);
        const where = j.done.includes(`${to}:vip-move`) ? `the VIP is on ${to}` : `the VIP and clients stay on ${from}`;
        throw new PlanFailedError(`${err.message}\n${where}`, err.report, { exitCode: err.exitCode, ...(j.done.length > 0 ? { hint: `fix the cause, then: nfsctl ${kind} --resume` } : { hint: 'nothing was left changed; fix the cause and run it again' }) });
      }
      throw err;
    }
  };
  if (o.dryRun) return body();
  // fail fast on an unreachable host before the lock (the lock would otherwise be half taken)
  await handoverReachable(ctx, kind);
  return ctx.withPairLock(kind, body);
}

async function handoverReachable(ctx: { config: Config; host(r: PairRole): Host }, kind: OpKind): Promise<void> {
  const { PreconditionError } = await import('../core/errors.js');
  for (const r of ['primary', 'backup'] as const) {
    try {
      const res = await ctx.host(r).run(['true'], { timeoutMs: ctx.config.timeouts.check + ctx.config.timeouts.connect });
      if (res.exitCode !== 0) throw new Error(`exit ${res.exitCode}`);
    } catch (err) {
      throw new PreconditionError(`${r} is unreachable (${(err as Error).message}): refusing to ${kind}; nothing was changed`, { hint: `bring ${r} and its sshd back, then run \`nfsctl ${kind}\` again` });
    }
  }
}
