import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import type { PairRole } from '../../config/schema.js';
import { jsonFlag } from '../../cli/flags.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('status')
    .description('show whether the pair lock is held, by whom, and whether the holder is still running')
    .addOption(jsonFlag('print the lock state as JSON'))
    .action(
      withContext(async (ctx) => {
        const { readLock, describeLock } = await import('../../state/lock.js');
        const roles: PairRole[] = ['primary', 'backup'];
        const states = await Promise.all(
          roles.map((r) => readLock(ctx.host(r), ctx.config.state.lockDir, (x) => ctx.host(x)).catch((err: Error) => ({ host: r, held: 'unknown' as const, error: err.message }))),
        );
        if (ctx.opts.json) return ctx.out.json({ locks: states });
        for (const s of states) {
          if (s.held === 'unknown') ctx.out.line(`${s.host}: cannot tell (${s.error})`);
          else if (!s.held) ctx.out.line(`${s.host}: free`);
          else ctx.out.line(describeLock(s));
        }
      }),
    );
  examples(cmd, [['who holds the lock?', 'nfsctl lock status']]);
}
