// Health's view of volume use: a volume at the warn threshold (health.usageWarnPercent,
// default 85%) is a warning, at the critical one (default 95%) critical, each naming the
// volume, its numbers and where they come from. Pure.
import type { Config, PairRole } from '../config/schema.js';
import type { Finding } from './check.js';
import type { VolumeView } from '../volume/state.js';
import { usageLevel, volumeUsage, type UsageThresholds } from '../volume/usage.js';
import { formatSize, GiB, MiB } from '../core/sizes.js';

export function usageThresholds(config: Config): UsageThresholds {
  return { warnPercent: config.health.usageWarnPercent, criticalPercent: config.health.usageCriticalPercent };
}

/** A size that brings the volume back under the warn threshold with room to spare (1.5x what is used, whole MiB/GiB). */
function suggestSize(usedBytes: number, sizeBytes: number): string {
  const want = Math.max(sizeBytes * 1.25, usedBytes * 1.5);
  const unit = want >= 10 * GiB ? GiB : MiB;
  return formatSize(Math.ceil(want / unit) * unit);
}

export function usageFindings(config: Config, views: readonly VolumeView[], vipHolder: PairRole | null): Finding[] {
  const t = usageThresholds(config);
  const out: Finding[] = [];
  let known = 0;
  for (const v of views) {
    const u = volumeUsage(v.hosts, vipHolder);
    if (!u) continue;
    known++;
    const inodePct =
      u.inodesUsed !== null && u.inodesTotal ? Math.round((u.inodesUsed / u.inodesTotal) * 1000) / 10 : null;
    const levels = [usageLevel(u.percent, t), inodePct === null ? 'ok' : usageLevel(inodePct, t)];
    const status = levels.includes('critical') ? 'critical' : levels.includes('warn') ? 'warn' : 'ok';
    if (status === 'ok') continue;
    out.push({
      id: `usage:${v.id}`,
      host: u.host,
      status,
      title: `volume ${v.id} has room`,
      evidence: `${formatSize(u.usedBytes)} of ${formatSize(u.capacityBytes)} used (${u.percent}%)${inodePct !== null ? `, inodes ${u.inodesUsed} of ${u.inodesTotal} (${inodePct}%)` : ''}, from ${u.source} on ${u.host}; warn at ${t.warnPercent}%, critical at ${t.criticalPercent}%`,
      fix: `nfsctl volume resize ${v.id} --size ${suggestSize(u.usedBytes, v.sizeBytes)} (or free space in it)`,
    });
  }
  const worst = out.some((f) => f.status === 'critical') ? 'critical' : out.length ? 'warn' : 'ok';
  const unknown = views.length - known;
  out.push({
    id: 'usage',
    host: null,
    status: worst,
    title: `volumes below ${t.warnPercent}% full`,
    evidence: `${known - out.length} of ${known} volumes with known use below ${t.warnPercent}%${out.length ? `; over: ${out.map((f) => f.id.slice('usage:'.length)).join(', ')}` : ''}${unknown ? `; ${unknown} whose use no host can tell (not mounted, or no quotas)` : ''}`,
  });
  return out;
}
