// Benchmark (issue #13): what copying per volume costs. sync copies each volume filesystem
// with its own rsync (so --one-file-system and the deletion cap hold per volume, and nothing
// is deleted under a missing mount); this measures that against one rsync of the same
// directories, on the netns lab's rsync daemon, for N small volume directories with nothing
// to copy (the steady state of the periodic sync: the fixed cost per volume shows).
import { median, section, labExec } from './lib.mjs';

function sh(host, script) {
  const r = labExec(host, ['bash', '-c', script], { timeout: 900_000 });
  if (r.status !== 0) throw new Error(`${host}: ${script.slice(0, 80)}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

export async function perVolumeSync({ sizes = [10, 100, 500], rounds = 3 } = {}) {
  const rows = [['volumes', 'one rsync of all (ms)', 'one rsync per volume (ms)', 'per-volume cost (ms)', 'ratio']];
  const RSYNC = 'rsync -aHAX --delete --numeric-ids --itemize-changes --stats --one-file-system';
  for (const n of sizes) {
    sh(
      'primary',
      `rm -rf /nfs/pvbench; mkdir -p /nfs/pvbench; for i in $(seq 1 ${n}); do mkdir -p /nfs/pvbench/v$i; echo $i > /nfs/pvbench/v$i/f; done`,
    );
    sh(
      'backup',
      `rm -rf /nfs/pvbench; mkdir -p /nfs/pvbench && ${RSYNC} rsync://198.51.100.11/nfs/pvbench/ /nfs/pvbench/ >/dev/null`,
    );
    const one = [];
    const per = [];
    for (let k = 0; k < rounds; k++) {
      // interleaved; each timed on the host itself
      one.push(
        Number(
          sh(
            'backup',
            `s=$(date +%s%N); ${RSYNC} rsync://198.51.100.11/nfs/pvbench/ /nfs/pvbench/ >/dev/null; echo $(( ($(date +%s%N) - s) / 1000000 ))`,
          ).trim(),
        ),
      );
      per.push(
        Number(
          sh(
            'backup',
            `s=$(date +%s%N); for i in $(seq 1 ${n}); do ${RSYNC} rsync://198.51.100.11/nfs/pvbench/v$i/ /nfs/pvbench/v$i/ >/dev/null || exit 1; done; echo $(( ($(date +%s%N) - s) / 1000000 ))`,
          ).trim(),
        ),
      );
    }
    const a = median(one);
    const b = median(per);
    rows.push([String(n), String(a), String(b), ((b - a) / n).toFixed(1), (b / a).toFixed(1)]);
  }
  for (const h of ['primary', 'backup']) sh(h, 'rm -rf /nfs/pvbench');
  section(
    `Per-volume sync: one rsync per volume vs one rsync of all (netns lab rsync daemon, nothing to copy, ${rounds} rounds, median)`,
    rows,
    [
      'The fixed cost of a volume is one rsync start and one daemon connection. It buys per-volume --one-file-system, per-volume deletion caps and refusing one volume by name without touching the others.',
    ],
  );
}
