import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('status')
    .description(
      'show the pair: VIP holder, keepalived and NFS on each host, last sync, which host holds the newest data, operations under way, warnings',
    )
    .addOption(jsonFlag('print the status as JSON (shape documented in README, "nfsctl status")'))
    .action(
      withContext(async (ctx, cmd) => {
        const { gatherStatus, renderStatus } = await import('../../ha/status.js');
        const o = cmd.opts<{ json?: boolean }>();
        const st = await gatherStatus(ctx.config, { primary: ctx.host('primary'), backup: ctx.host('backup') });
        if (o.json) ctx.out.json(st);
        else ctx.out.line(renderStatus(st));
      }),
    );
  examples(cmd, [
    ['who holds the VIP, is the backup in sync?', 'nfsctl status'],
    ['for scripts', 'nfsctl status --json | jq -r ".vip.holders[]"'],
  ]);
}
