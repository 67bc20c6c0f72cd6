// lock status: whether the pair lock is held on each host, by whom, and whether the holder runs.
import type { Context } from '../../cli/context.js';
import type { PairRole } from '../../config/schema.js';
import type { PlanFlags } from '../../plan/reporter.js';
import { describeLock, readLock } from '../../state/lock.js';

export async function runLockStatus(ctx: Context, o: Pick<PlanFlags, 'json'>): Promise<void> {
  const roles: PairRole[] = ['primary', 'backup'];
  const states = await Promise.all(
    roles.map((r) =>
      readLock(ctx.host(r), ctx.config.state.lockDir, (x) => ctx.host(x)).catch((err: Error) => ({
        host: r,
        held: 'unknown' as const,
        error: err.message,
      })),
    ),
  );
  if (o.json) return ctx.out.json({ locks: states });
  for (const s of states) {
    if (s.held === 'unknown') ctx.out.line(`${s.host}: cannot tell (${s.error})`);
    else if (!s.held) ctx.out.line(`${s.host}: free`);
    else ctx.out.line(describeLock(s));
  }
}
