// Benchmark (issue #13): the kernel-client drill on the vm tier, per volume kind. An NFSv3
// (tcp, hard) kernel client writes and lists through the VIP while the pair does a planned
// switchover, a failback, an unplanned failure of the primary (its link cut) and the recovery
// (failback). Per phase and workload: client errors, the longest stall, acknowledged writes lost.
//
// The drill itself is the vm-tier test (test/lab/vm.test.ts, "the kernel-client drill"), which
// asserts what each kind promises and writes its figures to NFSCTL_DRILL_OUT
// (default /var/tmp/nfsctl-vm-drill.json); this module runs it (or, with BENCH_DRILL_FROM=<file>,
// only formats figures an earlier run wrote) and turns them into a section of RESULTS.md.
// Only the LVM (rsync copy) kind runs there today: RBD has no Ceph cluster reachable from the
// guests yet, and the guests' XFS quota is not driven by nfsctl on the vm tier.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ROOT, section, say } from './lib.mjs';

export const DRILL_OUT = process.env.NFSCTL_DRILL_OUT ?? '/var/tmp/nfsctl-vm-drill.json';

const errText = (p) => {
  const errs = Object.entries(p.errnos ?? {})
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return `${p.errors}${errs ? ` (${errs})` : ''}`;
};

export function drillRows(f) {
  const rows = [['kind', 'phase', 'workload', 'ops', 'client errors (errno)', 'longest stall s', 'acked writes lost']];
  const kinds = [
    ['lvm (rsync copy)', f.phases],
    ['lvm + drbd (replicated)', f.drbd?.phases],
  ];
  for (const [kind, phases] of kinds)
    for (const p of phases ?? [])
      rows.push([
        kind,
        p.phase,
        p.workload,
        String(p.ops),
        errText(p),
        String(p.longestStallS),
        p.lost === null ? '-' : String(p.lost),
      ]);
  return rows;
}

// The same events for both kinds: [label, rsync drill phase, drbd drill phase]. The rsync
// drill's crash is its primary's link cut after a sync; the drbd drill's is its qemu killed.
const EVENTS = [
  ['planned switchover', 'switchover', 'switchover'],
  ['failback', 'failback', 'failback'],
  ['crash of the primary', 'sync-then-crash', 'crash'],
  ['crashed primary booted again (resync)', null, 'restart'],
  ['failback after the crash', 'recovery', 'recovery'],
];

/** Side by side per event and workload: client errors / longest stall s / acked writes lost. */
export function sideBySideRows(f) {
  const rows = [['event', 'workload', 'rsync copy: errors / stall s / lost', 'drbd: errors / stall s / lost']];
  const cell = (phases, phase, w) => {
    const p = phase && (phases ?? []).find((x) => x.phase === phase && x.workload === w);
    return p ? `${errText(p)} / ${p.longestStallS} / ${p.lost === null ? '-' : p.lost}` : '-';
  };
  for (const [label, rs, db] of EVENTS)
    for (const w of ['holder', 'reopen', 'lister'])
      rows.push([label, w, cell(f.phases, rs, w), cell(f.drbd?.phases, db, w)]);
  return rows;
}

export function drbdNotes(f) {
  const d = f.drbd;
  if (!d) return ['The DRBD drill has not written figures yet (test/lab/vm.test.ts, "DRBD volume").'];
  const s = (ms) => (typeof ms === 'number' ? `${(ms / 1000).toFixed(0)} s` : '?');
  const out = [
    `DRBD drill run ${d.time}${d.run && d.run === f.run ? ' (the same run as the rsync figures)' : f.time ? ` (the rsync figures are from the run of ${f.time})` : ''}: an NFSv3 tcp hard mount through the VIP of a 1 GiB volume made by \`nfsctl volume create --backend lvm --replication drbd\` (protocol C, drbd 8.4.11). Durations under TCG: create ${s(d.createMs)}, switchover ${s(d.switchoverMs)}, failback ${s(d.failbackMs)}, from the kill of the primary's qemu to the backup serving (VIP, Primary, mounted, exported) ${s(d.takeoverMs)}${d.crashResumeMs !== undefined ? ` and to every workload going on ${s(d.crashResumeMs)}` : ''}, boot of the crashed primary ${s(d.primaryBootMs)} and its resync ${s(d.resyncAfterBootMs)}, failback after it ${s(d.recoveryFailbackMs)}.`,
  ];
  if (d.fio)
    out.push(
      d.fio.ran
        ? `fio --verify=crc32c on the drbd volume (its files held open): ${d.fio.writeIos} writes, ${d.fio.totalErr} errors, verify errors: ${d.fio.verifyErrors ? 'yes' : 'none'}.`
        : `fio on the drbd volume: did not report (${String(d.fio.output ?? '')
            .trim()
            .slice(0, 120)})`,
    );
  if (d.latency) out.push(latencyNote(d.latency));
  return out;
}

/** Write latency of small synchronous writes from the client, replicated and not. */
export function latencyNote(l) {
  const row = (name, x) =>
    x
      ? `${name}: ${x.iops} writes/s, write+fsync mean ${x.meanMs} ms (p99 of the fsync ${x.syncP99Ms} ms)`
      : `${name}: not measured`;
  return `Write latency (fio on the client through the VIP: 4 KiB random writes, fsync after each, one job, ${l.seconds ?? '?'} s each): ${[
    row('drbd volume, peer Connected (protocol C: each write on both disks before it is acknowledged)', l.connected),
    row('the same volume with the peer disconnected (DRBD writes only the local disk)', l.disconnected),
    row('an lvm volume (rsync copy)', l.lvm),
  ].join('; ')}.`;
}

export function drillNotes(f) {
  const s = (ms) => (typeof ms === 'number' ? `${(ms / 1000).toFixed(0)} s` : '?');
  const fio = f.fio?.ran
    ? `fio --verify=crc32c (random 4k writes with fsync on 2 files it keeps open, --continue_on_error=all): ${f.fio.writeIos} writes issued, ${f.fio.totalErr} errors: it holds its files open, so, like the holding writer, it fails from the first move on.`
    : `fio: did not report (${String(f.fio?.output ?? 'not run')
        .trim()
        .slice(0, 120)})`;
  return [
    `Run ${f.time}. Durations of the operations under TCG with the machine shared: sync ${s(f.syncMs)}, switchover ${s(f.switchoverMs)}, failback ${s(f.failbackMs)}, failback after the crash ${s(f.recoveryFailbackMs)}.`,
    `Crash: the primary's link cut ${f.crash?.secondsFromLastSyncStartToCrash ?? '?'} s after the last good sync started; the reopen writer had ${f.crash?.reopenAckedBetweenLastSyncAndCrash ?? '?'} writes acknowledged since that sync's start, of which ${f.crash?.reopenLost ?? '?'} were lost (an rsync copy loses what was written since the last good sync).`,
    'Phases run from one event to the next (switchover: from its start until the failback starts, and so on); "longest stall" is the longest stretch without a successful operation; the holding writer keeps its one descriptor (it is expected to fail from the first move on).',
    fio,
  ];
}

export async function vmDrill() {
  let f;
  if (process.env.BENCH_DRILL_FROM) {
    f = JSON.parse(readFileSync(process.env.BENCH_DRILL_FROM, 'utf8'));
  } else {
    say('vm drill: running the vm-tier drill (brings the vm tier up if needed; tens of minutes under TCG)');
    const r = spawnSync(
      'npx',
      ['vitest', 'run', '--project', 'lab', 'test/lab/vm.test.ts', '-t', 'HA per volume|DRBD volume'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, NFSCTL_DRILL_OUT: DRILL_OUT },
        maxBuffer: 256 << 20,
        timeout: 3_600_000,
      },
    );
    if (r.status !== 0)
      say(
        `vm drill: the test failed (exit ${r.status}); figures below are from what it wrote:\n${(r.stdout ?? '').slice(-3000)}`,
      );
    f = JSON.parse(readFileSync(DRILL_OUT, 'utf8'));
  }
  section(
    'Kernel-client drill on the vm tier (NFSv3 tcp hard through the VIP; switchover, failback, crash, recovery)',
    drillRows(f),
    [...drillNotes(f), ...drbdNotes(f)],
  );
}
