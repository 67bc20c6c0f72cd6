// `volume list` filters and order: namespace, label selector, use over a percentage; by
// name, namespace, size or use. Pure: views in, rows out.
import type { PairRole } from '../config/schema.js';
import { matchesSelector, type Requirement } from '../core/label-selector.js';
import type { VolumeView } from './state.js';
import { volumeUsage, type VolumeUsage } from './usage.js';

export const SORT_KEYS = ['name', 'namespace', 'size', 'used'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface ListQuery {
  namespace?: string;
  selector?: Requirement[];
  /** Only volumes whose use is strictly above this percentage (unknown use is left out). */
  overPercent?: number;
  sort?: SortKey;
}

export interface ListRow {
  view: VolumeView;
  usage: VolumeUsage | null;
}

export interface ListResult {
  rows: ListRow[];
  /** Left out by --over because no host can tell their use. */
  unknownUsage: number;
}

export function queryVolumes(views: readonly VolumeView[], vipHolder: PairRole | null, q: ListQuery): ListResult {
  let unknownUsage = 0;
  const rows: ListRow[] = [];
  for (const view of views) {
    if (q.namespace !== undefined && view.namespace !== q.namespace) continue;
    if (q.selector && !matchesSelector(view.labels, q.selector)) continue;
    const usage = volumeUsage(view.hosts, vipHolder);
    if (q.overPercent !== undefined) {
      if (!usage) {
        unknownUsage++;
        continue;
      }
      if (!(usage.percent > q.overPercent)) continue;
    }
    rows.push({ view, usage });
  }
  const byId = (a: ListRow, b: ListRow) => a.view.id.localeCompare(b.view.id);
  const cmp: Record<SortKey, (a: ListRow, b: ListRow) => number> = {
    // ascending, as kubectl sorts names
    name: (a, b) => a.view.name.localeCompare(b.view.name) || byId(a, b),
    namespace: (a, b) => a.view.namespace.localeCompare(b.view.namespace) || byId(a, b),
    // the biggest and the fullest first: what an operator looks for; unknown use last
    size: (a, b) => b.view.sizeBytes - a.view.sizeBytes || byId(a, b),
    used: (a, b) =>
      (b.usage?.percent ?? -1) - (a.usage?.percent ?? -1) ||
      (b.usage?.usedBytes ?? -1) - (a.usage?.usedBytes ?? -1) ||
      byId(a, b),
  };
  rows.sort(cmp[q.sort ?? 'namespace']);
  return { rows, unknownUsage };
}
