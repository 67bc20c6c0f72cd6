// Is an RBD advisory lock stale, live or unknown? Pure logic; the inputs are gathered by
// src/rbd/locks.ts. The rule, also in README ("RBD locks"):
//
//   live    the locker's address is among the image's watchers: the same client instance
//           (ip:port/nonce) watches it, or another client on the locker's host does (the
//           in-tree kubelet plugin takes the lock with the `rbd` CLI, a short-lived
//           process, and then maps the image with krbd, a different instance on the same
//           host: so "the locker's address" is compared by host).
//   stale   no watcher from the locker's host AND the node the lock names
//           (kubelet_lock_magic_<node>) is unreachable (its name does not exist, or does not
//           answer on its SSH port) or is reachable and does not map the image.
//           Whether a node maps the image can only be told when nfsctl can log in there.
//   unknown anything else, with the reason: a lock id that names no node, a node that
//           answers but nfsctl cannot log in / cannot list mappings, a name lookup that
//           failed other than "no such name" (EAI_AGAIN...), a node that maps the
//           image although no watcher comes from the locker's host, or node checks turned off.
import { addressHost, type RbdLock, type RbdWatcher } from '../core/ceph-json.js';

export type Verdict = 'stale' | 'live' | 'unknown';

export type NodeState =
  /** The name does not exist (ENOTFOUND), or no answer on the SSH port within the connect timeout. */
  | { readonly state: 'unreachable'; readonly why: string }
  /** Logged in and listed the node's mappings: this image is not among them. */
  | { readonly state: 'not-mapping' }
  /** Logged in: the node maps this image. */
  | { readonly state: 'mapping'; readonly device: string }
  /** The node answers, but nfsctl could not tell what it maps. */
  | { readonly state: 'unknown'; readonly why: string }
  /** --no-node-check */
  | { readonly state: 'not-checked' };

export interface VerdictInput {
  readonly image: string;
  readonly lock: RbdLock;
  readonly watchers: readonly RbdWatcher[];
  /** The node the lock id names (kubelet_lock_magic_<node>), or null. */
  readonly node: string | null;
  /** The node's state; null when `node` is null. */
  readonly nodeState: NodeState | null;
}

export interface VerdictResult {
  readonly verdict: Verdict;
  readonly reason: string;
}

function hostOf(addr: string): string | null {
  try {
    return addressHost(addr);
  } catch {
    return null;
  }
}

export function lockVerdict(i: VerdictInput): VerdictResult {
  const { lock, watchers } = i;
  const same = watchers.find((w) => w.address === lock.address);
  if (same) return { verdict: 'live', reason: `the locker ${lock.locker} still watches the image (${lock.address})` };
  const lockerHost = hostOf(lock.address);
  const sameHost = lockerHost === null ? undefined : watchers.find((w) => hostOf(w.address) === lockerHost);
  if (sameHost)
    return {
      verdict: 'live',
      reason: `${sameHost.client} on the locker's host ${lockerHost} watches the image (${sameHost.address})`,
    };
  const noWatcher =
    lockerHost === null
      ? `no watcher matches the locker's address ${lock.address}`
      : `no watcher from the locker's host ${lockerHost}`;
  if (i.node === null || i.nodeState === null) {
    return {
      verdict: 'unknown',
      reason: `${noWatcher}, but the lock id names no node to check (not a kubelet_lock_magic_<node> lock)`,
    };
  }
  const n = i.nodeState;
  switch (n.state) {
    case 'unreachable':
      return { verdict: 'stale', reason: `${noWatcher}; node ${i.node} is unreachable (${n.why})` };
    case 'not-mapping':
      return { verdict: 'stale', reason: `${noWatcher}; node ${i.node} is reachable and does not map ${i.image}` };
    case 'mapping':
      return { verdict: 'unknown', reason: `node ${i.node} maps ${i.image} (${n.device}) although ${noWatcher}` };
    case 'unknown':
      return {
        verdict: 'unknown',
        reason: `${noWatcher}; cannot tell whether node ${i.node} maps the image: ${n.why}`,
      };
    case 'not-checked':
      return { verdict: 'unknown', reason: `${noWatcher}; node ${i.node} not checked (--no-node-check)` };
  }
}
