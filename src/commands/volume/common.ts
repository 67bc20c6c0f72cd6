// Shared by the volume commands: reading the pair's state, and turning flags into
// validated specs before anything runs.
import type { Context } from '../../cli/context.js';
import type { PairState } from '../../volume/plans.js';
import {
  availableFor as available,
  loadPairState as loadPair,
  loadPairStateWithForeign as loadPairWithForeign,
} from '../../volume/pair-state.js';
import { checkExportSpec, type ExportSpec } from '../../volume/exporter.js';
import { parseLabelItems } from '../../core/k8s-labels.js';
import { NFSCTL_LABELS } from '../../volume/pv.js';
import { UsageError } from '../../core/errors.js';

/** The pair's state (src/volume/pair-state.ts) for a command. */
export function loadPairState(ctx: Context): Promise<PairState> {
  return loadPair(ctx.config, { primary: ctx.host('primary'), backup: ctx.host('backup') });
}

/** The pair's state and what nfsctl does not manage on it, one batch of reads per host. */
export function loadPairStateWithForeign(ctx: Context) {
  return loadPairWithForeign(ctx.config, { primary: ctx.host('primary'), backup: ctx.host('backup') });
}

/** Bytes a shared backend's cluster can still take, asked on this host (src/volume/pair-state.ts). */
export function availableFor(ctx: Context, backend: string | undefined): Promise<number | null> {
  return available(ctx.config, ctx.host(ctx.config.this ?? 'primary'), backend);
}

/** Kubernetes label syntax, since the labels end up on the PersistentVolume; nfsctl's own keys are refused. */
export function parseLabels(items: string[] = []): Record<string, string> {
  return parseLabelItems(items, Object.keys(NFSCTL_LABELS));
}

/** `--clients a,b --clients c` as a list; an empty entry ('' or "a,,b") is a usage error, before anything runs. */
export function clientList(values: string[]): string[] {
  const list = values.flatMap((c) => c.split(',')).map((c) => c.trim());
  if (list.length === 0 || list.some((c) => c === ''))
    throw new UsageError(
      `--clients ${JSON.stringify(values.join(','))}: an empty client; expected hosts or networks such as 198.51.100.0/24 (comma-separated)`,
    );
  return list;
}

/** `--clients a,b --clients c` and `--options rw,sync` into a validated spec (config defaults). */
export function exportSpecFrom(ctx: Context, opts: { clients?: string[]; options?: string }): ExportSpec {
  const clients = opts.clients !== undefined ? clientList(opts.clients) : ctx.config.nfs.clients;
  const options =
    opts.options !== undefined
      ? opts.options
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean)
      : ctx.config.nfs.options;
  const spec = { clients, options };
  checkExportSpec(spec, ctx.config.nfs.server);
  return spec;
}
