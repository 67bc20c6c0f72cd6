// Health's view of data freshness: is the VIP on the host with the newest data, and what
// the fix for a stopped keepalived is when that host is out of date (never "start it").
import type { Config, PairRole } from '../config/schema.js';
import type { Finding } from './check.js';
import type { Host } from '../host/host.js';
import type { PairFreshness } from '../ha/freshness.js';
import { describeRecord, holderIsOlder } from '../core/freshness.js';
import { serviceCommand } from '../ha/services.js';
import { vipState } from '../ha/vip.js';

export async function vipHoldersOf(
  config: Config,
  hosts: Record<PairRole, Host>,
  t: number,
): Promise<PairRole[] | null> {
  const s = await Promise.all((['primary', 'backup'] as const).map((r) => vipState(config, r, hosts[r], t)));
  if (s.some((x) => x.holds === null)) return null;
  return s.filter((x) => x.holds).map((x) => x.role);
}

/** One finding: the VIP holder is not older than its peer (critical when it is). Pure. */
export function freshnessFindings(config: Config, f: PairFreshness | null, holders: PairRole[] | null): Finding[] {
  const title = 'the VIP holder has the newest data';
  if (!f || f.verdict.newest === 'unknown')
    return [
      {
        id: 'freshness',
        host: null,
        status: 'ok',
        title,
        evidence: f ? f.verdict.reason : 'freshness records not readable',
      },
    ];
  const evidence = `${f.verdict.reason}; primary: ${describeRecord(f.records.primary)}; backup: ${describeRecord(f.records.backup)}`;
  const holder = holders && holders.length === 1 ? holders[0]! : null;
  if (holder && holderIsOlder(holder, f.verdict, f.records)) {
    return [
      {
        id: 'freshness',
        host: holder,
        status: 'critical',
        title,
        evidence: `VIP holder ${holder} is older than its peer: ${evidence}`,
        fix:
          holder === 'primary'
            ? `on the primary: ${serviceCommand(config, 'stop', 'keepalived')} (the VIP goes back to the backup), then nfsctl failback`
            : `nfsctl switchover is refused while the backup is older; stop keepalived on the backup (${serviceCommand(config, 'stop', 'keepalived')}) and start it on the primary, then nfsctl sync`,
      },
    ];
  }
  return [{ id: 'freshness', host: null, status: 'ok', title, evidence }];
}

/**
 * A stopped keepalived on a host whose data is older than its peer's: starting it is not the
 * fix (it would take the VIP to stale data, or sit in FAULT on nfsctl's track_file); failback
 * (which syncs first) is. Rewrites the fix of that finding in place.
 */
export function adviseFailback(findings: Finding[], f: PairFreshness | null): void {
  const older = f?.verdict.older;
  if (older !== 'primary') return; // an older backup is a standby behind by a sync: starting it is fine
  for (const x of findings) {
    if (x.id === 'vip' && x.status !== 'ok' && /start keepalived on the primary/.test(x.fix ?? '')) {
      x.fix = `start keepalived on the backup, whose data is the newest (the primary is older: ${f!.verdict.reason}); then nfsctl failback`;
    }
    if (x.id === 'service-keepalived' && x.host === older && x.status !== 'ok') {
      x.fix = 'nfsctl failback';
      x.evidence += `; ${older}'s data is older than its peer's (${f!.verdict.reason}): do not start keepalived by hand`;
    }
  }
}
