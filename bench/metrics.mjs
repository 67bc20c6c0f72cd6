// Benchmark (issue #19): `nfsctl metrics` (one round of health checks, the merge, the
// exposition text) and `health serve` latency at N volumes. The hosts are recording fakes
// answering with the real report layouts (what a lab pair with 5,000 volumes would print),
// so this measures nfsctl's own work per volume; what real hosts add is in the Scale section.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, median, section } from './lib.mjs';

const d = (p) => import(join(ROOT, 'dist', p));

export async function fakePair(n) {
  const { FakeHost } = await d('host/fake.js');
  const { parseConfig } = await d('config/load.js');
  const { identify } = await d('volume/identity.js');
  const { volumeRef } = await d('core/names.js');
  const { ganeshaBlock } = await d('volume/exporter.js');
  const state = mkdtempSync(join(tmpdir(), 'nfsctl-bench-metrics-'));
  const config = parseConfig(`this: primary
hosts:
  primary: { address: 127.0.0.11 }
  backup: { address: 127.0.0.12 }
vip: 198.51.100.100
nfs: { server: ganesha, clients: [198.51.100.0/24] }
backends: { default: xfsquota, xfsquota: { root: /nfs } }
services: { manager: command, command: ["labsvc", "{action}", "{service}"] }
timeouts: { check: 5s }
state: { auditLog: ${state}/audit.jsonl, lockDir: ${state}/lock, stateDir: ${state}/state }
`);
  const vols = Array.from({ length: n }, (_, i) => identify(config, volumeRef(`ns${i % 50}`, `vol${i}`)));
  const metas = vols
    .map(
      (v, i) =>
        `==> ${v.project}.json <==\n${JSON.stringify({ v: 1, namespace: v.ref.namespace, name: v.ref.name, labels: { tier: i % 3 ? 'gold' : 'silver' }, createdAt: '2026-11-22T00:00:00Z', createdBy: 'bench', backend: 'xfs', size: 16777216 })}\n`,
    )
    .join('');
  const ganesha = vols
    .map(
      (v) =>
        `==> ${v.project}.conf <==\n${ganeshaBlock(v, { clients: ['198.51.100.0/24'], options: ['rw', 'sync'] })}\n`,
    )
    .join('');
  const report =
    vols
      .map((v, i) => `#${v.projectId} ${(i * 37) % 16384} 0 16384 00 [------] ${i % 1000} 0 0 00 [------]`)
      .join('\n') + '\n';
  const show = `method return time=1 sender=:1.1 -> destination=:1.2 serial=3 reply_serial=2\n   struct {\n      int64 1\n      int32 0\n   }\n   array [\n${vols.map((v) => `      struct {\n         uint16 ${v.exportId}\n         string "${v.path}"\n         string "${v.path}"\n      }\n`).join('')}   ]\n`;
  const host = (name, vip) => {
    const h = new FakeHost(name);
    h.on(['xfs_quota'], () => ({ stdout: report }));
    h.on(['df'], () => ({ stdout: '1B-blocks Avail\n2147483648 2000000000\n' }));
    h.on(
      (a) => a[0] === 'sh' && a[3] === 'nfsctl-meta',
      () => ({ stdout: metas }),
    );
    h.on(
      (a) => a[0] === 'sh' && a[3] === 'nfsctl-ganesha',
      () => ({ stdout: ganesha }),
    );
    h.on(['dbus-send'], () => ({ stdout: show }));
    h.on(['find'], () => ({ stdout: vols.map((v) => v.path).join('\n') + '\n' }));
    h.on(['ip', '-j', 'addr', 'show'], () => ({
      stdout: JSON.stringify([
        { ifname: 'eth0', addr_info: [{ local: '127.0.0.11' }, ...(vip ? [{ local: '198.51.100.100' }] : [])] },
      ]),
    }));
    h.on(['iptables'], () => ({ stdout: '-P INPUT ACCEPT\n' }));
    h.files.set('/proc/mounts', '');
    h.files.set('/etc/fstab', '');
    return h;
  };
  return { config, hosts: { primary: host('primary', true), backup: host('backup', false) } };
}

export async function metricsBench({ sizes = [1000, 5000], rounds = 3, requests = 100, concurrency = 8 } = {}) {
  const { Context } = await d('cli/context.js');
  const { Output } = await d('cli/output.js');
  const { snapshot, renderMetrics } = await d('metrics/metrics.js');
  const { startHealthServer } = await d('health/serve.js');
  const { CONTENT_TYPE } = await d('metrics/exposition.js');
  const { Writable } = await import('node:stream');
  const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
  const rows = [
    [
      'volumes',
      'metrics: checks + merge + render (ms, median)',
      'render only (ms)',
      'series',
      'text KiB',
      'serve: first request (ms)',
      'serve /health p50 / p95 (ms)',
      'serve /metrics p50 / p95 (ms)',
    ],
  ];
  for (const n of sizes) {
    const { config, hosts } = await fakePair(n);
    const ctx = () =>
      new Context('bench.yaml', config, {}, hosts, new Output({ stdout: sink(), stderr: sink(), env: {} }));
    const full = [];
    const render = [];
    let text = '';
    for (let k = 0; k < rounds; k++) {
      const t0 = performance.now();
      const s = await snapshot(ctx());
      const t1 = performance.now();
      text = renderMetrics(config, s);
      const t2 = performance.now();
      full.push(t2 - t0);
      render.push(t2 - t1);
    }
    const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    const srv = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      ttlMs: 3_600_000,
      requestTimeoutMs: 10_000,
      metricsContentType: CONTENT_TYPE,
      collect: () => snapshot(ctx()),
      metrics: (s) => renderMetrics(config, s),
    });
    const base = `http://127.0.0.1:${srv.address.port}`;
    const t0 = performance.now();
    await (await fetch(`${base}/health`)).text();
    const first = performance.now() - t0;
    const lat = async (path, count = requests) => {
      const xs = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < count) {
            const a = performance.now();
            await (await fetch(base + path)).text();
            xs.push(performance.now() - a);
          }
        }),
      );
      xs.sort((a, b) => a - b);
      return `${xs[Math.floor(xs.length / 2)].toFixed(1)} / ${xs[Math.floor(xs.length * 0.95)].toFixed(1)}`;
    };
    const h = await lat('/health');
    const m = await lat('/metrics', Math.max(16, Math.round(requests / 4)));
    await srv.close();
    rows.push([
      String(n),
      median(full).toFixed(0),
      median(render).toFixed(0),
      String(series),
      (text.length / 1024).toFixed(0),
      first.toFixed(0),
      h,
      m,
    ]);
  }
  section(
    `Metrics and health serve at N volumes (fake hosts with real report layouts; ${rounds} rounds; ${requests} /health requests ${concurrency} at a time, cache warm)`,
    rows,
    [
      'The first request runs one round of checks (what `nfsctl metrics` costs, plus HTTP); later ones are answered from the cache until health.cacheTtl, so their latency is the HTTP answer alone (the /metrics text of a round is made once and reused). /metrics requests are a quarter of the /health count (the text is large).',
    ],
  );
}

if (process.argv[1]?.endsWith('bench/metrics.mjs')) {
  await metricsBench({
    sizes: process.env.BENCH_METRICS ? process.env.BENCH_METRICS.split(',').map(Number) : undefined,
  });
}
