// rbd lock list: every advisory lock of one image, one pool or every rbd pool, with the
// image's watchers and a verdict (src/rbd/verdict.ts has the rule). Exit 0 also when there
// are no locks; 4 for a missing pool or image; 2 for malformed arguments.
import type { Context } from '../../cli/context.js';
import { UsageError } from '../../core/errors.js';
import { parseImageSpec, validatePool } from '../../rbd/validate.js';
import { rbdPools, scan, scanImage, type ScanResult } from '../../rbd/locks.js';
import { renderScan } from '../../rbd/render.js';
import { makeProber, openCeph, type CephCliOptions } from './common.js';

export interface LockListOptions extends CephCliOptions {
  pool?: string;
  allPools?: boolean;
  nodeCheck?: boolean;
  json?: boolean;
}

export async function runLockList(ctx: Context, target: string | undefined, o: LockListOptions): Promise<void> {
  const modes = [target !== undefined, o.pool !== undefined, o.allPools === true].filter(Boolean).length;
  if (modes > 1) throw new UsageError('give one of <pool>/<image>, --pool <pool> or --all-pools');
  const spec = target !== undefined ? parseImageSpec(target) : undefined;
  if (o.pool !== undefined) validatePool(o.pool);
  const ceph = await openCeph(ctx, o);
  const prober = makeProber(ctx, o.nodeCheck);
  let result: ScanResult;
  if (spec) {
    await ceph.checkFiles();
    const locks = await scanImage(ceph, spec, prober);
    result = { pools: [spec.pool], imagesScanned: 1, locks, errors: [] };
  } else {
    let pools: string[];
    if (o.allPools) {
      await ceph.checkFiles();
      pools = await rbdPools(ceph);
    } else {
      const pool = o.pool ?? ceph.target.pool;
      if (pool === undefined)
        throw new UsageError('no pool: config has no backends.rbd.pool', {
          hint: 'nfsctl rbd lock list --pool <pool>   (or --all-pools)',
        });
      pools = [pool];
      await ceph.checkFiles();
    }
    result = await scan(ceph, pools, prober);
  }
  if (o.json) {
    ctx.out.json(result);
    return;
  }
  if (spec && result.locks.length === 0) {
    ctx.out.line(`${spec.pool}/${spec.image}: no locks`);
    return;
  }
  for (const l of renderScan(result)) ctx.out.line(l);
}
