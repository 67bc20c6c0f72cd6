/**
 * Parsers for `rbd ... --format json` and `ceph ... --format json` output.
 *
 * Quirks handled here so callers never see them:
 * - `ceph osd blocklist ls --format json` prints two JSON documents back to
 *   back (plain entries, then CIDR range entries; Quincy and later), e.g.
 *   `[{"addr":...}][]`: parseConcatenatedJson splits them.
 * - `rbd status` reports watcher cookies as 64-bit integers that do not fit
 *   in a double; integers beyond 2^53 are read as strings, losslessly.
 * - `rbd lock ls` is an array of {id, locker, address} today, but older
 *   releases printed an object keyed by lock id: both are accepted.
 * - Empty output ("", "[]", "{}") means "nothing", not an error, where that
 *   is what the command prints for an empty result. Ceph prints no trailing
 *   newline, rbd prints one; whitespace never matters.
 */

import { z } from 'zod';

import { OutputParseError, excerpt } from './errors.js';

// ---------------------------------------------------------------------------
// Concatenated, lossless JSON
// ---------------------------------------------------------------------------

function isWs(c: string): boolean {
  return c === ' ' || c === '\n' || c === '\r' || c === '\t';
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Parse text holding zero or more JSON documents one after another, with or
 * without whitespace between them ("[1][2]", "{}\n{}", "[] []"). Integers
 * too large for a double are returned as strings instead of being rounded.
 * Throws OutputParseError with the offset of anything that is not JSON.
 */
export function parseConcatenatedJson(text: string): unknown[] {
  const docs: unknown[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && isWs(text[i] as string)) i++;
    if (i >= n) break;
    const start = i;
    let depth = 0;
    let inString = false;
    // Pieces of the document with over-large integers quoted.
    let rebuilt = '';
    let copiedUpTo = start;
    const first = text[i] as string;
    const scalarDoc = first !== '{' && first !== '[';
    for (; i < n; i++) {
      const c = text[i] as string;
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') {
          inString = false;
          if (scalarDoc && depth === 0) {
            i++;
            break;
          }
        }
        continue;
      }
      if (c === '"') {
        inString = true;
        continue;
      }
      if (c === '{' || c === '[') {
        depth++;
        continue;
      }
      if (c === '}' || c === ']') {
        depth--;
        if (depth < 0) throw new OutputParseError(`unbalanced "${c}" at offset ${i} in JSON output: ${excerpt(text)}`);
        if (depth === 0) {
          i++;
          break;
        }
        continue;
      }
      if (c === '-' || (c >= '0' && c <= '9')) {
        let j = i + 1;
        while (j < n && /[0-9eE.+-]/.test(text[j] as string)) j++;
        const num = text.slice(i, j);
        if (/^-?\d{16,}$/.test(num)) {
          const big = BigInt(num);
          if (big > MAX_SAFE || big < -MAX_SAFE) {
            rebuilt += `${text.slice(copiedUpTo, i)}"${num}"`;
            copiedUpTo = j;
          }
        }
        i = j - 1;
        if (scalarDoc && depth === 0) {
          i = j;
          break;
        }
        continue;
      }
      if (scalarDoc && depth === 0 && (isWs(c) || c === '{' || c === '[')) break;
    }
    if (depth !== 0 || inString) {
      throw new OutputParseError(`truncated JSON document starting at offset ${start}: ${excerpt(text.slice(start))}`);
    }
    const docText = rebuilt + text.slice(copiedUpTo, i);
    try {
      docs.push(JSON.parse(docText));
    } catch (err) {
      throw new OutputParseError(`invalid JSON at offset ${start}: ${(err as Error).message}: ${excerpt(docText)}`, {
        cause: err,
      });
    }
  }
  return docs;
}

/** Exactly one JSON document, or `empty` when the output is blank (also used by cephfs-json.ts). */
export function parseSingle(text: string, what: string, empty: unknown): unknown {
  const docs = parseConcatenatedJson(text);
  if (docs.length === 0) return empty;
  if (docs.length > 1)
    throw new OutputParseError(`${what} printed ${docs.length} JSON documents, expected one: ${excerpt(text)}`);
  return docs[0];
}

export function check<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`).join('; ');
    throw new OutputParseError(`unexpected ${what} JSON (${issues}): ${excerpt(JSON.stringify(value))}`);
  }
  return r.data as z.output<S>;
}

/** A JSON number, or a big integer already turned into a string by parseConcatenatedJson. */
const idLike = z.union([z.number(), z.string()]).transform((v) => String(v));

// ---------------------------------------------------------------------------
// Addresses and lock ids
// ---------------------------------------------------------------------------

/**
 * The host part of a Ceph entity address: "198.51.100.11:0/3710147553" ->
 * "198.51.100.11", "[2001:db8::1]:0/1" -> "2001:db8::1"; an optional
 * "v1:"/"v2:"/"any:" messenger prefix is ignored.
 */
export function addressHost(addr: string): string {
  let a = addr.trim().replace(/^(v1|v2|any):/, '');
  const slash = a.indexOf('/');
  if (slash >= 0) a = a.slice(0, slash);
  if (a.startsWith('[')) {
    const close = a.indexOf(']');
    if (close > 1) return a.slice(1, close);
    throw new OutputParseError(`malformed Ceph address ${JSON.stringify(addr)}`);
  }
  const colon = a.lastIndexOf(':');
  const host = colon >= 0 && a.indexOf(':') === colon ? a.slice(0, colon) : a;
  if (host.length === 0 || /[\s[\]]/.test(host))
    throw new OutputParseError(`malformed Ceph address ${JSON.stringify(addr)}`);
  return host;
}

/** The lock id prefix the in-tree kubelet rbd plugin used, followed by the node name. */
export const KUBELET_LOCK_MAGIC = 'kubelet_lock_magic_';

/** "kubelet_lock_magic_node-1" -> "node-1"; null for any other lock id. */
export function decodeKubeletLockId(lockId: string): string | null {
  if (!lockId.startsWith(KUBELET_LOCK_MAGIC)) return null;
  const node = lockId.slice(KUBELET_LOCK_MAGIC.length);
  return node.length > 0 ? node : null;
}

// ---------------------------------------------------------------------------
// rbd
// ---------------------------------------------------------------------------

export interface RbdLock {
  readonly id: string;
  /** "client.<global id>" */
  readonly locker: string;
  readonly address: string;
}

const LockFields = z.object({ locker: z.string(), address: z.string() }).passthrough();
const LockArraySchema = z.array(LockFields.extend({ id: z.string() }));
const LockObjectSchema = z.record(LockFields);

/** `rbd lock ls --format json <image>`. */
export function parseRbdLockList(stdout: string): RbdLock[] {
  const doc = parseSingle(stdout, 'rbd lock ls', []);
  if (Array.isArray(doc)) {
    return check(LockArraySchema, doc, 'rbd lock ls').map((l) => ({ id: l.id, locker: l.locker, address: l.address }));
  }
  const byId = check(LockObjectSchema, doc, 'rbd lock ls');
  return Object.entries(byId).map(([id, l]) => ({ id, locker: l.locker, address: l.address }));
}

export interface RbdWatcher {
  readonly address: string;
  /** "client.<global id>", the same form rbd lock ls uses for lockers. */
  readonly client: string;
  /** Watch cookie; a 64-bit value, kept as a decimal string. */
  readonly cookie: string;
}

export interface RbdStatus {
  readonly watchers: readonly RbdWatcher[];
  /** Present while the image is being migrated. */
  readonly migration?: Record<string, unknown>;
}

const StatusSchema = z
  .object({
    watchers: z.array(z.object({ address: z.string(), client: idLike, cookie: idLike }).passthrough()).default([]),
    migration: z.record(z.unknown()).optional(),
  })
  .passthrough();

/** `rbd status --format json <image>`. */
export function parseRbdStatus(stdout: string): RbdStatus {
  const d = check(StatusSchema, parseSingle(stdout, 'rbd status', {}), 'rbd status');
  const watchers = d.watchers.map((w) => ({
    address: w.address,
    client: w.client.startsWith('client.') ? w.client : `client.${w.client}`,
    cookie: w.cookie,
  }));
  return d.migration ? { watchers, migration: d.migration } : { watchers };
}

export interface RbdImageInfo {
  readonly name: string;
  /** Empty for format-1 images. */
  readonly id: string;
  readonly size: number;
  readonly objectSize: number | null;
  readonly format: number;
  readonly features: readonly string[];
  readonly flags: readonly string[];
  readonly createTimestamp: string | null;
  readonly parent: { pool: string; image: string; snapshot: string } | null;
}

const InfoSchema = z
  .object({
    name: z.string(),
    id: z.string().default(''),
    size: z.number().int().nonnegative(),
    object_size: z.number().int().positive().optional(),
    format: z.number().int(),
    features: z.array(z.string()).default([]),
    flags: z.array(z.string()).default([]),
    create_timestamp: z.string().optional(),
    parent: z.object({ pool: z.string(), image: z.string(), snapshot: z.string() }).passthrough().optional(),
  })
  .passthrough();

/** `rbd info --format json <image>`. */
export function parseRbdInfo(stdout: string): RbdImageInfo {
  const doc = parseSingle(stdout, 'rbd info', undefined);
  if (doc === undefined) throw new OutputParseError('rbd info printed nothing');
  const d = check(InfoSchema, doc, 'rbd info');
  return {
    name: d.name,
    id: d.id,
    size: d.size,
    objectSize: d.object_size ?? null,
    format: d.format,
    features: d.features,
    flags: d.flags,
    createTimestamp: d.create_timestamp ?? null,
    parent: d.parent ? { pool: d.parent.pool, image: d.parent.image, snapshot: d.parent.snapshot } : null,
  };
}

export interface RbdListEntry {
  readonly image: string;
  readonly id: string | null;
  readonly size: number;
  readonly format: number;
  /** "exclusive" / "shared" when the image is locked. */
  readonly lockType: string | null;
  /** Set for snapshot rows, which rbd ls -l lists alongside images. */
  readonly snapshot: string | null;
}

const ListLongSchema = z.array(
  z
    .object({
      image: z.string(),
      id: z.string().optional(),
      size: z.number().int().nonnegative(),
      format: z.number().int(),
      lock_type: z.string().optional(),
      snapshot: z.string().optional(),
    })
    .passthrough(),
);

/** `rbd ls -l --format json [pool]`: images and their snapshots (filter on `snapshot === null` for images). */
export function parseRbdListLong(stdout: string): RbdListEntry[] {
  return check(ListLongSchema, parseSingle(stdout, 'rbd ls -l', []), 'rbd ls -l').map((e) => ({
    image: e.image,
    id: e.id ?? null,
    size: e.size,
    format: e.format,
    lockType: e.lock_type ?? null,
    snapshot: e.snapshot ?? null,
  }));
}

/** `rbd ls --format json [pool]`: image names. */
export function parseRbdList(stdout: string): string[] {
  return check(z.array(z.string()), parseSingle(stdout, 'rbd ls', []), 'rbd ls');
}

/** `rbd image-meta list --format json <image>`: key -> value ("" or "{}" when none). */
export function parseRbdImageMeta(stdout: string): Record<string, string> {
  return check(z.record(z.string()), parseSingle(stdout, 'rbd image-meta list', {}), 'rbd image-meta list');
}

// ---------------------------------------------------------------------------
// ceph
// ---------------------------------------------------------------------------

export interface CephHealthCheck {
  readonly severity: string;
  readonly message: string;
  readonly count: number | null;
  readonly muted: boolean;
}

export interface CephHealth {
  /** "HEALTH_OK", "HEALTH_WARN" or "HEALTH_ERR". */
  readonly status: string;
  readonly checks: Readonly<Record<string, CephHealthCheck>>;
  readonly mutes: readonly unknown[];
}

const HealthSchema = z
  .object({
    status: z.string(),
    checks: z
      .record(
        z
          .object({
            severity: z.string(),
            summary: z.object({ message: z.string(), count: z.number().optional() }).passthrough(),
            muted: z.boolean().optional(),
          })
          .passthrough(),
      )
      .default({}),
    mutes: z.array(z.unknown()).default([]),
  })
  .passthrough();

/** `ceph health --format json` (also accepts `ceph health detail --format json`). */
export function parseCephHealth(stdout: string): CephHealth {
  const doc = parseSingle(stdout, 'ceph health', undefined);
  if (doc === undefined) throw new OutputParseError('ceph health printed nothing');
  const d = check(HealthSchema, doc, 'ceph health');
  const checks: Record<string, CephHealthCheck> = {};
  for (const [code, c] of Object.entries(d.checks)) {
    checks[code] = {
      severity: c.severity,
      message: c.summary.message,
      count: c.summary.count ?? null,
      muted: c.muted ?? false,
    };
  }
  return { status: d.status, checks, mutes: d.mutes };
}

export interface BlocklistEntry {
  /** "addr" entries name one client instance ("ip:port/nonce"); "range" entries a CIDR. */
  readonly kind: 'addr' | 'range';
  /** The address ("1.2.3.4:0/123") or range ("10.0.0.0/24") as Ceph printed it. */
  readonly addr: string;
  /** Expiry as printed, e.g. "2026-01-02T15:04:05.000000+0000". */
  readonly until: string;
}

const BlocklistItem = z
  .object({ addr: z.string().optional(), range: z.string().optional(), until: z.string() })
  .passthrough();
const BlocklistDoc = z.array(BlocklistItem);

/** `ceph osd blocklist ls --format json`: one or two concatenated arrays. */
export function parseOsdBlocklist(stdout: string): BlocklistEntry[] {
  const out: BlocklistEntry[] = [];
  const docs = parseConcatenatedJson(stdout);
  if (docs.length > 2)
    throw new OutputParseError(`ceph osd blocklist ls printed ${docs.length} JSON documents, expected at most 2`);
  docs.forEach((doc, idx) => {
    for (const item of check(BlocklistDoc, doc, 'ceph osd blocklist ls')) {
      const addr = item.addr ?? item.range;
      if (addr === undefined)
        throw new OutputParseError(`blocklist entry without "addr" or "range": ${excerpt(JSON.stringify(item))}`);
      const kind = item.range !== undefined || (item.addr === undefined && idx === 1) ? 'range' : 'addr';
      out.push({ kind, addr, until: item.until });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------
// Additions for `nfsctl rbd lock|blocklist`
// ---------------------------------------------------------------------------

export interface RbdLockHeader {
  /** "exclusive" or "shared"; null when the image has no locks. */
  readonly type: 'exclusive' | 'shared' | null;
  readonly count: number;
  /** Shared locks carry a tag. */
  readonly tag: string | null;
}

/**
 * The header of plain `rbd lock ls <image>` (the JSON form does not say whether the
 * locks are exclusive or shared):
 *   "There is 1 exclusive lock on this image."
 *   "There are 2 shared locks on this image.\nLock tag: t"
 * Blank output means no locks.
 */
export function parseRbdLockHeader(stdout: string): RbdLockHeader {
  const text = stdout.trim();
  if (text === '') return { type: null, count: 0, tag: null };
  const m = /^There (?:is|are) (\d+) (exclusive|shared) locks? on this image\./m.exec(text);
  if (!m) throw new OutputParseError(`unexpected rbd lock ls header: ${excerpt(text)}`);
  const tag = /^Lock tag: (.*)$/m.exec(text)?.[1]?.trim() ?? null;
  return { type: m[2] as 'exclusive' | 'shared', count: Number(m[1]), tag };
}

export interface RbdMapping {
  readonly pool: string;
  readonly namespace: string;
  readonly image: string;
  readonly snap: string;
  readonly device: string;
}

const MappingFields = z
  .object({
    pool: z.string(),
    namespace: z.string().optional(),
    name: z.string(),
    snap: z.string().optional(),
    device: z.string(),
  })
  .passthrough();

/** `rbd showmapped --format json` (krbd): an array today, an object keyed by id on older releases; "" / [] / {} when nothing is mapped. */
export function parseRbdShowmapped(stdout: string): RbdMapping[] {
  const doc = parseSingle(stdout, 'rbd showmapped', []);
  const items = Array.isArray(doc)
    ? check(z.array(MappingFields), doc, 'rbd showmapped')
    : Object.values(check(z.record(MappingFields), doc, 'rbd showmapped'));
  return items.map((m) => ({
    pool: m.pool,
    namespace: m.namespace ?? '',
    image: m.name,
    snap: m.snap ?? '-',
    device: m.device,
  }));
}

export interface OsdPool {
  readonly name: string;
  /** Application names enabled on the pool ("rbd", "cephfs", "rgw", ...). */
  readonly applications: readonly string[];
}

const PoolDetailSchema = z.array(
  z.object({ pool_name: z.string(), application_metadata: z.record(z.unknown()).default({}) }).passthrough(),
);

/** `ceph osd pool ls detail --format json`. */
export function parseOsdPoolLsDetail(stdout: string): OsdPool[] {
  return check(PoolDetailSchema, parseSingle(stdout, 'ceph osd pool ls detail', []), 'ceph osd pool ls detail').map(
    (p) => ({
      name: p.pool_name,
      applications: Object.keys(p.application_metadata),
    }),
  );
}

/**
 * A single value printed by `ceph config get <who> <option>` (plain text): "0",
 * "3600.000000", "true". Null for blank output.
 */
export function parseCephConfigValue(stdout: string): string | null {
  const v = stdout.trim();
  return v === '' ? null : v;
}

// ---------------------------------------------------------------------------
// The one-process pool scan of `nfsctl rbd lock list --pool` (POOL_SCAN_PY in
// src/rbd/locks.ts: python3 with the rados/rbd bindings). It prints one JSON
// document; fields are named like the rbd CLI's so both paths give the same rows:
//   {"v":1,"pool":"rbd","images":500,
//    "locked":[{"image":"a","exclusive":true,"tag":"",
//               "locks":[{"id":"kubelet_lock_magic_n1","locker":"client.4134","address":"198.51.100.11:0/139451131"}],
//               "watchers":[{"address":"198.51.100.21:0/2245241610","client":5753,"cookie":140557435291120}]}],
//    "errors":[{"image":"b","message":"[errno 5] ..."}]}
// or, when it could not scan: {"v":1,"unavailable":"ImportError: ..."} (no usable
// python3-rbd) / {"v":1,"fatal":"..."} (could not connect, open the pool, ...).
// ---------------------------------------------------------------------------

export interface RbdPoolScanImage {
  readonly image: string;
  readonly lockType: 'exclusive' | 'shared';
  /** Tag of shared locks (rbd prints "Lock tag: <tag>" for them); null for exclusive locks. */
  readonly lockTag: string | null;
  readonly locks: readonly RbdLock[];
  readonly watchers: readonly RbdWatcher[];
}

export type RbdPoolScan =
  | {
      readonly status: 'ok';
      readonly pool: string;
      /** Images opened (those deleted during the scan are not counted, as with `rbd ls -l`). */
      readonly images: number;
      /** Only images that have at least one lock. */
      readonly locked: readonly RbdPoolScanImage[];
      readonly errors: readonly { readonly image: string; readonly message: string }[];
    }
  /** python3 has no usable rados/rbd bindings: use the rbd CLI instead. */
  | { readonly status: 'unavailable'; readonly message: string }
  /** The scan could not run (connect, auth, missing pool, ...). */
  | { readonly status: 'fatal'; readonly message: string };

const PoolScanImageSchema = z
  .object({
    image: z.string(),
    exclusive: z.boolean(),
    tag: z.string(),
    locks: z.array(z.object({ id: z.string(), locker: z.string(), address: z.string() }).passthrough()).min(1),
    watchers: z.array(z.object({ address: z.string(), client: idLike, cookie: idLike }).passthrough()),
  })
  .passthrough();

const PoolScanSchema = z
  .object({
    v: z.literal(1),
    pool: z.string(),
    images: z.number().int().nonnegative(),
    locked: z.array(PoolScanImageSchema),
    errors: z.array(z.object({ image: z.string(), message: z.string() }).passthrough()),
  })
  .passthrough();
const PoolScanFailureSchema = z
  .object({ v: z.literal(1), unavailable: z.string().optional(), fatal: z.string().optional() })
  .passthrough();

/** The JSON document of the python3-rbd pool scan (see above). Blank output is an error. */
export function parseRbdPoolScan(stdout: string): RbdPoolScan {
  const doc = parseSingle(stdout, 'the rbd pool scan', undefined);
  if (doc === undefined) throw new OutputParseError('the rbd pool scan printed nothing');
  const failure = PoolScanFailureSchema.safeParse(doc);
  if (failure.success && failure.data.unavailable !== undefined)
    return { status: 'unavailable', message: failure.data.unavailable };
  if (failure.success && failure.data.fatal !== undefined) return { status: 'fatal', message: failure.data.fatal };
  const d = check(PoolScanSchema, doc, 'rbd pool scan');
  return {
    status: 'ok',
    pool: d.pool,
    images: d.images,
    locked: d.locked.map((i) => ({
      image: i.image,
      lockType: i.exclusive ? 'exclusive' : 'shared',
      lockTag: i.exclusive ? null : i.tag,
      locks: i.locks.map((l) => ({ id: l.id, locker: l.locker, address: l.address })),
      watchers: i.watchers.map((w) => ({
        address: w.address,
        client: w.client.startsWith('client.') ? w.client : `client.${w.client}`,
        cookie: w.cookie,
      })),
    })),
    errors: d.errors.map((e) => ({ image: e.image, message: e.message })),
  };
}
