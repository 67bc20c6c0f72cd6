// The health URL the old provisioning service's monitors probe, and a Prometheus scrape
// target. GET / and GET /health answer {"health": "ok"} (200), or "warn" (200) / "critical"
// (503) with the checks that are not ok; GET /metrics the metrics. One round of checks
// answers every request for `ttlMs` (a monitor polling every few seconds does not hammer the
// hosts); requests that arrive while a round runs wait for that round (never a second one).
// Slow clients are cut off (headers and whole request each within `requestTimeoutMs`),
// malformed requests get a 400 and a closed connection, and close() stops cleanly.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Finding, Status } from './check.js';

export interface Snapshot {
  checkedAt: number;
  durationMs: number;
  health: Status;
  findings: Finding[];
}

export interface ServeOptions<S extends Snapshot> {
  host: string;
  port: number;
  ttlMs: number;
  requestTimeoutMs: number;
  collect: () => Promise<S>;
  metrics: (s: S) => string;
  metricsContentType: string;
  log?: (line: string) => void;
  now?: () => number;
}

export interface HealthServer {
  server: Server;
  address: { host: string; port: number };
  /** Rounds of checks run so far (each one asks the hosts). */
  rounds(): number;
  close(): Promise<void>;
}

/** The status a monitor sees: warn is still 200 (degraded but serving), critical 503. */
export function httpStatus(h: Status): number {
  return h === 'critical' ? 503 : 200;
}

/** The old service's document: {"health": "ok"}, or the worst status with the checks that are not ok. */
export function healthDocument(s: Snapshot): Record<string, unknown> {
  if (s.health === 'ok') return { health: 'ok' };
  return {
    health: s.health,
    checkedAt: new Date(s.checkedAt).toISOString(),
    checks: s.findings.filter((f) => f.status !== 'ok'),
  };
}

/** One round at a time; its result serves everyone for ttlMs. A failed round is not cached. */
export class SnapshotCache<S extends Snapshot> {
  private cached: S | null = null;
  private inflight: Promise<S> | null = null;
  rounds = 0;

  constructor(
    private readonly collect: () => Promise<S>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<S> {
    if (this.cached && this.now() - this.cached.checkedAt < this.ttlMs) return Promise.resolve(this.cached);
    if (this.inflight) return this.inflight;
    this.rounds++;
    this.inflight = this.collect()
      .then((s) => {
        this.cached = s;
        return s;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  head: boolean,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(head ? undefined : body);
}

export async function startHealthServer<S extends Snapshot>(o: ServeOptions<S>): Promise<HealthServer> {
  const log = o.log ?? (() => undefined);
  const cache = new SnapshotCache(
    async () => {
      const s = await o.collect();
      log(`checked the pair: ${s.health} (${s.durationMs} ms)`);
      return s;
    },
    o.ttlMs,
    o.now,
  );
  const json = 'application/json; charset=utf-8';
  const server = createServer(
    {
      // a client that sends its headers (or its request) slower than this is cut off; checked every second
      headersTimeout: o.requestTimeoutMs,
      requestTimeout: o.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
      keepAliveTimeout: 5000,
      maxHeaderSize: 8192,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      handle(req, res).catch((err: Error) => {
        // a bug in rendering must not leave the client hanging or end the server
        log(`internal error answering ${req.method} ${req.url}: ${err.stack ?? err.message}`);
        if (!res.headersSent)
          send(res, 500, json, JSON.stringify({ error: 'internal error' }) + '\n', req.method === 'HEAD');
        else res.destroy();
      });
    },
  );
  server.maxConnections = 256;
  server.maxHeadersCount = 64;

  let rendered: { round: S; text: string } | null = null;
  let healthText: { round: S; text: string } | null = null;
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    req.resume(); // a body (nobody should send one) is read and dropped
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      return send(res, 400, json, JSON.stringify({ error: 'bad request target' }) + '\n', head, {
        Connection: 'close',
      });
    }
    if (path !== '/' && path !== '/health' && path !== '/metrics')
      return send(res, 404, json, JSON.stringify({ error: 'not found: GET /, /health or /metrics' }) + '\n', head);
    if (req.method !== 'GET' && !head)
      return send(res, 405, json, JSON.stringify({ error: 'method not allowed: GET or HEAD' }) + '\n', false, {
        Allow: 'GET, HEAD',
      });
    let s: S;
    try {
      s = await cache.get();
    } catch (err) {
      log(`the checks failed: ${(err as Error).message}`);
      return send(
        res,
        503,
        json,
        JSON.stringify({ health: 'critical', error: `the checks could not run: ${(err as Error).message}` }) + '\n',
        head,
      );
    }
    if (res.destroyed) return;
    const at = { 'X-Nfsctl-Checked-At': new Date(s.checkedAt).toISOString() };
    if (path === '/metrics') {
      // the text of one round is made once, however many scrapes it answers
      if (rendered?.round !== s) rendered = { round: s, text: o.metrics(s) };
      return send(res, 200, o.metricsContentType, rendered.text, head, at);
    }
    if (healthText?.round !== s) healthText = { round: s, text: JSON.stringify(healthDocument(s)) + '\n' };
    return send(res, httpStatus(s.health), json, healthText.text, head, at);
  }

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // malformed request line or headers, oversized headers, or a client too slow: answer if we still can, then close
    const code = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    log(`client error (${err.code ?? err.message}): answered ${code}, connection closed`);
    if (
      socket.writable &&
      !(socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
    ) {
      socket.end(
        `HTTP/1.1 ${code} ${code === 408 ? 'Request Timeout' : code === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      setTimeout(() => socket.destroy(), 1000).unref(); // a client that does not read the answer
    } else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address();
  const address = typeof a === 'object' && a ? { host: a.address, port: a.port } : { host: o.host, port: o.port };
  let closing: Promise<void> | null = null;
  return {
    server,
    address,
    rounds: () => cache.rounds,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // requests in flight get a moment to finish their answer, then everything is closed
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      return closing;
    },
  };
}
