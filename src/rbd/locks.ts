// Gathering RBD advisory locks, their images' watchers and a verdict for each lock.
//
// Cost of a pool scan. Every `rbd` process connects to the cluster on its own (~0.05-0.2 s
// of CPU each), so a scan costs about as many connections as it runs processes:
// - fast path: ONE `python3 -c POOL_SCAN_PY` process (the rados/rbd bindings that Debian's
//   ceph-common depends on) connects once, opens every image read-only (8 threads; a
//   read-only open registers no watch) and reports list_lockers() and, for locked images
//   only, watchers_list(): the same librbd calls `rbd lock ls` and `rbd status` make.
// - fallback, when python3 or its rbd module is missing or the script fails for any reason
//   (it then reports why only under NFSCTL_TRACE): one `rbd ls -l` for the pool (it says
//   which images are locked, exclusive or shared), then for each *locked* image one
//   `rbd lock ls` and one `rbd status` (plus the plain `rbd lock ls` header for shared
//   locks, for their tag), at most 8 images at a time.
// Both give the same rows; unlocked images cost nothing beyond being listed/opened.
import { mapLimit } from '../core/concurrency.js';
import {
  decodeKubeletLockId,
  parseOsdPoolLsDetail,
  parseRbdListLong,
  parseRbdLockHeader,
  parseRbdLockList,
  parseRbdPoolScan,
  parseRbdStatus,
  type RbdLock,
  type RbdWatcher,
} from '../core/ceph-json.js';
import { excerpt, NfsctlError, PreconditionError } from '../core/errors.js';
import { traceEnabled } from '../host/trace.js';
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
  const r = await ceph.rbd(['lock', 'ls', '--format', 'json', '--', specString(spec)]);
  if (r.exitCode !== 0) throw classifyFailure(r, spec);
  return parseRbdLockList(r.stdout);
}

export async function readWatchers(ceph: Ceph, spec: ImageSpec): Promise<RbdWatcher[]> {
  const r = await ceph.rbd(['status', '--format', 'json', '--', specString(spec)]);
  if (r.exitCode !== 0) throw classifyFailure(r, spec);
  return [...parseRbdStatus(r.stdout).watchers];
}

async function readLockHeader(
  ceph: Ceph,
  spec: ImageSpec,
): Promise<{ type: 'exclusive' | 'shared' | null; tag: string | null }> {
  const r = await ceph.rbd(['lock', 'ls', '--', specString(spec)]);
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
      const nodeState: NodeState | null =
        node !== null && first.verdict !== 'live' ? await prober.probe(node, spec) : null;
      const v =
        node !== null && nodeState !== null
          ? lockVerdict({ image: specString(spec), lock, watchers, node, nodeState })
          : first;
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
        nodeDetail:
          nodeState === null
            ? null
            : nodeState.state === 'unreachable' || nodeState.state === 'unknown'
              ? nodeState.why
              : nodeState.state === 'mapping'
                ? nodeState.device
                : null,
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

/**
 * The fast pool scan, run as `python3 -c POOL_SCAN_PY <conf> <id> <keyring or ""> <pool> <threads>`.
 * Prints one JSON document (parseRbdPoolScan in src/core/ceph-json.ts); exit 0 when it
 * scanned, 3 when python3 has no usable rados/rbd bindings, 4 when the scan could not run.
 * --conf/--id/--keyring mean what they mean to the rbd CLI: the conf file is read, the
 * client name is client.<id>, and an explicit keyring overrides the conf file's.
 * Kept to Python 3.6 syntax (older storage hosts).
 */
export const POOL_SCAN_PY = `
import json, os, sys
def out(doc, code):
    sys.stdout.write(json.dumps(doc) + "\\n")
    sys.stdout.flush()
    sys.exit(code)
try:
    import rados, rbd
    from concurrent.futures import ThreadPoolExecutor
    for f in ("list_lockers", "watchers_list"):
        if not hasattr(rbd.Image, f):
            raise AttributeError("rbd.Image has no " + f)
except Exception as e:
    out({"v": 1, "unavailable": "%s: %s" % (type(e).__name__, e)}, 3)
conf, cid, keyring, pool, threads = sys.argv[1:6]
try:
    cluster = rados.Rados(conffile=conf, rados_id=cid, conf={"keyring": keyring} if keyring else {})
    cluster.connect()
    ioctx = cluster.open_ioctx(pool)
    names = rbd.RBD().list(ioctx)
except Exception as e:
    out({"v": 1, "fatal": "%s: %s" % (type(e).__name__, e)}, 4)

def why(doing, name, e):
    n = getattr(e, "errno", None)
    if isinstance(n, int) and n != 0:
        return "error %s %s: (%d) %s" % (doing, name, abs(n), os.strerror(abs(n)))
    return "error %s %s: %s: %s" % (doing, name, type(e).__name__, e)

def one(name):
    try:
        img = rbd.Image(ioctx, name, read_only=True)
    except rbd.ImageNotFound as e:
        return {"image": name, "gone": why("opening image", name, e)}
    except Exception as e:
        return {"image": name, "error": why("opening image", name, e)}
    try:
        lk = img.list_lockers()
        if not lk or not lk["lockers"]:
            return {"image": name}
        return {
            "image": name,
            "exclusive": bool(lk["exclusive"]),
            "tag": lk["tag"],
            "locks": [{"id": c, "locker": l, "address": a} for (l, c, a) in lk["lockers"]],
            "watchers": [{"address": w["addr"], "client": w["id"], "cookie": w["cookie"]} for w in img.watchers_list()],
        }
    except rbd.ImageNotFound as e:
        return {"image": name, "gone": why("reading the locks of", name, e)}
    except Exception as e:
        return {"image": name, "error": why("reading the locks of", name, e)}
    finally:
        img.close()

with ThreadPoolExecutor(max_workers=max(1, int(threads))) as ex:
    results = list(ex.map(one, names))
# ENOENT: deleted since the listing (skipped), or still listed but cannot be opened (an error)
if any("gone" in r for r in results):
    still = set(rbd.RBD().list(ioctx))
    for r in results:
        if "gone" in r and r["image"] in still:
            r["error"] = r["gone"]
doc = {"v": 1, "pool": pool, "images": 0, "locked": [], "errors": []}
for r in results:
    if "error" in r:
        doc["errors"].append({"image": r["image"], "message": r["error"]})
        continue
    if "gone" in r:
        continue
    doc["images"] += 1
    if "locks" in r:
        doc["locked"].append(r)
ioctx.close()
cluster.shutdown()
out(doc, 0)
`;

/** Where scan progress notes go: stderr under NFSCTL_TRACE, else nowhere (never into --json). */
export type ScanLog = (line: string) => void;
const defaultLog: ScanLog = (line) => {
  if (traceEnabled()) process.stderr.write(`[rbd] ${line}\n`);
};

/** Ceph targets on which python3-rbd turned out to be unusable (asked once per run, not once per pool). */
const noFastScan = new WeakMap<Ceph, string>();

type ImageFindings = {
  image: string;
  lockType: 'exclusive' | 'shared' | null;
  lockTag: string | null;
  locks: readonly RbdLock[];
  watchers: readonly RbdWatcher[];
};
type PoolFindings = { images: number; locked: ImageFindings[]; errors: ScanError[] };

/**
 * The fast path: one python3 process for the whole pool. Null when it cannot be used
 * (the reason is logged and the caller falls back to the rbd CLI); throws only when the
 * scan timed out (the CLI would wait just as long again).
 */
export async function fastScanPool(
  ceph: Ceph,
  pool: string,
  limit: number,
  log: ScanLog = defaultLog,
): Promise<PoolFindings | null> {
  if (noFastScan.has(ceph)) return null;
  const r = await ceph.host.run([
    'python3',
    '-c',
    POOL_SCAN_PY,
    ceph.target.conf,
    ceph.target.id,
    ceph.target.keyring ?? '',
    pool,
    String(limit),
  ]);
  if (r.timedOut)
    throw new NfsctlError(
      `${r.host}: the lock scan of pool "${pool}" timed out after ${Math.round(r.durationMs / 1000)} s`,
      { hint: 'is the Ceph cluster reachable from there? (ceph -s)' },
    );
  let why: string;
  if (r.exitCode === 127) {
    why = `python3 is not installed on ${r.host}`;
    noFastScan.set(ceph, why);
  } else {
    try {
      const doc = parseRbdPoolScan(r.stdout);
      if (doc.status === 'ok' && r.exitCode === 0) {
        log(
          `pool ${pool}: one python3-rbd process on ${r.host} (${doc.images} images, ${doc.locked.length} locked, ${r.durationMs} ms)`,
        );
        return {
          images: doc.images,
          locked: [...doc.locked],
          errors: doc.errors.map((e) => ({ pool, image: e.image, message: e.message })),
        };
      }
      if (doc.status === 'unavailable') {
        why = `no usable python3 rados/rbd bindings on ${r.host} (${doc.message})`;
        noFastScan.set(ceph, why);
      } else {
        why = doc.status === 'fatal' ? doc.message : `exit ${r.exitCode}`;
      }
    } catch (err) {
      why = `exit ${r.exitCode}: ${excerpt(r.stderr.trim() || (err as Error).message)}`;
    }
  }
  log(`pool ${pool}: python3-rbd scan not used (${why}); falling back to the rbd CLI per locked image`);
  return null;
}

/** The fallback: `rbd ls -l`, then `rbd lock ls` + `rbd status` for each locked image. */
async function cliScanPool(ceph: Ceph, pool: string, limit: number): Promise<PoolFindings> {
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
  const found = await mapLimit(locked, limit, async (e): Promise<ImageFindings | null> => {
    const spec = { pool, image: e.image };
    try {
      const type = e.lockType === 'exclusive' || e.lockType === 'shared' ? e.lockType : null;
      // Only the plain output names a shared lock's tag: asked for shared locks only (rare).
      const [locks, watchers, header] = await Promise.all([
        readLocks(ceph, spec),
        readWatchers(ceph, spec),
        type === 'shared' ? readLockHeader(ceph, spec) : Promise.resolve({ type, tag: null }),
      ]);
      if (locks.length === 0) return null;
      return { image: e.image, lockType: type, lockTag: type === 'shared' ? header.tag : null, locks, watchers };
    } catch (err) {
      // Deleted or unlocked since the listing: nothing to report.
      if (err instanceof PreconditionError) return null;
      errors.push({ pool, image: e.image, message: (err as Error).message });
      return null;
    }
  });
  return { images: entries.length, locked: found.filter((f): f is ImageFindings => f !== null), errors };
}

export interface ScanPoolOptions {
  /** Images read at a time (threads of the python scan; rbd processes of the fallback). */
  limit?: number;
  /** Use the python3-rbd scan when the host can run it (default true). */
  fast?: boolean;
  log?: ScanLog;
}

/** Every lock in a pool. A missing pool is a PreconditionError; trouble with one image is recorded and the scan goes on. */
export async function scanPool(
  ceph: Ceph,
  pool: string,
  prober: NodeProber,
  o: ScanPoolOptions = {},
): Promise<{ images: number; locks: LockRow[]; errors: ScanError[] }> {
  const limit = o.limit ?? SCAN_PARALLELISM;
  const log = o.log ?? defaultLog;
  const found =
    ((o.fast ?? true) ? await fastScanPool(ceph, pool, limit, log) : null) ?? (await cliScanPool(ceph, pool, limit));
  const errors = [...found.errors];
  const rows = await mapLimit(found.locked, limit, async (f) => {
    try {
      return await judge({ pool, image: f.image }, f.locks, f.watchers, { type: f.lockType, tag: f.lockTag }, prober);
    } catch (err) {
      errors.push({ pool, image: f.image, message: (err as Error).message });
      return [];
    }
  });
  return { images: found.images, locks: rows.flat(), errors };
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
