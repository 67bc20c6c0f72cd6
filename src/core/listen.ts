// `ADDR:PORT` for a listening socket: an IPv4 literal or a bracketed IPv6 literal, and a
// port 1-65535 in plain decimal. Names are refused (what they resolve to decides where the
// health server is reachable from).
import { isIPv4, isIPv6 } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListen(text: string): ListenAddress | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):([1-9][0-9]{0,4})$/.exec(text);
  if (!m) return null;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) return null;
  if (m[1] !== undefined ? !isIPv6(host) : !isIPv4(host)) return null;
  return { host, port };
}

export function listenProblem(text: string): string | null {
  return parseListen(text)
    ? null
    : `expected ADDR:PORT with an IP literal, e.g. 127.0.0.1:9655 or [::1]:9655, got ${JSON.stringify(text)}`;
}
