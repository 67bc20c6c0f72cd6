import type { Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('troubleshoot-mount <namespace/name|rbd:pool/image>')
    .description(
      'walk the chain from disk to client for one volume (or, with rbd:pool/image, from the Ceph cluster to a node for an RBD PV kubelet maps) and stop at the first broken link, with the fix',
    )
    .option(
      '--from <node>',
      'run the client-side probes and the trial mount on this node over SSH: [user@]node[:port] (user and port default to those of the pair); default: this host',
    )
    .option(
      '--pv <file>',
      'also check this PersistentVolume (the output of kubectl get pv <name> -o yaml|json) points at the volume through the VIP',
    )
    .addOption(jsonFlag('print the findings as JSON'))
    .action(
      withContext(async (ctx, cmd, target: string) => {
        const { troubleshoot } = await import('../../troubleshoot/chain.js');
        const { renderFindings } = await import('../../health/render.js');
        const { NfsctlError } = await import('../../core/errors.js');
        const o = cmd.opts<{ from?: string; json?: boolean; pv?: string }>();
        // --pv is read and checked before any host is contacted (exit 2 when it is not an NFS PV)
        let pv: import('../../troubleshoot/pv-check.js').PvNfs[] | undefined;
        if (o.pv !== undefined) {
          const { readFile } = await import('node:fs/promises');
          const { parsePvDocument } = await import('../../troubleshoot/pv-check.js');
          const { UsageError } = await import('../../core/errors.js');
          const text = await readFile(o.pv === '-' ? '/dev/stdin' : o.pv, 'utf8').catch((err: Error) => {
            throw new UsageError(`--pv ${o.pv}: ${err.message}`);
          });
          pv = parsePvDocument(text, o.pv);
        }
        const { rbdTarget, troubleshootRbd } = await import('../../troubleshoot/rbd-chain.js');
        const rbd = rbdTarget(target, ctx.config.backends.rbd?.pool);
        if (rbd && pv)
          throw new (await import('../../core/errors.js')).UsageError(
            '--pv checks an NFS PersistentVolume; rbd:<pool>/<image> has none to check',
          );
        const d = rbd
          ? await troubleshootRbd(ctx.config, ctx.hosts, rbd, o.from)
          : await troubleshoot(ctx.config, ctx.hosts, target, o.from, pv ? { pv } : {});
        if (o.json) ctx.out.json(d);
        else {
          // in the order of the walk: the broken link last, its fix right above the verdict
          ctx.out.line(renderFindings(d.findings, ctx.out.color, true, true));
          if (d.causeFound)
            ctx.out.line(
              ctx.out.color.red(`cause found: ${d.findings.find((f) => f.status === 'critical')?.title ?? '?'}`),
            );
          else {
            const { stringify } = await import('../../cli/yaml-out.js');
            ctx.out.line(
              ctx.out.color.green(`no problem found: ${d.volume} ${rbd ? 'can be mapped' : 'mounts'} from ${d.from}`),
            );
            if (!rbd)
              ctx.out.line(
                `\nmount command:\n  ${d.mountCommand}\n\nPersistentVolume that works:\n${stringify(d.pv).trimEnd().replace(/^/gm, '  ')}`,
              );
          }
        }
        // Exit 1 when a cause was found, 0 when the whole chain works.
        if (d.causeFound) throw new NfsctlError('', { exitCode: 1 });
      }),
    );
  examples(cmd, [
    ['a pod cannot mount team-a/data on node-3', 'nfsctl troubleshoot-mount team-a/data --from node-3'],
    ['a pod cannot attach its RBD PV on node-3', 'nfsctl troubleshoot-mount rbd:kube/pvc-0a1b2c --from node-3'],
    [
      'check the PV the pod uses, too',
      'kubectl get pv nfs-team-a.data -o yaml > pv.yaml; nfsctl troubleshoot-mount team-a/data --from node-3 --pv pv.yaml',
    ],
  ]);
}
