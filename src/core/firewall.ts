// Does the host's packet filter let NFS clients in? Reads `iptables -S INPUT` (on Debian 12
// that is iptables-nft, so nft rules made through iptables show too) and answers per port
// and protocol: accepted, rejected (clients fail fast), or dropped (clients hang).

export type Verdict = 'accept' | 'reject' | 'drop';
export interface PortVerdict {
  port: number;
  proto: 'tcp' | 'udp';
  verdict: Verdict;
  rule: string | null;
}

export const NFS_CLIENT_PORTS = [111, 2048, 2049, 20048, 20049, 20050];

function portMatches(rule: string, port: number): boolean {
  const m = /--dports? (\S+)/.exec(rule);
  if (!m) return true; // no port match: applies to every port
  return m[1]!.split(',').some((p) => {
    const [a, b] = p.split(':').map(Number);
    return b === undefined ? a === port : port >= a! && port <= b;
  });
}

function protoMatches(rule: string, proto: 'tcp' | 'udp'): boolean {
  const m = /-p (\w+)/.exec(rule);
  return !m || m[1] === proto || m[1] === 'all';
}

/** First matching rule wins, as in the kernel; rules with other matches are taken as applying. */
export function evaluateInput(iptablesS: string, port: number, proto: 'tcp' | 'udp'): PortVerdict {
  let policy: Verdict = 'accept';
  for (const line of iptablesS.split('\n')) {
    const pol = /^-P INPUT (\w+)/.exec(line);
    if (pol) policy = pol[1] === 'DROP' ? 'drop' : 'accept';
    if (!line.startsWith('-A INPUT')) continue;
    if (!protoMatches(line, proto) || !portMatches(line, port)) continue;
    if (/ -s \S+/.test(line) && !/ -s 0\.0\.0\.0\/0/.test(line)) continue; // source-limited: not about all clients
    if (/-m (state|conntrack) --c?t?state (ESTABLISHED|RELATED)/.test(line) && !/NEW/.test(line)) continue;
    const j = /-j (\w+)/.exec(line)?.[1];
    if (j === 'ACCEPT') return { port, proto, verdict: 'accept', rule: line };
    if (j === 'REJECT') return { port, proto, verdict: 'reject', rule: line };
    if (j === 'DROP') return { port, proto, verdict: 'drop', rule: line };
  }
  return { port, proto, verdict: policy, rule: policy === 'accept' ? null : '-P INPUT DROP' };
}
