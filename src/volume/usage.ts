// Usage of one volume on one host, from its backend's own accounting (each backend's `usage`:
// an LV's filesystem (df of its mount), an XFS project's quota report, an RBD image's
// filesystem where it is mapped or else the pool's `rbd du`). Null when the backend cannot
// tell (an LV not mounted, xfsquota without quotas): shown as unknown, never as 0.
import type { Config, PairRole } from '../config/schema.js';
import { usedPercent, type Usage } from '../core/usage.js';
import type { HostInventory } from './inventory.js';
import { backendNamed } from './backend/registry.js';
import type { ClusterInventory } from './backend/contract.js';
import type { Backend, VolumeIdentity } from './identity.js';

export type { Usage } from '../core/usage.js';

/** This host's usage of `v` (null: unknown), from its backend (the contract's `usage`). */
export function hostUsage(
  config: Config,
  backend: Backend,
  inv: HostInventory,
  v: VolumeIdentity,
  cluster?: ClusterInventory,
): Usage | null {
  if (!inv.reachable) return null;
  return backendNamed(backend).usage(config, inv, v, cluster);
}

export interface VolumeUsage extends Usage {
  /** The host the numbers are from. */
  host: PairRole;
  percent: number;
}

/**
 * The usage a volume is judged by: the VIP holder's copy (what clients write to), else the
 * primary's, else the backup's; null when no host can tell.
 */
export function volumeUsage(
  hosts: Record<PairRole, { usage?: Usage | null }>,
  vipHolder: PairRole | null,
): VolumeUsage | null {
  const order: PairRole[] = vipHolder === 'backup' ? ['backup', 'primary'] : ['primary', 'backup'];
  for (const r of order) {
    const u = hosts[r].usage;
    const pct = usedPercent(u);
    if (u && pct !== null) return { ...u, host: r, percent: pct };
  }
  return null;
}

export interface UsageThresholds {
  warnPercent: number;
  criticalPercent: number;
}

export type UsageLevel = 'ok' | 'warn' | 'critical';

export function usageLevel(percent: number, t: UsageThresholds): UsageLevel {
  return percent >= t.criticalPercent ? 'critical' : percent >= t.warnPercent ? 'warn' : 'ok';
}
