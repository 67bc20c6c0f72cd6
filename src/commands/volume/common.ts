// Shared by the volume commands: reading the pair's state, and turning flags into
// validated specs before anything runs.
import type { Context } from '../../cli/context.js';
import type { PairState } from '../../volume/plans.js';
import { clusterInventories, pairInventory } from '../../volume/inventory.js';
import { mergeVolumes } from '../../volume/state.js';
import { vipHolders } from '../../ha/vip.js';
import { checkExportSpec, type ExportSpec } from '../../volume/exporter.js';
import { backendNamed } from '../../volume/backend/registry.js';
import { parseLabelItems } from '../../core/k8s-labels.js';
import { NFSCTL_LABELS } from '../../volume/pv.js';
import { UsageError } from '../../core/errors.js';

export async function loadPairState(ctx: Context): Promise<PairState> {
  const hosts = { primary: ctx.host('primary'), backup: ctx.host('backup') };
  // a shared backend's cluster is the same from both hosts: ask whichever answers, this one first
  const order = ctx.config.this === 'backup' ? (['backup', 'primary'] as const) : (['primary', 'backup'] as const);
  const [inv, vips, cluster] = await Promise.all([
    pairInventory(ctx.config, hosts),
    vipHolders(ctx.config, hosts, ctx.config.timeouts.check),
    clusterInventories(ctx.config, order.map((r) => ctx.host(r))),
  ]);
  const holders = vips.filter((v) => v.holds === true).map((v) => v.role);
  return { inv, cluster, vipHolder: holders.length === 1 ? holders[0]! : null, views: mergeVolumes(ctx.config, inv, cluster) };
}

/** Bytes a shared backend's cluster can still take (e.g. ceph df max_avail), or null when it cannot tell or `backend` keeps its data on the hosts. */
export async function availableFor(ctx: Context, backend: string | undefined): Promise<number | null> {
  if (backend === undefined) return null;
  return backendNamed(backend).available(ctx.config, ctx.host(ctx.config.this ?? 'primary'));
}

/** Kubernetes label syntax, since the labels end up on the PersistentVolume; nfsctl's own keys are refused. */
export function parseLabels(items: string[] = []): Record<string, string> {
  return parseLabelItems(items, Object.keys(NFSCTL_LABELS));
}

/** `--clients a,b --clients c` as a list; an empty entry ('' or "a,,b") is a usage error, before anything runs. */
export function clientList(values: string[]): string[] {
  const list = values.flatMap((c) => c.split(',')).map((c) => c.trim());
  if (list.length === 0 || list.some((c) => c === '')) throw new UsageError(`--clients ${JSON.stringify(values.join(','))}: an empty client; expected hosts or networks such as 198.51.100.0/24 (comma-separated)`);
  return list;
}

/** `--clients a,b --clients c` and `--options rw,sync` into a validated spec (config defaults). */
export function exportSpecFrom(ctx: Context, opts: { clients?: string[]; options?: string }): ExportSpec {
  const clients = opts.clients !== undefined ? clientList(opts.clients) : ctx.config.nfs.clients;
  const options = opts.options !== undefined ? opts.options.split(',').map((o) => o.trim()).filter(Boolean) : ctx.config.nfs.options;
  const spec = { clients, options };
  checkExportSpec(spec, ctx.config.nfs.server);
  return spec;
}

