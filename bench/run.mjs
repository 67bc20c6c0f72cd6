#!/usr/bin/env node
// nfsctl benchmarks. Every figure is a ratio measured side by side in one run (this machine
// is shared and noisy); nothing here asserts a time. Results go to stdout and bench/RESULTS.md.
//   node bench/run.mjs            all benchmarks (brings up its own lab: NFSLAB_NS=nfslab-bench)
//   node bench/run.mjs --quick    start-up and file benchmarks only (no lab; what CI runs)
//   node bench/run.mjs --only=rbd,failback   some of: startup files metrics create health rbd failback pervolume scale vmdrill
//   (vmdrill runs the vm-tier drill; BENCH_DRILL_FROM=<figures.json> formats an earlier run's figures)
// Only a full run rewrites bench/RESULTS.md.
import { writeFileSync, readFileSync } from 'node:fs';
import { cpus, totalmem, hostname } from 'node:os';
import { join } from 'node:path';
import { ROOT, sections, median, time, timeCmd, say, section, lab, labExec, nfsctl, labUp } from './lib.mjs';
import { rbdLockScan } from './rbd-locks.mjs';
import { failbackSync } from './failback.mjs';
import { vmDrill } from './vm-drill.mjs';
import { perVolumeSync } from './per-volume-sync.mjs';
import { metricsBench } from './metrics.mjs';

const quick = process.argv.includes('--quick');
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');

// ---- 1. start-up -------------------------------------------------------------------------
function startup(runs = quick ? 10 : 25) {
  const cases = [
    ['node -e 0', ['node', '-e', '0']],
    ['nfsctl --version', ['node', join(ROOT, 'bin/nfsctl'), '--version']],
    ['nfsctl --help', ['node', join(ROOT, 'bin/nfsctl'), '--help']],
    ['nfsctl volume list --help', ['node', join(ROOT, 'bin/nfsctl'), 'volume', 'list', '--help']],
  ];
  const samples = new Map(cases.map(([n]) => [n, []]));
  // interleave the cases so load changes hit all of them alike
  for (let i = 0; i < runs; i++) for (const [n, argv] of cases) samples.get(n).push(timeCmd(argv).ms);
  const base = median(samples.get('node -e 0'));
  const rows = [['command', 'median ms', 'ratio to node -e 0', 'target']];
  for (const [n] of cases) {
    const m = median(samples.get(n));
    rows.push([n, m.toFixed(1), (m / base).toFixed(2), n === 'node -e 0' ? '-' : '< 1.5']);
  }
  section(`Start-up (${runs} interleaved runs each, median)`, rows);
}

// ---- 4. exports and fstab files ---------------------------------------------------------
async function files() {
  const ex = await import(join(ROOT, 'dist/core/exports-file.js'));
  const fs = await import(join(ROOT, 'dist/core/fstab.js'));
  const N = 10_000;
  let text = '# /etc/exports.d/nfsctl.exports: mixed file\n';
  for (let i = 0; i < N; i++) {
    text +=
      i % 10 === 0
        ? `/srv/foreign${i} 10.0.0.0/8(ro,sync)   # someone else's\n`
        : `/nfs/ns${i}_vol${i} 198.51.100.0/24(rw,sync,no_subtree_check,fsid=${i}) # nfsctl:ns${i}/vol${i}\n`;
  }
  const runs = [];
  let out = '';
  for (let k = 0; k < (quick ? 15 : 40); k++) {
    const t = time(() => {
      const f = ex.parseExports(text);
      const g = ex.upsertExport(
        f,
        '/nfs/ns5001_vol5001',
        [{ host: '198.51.100.0/24', options: ['ro', 'sync'] }],
        'ns5001/vol5001',
      );
      const h = ex.removeExport(g, '/nfs/ns77_vol77', 'ns77/vol77');
      return ex.serializeExports(h);
    });
    runs.push(t.ms);
    out = t.r;
  }
  // the edit touches only its lines: every other line is byte-identical
  const a = text.split('\n');
  const b = out.split('\n');
  const changed = a.filter((l) => !b.includes(l)).length;
  const foreignKept = a.filter((l) => l.startsWith('/srv/foreign') || l.startsWith('#')).every((l) => b.includes(l));
  let ftext = '# fstab\nUUID=abc / ext4 defaults 0 1\n';
  for (let i = 0; i < N; i++)
    ftext += `# nfsctl:ns${i}/vol${i}\n/dev/vgnfs/pv.ns${i}.vol${i} /nfs/ns${i}_vol${i} xfs defaults,nofail 0 0\n`;
  const fr = [];
  for (let k = 0; k < (quick ? 15 : 40); k++) {
    fr.push(time(() => fs.serializeFstab(fs.removeMount(fs.parseFstab(ftext), '/nfs/ns42_vol42', 'ns42/vol42'))).ms);
  }
  section(`Exports and fstab files (${N} entries: parse + edit + serialize)`, [
    ['file', 'median ms', 'target', 'lines changed', 'foreign lines and comments byte-identical'],
    ['exports (upsert + remove)', median(runs).toFixed(1), '< 50', String(changed), String(foreignKept)],
    ['fstab (remove)', median(fr).toFixed(1), '< 50', '-', '-'],
  ]);
}

// 2. create on the pair vs a shell script doing the same tool calls host after host over ssh
function createVsScript(rounds = 3) {
  const script = `set -e
ns=$1 n=$2 size=$3 id=$4 eid=$5
p=/nfs/\${ns}_\${n}
meta='{"v":1,"namespace":"'$ns'","name":"'$n'","labels":{},"createdAt":"x","createdBy":"script","backend":"xfs","size":'$size'}'
conf="EXPORT { Export_Id = $eid; Path = $p; Pseudo = $p; Protocols = 3, 4; Transports = TCP, UDP; SecType = sys; Access_Type = None; Squash = Root_Squash; FSAL { Name = VFS; } CLIENT { Clients = 198.51.100.0/24; Access_Type = RW; Squash = No_Root_Squash; } }"
for h in primary backup; do
  ssh -o BatchMode=yes $h mkdir -p -m 0777 -- $p
  ssh -o BatchMode=yes $h xfs_quota -x -c "'project -s -p $p $id'" /nfs
  echo "$meta" | ssh -o BatchMode=yes $h "cat > /nfs/.nfsctl/meta/pv.$ns.$n.json"
  echo "$conf" | ssh -o BatchMode=yes $h "cat > /etc/ganesha/nfsctl/pv.$ns.$n.conf"
  ssh -o BatchMode=yes $h "ls /etc/ganesha/nfsctl/pv.*.conf | sed 's/.*/%include \\"&\\"/' > /etc/ganesha/nfsctl/exports.conf"
  ssh -o BatchMode=yes $h dbus-send --system --print-reply --dest=org.ganesha.nfsd /org/ganesha/nfsd/ExportMgr org.ganesha.nfsd.exportmgr.AddExport string:/etc/ganesha/nfsctl/pv.$ns.$n.conf "'string:EXPORT(Export_Id=$eid)'" >/dev/null
done`;
  const a = [];
  const b = [];
  for (let i = 0; i < rounds; i++) {
    const t1 = time(() =>
      nfsctl(['volume', 'create', `bench/c${i}`, '--size', '16M', '--backend', 'xfsquota', '--yes']),
    );
    if (t1.r.status !== 0) throw new Error(`nfsctl create failed: ${t1.r.stderr}`);
    a.push(t1.ms);
    const t2 = time(() =>
      labExec('primary', [
        'bash',
        '-c',
        script,
        'bench',
        'bench',
        `s${i}`,
        '16777216',
        String(70000 + i),
        String(60000 + i),
      ]),
    );
    if (t2.r.status !== 0) throw new Error(`script failed: ${t2.r.stderr}`);
    b.push(t2.ms);
  }
  for (let i = 0; i < rounds; i++) {
    nfsctl(['volume', 'delete', `bench/c${i}`, '--yes']);
    nfsctl(['volume', 'delete', `bench/s${i}`, '--yes', '--force']);
  }
  const ra = median(a);
  const rb = median(b);
  section(
    `Create on the pair (xfsquota + ganesha, ${rounds} rounds, median)`,
    [
      ['how', 'median ms', 'ratio nfsctl/script', 'target'],
      ['nfsctl volume create (parallel hosts, one SSH connection)', ra.toFixed(0), (ra / rb).toFixed(2), '< 0.8'],
      ['shell script: same tool calls, host after host, plain ssh', rb.toFixed(0), '-', '-'],
    ],
    [
      'nfsctl also plans, checks free space, locks both hosts, audits and verifies the export is served; the script does none of that.',
    ],
  );
}

// 3. scale: N volumes on both hosts, made cheaply (directories + metadata records + exports)
function scale(sizes) {
  const rows = [['volumes', 'volume list ms', 'health ms', 'troubleshoot-mount ms', 'list ms per volume']];
  const gen = `set -e; n=$1
mkdir -p /nfs/.nfsctl/meta /etc/ganesha/nfsctl
i=0; while [ $i -lt $n ]; do
  p=/nfs/scale_v$i; mkdir -p $p
  printf '{"v":1,"namespace":"scale","name":"v%s","labels":{},"createdAt":"2026-11-22T00:00:00Z","createdBy":"bench","backend":"xfs","size":16777216}\\n' $i > /nfs/.nfsctl/meta/pv.scale.v$i.json
  i=$((i+1)); done`;
  const clean = 'rm -rf /nfs/scale_v* /nfs/.nfsctl/meta/pv.scale.*';
  let prev = 0;
  for (const n of sizes) {
    for (const h of ['primary', 'backup']) labExec(h, ['sh', '-c', gen, 'gen', String(n)]);
    if (prev === 0) nfsctl(['volume', 'export', 'scale/v0', '--yes']);
    prev = n;
    const l = time(() => nfsctl(['volume', 'list', '--json']));
    const count = JSON.parse(l.r.stdout).volumes.filter((v) => v.namespace === 'scale').length;
    const h = time(() => nfsctl(['health', '--json']));
    const t = time(() => nfsctl(['troubleshoot-mount', 'scale/v0', '--from', 'client', '--json']));
    rows.push([String(count), l.ms.toFixed(0), h.ms.toFixed(0), t.ms.toFixed(0), (l.ms / count).toFixed(2)]);
  }
  nfsctl(['volume', 'unexport', 'scale/v0', '--yes']);
  for (const h of ['primary', 'backup']) labExec(h, ['sh', '-c', clean]);
  section('Scale (both hosts carry N volumes; one run each)', rows, [
    'Targets: growth at most linear; volume list with 1,000 volumes < 3 s. Every per-host read is one command for all volumes.',
  ]);
}

function healthFigure(runs = 5) {
  const xs = [];
  for (let i = 0; i < runs; i++) xs.push(time(() => nfsctl(['health', '--json'])).ms);
  section(`health on the healthy lab pair (${runs} runs)`, [
    ['median ms', 'min ms', 'target'],
    [median(xs).toFixed(0), Math.min(...xs).toFixed(0), '< 2000'],
  ]);
}

function machine() {
  const cpu = cpus()[0]?.model ?? '?';
  return `${hostname()}: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${readFileSync('/proc/loadavg', 'utf8').trim()}`;
}

const want = (name) => !only || only.includes(name);
say(`# nfsctl benchmarks (${quick ? 'quick' : 'full'})\n${machine()}`);
if (want('startup')) startup();
if (want('files')) await files();
if (!quick && want('metrics')) await metricsBench();
let started = false;
if (!quick) {
  try {
    started = labUp();
    if (want('create')) createVsScript();
    if (want('health')) healthFigure();
    if (want('rbd')) await rbdLockScan({ images: Number(process.env.BENCH_RBD_IMAGES ?? 500) });
    if (want('failback')) await failbackSync({ gib: Number(process.env.BENCH_FAILBACK_GIB ?? 1) });
    if (want('failback'))
      await failbackSync({ gib: Number(process.env.BENCH_FAILBACK_GIB ?? 1), rounds: 2, linkMbit: 1000 });
    if (want('pervolume')) await perVolumeSync();
    if (want('scale'))
      scale(process.env.BENCH_SCALE ? process.env.BENCH_SCALE.split(',').map(Number) : [10, 100, 1000, 5000]);
  } finally {
    if (started && !process.env.NFSCTL_LAB_KEEP) lab(['down', '--netns-only']);
  }
  if (want('vmdrill')) await vmDrill();
}
const md = [
  `# nfsctl benchmark results`,
  '',
  `Rewritten by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${new Date().toISOString()}.`,
  `Machine: ${machine()}`,
  '',
  ...sections.flatMap((s) => [
    `## ${s.title}`,
    '',
    `| ${s.rows[0].join(' | ')} |`,
    `| ${s.rows[0].map(() => '---').join(' | ')} |`,
    ...s.rows.slice(1).map((r) => `| ${r.join(' | ')} |`),
    '',
    ...s.notes.map((n) => `${n}\n`),
  ]),
];
// only a full run rewrites the record: a partial one would drop the other sections
if (!quick && !only) writeFileSync(join(ROOT, 'bench/RESULTS.md'), md.join('\n'));
else say(`\n(${quick ? 'quick mode' : '--only'}: bench/RESULTS.md left as it is)`);
