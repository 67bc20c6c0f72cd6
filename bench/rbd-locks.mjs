// 5. `nfsctl rbd lock list --pool` over N images against a sequential `rbd lock ls` loop
// (issue #9, benchmark 5; target: ratio below 0.3 with bounded parallelism).
//
// Runs on the lab (already up: called after labUp()). A dedicated pool is made for it and
// removed afterwards, so both sides scan exactly N images. Images are made and locked in
// bulk by one python3-rbd process per step (lock_exclusive(<id>) is what `rbd lock add
// <img> <id>` calls; the locking process exits, so the locks are left without a watcher, as
// a kubelet on a vanished node leaves them). Lock ids are kubelet-style,
// kubelet_lock_magic_node-NN over 20 nodes that do not resolve: nfsctl probes each node once
// and calls the locks stale.
//
// Measured, interleaved (this machine is shared and noisy; only the ratio counts):
//   (a) nfsctl rbd lock list --pool P --json              (scan + verdicts, on the primary)
//   (b) for i in $(rbd ls P); do rbd lock ls P/$i; done   (on the primary, same conf/id/keyring)
// first with 10% of the images locked, then with all of them locked.
import { labExec, median, nfsctl, section, time } from './lib.mjs';

const POOL = 'nfsctl-bench-locks';
// what the lab's nfsctl config uses (backends.rbd): the loop runs with the same client options
const CEPH = ['--conf', '/etc/ceph/ceph.conf', '--id', 'admin', '--keyring', '/etc/ceph/ceph.client.admin.keyring'];
const NODES = 20;

const MAKE_PY = `
import rados, rbd, sys
pool, n, every, nodes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
c = rados.Rados(conffile="/etc/ceph/ceph.conf", rados_id="admin"); c.connect()
io = c.open_ioctx(pool)
have = set(rbd.RBD().list(io))
for i in range(n):
    name = "bench-%04d" % i
    if name not in have:
        rbd.RBD().create(io, name, 1 << 20)
    if every and i % every == 0:
        with rbd.Image(io, name) as img:
            if not img.list_lockers():
                img.lock_exclusive("kubelet_lock_magic_node-%02d" % (i % nodes))
io.close(); c.shutdown()
`;

const POOL_SH = `set -e
P=$1 what=$2
drop() {
  if ceph osd pool ls | grep -qx "$P"; then
    prev=$(ceph config get mon mon_allow_pool_delete)
    ceph config set mon mon_allow_pool_delete true
    ceph osd pool rm "$P" "$P" --yes-i-really-really-mean-it >/dev/null 2>&1
    if [ "$prev" = true ]; then :; else ceph config rm mon mon_allow_pool_delete; fi
  fi
}
case $what in
  make) drop; ceph osd pool create "$P" 8 8 >/dev/null 2>&1; rbd pool init "$P" ;;
  drop) drop ;;
esac`;

const LOOP_SH = `P=$1; shift
for i in $(rbd "$@" ls "$P"); do rbd "$@" lock ls "$P/$i"; done >/dev/null`;

function ok(r, what) {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

function lockImages(images, every) {
  return time(() =>
    ok(
      labExec('primary', ['python3', '-c', MAKE_PY, POOL, String(images), String(every), String(NODES)], {
        timeout: 600_000,
      }),
      'making/locking the images',
    ),
  ).ms;
}

function measure(images, expectLocks, runs) {
  const a = [];
  const b = [];
  for (let i = 0; i < runs; i++) {
    const ta = time(() =>
      ok(nfsctl(['rbd', 'lock', 'list', '--pool', POOL, '--json'], { timeout: 600_000 }), 'nfsctl rbd lock list'),
    );
    const doc = JSON.parse(ta.r.stdout);
    if (doc.imagesScanned !== images || doc.locks.length !== expectLocks || doc.errors.length !== 0) {
      throw new Error(
        `nfsctl rbd lock list saw ${doc.imagesScanned} images, ${doc.locks.length} locks, ${doc.errors.length} errors; expected ${images}, ${expectLocks}, 0`,
      );
    }
    a.push(ta.ms);
    b.push(
      time(() =>
        ok(
          labExec('primary', ['bash', '-c', LOOP_SH, 'loop', POOL, ...CEPH], { timeout: 900_000 }),
          'rbd lock ls loop',
        ),
      ).ms,
    );
  }
  return { a: median(a), b: median(b) };
}

export async function rbdLockScan({ images = 500, runs = 3 } = {}) {
  const setup = [];
  let cleanupMs = 0;
  const rows = [
    [
      'locked images',
      'nfsctl rbd lock list --pool, median ms',
      'sequential rbd lock ls loop, median ms',
      'ratio',
      'target',
    ],
  ];
  try {
    setup.push(time(() => ok(labExec('primary', ['bash', '-c', POOL_SH, 'pool', POOL, 'make']), 'making the pool')).ms);
    setup.push(lockImages(images, 10));
    const tenth = Math.ceil(images / 10);
    const m1 = measure(images, tenth, runs);
    rows.push([`${tenth} of ${images} (10%)`, m1.a.toFixed(0), m1.b.toFixed(0), (m1.a / m1.b).toFixed(2), '< 0.3']);
    setup.push(lockImages(images, 1));
    const m2 = measure(images, images, runs);
    rows.push([`${images} of ${images} (all)`, m2.a.toFixed(0), m2.b.toFixed(0), (m2.a / m2.b).toFixed(2), '< 0.3']);
  } finally {
    cleanupMs = time(() => labExec('primary', ['bash', '-c', POOL_SH, 'pool', POOL, 'drop'])).ms;
  }
  section(
    `rbd lock list --pool over ${images} images vs a sequential rbd lock ls loop (${runs} interleaved runs, median)`,
    rows,
    [
      'nfsctl reads the whole pool with one python3-rbd process (one cluster connection, 8 threads opening images read-only), then judges each lock (each named node probed once); the loop starts one rbd process, hence one cluster connection, per image.',
      `Locks are kubelet-style (kubelet_lock_magic_node-NN, ${NODES} nodes that do not resolve: every lock is judged stale). Setup ${(setup.reduce((x, y) => x + y, 0) / 1000).toFixed(1)} s (pool, ${images} images, locks; one python3-rbd process per step), cleanup ${(cleanupMs / 1000).toFixed(1)} s (pool removed).`,
    ],
  );
}
