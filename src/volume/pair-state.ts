// The pair's volume state as both hosts (and the shared backends' clusters) report it, with the
// VIP holder: what volume commands, troubleshoot and health read before they plan anything.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { PairState } from './plans.js';
import { clusterInventories, pairInventory } from './inventory.js';
import { mergeVolumes } from './state.js';
import { vipHolders } from '../ha/vip.js';
import { backendNamed } from './backend/registry.js';
import type { ReadOnHost } from './backend/contract.js';
import { foreignInBatch, type ForeignReads } from './unmanaged.js';

export async function loadPairState(
  config: Config,
  hosts: Record<PairRole, Host>,
  alsoRead?: (role: PairRole, read: ReadOnHost) => void,
): Promise<PairState> {
  // a shared backend's cluster is the same from both hosts: ask whichever answers, this one first
  const order = config.this === 'backup' ? (['backup', 'primary'] as const) : (['primary', 'backup'] as const);
  const [inv, vips, cluster] = await Promise.all([
    pairInventory(config, hosts, alsoRead),
    vipHolders(config, hosts, config.timeouts.check),
    clusterInventories(
      config,
      order.map((r) => hosts[r]),
    ),
  ]);
  const holders = vips.filter((v) => v.holds === true).map((v) => v.role);
  return {
    inv,
    cluster,
    vipHolder: holders.length === 1 ? holders[0]! : null,
    views: mergeVolumes(config, inv, cluster),
  };
}

/**
 * The pair's state and what nfsctl does not manage on it (volume list, reconcile), read in one
 * batch per host: the reads they share (the VG's `lvs`, the exports files) run once.
 */
export async function loadPairStateWithForeign(
  config: Config,
  hosts: Record<PairRole, Host>,
): Promise<{ state: PairState; foreign: Record<PairRole, ForeignReads> }> {
  const foreign = { primary: foreignInBatch(config), backup: foreignInBatch(config) };
  const state = await loadPairState(config, hosts, (role, read) => foreign[role].read(read));
  return {
    state,
    foreign: { primary: foreign.primary.of(state.inv.primary), backup: foreign.backup.of(state.inv.backup) },
  };
}

/** Bytes a shared backend's cluster can still take (e.g. ceph df max_avail), or null when it cannot tell or `backend` keeps its data on the hosts. */
export async function availableFor(config: Config, host: Host, backend: string | undefined): Promise<number | null> {
  if (backend === undefined) return null;
  return backendNamed(backend).available(config, host);
}
