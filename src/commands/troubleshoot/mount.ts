import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('troubleshoot-mount <namespace/name>')
    .description('walk the chain from disk to client for one volume and stop at the first broken link, with the fix')
    .option('--from <node>', 'run the client-side probes and the trial mount on this node over SSH: [user@]node[:port] (user and port default to those of the pair); default: this host')
    .addOption(jsonFlag('print the findings as JSON'))
    .action(
      withContext(async (ctx, cmd, target: string) => {
        const { troubleshoot } = await import('../../troubleshoot/chain.js');
        const { renderFindings } = await import('../../health/render.js');
        const { NfsctlError } = await import('../../core/errors.js');
        const o = cmd.opts<{ from?: string; json?: boolean }>();
        const d = await troubleshoot(ctx.config, ctx.hosts, target, o.from);
        if (o.json) ctx.out.json(d);
        else {
          ctx.out.line(renderFindings(d.findings, ctx.out.color, true));
          if (d.causeFound) ctx.out.line(ctx.out.color.red(`cause found: ${d.findings.find((f) => f.status === 'critical')?.title ?? '?'}`));
          else {
            const { stringify } = await import('../../cli/yaml-out.js');
            ctx.out.line(ctx.out.color.green(`no problem found: ${d.volume} mounts from ${d.from}`));
            ctx.out.line(`\nmount command:\n  ${d.mountCommand}\n\nPersistentVolume that works:\n${stringify(d.pv).trimEnd().replace(/^/gm, '  ')}`);
          }
        }
        // Exit 1 when a cause was found, 0 when the whole chain works.
        if (d.causeFound) throw new NfsctlError('', { exitCode: 1 });
      }),
    );
  examples(cmd, [
    ['a pod cannot mount team-a/data on node-3', 'nfsctl troubleshoot-mount team-a/data --from node-3'],
    ['check from this storage host', 'nfsctl troubleshoot-mount team-a/data'],
  ]);
}
