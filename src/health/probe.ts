// TCP reachability from where nfsctl runs, telling a refused port (REJECT, or nothing
// listening) from a silent one (DROP): the two look alike to a hung NFS client but have
// different fixes.
import { Socket } from 'node:net';

export type ProbeResult = { state: 'open' | 'refused' | 'timeout' | 'error'; ms: number; detail?: string };

export function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (r: ProbeResult) => {
      s.destroy();
      resolve(r);
    };
    s.setTimeout(timeoutMs, () => done({ state: 'timeout', ms: Date.now() - started }));
    s.once('connect', () => done({ state: 'open', ms: Date.now() - started }));
    s.once('error', (err: NodeJS.ErrnoException) =>
      done({
        state:
          err.code === 'ECONNREFUSED'
            ? 'refused'
            : err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH'
              ? 'timeout'
              : 'error',
        ms: Date.now() - started,
        detail: err.code ?? err.message,
      }),
    );
    s.connect(port, host);
  });
}
