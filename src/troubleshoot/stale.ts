// Mounts of a volume left stale on a node (after a failover to an rsync copy, whose file
// handles the new server does not know): find the node's NFS mounts of the volume, stat
// each under a hard timeout, and name the pods whose mount must be redone.
import type { Host } from '../host/host.js';
import type { Finding } from '../health/check.js';
import { quoteArg } from '../host/quote.js';

export interface NodeMount {
  source: string;
  target: string;
  fstype: string;
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The node's nfs/nfs4 mounts whose export path is `path` (any server name: the VIP, a name for it). */
export function nfsMountsOf(procMounts: string, path: string): NodeMount[] {
  const want = path.replace(/\/+$/, '');
  return procMounts
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.length >= 3 && /^nfs4?$/.test(f[2]!))
    .map(([source = '', target = '', fstype = '']) => ({ source: unescape(source), target: unescape(target), fstype }))
    .filter((m) => m.source.slice(m.source.lastIndexOf(':') + 1).replace(/\/+$/, '') === want);
}

export type StatVerdict = 'ok' | 'ESTALE' | 'EIO' | 'hung' | 'error';

export function classifyStat(r: { exitCode: number; stderr: string; timedOut?: boolean }): StatVerdict {
  if (r.exitCode === 0) return 'ok';
  if (r.timedOut || r.exitCode === 124 || r.exitCode === 137) return 'hung';
  if (/stale file handle|ESTALE/i.test(r.stderr)) return 'ESTALE';
  if (/input\/output error|EIO/i.test(r.stderr)) return 'EIO';
  return 'error';
}

/** /var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~nfs/<pv> -> { uid, pv }. */
export function kubeletPodOf(target: string): { uid: string; pv: string } | null {
  const m = /^\/var\/lib\/kubelet\/pods\/([0-9a-f-]{8,64})\/volumes\/kubernetes\.io~nfs\/([^/]+)$/.exec(target);
  return m ? { uid: m[1]!, pv: m[2]! } : null;
}

export interface StatResult {
  mount: NodeMount;
  verdict: StatVerdict;
  detail: string;
}

/** The finding for a node's mounts of one volume (null when the node has none). */
export function staleFinding(
  results: StatResult[],
  nodeName: string,
  nodeId: string | null,
  path: string,
): Finding | null {
  if (results.length === 0) return null;
  const bad = results.filter((r) => r.verdict !== 'ok');
  const title = `${nodeName}'s mounts of ${path} answer`;
  if (bad.length === 0)
    return {
      id: 'stale-mount',
      host: nodeId,
      status: 'ok',
      title,
      evidence: results.map((r) => `${r.mount.target} ok`).join(', '),
    };
  const pods = bad.map((r) => kubeletPodOf(r.mount.target)).filter((p): p is { uid: string; pv: string } => p !== null);
  const others = bad.filter((r) => !kubeletPodOf(r.mount.target));
  const fixes: string[] = [];
  if (pods.length) {
    const uids = [...new Set(pods.map((p) => p.uid))];
    fixes.push(
      `restart the pod(s) using it, so kubelet mounts afresh: ${uids
        .map(
          (uid) =>
            `kubectl get pods -A -o jsonpath=${quoteArg(`{range .items[?(@.metadata.uid=="${uid}")]}{.metadata.namespace} {.metadata.name}{"\\n"}{end}`)}`,
        )
        .join('; ')}  # then: kubectl delete pod -n <namespace> <name>`,
    );
  }
  for (const r of others)
    fixes.push(
      `on ${nodeName}: umount -f -l ${quoteArg(r.mount.target)} && mount ${quoteArg(r.mount.target)}  # after stopping what uses it`,
    );
  return {
    id: 'stale-mount',
    host: nodeId,
    status: 'critical',
    title,
    evidence: `${bad.map((r) => `${r.mount.target} (${r.mount.source}): ${r.verdict === 'ESTALE' ? 'ESTALE (stale file handle: the server no longer knows the handle, e.g. after a failover to a copy)' : r.verdict === 'EIO' ? 'EIO (input/output error)' : r.verdict === 'hung' ? 'no answer (hard mount to a server that does not answer)' : r.detail}`).join('; ')}${pods.length ? `; pods: ${[...new Set(pods.map((p) => p.uid))].join(', ')}` : ''}`,
    fix: fixes.join('; '),
  };
}

/** Read the node's mounts and stat each one of the volume under a hard timeout. */
export async function checkNodeMounts(
  node: Host,
  path: string,
  nodeName: string,
  nodeId: string | null,
  secs: number,
): Promise<Finding | null> {
  const text = await node.readFile('/proc/mounts').catch(() => null);
  if (text === null) return null;
  const mounts = nfsMountsOf(text, path);
  const results = await Promise.all(
    mounts.map(async (m): Promise<StatResult> => {
      const r = await node.run(
        ['timeout', '--foreground', '-k', '1', String(secs), 'stat', '-c', '%i', '--', m.target],
        { timeoutMs: (secs + 3) * 1000 },
      );
      return { mount: m, verdict: classifyStat(r), detail: r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}` };
    }),
  );
  return staleFinding(results, nodeName, nodeId, path);
}
