/**
 * One validator per kind of configuration value. Each returns why a value is
 * unacceptable (a message that quotes it with control characters escaped), or
 * null when it is fine. The config schema (src/config/schema.ts) runs them when
 * the file is loaded, so `config check` and every command refuse the same
 * values before anything runs; nothing is validated only at use.
 *
 * The rules are those of the program that finally reads the value (LVM, the
 * Linux kernel, keepalived, rsync, ganesha, ssh, the shell a hint is pasted
 * into), narrowed to a charset that needs no quoting in any of them.
 *
 * Pure: no I/O, no DNS.
 */

import { isIPv4 as netIsIPv4, isIPv6 as netIsIPv6 } from 'node:net';
import { quoteValue } from './numbers.js';

export type Problem = string | null;

// ---------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;

/** Why `s` is not a dotted-quad IPv4 address (four decimal parts 0-255, no leading zeros). */
export function ipv4Problem(s: string): Problem {
  const parts = s.split('.');
  if (parts.length !== 4) return `${quoteValue(s)} is not an IPv4 address (four numbers 0-255 separated by ".")`;
  for (const p of parts) {
    if (!IPV4_PART.test(p))
      return `${quoteValue(s)} is not an IPv4 address (part ${quoteValue(p)}: decimal 0-255 without leading zeros)`;
    if (Number(p) > 255) return `${quoteValue(s)} is not an IPv4 address (${p} > 255)`;
  }
  return null;
}

/** Why `s` is not an IPv6 address literal (no brackets, no zone id). */
export function ipv6Problem(s: string): Problem {
  if (s.includes('%')) return `${quoteValue(s)}: an IPv6 zone id ("%…") is not supported here`;
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(':') || !netIsIPv6(s))
    return `${quoteValue(s)} is not an IPv6 address`;
  return null;
}

/** The address family of an IP literal, or null. */
export function ipFamily(s: string): 4 | 6 | null {
  if (ipv4Problem(s) === null && netIsIPv4(s)) return 4;
  if (ipv6Problem(s) === null) return 6;
  return null;
}

/** Expand an IPv6 literal to 8 groups of 4 hex digits (for comparing two spellings). */
function expandIPv6(s: string): string {
  let text = s.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text =
      text.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':');
}

/** One spelling per address: IPv6 expanded and lower-cased, IPv4 and names as given (names lower-cased). */
export function canonicalAddress(s: string): string {
  const f = ipFamily(s);
  if (f === 6) return expandIPv6(s);
  return s.toLowerCase();
}

function specialIpProblem(s: string, what: string, allowLoopback: boolean): Problem {
  const f = ipFamily(s);
  if (f === 4) {
    const [a, b, c, d] = s.split('.').map(Number) as [number, number, number, number];
    if (a === 0) return `${quoteValue(s)} cannot be ${what} (0.0.0.0/8 is "this network")`;
    if (a === 127 && !allowLoopback) return `${quoteValue(s)} cannot be ${what} (loopback)`;
    if (a >= 224 && a <= 239) return `${quoteValue(s)} cannot be ${what} (multicast)`;
    if (a === 255 && b === 255 && c === 255 && d === 255) return `${quoteValue(s)} cannot be ${what} (broadcast)`;
  } else if (f === 6) {
    const x = expandIPv6(s);
    if (/^0000:0000:0000:0000:0000:0000:0000:0000$/.test(x))
      return `${quoteValue(s)} cannot be ${what} (unspecified address)`;
    if (!allowLoopback && /^0000:0000:0000:0000:0000:0000:0000:0001$/.test(x))
      return `${quoteValue(s)} cannot be ${what} (loopback)`;
    if (x.startsWith('ff')) return `${quoteValue(s)} cannot be ${what} (multicast)`;
  }
  return null;
}

/**
 * Why `s` is not a DNS host name nfsctl accepts: RFC 1123 labels (letters,
 * digits, "-", 1-63 characters, not starting or ending with "-"), 253
 * characters at most, at least two labels (a single-label name depends on the
 * resolver's search list), and a top label that is not all digits (RFC 3696
 * 2), so that a mistyped IPv4 address is never taken for a name.
 */
export function hostnameProblem(s: string): Problem {
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  if (name.length === 0) return 'is empty';
  if (name.length > 253) return `${quoteValue(s)} is longer than 253 characters`;
  const labels = name.split('.');
  for (const l of labels) {
    if (l.length === 0) return `${quoteValue(s)} has an empty "."-separated part`;
    if (l.length > 63) return `${quoteValue(s)} has a part longer than 63 characters`;
    if (!/^[A-Za-z0-9-]+$/.test(l)) return `${quoteValue(s)} is not a DNS name (only letters, digits, "-" and ".")`;
    if (l.startsWith('-') || l.endsWith('-'))
      return `${quoteValue(s)} is not a DNS name (a part starts or ends with "-")`;
  }
  if (labels.length < 2)
    return `${quoteValue(s)} is neither an IP address nor a fully qualified DNS name (write the full name, e.g. nfs-a.example.com, or the IP address: a single-label name depends on the resolver's search list)`;
  if (/^[0-9]+$/.test(labels[labels.length - 1]!))
    return `${quoteValue(s)} is not a DNS name (the last part is all digits) nor an IPv4 address`;
  return null;
}

/**
 * A storage host's address (what nfsctl connects to over SSH): an IPv4 or IPv6
 * literal, or a fully qualified DNS name (see hostnameProblem).
 */
export function hostAddressProblem(s: string): Problem {
  if (typeof s !== 'string' || s.length === 0) return 'expected an IP address or DNS name, got an empty value';
  if (/^[0-9.]+$/.test(s)) return ipv4Problem(s) ?? specialIpProblem(s, 'a host address', true);
  if (s.includes(':')) return ipv6Problem(s) ?? specialIpProblem(s, 'a host address', true);
  const p = hostnameProblem(s);
  return p === null ? null : p.startsWith('"') ? p : `${quoteValue(s)} ${p}`;
}

/** The VIP: an IP literal (keepalived adds it to an interface; a DNS name is not an address). */
export function vipProblem(s: string): Problem {
  if (typeof s !== 'string' || s.length === 0) return 'expected an IP address, got an empty value';
  if (ipFamily(s) === null) {
    if (/^[0-9.]+$/.test(s)) return ipv4Problem(s);
    if (s.includes(':')) return ipv6Problem(s);
    return `expected an IP address (the VIP is added to an interface by keepalived; a DNS name cannot be), got ${quoteValue(s)}`;
  }
  return specialIpProblem(s, 'the VIP', false);
}

/** A name the host key may be filed under in known_hosts: a host name, an address, or "[host]:port". */
export function hostKeyAliasProblem(s: string): Problem {
  if (typeof s !== 'string' || s.length === 0) return 'expected a host name or address, got an empty value';
  if (s.startsWith('-')) return `${quoteValue(s)} starts with "-"`;
  if (!/^(\[[A-Za-z0-9.:_-]+\]:[0-9]{1,5}|[A-Za-z0-9.:_-]+)$/.test(s))
    return `${quoteValue(s)} is not a host name, an address or [host]:port (letters, digits, ".", ":", "_", "-")`;
  return null;
}

// ---------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------

/** The characters allowed in a path: none needs quoting for sh, rsync -e, ssh, exports(5), ganesha or keepalived. */
export const PATH_CHARSET = 'letters, digits and / . _ + @ -';
const PATH_SEGMENT = /^[A-Za-z0-9._+@-]+$/;

/**
 * Why `p` is not an absolute, normalised path in the safe charset: starts with
 * "/", no empty, "." or ".." segments, no trailing "/", each segment at most
 * 255 bytes, 4095 in all.
 */
export function safePathProblem(p: string): Problem {
  if (typeof p !== 'string' || p.length === 0) return 'expected an absolute path, got an empty value';
  if (!p.startsWith('/')) return `expected an absolute path (starting with "/"), got ${quoteValue(p)}`;
  if (p.length > 4095) return `expected an absolute path of at most 4095 characters, got ${p.length}`;
  if (p === '/') return null;
  const segs = p.slice(1).split('/');
  for (const s of segs) {
    if (s === '') return `expected an absolute path without "//" or a trailing "/", got ${quoteValue(p)}`;
    if (s === '.' || s === '..') return `expected an absolute path without ".." or "." segments, got ${quoteValue(p)}`;
    if (s.length > 255) return `expected an absolute path whose parts are at most 255 characters, got ${quoteValue(p)}`;
    if (!PATH_SEGMENT.test(s)) {
      const bad = [...s].find((c) => !/[A-Za-z0-9._+@-]/.test(c))!;
      const what = /\s/.test(bad)
        ? 'whitespace'
        : bad.charCodeAt(0) < 0x20 || bad.charCodeAt(0) === 0x7f
          ? 'a control character'
          : quoteValue(bad);
      return `expected an absolute path of ${PATH_CHARSET}, got ${quoteValue(p)} (contains ${what})`;
    }
  }
  return null;
}

/** Directories that must never be the NFS root (nor hold it, for the first group). */
const SYSTEM_TREES = [
  '/etc',
  '/usr',
  '/boot',
  '/proc',
  '/sys',
  '/dev',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
];
const SYSTEM_DIRS = [
  '/var',
  '/run',
  '/tmp',
  '/root',
  '/home',
  '/opt',
  '/srv',
  '/mnt',
  '/media',
  '/var/lib',
  '/var/log',
  '/var/tmp',
  '/run/lock',
];

/**
 * A directory nfsctl creates volumes in and deletes them from (nfs.root,
 * backends.xfsquota.root): a safe path, not "/", not a system directory and
 * not inside /etc, /usr, /boot, /proc, /sys, /dev, /bin, /sbin or /lib*.
 */
export function dataRootProblem(p: string): Problem {
  const base = safePathProblem(p);
  if (base) return base;
  if (p === '/') return 'cannot be "/": nfsctl creates and deletes volumes under this directory';
  const first = `/${p.split('/')[1]!}`;
  if (SYSTEM_TREES.includes(first) || /^\/lib[^/]*$/.test(first))
    return `${quoteValue(p)} is a system directory or inside one (${first}): nfsctl creates and deletes volumes under this directory`;
  if (SYSTEM_DIRS.includes(p))
    return `${quoteValue(p)} is a system directory: use a directory of its own, e.g. /nfs or /srv/nfs`;
  return null;
}

// ---------------------------------------------------------------------------
// The path template
// ---------------------------------------------------------------------------

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * nfs.pathTemplate: "{root}/" followed by a relative path made of {namespace},
 * {name} (each exactly once) and literal text in the path charset, so that
 * every volume is strictly under the NFS root: no "..", ".", empty or hidden
 * segments (.nfsctl holds nfsctl's metadata), no other placeholders.
 */
export function pathTemplateProblem(t: string): Problem {
  if (typeof t !== 'string' || t.length === 0)
    return 'expected a path template like {root}/{namespace}_{name}, got an empty value';
  const counts = new Map<string, number>();
  for (const m of t.matchAll(PLACEHOLDER)) {
    const k = m[1]!;
    if (!['root', 'namespace', 'name'].includes(k))
      return `${quoteValue(t)}: unknown placeholder ${quoteValue(`{${k}}`)} (allowed: {root}, {namespace}, {name})`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  if (/[{}]/.test(t.replace(PLACEHOLDER, ''))) return `${quoteValue(t)}: unbalanced "{" or "}"`;
  for (const k of ['root', 'namespace', 'name']) {
    const n = counts.get(k) ?? 0;
    if (n > 1) return `${quoteValue(t)}: {${k}} appears ${n} times (once only)`;
    if (n === 0)
      return `${quoteValue(t)}: {${k}} is missing (the template must start with {root}/ and contain {namespace} and {name})`;
  }
  if (!t.startsWith('{root}/'))
    return `${quoteValue(t)}: must start with {root}/ so that every volume is a directory under the NFS root`;
  const rest = t.slice('{root}/'.length);
  for (const seg of rest.split('/')) {
    if (seg === '') return `${quoteValue(t)}: empty path segment ("//" or a trailing "/")`;
    if (seg === '.' || seg === '..')
      return `${quoteValue(t)}: "${seg}" segment (volumes must stay strictly under the NFS root)`;
    if (seg.startsWith('.'))
      return `${quoteValue(t)}: a segment starts with "." (hidden directories such as .nfsctl belong to nfsctl)`;
    const lit = seg.replace(PLACEHOLDER, 'x');
    if (!PATH_SEGMENT.test(lit)) {
      const bad = [...lit].find((c) => !/[A-Za-z0-9._+@-]/.test(c))!;
      return `${quoteValue(t)}: contains ${quoteValue(bad)} (literal text: ${PATH_CHARSET.replace('/ ', '')})`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// Names other programs parse
// ---------------------------------------------------------------------------

function nameProblem(s: string, what: string, re: RegExp, charset: string, max: number): Problem {
  if (typeof s !== 'string' || s.length === 0) return `expected ${what}, got an empty value`;
  if (s.startsWith('-'))
    return `expected ${what} not starting with "-" (it would be read as an option), got ${quoteValue(s)}`;
  if (s.length > max) return `expected ${what} of at most ${max} characters, got ${s.length}`;
  if (!re.test(s)) return `expected ${what} (${charset}), got ${quoteValue(s)}`;
  if (s === '.' || s === '..') return `expected ${what}, got ${quoteValue(s)}`;
  return null;
}

/** An LVM volume group name (lvm's validate_name): [a-zA-Z0-9+_.-], not "-…", ".", "..", at most 127. */
export function lvmVgProblem(s: string): Problem {
  return nameProblem(s, 'an LVM volume group name', /^[A-Za-z0-9+_.-]+$/, 'letters, digits, "+", "_", ".", "-"', 127);
}

/** A Ceph pool name or client id as nfsctl passes them to rbd/ceph: [A-Za-z0-9_.-]. */
export function cephNameProblem(s: string, what = 'a Ceph pool name'): Problem {
  return nameProblem(s, what, /^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", ".", "-"', 255);
}

/**
 * A network interface (Linux dev_valid_name: 1-15 bytes, not "." or "..", no
 * "/", ":" or whitespace), narrowed to [A-Za-z0-9_.-] because it is written
 * into keepalived.conf and printed in shell hints.
 */
export function interfaceProblem(s: string): Problem {
  return nameProblem(s, 'a network interface name', /^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", ".", "-"', 15);
}

/** A keepalived vrrp_instance name: [A-Za-z0-9_.-] (a "}", blank or newline would end the block). */
export function vrrpInstanceProblem(s: string): Problem {
  return nameProblem(s, 'a keepalived instance name', /^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", ".", "-"', 64);
}

/** An rsync daemon module: [A-Za-z0-9_.-], no "/", not starting with "." (rsync reads host::module/path). */
export function rsyncModuleProblem(s: string): Problem {
  const p = nameProblem(s, 'an rsync module name', /^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", ".", "-"; no "/"', 64);
  if (p) return p;
  if (s.startsWith('.')) return `expected an rsync module name not starting with ".", got ${quoteValue(s)}`;
  return null;
}

/** A service (systemd unit or labsvc) name: [A-Za-z0-9_.@-], not starting with "-". */
export function serviceNameProblem(s: string): Problem {
  return nameProblem(s, 'a service name', /^[A-Za-z0-9_.@-]+$/, 'letters, digits, "_", ".", "@", "-"', 255);
}

/** One argv element of a config template (mkfsArgs, services.command): no control characters. */
export function argvElementProblem(s: string): Problem {
  if (typeof s !== 'string' || s.length === 0) return 'expected a non-empty argument';
  if (/[\u0000-\u001f\u007f]/.test(s)) return `${quoteValue(s)} contains a control character`;
  return null;
}

/** services.command: an argv (no shell) whose placeholders are {action} and {service}; the program is not an option. */
export function serviceCommandProblem(argv: readonly string[]): Problem {
  if (argv[0]?.startsWith('-')) return `the program ${quoteValue(argv[0])} starts with "-"`;
  for (const a of argv) {
    for (const m of a.matchAll(PLACEHOLDER)) {
      if (m[1] !== 'action' && m[1] !== 'service')
        return `${quoteValue(a)}: unknown placeholder ${quoteValue(`{${m[1]}}`)} (allowed: {action}, {service})`;
    }
  }
  if (!argv.some((a) => a.includes('{service}')))
    return 'needs a {service} placeholder, e.g. ["svc", "{action}", "{service}"]';
  if (!argv.some((a) => a.includes('{action}')))
    return 'needs an {action} placeholder, e.g. ["svc", "{action}", "{service}"]';
  return null;
}

// ---------------------------------------------------------------------------
// Suggestions
// ---------------------------------------------------------------------------

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate closest to `word` (case-insensitive), when it is close enough to be a typo. */
export function closestKey(word: string, candidates: readonly string[]): string | null {
  const w = word.toLowerCase();
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  if (best === null) return null;
  const limit = Math.max(1, Math.min(3, Math.floor(best.length / 3)));
  return bestD <= limit ? best : null;
}
