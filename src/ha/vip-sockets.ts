// TCP connections to the VIP that a host keeps after the VIP has left it. Linux does not close
// a connection when its local address goes away: the NFS server's socket stays ESTABLISHED and
// goes on retransmitting its last replies. When the VIP comes back to that host (the next
// switchover or failback), a client reconnecting from the same source port (the kernel NFS
// client reuses it) lands on that stale socket: its segments are out of window there, so they
// get bare ACKs instead of a reset, and the client waits out its retransmission backoff until
// the stale socket dies. Seen on the vm tier: a kernel NFSv3 client stalled 106 s on a
// switchover back to a host it had used before, against ~1 s to a host without such a socket.
// So a host resets every connection on the VIP when it releases the VIP, and the new holder
// resets the ones it kept from an earlier time before the VIP reaches it (`ss -K`, the
// kernel's SOCK_DESTROY: the peer gets a RST and reconnects at once).
import type { Config } from '../config/schema.js';
import type { Host } from '../host/host.js';
import { runChecked } from '../host/host.js';
import { isIP } from 'node:net';

/**
 * The `ss` address filters that match a socket whose local address is the VIP. An IPv4 VIP is
 * also matched as an IPv4-mapped IPv6 address: ganesha (and nfsd's IPv6 listener) accept IPv4
 * clients on an IPv6 socket, which `ss` does not match with the plain IPv4 form.
 */
export function vipSocketFilters(vip: string): string[] {
  const v = isIP(vip);
  if (v === 4) return [vip, `[::ffff:${vip}]`];
  if (v === 6) return [`[${vip}]`];
  throw new Error(`not an IP address: ${JSON.stringify(vip)}`);
}

/** `ss` argv per filter: kill (-K) every TCP socket with the VIP as its local address; one line per socket killed. */
export function resetArgvs(vip: string): string[][] {
  return vipSocketFilters(vip).map((f) => ['ss', '-K', '-H', '-t', '-n', 'src', f]);
}

/** `ss` argv per filter: list the TCP sockets left with the VIP as local address (listeners are bound to the wildcard). */
export function listArgvs(vip: string): string[][] {
  return vipSocketFilters(vip).map((f) => ['ss', '-H', '-t', '-n', 'src', f]);
}

const lines = (t: string) => t.split('\n').filter((l) => l.trim() !== '').length;

export interface ResetResult {
  /** Connections reset. */
  reset: number;
  /** Connections still there afterwards (a kernel without SOCK_DESTROY, CONFIG_INET_DIAG_DESTROY). */
  left: number;
}

/** Reset every TCP connection `host` has on the VIP; say how many, and how many are left. */
export async function resetVipConnections(config: Config, host: Host): Promise<ResetResult> {
  let reset = 0;
  for (const argv of resetArgvs(config.vip)) reset += lines((await runChecked(host, argv)).stdout);
  let left = 0;
  for (const argv of listArgvs(config.vip)) left += lines((await runChecked(host, argv)).stdout);
  return { reset: Math.max(0, reset - left), left };
}

export function resetDescribe(vip: string): string {
  return resetArgvs(vip)
    .map((a) => a.join(' '))
    .join('; ');
}

/** The line a plan reports for a reset: none needs no line, leftovers get the cause. */
export function resetReport(host: string, r: ResetResult): string | null {
  if (r.left > 0)
    return `${host}: ${r.left} connection(s) on the VIP could not be reset (a kernel without SOCK_DESTROY?): clients that reconnect to it from the same port may stall until they time out`;
  return r.reset > 0 ? `${host}: reset ${r.reset} connection(s) it kept on the VIP` : null;
}
