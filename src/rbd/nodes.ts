// Probing the node a kubelet lock names: can we reach it, and does it map the image?
// Reachability is decided from the machine running nfsctl: the name must resolve and the
// node must accept a TCP connection on its SSH port within the connect timeout. Only then
// do we log in (the pair's SSH settings; the node's key must be in knownHosts) and list
// its krbd mappings with `rbd showmapped`.
import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import type { Host } from '../host/host.js';
import { parseRbdShowmapped } from '../core/ceph-json.js';
import type { NodeState } from './verdict.js';
import type { ImageSpec } from './validate.js';

export interface NodeProber {
  probe(node: string, spec: ImageSpec): Promise<NodeState>;
}

function tcpOpen(address: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    const done = (why: string | null) => {
      s.destroy();
      resolve(why);
    };
    s.setTimeout(timeoutMs, () => done(`no answer on ${address}:${port} within ${timeoutMs} ms`));
    s.once('connect', () => done(null));
    s.once('error', (e: NodeJS.ErrnoException) => done(`${address}:${port}: ${e.code ?? e.message}`));
  });
}

/** Resolver answers that mean "this name does not exist" (Node reports EAI_NONAME as ENOTFOUND). */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'EAI_NONAME']);

export interface ProberDeps {
  connectTimeoutMs: number;
  sshPort: number;
  /** An SSH host for the node (HostPool.node). */
  open: (name: string, address: string) => Host;
  resolve?: (name: string) => Promise<string>;
  tcp?: (address: string, port: number, timeoutMs: number) => Promise<string | null>;
}

/** One probe per node per run (a node named by many locks is reached once). */
export class SshNodeProber implements NodeProber {
  private reach = new Map<string, Promise<{ host: Host | null; why: string; unknown?: boolean }>>();
  private mappings = new Map<string, Promise<{ maps: Map<string, string> } | { why: string }>>();

  constructor(private readonly d: ProberDeps) {}

  private reachable(node: string): Promise<{ host: Host | null; why: string; unknown?: boolean }> {
    let p = this.reach.get(node);
    if (!p) {
      p = (async () => {
        let address: string;
        try {
          address = await (this.d.resolve ?? (async (n) => (await lookup(n)).address))(node);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
          // only "no such name" says the node is gone; a resolver that failed (EAI_AGAIN, a
          // timeout, SERVFAIL) says nothing about it
          if (NO_SUCH_NAME.has(code)) return { host: null, why: `name does not resolve (${code}: no such host)` };
          return {
            host: null,
            unknown: true,
            why: `the name lookup failed (${code}): cannot tell whether the node exists`,
          };
        }
        const why = await (this.d.tcp ?? tcpOpen)(address, this.d.sshPort, this.d.connectTimeoutMs);
        if (why !== null) return { host: null, why };
        return { host: this.d.open(node, address), why: '' };
      })();
      this.reach.set(node, p);
    }
    return p;
  }

  async probe(node: string, spec: ImageSpec): Promise<NodeState> {
    const r = await this.reachable(node);
    if (!r.host) return r.unknown ? { state: 'unknown', why: r.why } : { state: 'unreachable', why: r.why };
    let m = this.mappings.get(node);
    if (!m) {
      const host = r.host;
      m = (async () => {
        try {
          const res = await host.run(['rbd', 'showmapped', '--format', 'json']);
          if (res.exitCode !== 0)
            return {
              why: `rbd showmapped failed there (exit ${res.exitCode}): ${res.stderr.trim().split('\n').pop() ?? ''}`,
            };
          return {
            maps: new Map(parseRbdShowmapped(res.stdout).map((x) => [`${x.pool}/${x.image}`, x.device] as const)),
          };
        } catch (err) {
          return { why: `answers on SSH but nfsctl cannot use it: ${(err as Error).message}` };
        }
      })();
      this.mappings.set(node, m);
    }
    const got = await m;
    if ('why' in got) return { state: 'unknown', why: got.why };
    const key = `${spec.pool}/${spec.image}`;
    const device = got.maps.get(key);
    return device !== undefined ? { state: 'mapping', device } : { state: 'not-mapping' };
  }
}

export const noNodeCheck: NodeProber = { probe: async () => ({ state: 'not-checked' }) };
