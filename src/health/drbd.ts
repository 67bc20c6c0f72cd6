// Health of the DRBD volumes: one finding per volume from both hosts' inventories (role,
// connection and disk state on each host, out-of-sync bytes, resync progress), a split brain
// critical, and the VIP holder serving each (Primary, mounted, exported). The kernel logs
// are read for split-brain evidence only when a side is StandAlone.
import type { Config, PairRole } from '../config/schema.js';
import { peerOf } from '../core/roles.js';
import type { Host } from '../host/host.js';
import type { Finding } from './check.js';
import { emptyInventory, type HostInventory } from '../volume/inventory.js';
import { configuredBackends } from '../volume/backend/registry.js';
import { mergeVolumes } from '../volume/state.js';
import {
  drbdHealth,
  drbdVolumes,
  formatFigures,
  notServingWhy,
  progressBar,
  readSplitBrainEvidence,
  ROLES,
  sideText,
  type DrbdVolume,
  type SplitBrainEvidence,
} from '../ha/drbd-pair.js';

/** Is a replicated (DRBD) backend configured? */
export function drbdConfigured(config: Config): boolean {
  return configuredBackends(config).some((b) => b.placement === 'replicated');
}

/** The findings for `dvs` (pure): `holder` is the one VIP holder, or null when there is none or two. */
export function drbdFindings(
  config: Config,
  dvs: readonly DrbdVolume[],
  holder: PairRole | null,
  evidence?: Partial<Record<PairRole, SplitBrainEvidence>>,
): Finding[] {
  const out: Finding[] = [];
  for (const dv of dvs) {
    const h = drbdHealth(dv, evidence);
    const sides = ROLES.map((r) => `${r}: ${sideText(dv.hosts[r])}`).join('; ');
    const base = {
      id: `drbd:${dv.id}`,
      host: null,
      title: `DRBD volume ${dv.id} (${dv.resource}) replicates and is served`,
    };
    if (h.kind === 'split-brain') {
      out.push({
        ...base,
        status: 'critical',
        evidence: `SPLIT BRAIN: ${h.why}; ${sides}`,
        fix: `nfsctl ha split-brain (what diverged), then nfsctl ha split-brain resolve ${dv.id} --keep primary|backup`,
      });
      continue;
    }
    if (h.kind === 'bad') {
      const alone = ROLES.filter((r) => dv.hosts[r].state?.cstate === 'StandAlone');
      out.push({
        ...base,
        status: 'critical',
        evidence: `${h.why}; ${sides}`,
        fix: alone.length
          ? `nfsctl ha split-brain (is it one?); if not: drbdadm connect ${dv.resource} (on ${alone.join(' and ')})`
          : `check DRBD on both hosts: drbdadm status ${dv.resource}; cat /proc/drbd`,
      });
      continue;
    }
    if (h.kind === 'syncing') {
      out.push({
        ...base,
        status: 'warn',
        evidence: `resync${h.figures.target ? ` to ${h.figures.target}` : ''} ${progressBar(h.figures.percent)} ${formatFigures(h.figures)}; ${sides}`,
        fix: 'wait for it (a VIP move is refused or waits until it ends); nfsctl status shows its progress',
      });
      continue;
    }
    // replicating: the VIP holder serves it, the other side is not Primary
    const problems: string[] = [];
    // the old holder still Primary (its keepalived stopped before the hook let go): it must
    // let go first, or the holder's promote keeps failing
    let letGo: string | null = null;
    if (holder) {
      const why = notServingWhy(dv, holder);
      if (why) problems.push(`the VIP holder ${holder} does not serve it (${why.replace(`${dv.id}: `, '')})`);
      const other = peerOf(holder);
      if (dv.hosts[other].state?.role === 'Primary') {
        problems.push(`${other} (no VIP) is Primary too`);
        letGo = `on ${other}: nfsctl ha notify INSTANCE ${config.keepalived.instance} STOP (unexport, unmount, demote); then `;
      }
    }
    out.push({
      ...base,
      status: problems.length ? 'critical' : 'ok',
      evidence: problems.length ? `${problems.join('; ')}; ${sides}` : `Connected, UpToDate on both hosts; ${sides}`,
      ...(problems.length
        ? {
            fix: `${letGo ?? ''}on ${holder}: nfsctl ha notify INSTANCE ${config.keepalived.instance} MASTER (what keepalived's notify hook does: promote, mount, export)`,
          }
        : {}),
    });
  }
  return out;
}

/** health's DRBD check: from the inventories health read, plus the kernel logs when a side is StandAlone. */
export async function drbdChecks(
  config: Config,
  pair: Record<PairRole, Host>,
  inventories: Map<PairRole, HostInventory>,
  holders: PairRole[] | null,
): Promise<Finding[]> {
  if (!drbdConfigured(config) || inventories.size === 0) return [];
  const inv = {
    primary: inventories.get('primary') ?? emptyInventory('primary', 'not checked'),
    backup: inventories.get('backup') ?? emptyInventory('backup', 'not checked'),
  };
  const dvs = drbdVolumes(config, mergeVolumes(config, inv), inv);
  let evidence: Partial<Record<PairRole, SplitBrainEvidence>> | undefined;
  if (dvs.some((dv) => ROLES.some((r) => dv.hosts[r].state?.cstate === 'StandAlone'))) {
    evidence = {};
    for (const r of ROLES) if (inv[r].reachable) evidence[r] = await readSplitBrainEvidence(pair[r]);
  }
  const holder = holders && holders.length === 1 ? holders[0]! : null;
  return drbdFindings(config, dvs, holder, evidence);
}
