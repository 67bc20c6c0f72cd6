// TCP connections to the VIP that a host keeps after the VIP has left it. Linux does not close
// a connection when its local address goes away: the NFS server's socket stays ESTABLISHED and
// goes on retransmitting its last replies. When the VIP comes back to that host (the next
// switchover or failback), a client reconnecting from the same source port (the kernel NFS
// client reuses it) lands on that stale socket: its segments are out of window there, so they
// get bare ACKs instead of a reset, and the client waits out its retransmission backoff until
// the stale socket dies. Seen on the vm tier: a kernel NFSv3 client stalled 106 s on a
// switchover back to a host it had used before, against ~1 s to a host without such a socket.
// So a host resets every NFS connection on the VIP when it releases the VIP, and the new holder
// resets the ones it kept from an earlier time before the VIP reaches it (`ss -K`, the
// kernel's SOCK_DESTROY: the peer gets a RST and reconnects at once).
import type { Config, PairRole } from '../config/schema.js';
import type { Step, StepContext } from '../plan/plan.js';
import type { Host } from '../host/host.js';
import { runChecked } from '../host/host.js';
import { isIP } from 'node:net';
import { NFS_CLIENT_PORTS } from '../core/firewall.js';

/**
 * The `ss` filter that matches a socket whose local address is the VIP. An IPv4 VIP is also
 * matched as an IPv4-mapped IPv6 address: ganesha (and nfsd's IPv6 listener) accept IPv4
 * clients on an IPv6 socket, which `ss` does not match with the plain IPv4 form.
 */
export function vipSocketFilter(vip: string): string[] {
  const v = isIP(vip);
  if (v === 4) return ['src', vip, 'or', 'src', `[::ffff:${vip}]`];
  if (v === 6) return ['src', `[${vip}]`];
  throw new Error(`not an IP address: ${JSON.stringify(vip)}`);
}

/**
 * Only the NFS ports' connections (the seed's pinned ones: rpcbind, nfsd, mountd, statd,
 * lockd): an operator's SSH session to the VIP, or any other service on it, is not nfsctl's to
 * cut, and it is not what stalls NFS clients.
 */
export function nfsPortFilter(): string[] {
  return NFS_CLIENT_PORTS.flatMap((p, i) => [...(i === 0 ? [] : ['or']), 'sport', '=', `:${p}`]);
}

/** The TCP sockets of the NFS ports whose local address is the VIP. */
function vipNfsFilter(vip: string): string[] {
  return ['(', ...vipSocketFilter(vip), ')', 'and', '(', ...nfsPortFilter(), ')'];
}

/** Kill (-K) every NFS TCP socket with the VIP as its local address; `ss` prints one line per socket killed. */
export function resetArgv(vip: string): string[] {
  return ['ss', '-K', '-H', '-t', '-n', ...vipNfsFilter(vip)];
}

/** List the NFS TCP sockets left with the VIP as local address (listeners are bound to the wildcard). */
export function listArgv(vip: string): string[] {
  return ['ss', '-H', '-t', '-n', ...vipNfsFilter(vip)];
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
  const killed = lines((await runChecked(host, resetArgv(config.vip))).stdout);
  const left = lines((await runChecked(host, listArgv(config.vip))).stdout);
  return { reset: Math.max(0, killed - left), left };
}

/** The line a plan reports for a reset: none needs no line, leftovers get the cause. */
export function resetReport(host: string, r: ResetResult): string | null {
  if (r.left > 0)
    return `${host}: ${r.left} connection(s) on the VIP could not be reset (a kernel without SOCK_DESTROY?): clients that reconnect to it from the same port may stall until they time out`;
  return r.reset > 0 ? `${host}: reset ${r.reset} connection(s) it kept on the VIP` : null;
}

/**
 * The step that resets them on `role`, for switchover/failback and the notify hook alike. Best
 * effort: each line it has to say (`problem`: connections left, or the reset failed) goes to
 * `say`, and the transition goes on.
 */
export function resetConnectionsStep(
  config: Config,
  role: PairRole,
  title: string,
  say: (line: string, problem: boolean, ctx: StepContext) => void,
): Step {
  return {
    id: `${role}:vip-connections`,
    host: role,
    title,
    action: {
      kind: 'fn',
      describe: resetArgv(config.vip).join(' '),
      fn: async (h, ctx) => {
        try {
          const r = await resetVipConnections(config, h);
          const line = resetReport(role, r);
          if (line) say(line, r.left > 0, ctx);
        } catch (err) {
          say(`${role}: could not reset its connections on the VIP: ${(err as Error).message}`, true, ctx);
        }
      },
    },
    undo: null,
    noUndoReason: 'a reset connection is not restored: its client reconnects',
  };
}
