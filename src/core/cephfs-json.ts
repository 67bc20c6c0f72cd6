/**
 * Parsers for the CephFS side of `ceph ... --format json`: the mgr volumes interface
 * (`ceph fs subvolume ls|info|resize|metadata ls`), the FSMap (`ceph fs dump`, the same
 * document `ceph mds stat --format json` prints), `ceph fs status` (mgr status module) and
 * an MDS's client sessions (`ceph tell mds.<name> client ls`). Shapes are those of Ceph
 * Pacific 16.2, captured from the lab cluster (test/unit/core/fixtures/cephfs/).
 *
 * Quirks handled here so callers never see them:
 * - `subvolume info` prints `"bytes_quota": "infinite"` and `"bytes_pcent": "undefined"`
 *   for a subvolume without a quota; `subvolume resize ... infinite` prints quota 0. Both
 *   are `quotaBytes: null` here.
 * - `subvolume resize` prints a list of one-key objects ([{bytes_used}, {bytes_quota},
 *   {bytes_pcent}]), not one object.
 * - Failures print no JSON, only `Error ENOENT: subvolume 'x' does not exist` on stderr
 *   (exit 2): cephErrorCode reads the errno name from it.
 */

import { z } from 'zod';

import { OutputParseError } from './errors.js';
import { addressHost, check, parseSingle } from './ceph-json.js';

// ---------------------------------------------------------------------------
// mgr volumes: subvolumes
// ---------------------------------------------------------------------------

export interface SubvolumeInfo {
  /** Path inside the filesystem ("/volumes/<group>/<name>/<uuid>"): what a client mounts or ganesha exports. */
  readonly path: string;
  /** The quota (ceph.quota.max_bytes), null for none ("infinite"). */
  readonly quotaBytes: number | null;
  readonly usedBytes: number;
  /** "complete" for a usable subvolume; "pending"/"in-progress"/"failed" for clones, "snapshot-retained" after rm --retain-snapshots. */
  readonly state: string;
  /** "subvolume" or "clone". */
  readonly type: string;
  readonly createdAt: string | null;
  readonly dataPool: string | null;
  readonly poolNamespace: string;
  readonly uid: number | null;
  readonly gid: number | null;
  readonly mode: number | null;
}

const quotaValue = z.union([z.number().int().nonnegative(), z.literal('infinite')]);

const SubvolumeInfoSchema = z
  .object({
    path: z.string().startsWith('/'),
    bytes_quota: quotaValue,
    bytes_used: z.number().int().nonnegative(),
    state: z.string().default('complete'),
    type: z.string().default('subvolume'),
    created_at: z.string().optional(),
    data_pool: z.string().optional(),
    pool_namespace: z.string().default(''),
    uid: z.number().int().optional(),
    gid: z.number().int().optional(),
    mode: z.number().int().optional(),
  })
  .passthrough();

const quota = (q: number | 'infinite'): number | null => (q === 'infinite' || q === 0 ? null : q);

/** `ceph fs subvolume info <fs> <name> [--group_name g] --format json`. */
export function parseSubvolumeInfo(stdout: string): SubvolumeInfo {
  const doc = parseSingle(stdout, 'ceph fs subvolume info', undefined);
  if (doc === undefined) throw new OutputParseError('ceph fs subvolume info printed nothing');
  const d = check(SubvolumeInfoSchema, doc, 'ceph fs subvolume info');
  return {
    path: d.path,
    quotaBytes: quota(d.bytes_quota),
    usedBytes: d.bytes_used,
    state: d.state,
    type: d.type,
    createdAt: d.created_at ?? null,
    dataPool: d.data_pool ?? null,
    poolNamespace: d.pool_namespace,
    uid: d.uid ?? null,
    gid: d.gid ?? null,
    mode: d.mode ?? null,
  };
}

/** `ceph fs subvolume ls <fs> [--group_name g] --format json`: the names ("[]" when none). */
export function parseSubvolumeList(stdout: string): string[] {
  return check(
    z.array(z.object({ name: z.string().min(1) }).passthrough()),
    parseSingle(stdout, 'ceph fs subvolume ls', []),
    'ceph fs subvolume ls',
  ).map((e) => e.name);
}

/** `ceph fs subvolume metadata ls <fs> <name> [--group_name g] --format json`: key -> value ("{}" when none). */
export function parseSubvolumeMetadata(stdout: string): Record<string, string> {
  return check(
    z.record(z.string()),
    parseSingle(stdout, 'ceph fs subvolume metadata ls', {}),
    'ceph fs subvolume metadata ls',
  );
}

export interface SubvolumeResize {
  readonly usedBytes: number;
  readonly quotaBytes: number | null;
}

/** `ceph fs subvolume resize <fs> <name> <bytes|infinite> ... --format json`: [{bytes_used}, {bytes_quota}, {bytes_pcent}]. */
export function parseSubvolumeResize(stdout: string): SubvolumeResize {
  const doc = parseSingle(stdout, 'ceph fs subvolume resize', undefined);
  const items = check(z.array(z.record(z.unknown())).min(1), doc, 'ceph fs subvolume resize');
  const merged = Object.assign({}, ...items) as Record<string, unknown>;
  const d = check(
    z.object({ bytes_used: z.number().int().nonnegative(), bytes_quota: quotaValue }).passthrough(),
    merged,
    'ceph fs subvolume resize',
  );
  return { usedBytes: d.bytes_used, quotaBytes: quota(d.bytes_quota) };
}

/**
 * The errno name of a failed `ceph` command ("Error ENOENT: subvolume 'x' does not exist"
 * -> "ENOENT"), or null when stderr has no such line (a connection failure, a crash).
 */
export function cephErrorCode(stderr: string): string | null {
  const m = /^Error (E[A-Z0-9]+):/m.exec(stderr);
  return m ? (m[1] as string) : null;
}

// ---------------------------------------------------------------------------
// FSMap: MDS ranks of a filesystem
// ---------------------------------------------------------------------------

export interface MdsDaemon {
  readonly name: string;
  /** "up:active", "up:replay", "up:standby", ... */
  readonly state: string;
  /** Rank it holds, -1 for a standby. */
  readonly rank: number;
  /** Its v1 address "ip:port/nonce", or "" when not shown. */
  readonly addr: string;
}

export interface FsMdsMap {
  readonly name: string;
  readonly id: number;
  readonly enabled: boolean;
  readonly maxMds: number;
  /** Ranks that should be up ("in"). */
  readonly in: readonly number[];
  /** Daemons holding a rank. */
  readonly daemons: readonly MdsDaemon[];
  readonly failed: readonly number[];
  readonly damaged: readonly number[];
  readonly standbyCountWanted: number;
}

export interface FsMap {
  readonly filesystems: readonly FsMdsMap[];
  /** Standby daemons, not tied to a filesystem. */
  readonly standbys: readonly MdsDaemon[];
}

const DaemonSchema = z
  .object({ name: z.string(), state: z.string(), rank: z.number().int(), addr: z.string().default('') })
  .passthrough();

const MdsMapSchema = z
  .object({
    fs_name: z.string(),
    enabled: z.boolean().default(true),
    max_mds: z.number().int(),
    in: z.array(z.number().int()).default([]),
    info: z.record(DaemonSchema).default({}),
    failed: z.array(z.number().int()).default([]),
    damaged: z.array(z.number().int()).default([]),
    standby_count_wanted: z.number().int().default(0),
  })
  .passthrough();

const FsMapSchema = z
  .object({
    filesystems: z.array(z.object({ id: z.number().int(), mdsmap: MdsMapSchema }).passthrough()).default([]),
    standbys: z.array(DaemonSchema).default([]),
  })
  .passthrough();

const daemon = (d: z.output<typeof DaemonSchema>): MdsDaemon => ({
  name: d.name,
  state: d.state,
  rank: d.rank,
  addr: d.addr,
});

/** `ceph fs dump --format json`, or `ceph mds stat --format json` (the same map under "fsmap"). */
export function parseFsMap(stdout: string): FsMap {
  const doc = parseSingle(stdout, 'ceph fs dump', undefined);
  if (doc === undefined) throw new OutputParseError('ceph fs dump printed nothing');
  const inner = typeof doc === 'object' && doc !== null && 'fsmap' in doc ? (doc as { fsmap: unknown }).fsmap : doc;
  const d = check(FsMapSchema, inner, 'ceph fs dump');
  return {
    filesystems: d.filesystems.map((f) => ({
      name: f.mdsmap.fs_name,
      id: f.id,
      enabled: f.mdsmap.enabled,
      maxMds: f.mdsmap.max_mds,
      in: f.mdsmap.in,
      daemons: Object.values(f.mdsmap.info)
        .map(daemon)
        .sort((a, b) => a.rank - b.rank),
      failed: f.mdsmap.failed,
      damaged: f.mdsmap.damaged,
      standbyCountWanted: f.mdsmap.standby_count_wanted,
    })),
    standbys: d.standbys.map(daemon),
  };
}

export interface FsVerdict {
  /** Every rank in the map has an up:active daemon, none failed or damaged. */
  readonly ok: boolean;
  /** One line: "cephfs: rank 0 a up:active" or what is wrong. */
  readonly summary: string;
  /** Names of the daemons holding rank 0.. (the ones `ceph tell mds.<name>` reaches). */
  readonly active: readonly string[];
}

/** Is filesystem `fs` served (every rank active)? null when the map has no such filesystem. */
export function fsVerdict(map: FsMap, fs: string): FsVerdict | null {
  const f = map.filesystems.find((x) => x.name === fs);
  if (!f) return null;
  const active = f.daemons.filter((d) => d.state === 'up:active');
  const problems: string[] = [];
  if (!f.enabled) problems.push('disabled');
  if (f.damaged.length) problems.push(`damaged rank(s) ${f.damaged.join(', ')}`);
  if (f.failed.length) problems.push(`failed rank(s) ${f.failed.join(', ')}`);
  for (const r of f.in) {
    const d = f.daemons.find((x) => x.rank === r);
    if (!d) {
      if (!f.failed.includes(r) && !f.damaged.includes(r)) problems.push(`rank ${r} has no MDS`);
    } else if (d.state !== 'up:active') problems.push(`rank ${r} ${d.name} is ${d.state}`);
  }
  if (f.in.length === 0) problems.push('no MDS rank is in');
  const standbys = map.standbys.length;
  const ranks = f.daemons.map((d) => `rank ${d.rank} ${d.name} ${d.state}`).join(', ');
  const summary = problems.length
    ? `${fs}: ${problems.join('; ')} (${standbys} standby)`
    : `${fs}: ${ranks}; ${standbys} standby`;
  return { ok: problems.length === 0, summary, active: active.map((d) => d.name) };
}

// ---------------------------------------------------------------------------
// mgr status: ceph fs status
// ---------------------------------------------------------------------------

export interface FsStatus {
  /** Client sessions the MDS ranks count, per filesystem. */
  readonly clients: number;
  /** One row per rank: "active", "replay", "failed", ...; name absent for a failed rank. */
  readonly ranks: readonly { rank: number; name: string | null; state: string }[];
  readonly pools: readonly { name: string; type: string; used: number; avail: number }[];
}

const FsStatusSchema = z
  .object({
    clients: z.array(z.object({ clients: z.number().int(), fs: z.string() }).passthrough()).default([]),
    mdsmap: z
      .array(z.object({ rank: z.number().int(), name: z.string().optional(), state: z.string() }).passthrough())
      .default([]),
    pools: z
      .array(z.object({ name: z.string(), type: z.string(), used: z.number(), avail: z.number() }).passthrough())
      .default([]),
  })
  .passthrough();

/** `ceph fs status <fs> --format json` (mgr status module). */
export function parseFsStatus(stdout: string): FsStatus {
  const doc = parseSingle(stdout, 'ceph fs status', undefined);
  if (doc === undefined) throw new OutputParseError('ceph fs status printed nothing');
  const d = check(FsStatusSchema, doc, 'ceph fs status');
  return {
    clients: d.clients.reduce((n, c) => n + c.clients, 0),
    ranks: d.mdsmap.map((r) => ({ rank: r.rank, name: r.name ?? null, state: r.state })),
    pools: d.pools.map((p) => ({ name: p.name, type: p.type, used: p.used, avail: p.avail })),
  };
}

// ---------------------------------------------------------------------------
// MDS client sessions
// ---------------------------------------------------------------------------

export interface MdsSession {
  /** Global client id ("client.<id>" in ceph's messages). */
  readonly id: number;
  /** Host part of the client's address. */
  readonly host: string;
  /** "client.4164 198.51.100.11:0/785861990": the entity instance, as `ceph osd blocklist` names it (after the space). */
  readonly inst: string;
  /** "open", "stale", "closing", "killing", ... */
  readonly state: string;
  readonly reconnecting: boolean;
  /** client_metadata.hostname, entity_id, root (the path it mounted), uuid (ganesha: "ganesha-<host>-<export id hex>"). */
  readonly hostname: string | null;
  readonly entityId: string | null;
  readonly root: string | null;
  readonly uuid: string | null;
}

const SessionSchema = z
  .object({
    id: z.number().int(),
    entity: z.object({ addr: z.object({ addr: z.string() }).passthrough() }).passthrough(),
    state: z.string(),
    reconnecting: z.boolean().default(false),
    inst: z.string().default(''),
    client_metadata: z.record(z.unknown()).default({}),
  })
  .passthrough();

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** `ceph tell mds.<name> client ls --format json` (also `session ls`). */
export function parseMdsSessions(stdout: string): MdsSession[] {
  return check(
    z.array(SessionSchema),
    parseSingle(stdout, 'ceph tell mds client ls', []),
    'ceph tell mds client ls',
  ).map((s) => ({
    id: s.id,
    host: addressHost(s.entity.addr.addr),
    inst: s.inst,
    state: s.state,
    reconnecting: s.reconnecting,
    hostname: str(s.client_metadata.hostname),
    entityId: str(s.client_metadata.entity_id),
    root: str(s.client_metadata.root),
    uuid: str(s.client_metadata.uuid),
  }));
}

/** Sessions from `host` (its address) that mounted exactly `path`: a ganesha export's libcephfs client. */
export function sessionsFor(sessions: readonly MdsSession[], host: string, path: string): MdsSession[] {
  return sessions.filter((s) => s.host === host && s.root === path);
}
