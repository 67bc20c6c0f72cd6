// volume reconcile: read the PV list, read the pair, report. Changes nothing anywhere.
import { readFileSync } from 'node:fs';
import type { Context } from '../../cli/context.js';
import { UsageError } from '../../core/errors.js';
import { parsePvList } from '../../core/adopt-names.js';
import { persistentVolume } from '../../volume/pv.js';
import { reconcile } from '../../volume/reconcile.js';
import { loadPairStateWithForeign } from './common.js';
import { unmanagedOf } from './unmanaged.render.js';

export async function runReconcile(
  ctx: Context,
  o: { pvs: string; output?: 'pv-yaml'; json?: boolean },
): Promise<void> {
  let text: string;
  try {
    text = readFileSync(o.pvs === '-' ? 0 : o.pvs, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the PV list ${o.pvs}: ${(err as Error).message}`);
  }
  const pvs = parsePvList(text, o.pvs === '-' ? 'stdin' : o.pvs);
  const { state, foreign } = await loadPairStateWithForeign(ctx);
  if (o.output === 'pv-yaml') {
    const { stringify } = await import('../../cli/yaml-out.js');
    const docs = state.views
      .filter((v) => !v.intent)
      .map((v) => stringify(persistentVolume(ctx.config, v.identity, v.sizeBytes, v.labels)).trimEnd());
    ctx.out.line(docs.map((d) => `---\n${d}`).join('\n'));
    return;
  }
  const r = reconcile(ctx.config, state.views, unmanagedOf(ctx, state, foreign), pvs);
  if (o.json)
    return ctx.out.json({
      pvsConsidered: r.pvsConsidered,
      pvsIgnored: r.pvsIgnored,
      volumes: state.views.length,
      findings: r.findings,
    });
  for (const f of r.findings) {
    ctx.out.line(`${f.kind.padEnd(15)} ${f.message}`);
    if (f.command) ctx.out.line(`${''.padEnd(15)}   $ ${f.command}`);
  }
  ctx.out.info(
    `${state.views.length} volume${state.views.length === 1 ? '' : 's'}, ${r.pvsConsidered} PV${r.pvsConsidered === 1 ? '' : 's'} of this pair (${r.pvsIgnored} for other servers ignored): ${r.findings.length ? `${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}` : 'they agree'}`,
  );
}
