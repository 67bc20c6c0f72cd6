// DRBD (8.4 kernel module, drbd-utils 9.x userland): pure parsers and rules for replicated LVM
// volumes. /proc/drbd is read back into per-minor states; a volume's resource file is rendered
// here (validated and quoted for drbd.conf's grammar, refused rather than escaped when a value
// does not fit); minors and ports are allocated without collisions; mayPromote says why a side
// must not become Primary (a stale side never serves).
import { createHash } from 'node:crypto';
import { UsageError } from './errors.js';
import { hostnameProblem, ipFamily } from './config-values.js';

export type DrbdRole = 'Primary' | 'Secondary' | 'Unknown';

export interface DrbdState {
  /** From the resource file / drbdadm. */
  resource: string;
  minor: number;
  role: DrbdRole;
  peerRole: DrbdRole;
  /** Connected, WFConnection, StandAlone, SyncSource, SyncTarget, Unconfigured, ... */
  cstate: string;
  /** UpToDate, Inconsistent, Outdated, DUnknown, Diskless, ... */
  disk: string;
  peerDisk: string;
  /** /proc/drbd "oos:" (KiB out of sync), null when not shown. */
  outOfSyncKiB: number | null;
  /** During a resync or verify ("sync'ed: 12.5%"). */
  syncPercent: number | null;
  /** During a resync ("finish: 0:01:23"). */
  syncEtaSeconds: number | null;
}

/** The first line of every resource file nfsctl writes: its ownership mark. */
export const DRBD_MARK_PREFIX = '# nfsctl: managed resource for ';
export const DRBD_MARK_SUFFIX = '; do not edit';
export function drbdMark(volumeId: string): string {
  return `${DRBD_MARK_PREFIX}${volumeId}${DRBD_MARK_SUFFIX}`;
}
/** The volume id a resource file's first line marks it for, or null (not nfsctl's). */
export function drbdMarkedFor(text: string): string | null {
  const first = text.split('\n', 1)[0] ?? '';
  if (!first.startsWith(DRBD_MARK_PREFIX) || !first.endsWith(DRBD_MARK_SUFFIX)) return null;
  const id = first.slice(DRBD_MARK_PREFIX.length, first.length - DRBD_MARK_SUFFIX.length);
  return VOLUME_ID.test(id) ? id : null;
}

const ROLE = new Set<DrbdRole>(['Primary', 'Secondary', 'Unknown']);
const role = (s: string | undefined): DrbdRole => (s && ROLE.has(s as DrbdRole) ? (s as DrbdRole) : 'Unknown');

/** "1:02:03" (h:mm:ss) or "2:03" -> seconds; null when not that shape. */
function clockSeconds(s: string): number | null {
  if (!/^\d+(:\d{1,2}){1,3}$/.test(s)) return null;
  return s.split(':').reduce((acc, p) => acc * 60 + Number(p), 0);
}

/**
 * /proc/drbd of DRBD 8.4, by minor:
 * ```
 * version: 8.4.11 (api:1/proto:86-101)
 *  0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----
 *     ns:0 nr:0 dw:0 dr:2120 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0
 *  1: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----
 *     ns:... oos:5120000
 *         [=>..................] sync'ed: 10.3% (5000/5560)M
 *         finish: 0:01:23 speed: 12,345 (12,000) K/sec
 *  2: cs:Unconfigured
 * ```
 * Lines it does not know are ignored (the format grows fields between releases).
 */
export function parseProcDrbd(text: string): Map<number, Omit<DrbdState, 'resource'>> {
  const out = new Map<number, Omit<DrbdState, 'resource'>>();
  let cur: Omit<DrbdState, 'resource'> | null = null;
  for (const line of text.split('\n')) {
    const head = /^\s*(\d+): cs:(\S+)(.*)$/.exec(line);
    if (head) {
      const rest = head[3] ?? '';
      const ro = /\b(?:ro|st):([A-Za-z]+)\/([A-Za-z]+)/.exec(rest);
      const ds = /\bds:([A-Za-z]+)\/([A-Za-z]+)/.exec(rest);
      const unconfigured = head[2] === 'Unconfigured';
      cur = {
        minor: Number(head[1]),
        role: role(ro?.[1]),
        peerRole: role(ro?.[2]),
        cstate: head[2]!,
        disk: ds?.[1] ?? (unconfigured ? 'Unconfigured' : 'DUnknown'),
        peerDisk: ds?.[2] ?? 'DUnknown',
        outOfSyncKiB: null,
        syncPercent: null,
        syncEtaSeconds: null,
      };
      out.set(cur.minor, cur);
      continue;
    }
    if (!cur) continue;
    const oos = /(?:^|\s)oos:(\d+)(?:\s|$)/.exec(line);
    if (oos) cur.outOfSyncKiB = Number(oos[1]);
    const pct = /(?:sync'ed|verified):\s*([0-9]+(?:\.[0-9]+)?)%/.exec(line);
    if (pct) cur.syncPercent = Number(pct[1]);
    const eta = /\bfinish:\s*([0-9:]+)/.exec(line);
    if (eta) cur.syncEtaSeconds = clockSeconds(eta[1]!);
  }
  return out;
}

// ---- names, minors, ports -------------------------------------------------------------------

/** Resource names nfsctl derives: letters, digits, "_", "+", "-" (no "." or "/", nothing drbd.conf quotes). */
export const DRBD_RESOURCE_RE = /^[A-Za-z0-9][A-Za-z0-9_+-]*$/;
/** Longest resource name nfsctl derives (the kernel takes 127 bytes; room for drbdadm's own suffixes). */
export const DRBD_RESOURCE_MAX = 100;

/**
 * The DRBD resource name of a volume's LV: "nfsctl-" + the LV name with "." written "_" (the
 * LV names nfsctl derives never contain "_", so two volumes never meet on one name; for an
 * adopted LV name the create still refuses a name another file uses). Longer than
 * DRBD_RESOURCE_MAX: cut, with a hash of the whole LV name appended.
 */
export function drbdResourceName(lv: string): string {
  if (!/^[A-Za-z0-9+_.-]+$/.test(lv)) throw new UsageError(`LV name ${JSON.stringify(lv)} cannot name a DRBD resource`);
  let name = `nfsctl-${lv.replace(/\./g, '_')}`;
  if (name.length > DRBD_RESOURCE_MAX) {
    const h = createHash('sha256').update(lv).digest('hex').slice(0, 12);
    name = `${name.slice(0, DRBD_RESOURCE_MAX - 13)}-${h}`;
  }
  if (!DRBD_RESOURCE_RE.test(name)) throw new Error(`internal: derived DRBD resource name ${name}`);
  return name;
}

export interface Range {
  first: number;
  last: number;
}

/** The lowest minor and the lowest port free in their ranges (`used`: on BOTH hosts), or null when a range is full. */
export function allocateMinorPort(
  used: { minors: readonly number[]; ports: readonly number[] },
  ranges: { minors: Range; ports: Range },
): { minor: number; port: number } | null {
  const lowest = (r: Range, taken: readonly number[]) => {
    const t = new Set(taken);
    for (let n = r.first; n <= r.last; n++) if (!t.has(n)) return n;
    return null;
  };
  const minor = lowest(ranges.minors, used.minors);
  const port = lowest(ranges.ports, used.ports);
  return minor === null || port === null ? null : { minor, port };
}

/**
 * What a drbd.conf text (any resource file, ours or not) occupies: resource names, minors
 * (`minor N` and `/dev/drbdN`) and TCP ports (`address ... :port`). A scan, not a parser: it
 * may over-count (a commented-out line), never under-count what a well-formed file uses.
 */
export function drbdConfUsage(raw: string): { resources: string[]; minors: number[]; ports: number[] } {
  const text = stripComments(raw);
  const resources = [...text.matchAll(/(?:^|[\s;{}])resource\s+"?([^\s"{;]+)"?/g)].map((m) => m[1]!);
  const minors = [
    ...[...text.matchAll(/\bminor\s+(\d+)/g)].map((m) => Number(m[1])),
    ...[...text.matchAll(/\/dev\/drbd(\d+)\b/g)].map((m) => Number(m[1])),
  ];
  const ports = [...text.matchAll(/\baddress\s+(?:(?:ipv4|ipv6|ssocks|sdp)\s+)?[^\s;]*:(\d+)\s*;/g)].map((m) =>
    Number(m[1]),
  );
  return { resources: [...new Set(resources)], minors: [...new Set(minors)], ports: [...new Set(ports)] };
}

/** drbd.conf without its comments ("#" to the end of the line, outside double quotes). */
function stripComments(text: string): string {
  let out = '';
  let quoted = false;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (comment) {
      if (c === '\n') {
        comment = false;
        out += c;
      }
      continue;
    }
    if (quoted && c === '\\') {
      out += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (c === '#' && !quoted) {
      comment = true;
      continue;
    } else if (c === '\n') quoted = false;
    out += c;
  }
  return out;
}

// ---- the resource file ------------------------------------------------------------------------

export interface DrbdHostSpec {
  /** DRBD's `on` name: what `uname -n` prints on that host. */
  hostname: string;
  /** An IP literal (DRBD connects to it; a DNS name is not allowed there). */
  address: string;
}

export interface DrbdResourceSpec {
  /** "namespace/name": written in the ownership mark. */
  volumeId: string;
  resource: string;
  minor: number;
  port: number;
  /** The backing LV, e.g. /dev/vg0/pv.team-a.data (the same path on both hosts). */
  disk: string;
  hosts: readonly [DrbdHostSpec, DrbdHostSpec];
  /**
   * c-min-rate: the resync rate below which application I/O may no longer pre-empt the resync
   * (drbd's unit KiB/s, or with a K/M/G suffix). DRBD's default, 250K, lets a busy volume hold
   * its resync near that rate; "0" turns the pre-emption off. Omitted: DRBD's default.
   */
  resyncMinRate?: string;
}

/** A c-min-rate value as drbd.conf reads it: 0, or a whole number with an optional K, M or G. */
export const DRBD_RATE_RE = /^(0|[1-9][0-9]{0,8}[KMG]?)$/;
export function drbdRateProblem(s: string): string | null {
  return DRBD_RATE_RE.test(s)
    ? null
    : 'expected 0 or a whole number of KiB/s with an optional K, M or G suffix (e.g. 0, 250K, 20M)';
}

const VOLUME_ID = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\/[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const DISK = /^\/dev\/[A-Za-z0-9_+.][A-Za-z0-9_+.-]*(\/[A-Za-z0-9_+.][A-Za-z0-9_+.-]*)*$/;
export const DRBD_MINOR_MAX = 1048575; // 2^20 - 1
const bad = (what: string, v: unknown, why: string) =>
  new UsageError(`${what} ${JSON.stringify(v)} cannot be written into a DRBD resource file: ${why}`);

/** Why `s` cannot be a DRBD `on` host name, or null. */
export function drbdHostnameProblem(s: string): string | null {
  if (typeof s !== 'string' || s.length === 0) return 'is empty';
  if (s.length > 64) return 'is longer than 64 characters (uname -n prints at most 64)';
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(s))
    return 'is not a host name (letters, digits, "-" and "." between parts)';
  return s.includes('.') ? hostnameProblem(s) : null;
}

/**
 * The resource file of one volume (drbd 8.4's drbd.conf grammar), first line the ownership
 * mark. Every value is checked against a charset drbd.conf's scanner reads as one plain word
 * (then double-quoted where it is a string), so nothing can end a statement, open a block or
 * start a comment; anything else is refused, never escaped. Protocol C always (synchronous:
 * a write is acknowledged once it is on both disks).
 */
export function renderDrbdResource(spec: DrbdResourceSpec): string {
  if (!VOLUME_ID.test(spec.volumeId)) throw bad('volume id', spec.volumeId, 'expected namespace/name');
  if (!DRBD_RESOURCE_RE.test(spec.resource) || spec.resource.length > DRBD_RESOURCE_MAX)
    throw bad(
      'resource name',
      spec.resource,
      `expected letters, digits, "_", "+", "-" (at most ${DRBD_RESOURCE_MAX} characters)`,
    );
  if (!Number.isInteger(spec.minor) || spec.minor < 0 || spec.minor > DRBD_MINOR_MAX)
    throw bad('minor', spec.minor, `expected an integer 0-${DRBD_MINOR_MAX}`);
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535)
    throw bad('port', spec.port, 'expected an integer 1-65535');
  if (!DISK.test(spec.disk) || spec.disk.split('/').some((p) => p === '.' || p === '..'))
    throw bad('disk', spec.disk, 'expected a /dev path of letters, digits, "_", "+", ".", "-"');
  const rateProblem = spec.resyncMinRate === undefined ? null : drbdRateProblem(spec.resyncMinRate);
  if (rateProblem) throw bad('resync min rate', spec.resyncMinRate, rateProblem);
  if (spec.hosts.length !== 2) throw new Error('a DRBD resource here has exactly two hosts');
  for (const h of spec.hosts) {
    const p = drbdHostnameProblem(h.hostname);
    if (p) throw bad('host name', h.hostname, p);
    if (ipFamily(h.address) === null)
      throw bad('address', h.address, 'expected an IP address (DRBD takes no DNS name)');
  }
  if (spec.hosts[0].hostname === spec.hosts[1].hostname)
    throw bad('host name', spec.hosts[1].hostname, 'both hosts have the same name (DRBD tells them apart by it)');
  const addr = (a: string) => (ipFamily(a) === 6 ? `ipv6 [${a}]:${spec.port}` : `ipv4 ${a}:${spec.port}`);
  const on = (h: DrbdHostSpec) =>
    [
      `  on "${h.hostname}" {`,
      `    device /dev/drbd${spec.minor} minor ${spec.minor};`,
      `    disk "${spec.disk}";`,
      '    meta-disk internal;',
      `    address ${addr(h.address)};`,
      '  }',
    ].join('\n');
  return [
    drbdMark(spec.volumeId),
    `resource "${spec.resource}" {`,
    '  net {',
    '    protocol C;',
    '  }',
    ...(spec.resyncMinRate !== undefined ? ['  disk {', `    c-min-rate ${spec.resyncMinRate};`, '  }'] : []),
    on(spec.hosts[0]),
    on(spec.hosts[1]),
    '}',
    '',
  ].join('\n');
}

/** What an nfsctl resource file says (the file as renderDrbdResource writes it), or null when it is not one. */
export function parseDrbdResource(text: string): DrbdResourceSpec | null {
  const volumeId = drbdMarkedFor(text);
  if (volumeId === null) return null;
  const resource = /^resource "([^"]+)" \{$/m.exec(text)?.[1];
  const minor = /^\s*device \/dev\/drbd\d+ minor (\d+);$/m.exec(text)?.[1];
  const disk = /^\s*disk "([^"]+)";$/m.exec(text)?.[1];
  const hosts = [...text.matchAll(/^\s*on "([^"]+)" \{[^}]*?address ipv[46] \[?([0-9A-Fa-f.:]+?)\]?:(\d+);/gms)].map(
    (m) => ({ hostname: m[1]!, address: m[2]!, port: Number(m[3]) }),
  );
  if (!resource || minor === undefined || !disk || hosts.length !== 2) return null;
  const rate = /^\s*c-min-rate (\S+);$/m.exec(text)?.[1];
  return {
    ...(rate !== undefined ? { resyncMinRate: rate } : {}),
    volumeId,
    resource,
    minor: Number(minor),
    port: hosts[0]!.port,
    disk,
    hosts: [
      { hostname: hosts[0]!.hostname, address: hosts[0]!.address },
      { hostname: hosts[1]!.hostname, address: hosts[1]!.address },
    ],
  };
}

// ---- rules ------------------------------------------------------------------------------------

/** The connection states of the side a resync writes to (this disk is being brought up to date). */
export const SYNC_TARGET_CSTATES = ['SyncTarget', 'PausedSyncT', 'StartingSyncT', 'WFBitMapT', 'WFSyncUUID'] as const;

/**
 * A resync from an UpToDate peer under way here (this side the SyncTarget): it ends with this
 * disk UpToDate by itself. A MASTER that meets it (the peer took the VIP back, or booted again
 * and was the newer side) waits for it rather than refusing for good.
 */
export function resyncingFromPeer(s: DrbdState): boolean {
  return (
    s.disk === 'Inconsistent' &&
    s.peerDisk === 'UpToDate' &&
    (SYNC_TARGET_CSTATES as readonly string[]).includes(s.cstate)
  );
}

/**
 * Why this side must not become Primary now, or null when it may. A disk that is not UpToDate
 * (Inconsistent during a resync, Outdated, Diskless) never serves; a peer that is still
 * Primary must demote first (the caller retries while a planned move demotes it); a
 * StandAlone resource is disconnected (on purpose, or after a split brain) and is not promoted
 * behind the operator's back.
 */
export function mayPromote(s: DrbdState): string | null {
  if (s.cstate === 'Unconfigured') return `${s.resource}: the resource is not up here (drbdadm up ${s.resource})`;
  if (s.disk !== 'UpToDate')
    return `${s.resource}: the local disk is ${s.disk}, not UpToDate: a stale side never serves${
      s.syncPercent !== null ? ` (resync ${s.syncPercent}% done)` : ''
    }`;
  if (s.role === 'Primary') return null;
  if (s.peerRole === 'Primary') return `${s.resource}: the peer is still Primary`;
  if (s.cstate === 'StandAlone')
    return `${s.resource}: StandAlone (disconnected by hand or after a split brain); see nfsctl ha split-brain`;
  return null;
}
