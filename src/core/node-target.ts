// `--from [user@]node[:port]`: the node a command logs in to over SSH. Each part is checked
// before anything runs: the host is a DNS name (RFC 1123) or an IP literal ("[v6]:port" with
// a port), the user a POSIX portable user name, the port 1-65535. Nothing that starts with
// "-" (an ssh option) and nothing empty ('' would mean localhost to the resolver).
import { isIP } from 'node:net';
import { UsageError } from './errors.js';

export interface NodeTarget {
  /** The SSH user, when given (else the pair's). */
  user?: string;
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  /** The SSH port, when given (else the pair's). */
  port?: number;
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** POSIX portable user names (IEEE Std 1003.1, 3.437), no leading "-", at most 32 characters (useradd). */
const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,31}$/;

function shown(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s).replace(
    /[\u0000-\u001f\u007f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A DNS host name per RFC 1123 (letters, digits, "-" inside labels; at most 253 characters). */
export function isHostName(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  const labels = s.split('.');
  // an all-numeric last label would be a malformed IPv4 address, not a name
  if (/^\d+$/.test(labels.at(-1)!)) return false;
  return labels.every((l) => LABEL.test(l));
}

export function parseNodeTarget(arg: string, what = '--from'): NodeTarget {
  const fail = (why: string): never => {
    throw new UsageError(`${what} ${shown(arg)}: ${why}`, {
      hint: `expected [user@]node[:port], e.g. ${what} node-3, ${what} root@10.0.0.7:2222, ${what} [2001:db8::7]:22`,
    });
  };
  if (arg === '') fail('empty');
  if (arg.startsWith('-')) fail('must not start with "-"');
  let rest = arg;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!USER.test(user))
      fail(`user ${shown(user)} is not a user name (letters, digits, ".", "_", "-", not first; at most 32)`);
  }
  let host = rest;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(rest);
    if (!m) fail('a bracketed address needs its closing "]" (then optionally ":port")');
    host = m![1]!;
    portText = m![2];
    if (isIP(host) !== 6) fail(`${shown(host)} in brackets is not an IPv6 address`);
  } else if (isIP(rest) === 6) {
    host = rest; // a bare IPv6 literal: no port (use [addr]:port)
  } else {
    const c = rest.lastIndexOf(':');
    if (c >= 0) {
      host = rest.slice(0, c);
      portText = rest.slice(c + 1);
    }
    if (host === '') fail('the node name is empty');
    if (isIP(host) !== 4 && !isHostName(host))
      fail(
        `${shown(host)} is neither a host name (RFC 1123: letters, digits, "-" inside labels, dots between) nor an IP address`,
      );
  }
  const out: NodeTarget = { host };
  if (user !== undefined) out.user = user;
  if (portText !== undefined) {
    if (!/^[1-9]\d{0,4}$/.test(portText) || Number(portText) > 65535)
      fail(`port ${shown(portText)} is not a number from 1 to 65535`);
    out.port = Number(portText);
  }
  return out;
}
