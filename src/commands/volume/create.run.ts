// volume create: validate everything, lock the pair, look at both hosts, plan, run.
import type { Context } from '../../cli/context.js';
import { parseVolumeRef } from '../../core/names.js';
import { parseSize } from '../../core/sizes.js';
import { operatorName } from '../../state/audit.js';
import { checkCreatable, planCreate } from '../../volume/plans.js';
import type { Backend } from '../../volume/identity.js';
import { persistentVolume } from '../../volume/pv.js';
import { availableFor, exportSpecFrom, loadPairState, parseLabels } from './common.js';
import { backendNamed } from '../../volume/backend/registry.js';
import { createBackendFor, type Replication } from '../../volume/backends.js';
import { parsePvModel } from '../../volume/pv-model.js';
import { hostname } from 'node:os';
import { runPlan } from '../../plan/reporter.js';

export interface CreateOptions {
  size: string;
  backend?: Backend;
  replication?: Replication;
  clients?: string[];
  options?: string;
  label?: string[];
  output?: 'pv-yaml' | 'pv-json';
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  accessMode?: string[];
  reclaimPolicy?: string;
  claim?: string | boolean;
  storageClass?: string;
}

export async function runCreate(ctx: Context, target: string, o: CreateOptions): Promise<void> {
  // Every input is checked before any host is contacted.
  const ref = parseVolumeRef(target);
  const size = parseSize(o.size);
  const backend = createBackendFor(ctx.config, o.backend, o.replication);
  const labels = parseLabels(o.label);
  const spec = exportSpecFrom(ctx, o);
  const v = checkCreatable(ctx.config, ref, backend);
  // commander's --no-claim sets claim=false; --claim X sets a string
  const model = parsePvModel(ref, {
    ...(o.accessMode ? { accessMode: o.accessMode } : {}),
    ...(o.reclaimPolicy !== undefined ? { reclaimPolicy: o.reclaimPolicy } : {}),
    ...(typeof o.claim === 'string' ? { claim: o.claim } : {}),
    noClaim: o.claim === false,
    ...(o.storageClass !== undefined ? { storageClass: o.storageClass } : {}),
  });
  await ctx.withPairLock(`volume create ${v.id}`, async () => {
    const state = await loadPairState(ctx);
    const plan = planCreate(ctx.config, state, {
      ref,
      size,
      backend,
      export: spec,
      labels,
      createdBy: `${operatorName()}@${hostname()}`,
      rbdAvailBytes: await availableFor(ctx, backend),
    });
    const report = await runPlan(
      ctx,
      plan,
      { ...o, json: (o.json ?? false) && !o.output },
      `Create ${v.id} on both hosts?`,
    );
    if (o.dryRun) return;
    const pv = persistentVolume(ctx.config, v, size, labels, {
      ...model,
      source: backendNamed(backend).pvSource(ctx.config, v),
    });
    if (o.output === 'pv-yaml') {
      const { stringify } = await import('../../cli/yaml-out.js');
      ctx.out.line(stringify(pv).trimEnd());
    } else if (o.output === 'pv-json') ctx.out.json(pv);
    else if (o.json)
      ctx.out.json({
        volume: v.id,
        path: v.path,
        backend,
        sizeBytes: size,
        server: ctx.config.vip,
        planId: report.planId,
        hosts: report.hostStates,
      });
    else ctx.out.line(`created ${v.id}: mount ${ctx.config.vip}:${v.path} (nfsvers=3)`);
  });
}
