// lock break: a plan like any other change (dry run, confirmation, audit), one step per host
// that is locked. Each step re-reads the lock right before removing it and refuses when it
// is no longer the lock that was shown (another run finished and a new one took it).
import type { Context } from '../../cli/context.js';
import type { PairRole } from '../../config/schema.js';
import { UsageError } from '../../core/errors.js';
import { newPlanId, type Plan, type Step } from '../../plan/plan.js';
import { breakLockArgv, describeLock, readLock, type LockState } from '../../state/lock.js';
import { runPlan } from '../../plan/reporter.js';

function sameLock(a: LockState, b: LockState): boolean {
  if (!a.held || !b.held) return false;
  if (!a.owner || !b.owner) return !a.owner && !b.owner;
  return (
    a.owner.pid === b.owner.pid &&
    a.owner.startedAt === b.owner.startedAt &&
    a.owner.token === b.owner.token &&
    a.owner.host === b.owner.host
  );
}

export async function runLockBreak(ctx: Context, o: { host?: string; yes?: boolean; dryRun?: boolean }): Promise<void> {
  if (o.host !== undefined && o.host !== 'primary' && o.host !== 'backup')
    throw new UsageError(`--host expects primary or backup, got "${o.host}"`);
  const roles: PairRole[] = o.host ? [o.host as PairRole] : ['primary', 'backup'];
  const lockDir = ctx.config.state.lockDir;
  const hostOfRole = (x: PairRole) => ctx.host(x);
  const held: (LockState & { held: true })[] = [];
  for (const r of roles) {
    const s = await readLock(ctx.host(r), lockDir, hostOfRole);
    if (s.held) held.push(s);
    else ctx.out.info(`${r}: not locked`);
  }
  if (held.length === 0) return;
  if (held.some((s) => s.alive === true))
    ctx.out.warn('the owner process is still running: breaking its lock lets two runs change the pair at once');
  const steps: Step[] = held.map((s) => ({
    id: `${s.host}:lock-break`,
    host: s.host,
    title: `remove the pair lock (${describeLock(s).replace(`${s.host}: `, '')})`,
    action: { kind: 'run', argv: breakLockArgv(lockDir) },
    precondition: {
      title: 'the lock is still the one shown',
      check: async (h) => {
        const now = await readLock(h, lockDir, hostOfRole);
        if (!now.held) return null; // gone already: removing nothing is fine
        return sameLock(s, now)
          ? null
          : `the lock changed since it was shown (${describeLock(now)}); run \`nfsctl lock status\` and decide again`;
      },
    },
    undo: null,
    noUndoReason: 'a removed lock is not put back',
  }));
  const plan: Plan = {
    id: newPlanId(),
    title: `break the pair lock on ${held.map((s) => s.host).join(' and ')}`,
    phases: [{ title: 'remove the lock', steps }],
    audit: held.map((s) => ({ event: 'lock-break', host: s.host, detail: describeLock(s) })),
  };
  if (!o.dryRun) await ctx.audit.checkWritable();
  await runPlan(
    ctx,
    plan,
    { ...o, json: ctx.opts.json },
    `Break the lock on ${held.map((s) => s.host).join(' and ')}?`,
  );
  if (o.dryRun) return;
  for (const s of held) ctx.out.line(`${s.host}: lock removed`);
}
