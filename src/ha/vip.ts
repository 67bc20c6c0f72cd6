// Who holds the virtual IP right now, asked of each host itself (`ip -j addr`).
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';

export type VipState = { role: PairRole; holds: boolean | null; error?: string };

export function addrHolds(ipJson: string, vip: string): boolean {
  const links = JSON.parse(ipJson) as { addr_info?: { local?: string }[] }[];
  return links.some((l) => (l.addr_info ?? []).some((a) => a.local === vip));
}

export async function vipState(config: Config, role: PairRole, host: Host, timeoutMs?: number): Promise<VipState> {
  try {
    const r = await host.run(['ip', '-j', 'addr', 'show'], timeoutMs ? { timeoutMs } : {});
    if (r.exitCode !== 0) return { role, holds: null, error: r.stderr.trim() };
    return { role, holds: addrHolds(r.stdout, config.vip) };
  } catch (err) {
    return { role, holds: null, error: (err as Error).message };
  }
}

export async function vipHolders(
  config: Config,
  hosts: Record<PairRole, Host>,
  timeoutMs?: number,
): Promise<VipState[]> {
  return Promise.all((['primary', 'backup'] as const).map((r) => vipState(config, r, hosts[r], timeoutMs)));
}
