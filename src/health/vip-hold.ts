// health's check of the standby's VIP hold (vip-hold.ts): wherever a volume's filesystem is
// mounted on the VIP holder only (DRBD, RBD images nfsctl maps), the standby drops NFS traffic to
// the VIP until it serves, and the holder must not.
import { ROLES, type Config, type PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { Finding } from './check.js';
import type { HostInventory } from '../volume/inventory.js';
import { holding, HOLD_COMMENT } from '../ha/vip-hold.js';
import { holdsOnStandby } from '../ha/notify.js';

/** Read the hold on each reachable host; none when no configured backend is holder-only. */
export async function holdChecks(
  config: Config,
  pair: Record<PairRole, Host>,
  inventories: Map<PairRole, HostInventory>,
  holders: PairRole[] | null,
): Promise<Finding[]> {
  if (!holdsOnStandby(config) || inventories.size === 0) return [];
  const holder = holders && holders.length === 1 ? holders[0]! : null;
  const held = await Promise.all(
    ROLES.map(async (r) => (inventories.get(r)?.reachable ? holding(pair[r], config.vip).catch(() => null) : null)),
  );
  return holdFindings(config, holder, { primary: held[0]!, backup: held[1]! });
}

/**
 * The VIP hold (vip-hold.ts), pure: on the VIP holder it keeps every client waiting (critical:
 * a switchover or notify run that died before releasing it); the standby holds by design (ok),
 * and a standby that does not is told how (warn: a crash that lands the VIP there exposes
 * clients to ESTALE until the notify hook has served the volumes that follow the VIP).
 */
export function holdFindings(
  config: Config,
  holder: PairRole | null,
  held: Record<PairRole, boolean | null>,
): Finding[] {
  const out: Finding[] = [];
  for (const r of ROLES) {
    const h = held[r];
    const base = { id: 'vip-hold', host: r };
    if (r === holder) {
      out.push(
        h
          ? {
              ...base,
              status: 'critical',
              title: 'the VIP holder answers NFS clients (no nfsctl hold)',
              evidence: `NFS traffic to the VIP is dropped here (iptables rules with comment ${HOLD_COMMENT}): every client waits`,
              fix: `finish what was interrupted (nfsctl switchover --resume / nfsctl failback --resume), or run the notify hook: nfsctl ha notify INSTANCE ${config.keepalived.instance} MASTER (on ${r})`,
            }
          : {
              ...base,
              status: h === null ? 'warn' : 'ok',
              title: 'the VIP holder answers NFS clients (no nfsctl hold)',
              evidence: h === null ? 'iptables could not be read here' : 'no hold rule',
            },
      );
    } else if (holder !== null) {
      out.push({
        ...base,
        status: h ? 'ok' : 'warn',
        title: 'the standby holds NFS traffic to the VIP until it serves',
        evidence: h
          ? `rules with comment ${HOLD_COMMENT} in place`
          : h === null
            ? 'iptables could not be read here'
            : 'no hold: on a crash, clients that reach this host before the notify hook served the volumes that follow the VIP (DRBD, mapped RBD) are told their handles are stale',
        ...(h ? {} : { fix: `nfsctl ha notify INSTANCE ${config.keepalived.instance} BACKUP (on ${r})` }),
      });
    }
  }
  return out;
}
