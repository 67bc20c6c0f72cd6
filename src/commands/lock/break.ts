import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import type { PairRole } from '../../config/schema.js';

export function register(parent: Command): void {
  const cmd = parent
    .command('break')
    .description('remove the pair lock left by a run that died (audited; asks first)')
    .option('--host <role>', 'only on this host (primary or backup)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      withContext(async (ctx, cmd) => {
        const { readLock, describeLock, breakLock } = await import('../../state/lock.js');
        const { UsageError, CancelledError } = await import('../../core/errors.js');
        const o = cmd.opts<{ host?: string; yes?: boolean }>();
        if (o.host !== undefined && o.host !== 'primary' && o.host !== 'backup') throw new UsageError(`--host expects primary or backup, got "${o.host}"`);
        const roles: PairRole[] = o.host ? [o.host as PairRole] : ['primary', 'backup'];
        const held = [];
        for (const r of roles) {
          const s = await readLock(ctx.host(r), ctx.config.state.lockDir, (x) => ctx.host(x));
          if (s.held) held.push(s);
          else ctx.out.info(`${r}: not locked`);
        }
        if (held.length === 0) return;
        for (const s of held) ctx.out.info(describeLock(s));
        if (held.some((s) => s.alive === true)) ctx.out.warn('the owner process is still running: breaking its lock lets two runs change the pair at once');
        if (!o.yes) {
          if (!ctx.interactive) throw new UsageError('refusing to break the lock without confirmation: no terminal to ask on', { hint: 're-run with --yes' });
          const { inquirerPrompter } = await import('../../cli/prompt.js');
          if (!(await (await inquirerPrompter()).confirm('Break the lock?'))) throw new CancelledError();
        }
        await ctx.audit.checkWritable();
        for (const s of held) {
          await breakLock(ctx.host(s.host as PairRole), ctx.config.state.lockDir, (x) => ctx.host(x));
          await ctx.audit.append({ host: s.host, event: 'lock-break', detail: describeLock(s) });
          ctx.out.line(`${s.host}: lock removed`);
        }
      }),
    );
  examples(cmd, [['clear a stale lock after a crashed run', 'nfsctl lock break']]);
}
