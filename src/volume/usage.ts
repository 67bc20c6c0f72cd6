// Usage of one volume on one host, from its backend's own accounting, one function per
// backend (to move behind the backend contract): an LV's filesystem (df of its mount), an
// XFS project's quota report, an RBD image's filesystem where it is mapped (df on the VIP
// holder) or else the pool's `rbd du`. Null when the backend cannot tell (an LV not mounted,
// xfsquota without quotas): shown as unknown, never as 0.
import type { Config, PairRole } from '../config/schema.js';
import { dfUsage, rbdDuUsage, usedPercent, xfsQuotaUsage, type Usage } from '../core/usage.js';
import type { HostInventory, RbdInventory } from './inventory.js';
import type { Backend, VolumeIdentity } from './identity.js';

export type { Usage } from '../core/usage.js';

function lvmUsage(inv: HostInventory, v: VolumeIdentity): Usage | null {
  const e = inv.df?.get(v.path);
  return e ? dfUsage(e) : null;
}

function xfsquotaUsage(config: Config, inv: HostInventory, v: VolumeIdentity): Usage | null {
  if (config.backends.xfsquota?.quota === false) return null;
  const p = inv.xfs?.projects.get(v.projectId);
  if (!p) return null;
  return xfsQuotaUsage({ id: p.id, usedBytes: p.usedBytes, softBytes: p.softBytes ?? 0, hardBytes: p.hardBytes, inodesUsed: p.inodesUsed ?? null, inodesSoft: null, inodesHard: p.inodesHard ?? null });
}

function rbdUsage(inv: HostInventory, v: VolumeIdentity, rbd: RbdInventory | undefined): Usage | null {
  const e = inv.df?.get(v.path);
  if (e) return dfUsage(e); // mapped and mounted here: the filesystem's own numbers
  const du = rbd?.du?.get(v.image);
  return du ? rbdDuUsage(du) : null;
}

/** This host's usage of `v` (null: unknown). */
export function hostUsage(config: Config, backend: Backend, inv: HostInventory, v: VolumeIdentity, rbd?: RbdInventory): Usage | null {
  if (!inv.reachable) return null;
  switch (backend) {
    case 'lvm':
      return lvmUsage(inv, v);
    case 'xfsquota':
      return xfsquotaUsage(config, inv, v);
    case 'rbd':
      return rbdUsage(inv, v, rbd);
  }
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
export function volumeUsage(hosts: Record<PairRole, { usage?: Usage | null }>, vipHolder: PairRole | null): VolumeUsage | null {
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
