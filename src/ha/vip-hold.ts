// Holding clients back on the new VIP holder until it serves (the way Pacemaker's portblock
// agent does it in its NFS recipes): an iptables DROP of NFS traffic (port 2049, tcp and udp)
// addressed to the VIP. keepalived puts the VIP on the new holder before anything there
// serves the volumes that follow it (DRBD); a client that reaches it in that window gets
// NFSERR_STALE from kernel nfsd (a handle of a filesystem it does not export), and a Linux
// client keeps an inode it was told is stale: open files get errors for good. Dropped
// packets are retransmitted instead (a hard mount waits), so the window is a stall.
// Every rule carries nfsctl's comment; release removes only those.
import { UsageError } from '../core/errors.js';
import { ipFamily, vipProblem } from '../core/config-values.js';
import { runChecked, type Host } from '../host/host.js';

/** The comment on every hold rule: what release removes, and what status finds. */
export const HOLD_COMMENT = 'nfsctl-vip-hold';
const NFS_PORT = '2049';

/** The iptables program for the VIP's family (ip6tables for an IPv6 VIP). */
export function holdProgram(vip: string): 'iptables' | 'ip6tables' {
  return ipFamily(vip) === 6 ? 'ip6tables' : 'iptables';
}

/** The rule specs (chain first), one per protocol; the VIP checked again as it lands in an argv. */
export function holdRules(vip: string): string[][] {
  const p = vipProblem(vip);
  if (p) throw new UsageError(`the VIP: ${p}`);
  const dst = `${vip}/${ipFamily(vip) === 6 ? 128 : 32}`;
  return ['tcp', 'udp'].map((proto) => [
    'INPUT',
    '-d',
    dst,
    '-p',
    proto,
    '--dport',
    NFS_PORT,
    '-m',
    'comment',
    '--comment',
    HOLD_COMMENT,
    '-j',
    'DROP',
  ]);
}

/** A shell test for the program, read-only (preflight). */
export function holdAvailableArgv(vip: string): string[] {
  return ['sh', '-c', `command -v ${holdProgram(vip)} >/dev/null 2>&1`];
}

/** What a hold and a release run, for a plan's step lines. */
export const holdDescribe = (vip: string) =>
  `${holdProgram(vip)} -I INPUT -d ${vip} --dport 2049 -j DROP (tcp, udp; comment ${HOLD_COMMENT})`;
export const releaseDescribe = (vip: string) => `${holdProgram(vip)} -D the ${HOLD_COMMENT} rules`;

const ipt = (vip: string, op: '-C' | '-I' | '-D', rule: string[]) => [holdProgram(vip), '-w', op, ...rule];

/** Insert the hold rules on `host` (each once: a rule already there is left as it is). */
export async function hold(host: Host, vip: string): Promise<void> {
  for (const rule of holdRules(vip)) {
    const present = await host.run(ipt(vip, '-C', rule), { timeoutMs: 30_000 });
    if (present.exitCode !== 0) await runChecked(host, ipt(vip, '-I', rule), { timeoutMs: 30_000 });
  }
}

/** Remove every copy of the hold rules from `host`; returns how many were removed. */
export async function release(host: Host, vip: string): Promise<number> {
  let removed = 0;
  for (const rule of holdRules(vip)) {
    // a rule inserted twice (an interrupted hold run again) needs two deletes; bounded
    for (let i = 0; i < 16; i++) {
      const present = await host.run(ipt(vip, '-C', rule), { timeoutMs: 30_000 });
      if (present.exitCode !== 0) break;
      await runChecked(host, ipt(vip, '-D', rule), { timeoutMs: 30_000 });
      removed++;
    }
  }
  return removed;
}

/** Is any hold rule in place on `host`? null when it cannot be told (no iptables, not root). */
export async function holding(host: Host, vip: string): Promise<boolean | null> {
  const has = await host.run(holdAvailableArgv(vip), { timeoutMs: 15_000 });
  if (has.exitCode !== 0) return null;
  for (const rule of holdRules(vip)) {
    const r = await host.run(ipt(vip, '-C', rule), { timeoutMs: 30_000 });
    if (r.exitCode === 0) return true;
    // iptables -C: 1 = no such rule; anything else (2: no permission, missing module): unknown
    if (r.exitCode !== 1) return null;
  }
  return false;
}
