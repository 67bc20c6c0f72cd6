// The pair's volume state as both hosts (and the shared RBD pool) report it, with the VIP
// holder: what volume commands, troubleshoot and health read before they plan anything.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { PairState } from './plans.js';
import { pairInventory, rbdInventory } from './inventory.js';
import { mergeVolumes } from './state.js';
import { vipHolders } from '../ha/vip.js';

export async function loadPairState(config: Config, hosts: Record<PairRole, Host>): Promise<PairState> {
  const [inv, vips, rbd] = await Promise.all([
    pairInventory(config, hosts),
    vipHolders(config, hosts, config.timeouts.check),
    config.backends.rbd ? rbdFromAnyHost(config, hosts) : Promise.resolve(undefined),
  ]);
  const holders = vips.filter((v) => v.holds === true).map((v) => v.role);
  return { inv, rbd, vipHolder: holders.length === 1 ? holders[0]! : null, views: mergeVolumes(config, inv, rbd) };
}

/** The pool is shared: ask whichever host answers, this one first. */
async function rbdFromAnyHost(config: Config, hosts: Record<PairRole, Host>) {
  const order = config.this === 'backup' ? (['backup', 'primary'] as const) : (['primary', 'backup'] as const);
  let last: Error | undefined;
  for (const r of order) {
    try {
      return await rbdInventory(config, hosts[r]);
    } catch (err) {
      last = err as Error;
    }
  }
  return { images: [], metas: new Map(), error: last?.message ?? 'no host answered' };
}
