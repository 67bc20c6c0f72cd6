// The health server on loopback with a scripted round of checks: the old service's JSON and
// statuses, one round per TTL however many requests arrive, malformed and slow requests,
// and a clean stop.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthServer, type Snapshot } from '../../src/health/serve.js';
import type { Finding, Status } from '../../src/health/check.js';

let servers: HealthServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function finding(status: Status, id = 'x'): Finding {
  return { id, host: 'primary', status, title: `check ${id}`, evidence: 'e' };
}

async function serve(
  opts: {
    status?: () => Status;
    ttlMs?: number;
    delayMs?: number;
    fail?: () => boolean;
    requestTimeoutMs?: number;
  } = {},
) {
  let calls = 0;
  const srv = await startHealthServer<Snapshot>({
    host: '127.0.0.1',
    port: 0,
    ttlMs: opts.ttlMs ?? 60_000,
    requestTimeoutMs: opts.requestTimeoutMs ?? 5000,
    metricsContentType: 'text/plain; version=0.0.4; charset=utf-8',
    metrics: (s) => `nfsctl_health_status ${s.health === 'ok' ? 0 : 2}\n`,
    collect: async () => {
      calls++;
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (opts.fail?.()) throw new Error('boom');
      const st = opts.status?.() ?? 'ok';
      return {
        checkedAt: Date.now(),
        durationMs: 1,
        health: st,
        findings: [finding('ok', 'fine'), ...(st === 'ok' ? [] : [finding(st, 'bad')])],
      };
    },
  });
  servers.push(srv);
  const base = `http://127.0.0.1:${srv.address.port}`;
  return { srv, base, calls: () => calls };
}

/** Raw bytes to the server; resolves with everything it answered and whether it closed. */
function raw(port: number, bytes: string, waitMs = 3000): Promise<{ text: string; closed: boolean; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text, closed: false, ms: Date.now() - t0 });
    }, waitMs);
    s.on('data', (d) => (text += d.toString()));
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true, ms: Date.now() - t0 });
    });
    s.on('error', () => undefined);
    s.write(bytes);
  });
}

describe('health serve', () => {
  it('GET / and /health: {"health":"ok"} 200; warn 200 and critical 503 with the failing checks only', async () => {
    let st: Status = 'ok';
    const { base } = await serve({ status: () => st, ttlMs: 0 });
    for (const path of ['/', '/health', '/health?x=1']) {
      const r = await fetch(base + path);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await r.json()).toEqual({ health: 'ok' });
    }
    st = 'warn';
    let r = await fetch(`${base}/health`);
    expect(r.status).toBe(200);
    let j = (await r.json()) as { health: string; checks: Finding[] };
    expect(j.health).toBe('warn');
    expect(j.checks.map((c) => c.id)).toEqual(['bad']);
    st = 'critical';
    r = await fetch(`${base}/`);
    expect(r.status).toBe(503);
    j = (await r.json()) as { health: string; checks: Finding[] };
    expect(j).toMatchObject({ health: 'critical', checks: [{ id: 'bad', status: 'critical' }] });
  });

  it('one round of checks serves every request for the TTL, concurrent requests share the round in flight', async () => {
    const { base, calls, srv } = await serve({ ttlMs: 400, delayMs: 150 });
    const all = await Promise.all(
      Array.from({ length: 25 }, (_, i) => fetch(`${base}/${i % 2 ? 'health' : 'metrics'}`).then((r) => r.status)),
    );
    expect(all.every((s) => s === 200)).toBe(true);
    expect(calls()).toBe(1);
    await fetch(`${base}/health`);
    expect(calls()).toBe(1);
    await new Promise((r) => setTimeout(r, 450));
    await fetch(`${base}/health`);
    expect(calls()).toBe(2);
    expect(srv.rounds()).toBe(2);
  });

  it('/metrics is the text format; HEAD has no body; unknown paths 404; other methods 405', async () => {
    const { base } = await serve();
    const m = await fetch(`${base}/metrics`);
    expect(m.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await m.text()).toBe('nfsctl_health_status 0\n');
    const h = await fetch(`${base}/health`, { method: 'HEAD' });
    expect(h.status).toBe(200);
    expect(await h.text()).toBe('');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const p = await fetch(`${base}/health`, { method: 'POST', body: 'x' });
    expect(p.status).toBe(405);
    expect(p.headers.get('allow')).toBe('GET, HEAD');
  });

  it('a failed round is 503 and not cached', async () => {
    let fail = true;
    const { base, calls } = await serve({ fail: () => fail });
    const r = await fetch(`${base}/health`);
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: string }).error).toContain('boom');
    fail = false;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(calls()).toBe(2);
  });

  it('malformed requests get 400 and a closed connection; the server keeps answering', async () => {
    const { srv, base } = await serve();
    for (const bytes of [
      'GARBAGE\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n',
      '\x00\x01\x02\xff\r\n\r\n',
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ]) {
      const r = await raw(srv.address.port, bytes);
      expect(r.closed, JSON.stringify(bytes.slice(0, 40))).toBe(true);
      expect(r.text).toMatch(/^HTTP\/1\.1 4(00|31) /);
    }
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('a client that never finishes its request is cut off after the request timeout', async () => {
    const { srv, base } = await serve({ requestTimeoutMs: 500 });
    const r = await raw(srv.address.port, 'GET /health HTTP/1.1\r\nHost: x\r\n', 6000);
    expect(r.closed).toBe(true);
    expect(r.ms).toBeLessThan(4000);
    expect(r.text === '' || /^HTTP\/1\.1 408 /.test(r.text)).toBe(true);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('close() stops listening', async () => {
    const { srv, base } = await serve();
    expect((await fetch(`${base}/health`)).status).toBe(200);
    await srv.close();
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });
});
