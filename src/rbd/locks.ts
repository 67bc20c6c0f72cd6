// Gathering RBD advisory locks, their images' watchers and a verdict for each lock.
//
// Cost of a pool scan: one `rbd ls -l` for the pool (it reports which images are locked
// and whether exclusive or shared), then for each *locked* image one `rbd lock ls` and one
// `rbd status`, at most 8 images at a time. Unlocked images cost nothing beyond the list.
import { mapLimit } from '../core/concurrency.js';
import {
  decodeKubeletLockId,
  parseOsdPoolLsDetail,
  parseRbdListLong,
  parseRbdLockHeader,
  parseRbdLockList,
  parseRbdStatus,
  type RbdLock,
  type RbdWatcher,
} from '../core/ceph-json.js';
import { NfsctlError, PreconditionError } from '../core/errors.js';
import { classifyFailure, type Ceph } from './ceph.js';
import type { NodeProber } from './nodes.js';
import { lockVerdict, type NodeState, type Verdict } from './verdict.js';
import { specString, type ImageSpec } from './validate.js';

export const SCAN_PARALLELISM = 8;

/**
 * One lock, as `nfsctl rbd lock list --json` prints it (stable; see README "RBD locks"):
 *   pool, image      where the lock is
 *   lockId           the lock's id (kubelet: "kubelet_lock_magic_<node>")
 *   locker           "client.<n>", the client instance that took it
 *   address          that instance's address "ip:port/nonce"
 *   lockType         "exclusive" | "shared" | null (null: could not be read)
 *   lockTag          tag of shared locks, else null
 *   node             the node a kubelet lock id names, else null
 *   nodeState        "unreachable" | "not-mapping" | "mapping" | "unknown" | "not-checked" | null
 *   nodeDetail       why unreachable/unknown, the device when mapping, else null
 *   watchers         [{address, client: "client.<n>", cookie: "<decimal string>"}]
 *   verdict          "stale" | "live" | "unknown"
 *   reason           one sentence: why this verdict
 */
export interface LockRow {
  pool: string;
  image: string;
  lockId: string;
  locker: string;
  address: string;
  lockType: 'exclusive' | 'shared' | null;
  lockTag: string | null;
  node: string | null;
  nodeState: NodeState['state'] | null;
  nodeDetail: string | null;
  watchers: { address: string; client: string; cookie: string }[];
  verdict: Verdict;
  reason: string;
}

export interface ScanError {
  pool: string;
  image: string | null;
  message: string;
}

export interface ScanResult {
  pools: string[];
  imagesScanned: number;
  locks: LockRow[];
  errors: ScanError[];
}

/** `rbd lock ls` (JSON) for one image; missing pool/image become PreconditionErrors. */
export async function readLocks(ceph: Ceph, spec: ImageSpec): Promise<RbdLock[]> {
  const r = await ceph.rbd(['lock', 'ls', '--format', 'json', specString(spec)]);
  if (r.exitCode !== 0) throw classifyFailure(r, spec);
  return parseRbdLockList(r.stdout);
}

export async function readWatchers(ceph: Ceph, spec: ImageSpec): Promise<RbdWatcher[]> {
  const r = await ceph.rbd(['status', '--format', 'json', specString(spec)]);
  if (r.exitCode !== 0) throw classifyFailure(r, spec);
  return [...parseRbdStatus(r.stdout).watchers];
}

async function readLockHeader(ceph: Ceph, spec: ImageSpec): Promise<{ type: 'exclusive' | 'shared' | null; tag: string | null }> {
  const r = await ceph.rbd(['lock', 'ls', specString(spec)]);
  if (r.exitCode !== 0) return { type: null, tag: null };
  try {
    const h = parseRbdLockHeader(r.stdout);
    return { type: h.type, tag: h.tag };
  } catch {
    return { type: null, tag: null };
  }
}

/** Verdicts for the locks of one image whose locks and watchers are known. */
export async function judge(
  spec: ImageSpec,
  locks: readonly RbdLock[],
  watchers: readonly RbdWatcher[],
  header: { type: 'exclusive' | 'shared' | null; tag: string | null },
  prober: NodeProber,
): Promise<LockRow[]> {
  return Promise.all(
    locks.map(async (lock) => {
      const node = decodeKubeletLockId(lock.id);
      // A live lock needs no node check: only probe when no watcher speaks for the locker.
      const first = lockVerdict({ image: specString(spec), lock, watchers, node: null, nodeState: null });
      const nodeState: NodeState | null = node !== null && first.verdict !== 'live' ? await prober.probe(node, spec) : null;
      const v = node !== null && nodeState !== null ? lockVerdict({ image: specString(spec), lock, watchers, node, nodeState }) : first;
      return {
        pool: spec.pool,
        image: spec.image,
        lockId: lock.id,
        locker: lock.locker,
        address: lock.address,
        lockType: header.type,
        lockTag: header.tag,
        node,
        nodeState: nodeState?.state ?? null,
        nodeDetail: nodeState === null ? null : nodeState.state === 'unreachable' || nodeState.state === 'unknown' ? nodeState.why : nodeState.state === 'mapping' ? nodeState.device : null,
        watchers: watchers.map((w) => ({ address: w.address, client: w.client, cookie: w.cookie })),
        verdict: v.verdict,
        reason: v.reason,
      };
    }),
  );
}

/** Every lock of one image (throws PreconditionError for a missing pool or image). */
export async function scanImage(ceph: Ceph, spec: ImageSpec, prober: NodeProber): Promise<LockRow[]> {
  const locks = await readLocks(ceph, spec);
  if (locks.length === 0) return [];
  const [watchers, header] = await Promise.all([readWatchers(ceph, spec), readLockHeader(ceph, spec)]);
  return judge(spec, locks, watchers, header, prober);
}

/** Every lock in a pool. A missing pool is a PreconditionError; trouble with one image is recorded and the scan goes on. */
export async function scanPool(ceph: Ceph, pool: string, prober: NodeProber, limit = SCAN_PARALLELISM): Promise<{ images: number; locks: LockRow[]; errors: ScanError[] }> {
  const errors: ScanError[] = [];
  const r = await ceph.rbd(['ls', '-l', '--format', 'json', '--pool', pool]);
  let entries;
  try {
    entries = parseRbdListLong(r.stdout).filter((e) => e.snapshot === null);
  } catch (err) {
    if (r.exitCode !== 0) throw classifyFailure(r);
    throw err;
  }
  if (r.exitCode !== 0) {
    if (entries.length === 0) throw classifyFailure(r);
    // rbd ls -l lists what it could open and complains about the rest.
    errors.push({ pool, image: null, message: r.stderr.trim().split('\n').slice(-3).join(' | ') });
  }
  const locked = entries.filter((e) => e.lockType !== null);
  const rows = await mapLimit(locked, limit, async (e) => {
    const spec = { pool, image: e.image };
    try {
      const [locks, watchers] = await Promise.all([readLocks(ceph, spec), readWatchers(ceph, spec)]);
      const type = e.lockType === 'exclusive' || e.lockType === 'shared' ? e.lockType : null;
      return await judge(spec, locks, watchers, { type, tag: null }, prober);
    } catch (err) {
      // Deleted or unlocked since the listing: nothing to report.
      if (err instanceof PreconditionError) return [];
      errors.push({ pool, image: e.image, message: (err as Error).message });
      return [];
    }
  });
  return { images: entries.length, locks: rows.flat(), errors };
}

/** Pools with the "rbd" application enabled. */
export async function rbdPools(ceph: Ceph): Promise<string[]> {
  const r = await ceph.ceph(['osd', 'pool', 'ls', 'detail', '--format', 'json']);
  if (r.exitCode !== 0) throw classifyFailure(r);
  return parseOsdPoolLsDetail(r.stdout)
    .filter((p) => p.applications.includes('rbd'))
    .map((p) => p.name);
}

export async function scan(ceph: Ceph, pools: string[], prober: NodeProber): Promise<ScanResult> {
  const out: ScanResult = { pools, imagesScanned: 0, locks: [], errors: [] };
  for (const pool of pools) {
    try {
      const r = await scanPool(ceph, pool, prober);
      out.imagesScanned += r.images;
      out.locks.push(...r.locks);
      out.errors.push(...r.errors);
    } catch (err) {
      if (pools.length === 1 || !(err instanceof NfsctlError)) throw err;
      out.errors.push({ pool, image: null, message: (err as Error).message });
    }
  }
  return out;
}
