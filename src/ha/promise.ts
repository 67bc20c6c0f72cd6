// What a VIP move does to the clients of a volume, per kind, said the same way by `volume
// show`, `status`, `health` and the switchover/failback plans; the RPO (age of the last good
// sync); and which clients had a mirrored volume mounted, so the operator knows which pods
// to restart after a move.
import type { Config } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { Backend } from '../volume/identity.js';
import { configuredBackends, backendNamed } from '../volume/backend/registry.js';
import { isMirrored } from '../volume/backend/contract.js';
import { exporterOf } from '../volume/nfs-server/registry.js';

export type MoveKind = 'copy' | 'shared' | 'replicated';

export interface MovePromise {
  kind: MoveKind;
  /** One line for tables and plans. */
  short: string;
  /** What clients see on a planned move, on a crash, and what was shown where. */
  planned: string;
  openFiles: string;
  crash: string;
}

const COPY: MovePromise = {
  kind: 'copy',
  short:
    'rsync copy: path-based access resumes after a stall; processes holding files open get I/O errors and must be restarted; a crash loses what was written since the last good sync',
  planned:
    'path-based access (open-write-close, ls, stat) resumes after a stall of a few seconds, nothing acknowledged is lost (switchover/failback copy the last changes while writes are frozen)',
  openFiles:
    'a process holding a file open gets I/O errors (ESTALE/EIO) from the move on: the copy has other inode numbers and generations, so its file handles are stale whatever the fsid; restart it (the pod)',
  crash: 'everything written since the last good sync is lost (the RPO below)',
};
/** A shared backend that names no promise of its own: one copy, nothing to lose, nothing proven about open files. */
const SHARED: MovePromise = {
  kind: 'shared',
  short:
    'shared storage: both hosts reach the same copy; nothing acknowledged is lost (not yet shown with a kernel client)',
  planned: 'the new VIP holder serves the same copy',
  openFiles:
    'open files are meant to survive the move (the same filesystem); not yet shown with a kernel client on the vm tier',
  crash: 'nothing acknowledged is lost (one copy, in the cluster)',
};

/**
 * A replicated backend (DRBD, protocol C) that names no promise of its own: the standby has
 * the same blocks (so the same inodes and file handles), every acknowledged write is on both.
 */
export const REPLICATED_PROMISE: MovePromise = {
  kind: 'replicated',
  short:
    'DRBD replicated (protocol C): both hosts hold the same blocks; a VIP move keeps open files, nothing acknowledged is lost',
  planned:
    'the old holder unexports, unmounts and demotes, the new one promotes, mounts and exports the same filesystem: clients stall, then go on',
  openFiles:
    'open files survive (the same filesystem, so the same inodes and file handles); NFSv4 clients reclaim their state from the new holder during its grace period',
  crash: 'nothing acknowledged is lost (every write was on both hosts before it was acknowledged)',
};

export function movePromise(backend: Backend): MovePromise {
  const b = backendNamed(backend);
  return b.movePromise ?? (isMirrored(b) ? COPY : b.placement === 'replicated' ? REPLICATED_PROMISE : SHARED);
}

export function formatAge(sec: number): string {
  return sec < 120
    ? `${sec} s`
    : sec < 7200
      ? `${Math.round(sec / 60)} min`
      : sec < 172_800
        ? `${Math.round(sec / 3600)} h`
        : `${Math.round(sec / 86_400)} d`;
}

/** The RPO of a mirrored volume: the age of its last good sync, or never. */
export function rpoText(ageSeconds: number | null): string {
  return ageSeconds === null
    ? 'RPO: no good sync recorded: a crash of the VIP holder loses everything written on it'
    : `RPO ${formatAge(ageSeconds)}: a crash of the VIP holder now loses what was written in the last ${formatAge(ageSeconds)}`;
}

/** The configured backends grouped by what a move does (for status and health). */
export function pairPromises(config: Config): { kind: MoveKind; backends: Backend[]; text: string }[] {
  const configured = configuredBackends(config);
  const copy = configured.filter((b) => isMirrored(b)).map((b) => b.name as Backend);
  const out: { kind: MoveKind; backends: Backend[]; text: string }[] = [];
  if (copy.length) out.push({ kind: 'copy', backends: copy, text: COPY.short });
  for (const b of configured.filter((x) => !isMirrored(x)))
    out.push({
      kind: movePromise(b.name as Backend).kind === 'replicated' ? 'replicated' : 'shared',
      backends: [b.name as Backend],
      text: movePromise(b.name as Backend).short,
    });
  return out;
}

export interface NfsClients {
  /** Export path -> client addresses that mounted it (mountd's rmtab: NFSv3). */
  mountedBy: Map<string, string[]>;
  /** Addresses with an NFS (2049) TCP connection now (any version, any export). */
  connected: string[];
}

/** /var/lib/nfs/rmtab: "client:path:0xcount" per line. */
export function parseRmtab(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const x = /^([^:\s]+):(\/.*?)(?::0x[0-9a-fA-F]+)?$/.exec(line.trim());
    if (!x) continue;
    const list = m.get(x[2]!) ?? [];
    if (!list.includes(x[1]!)) list.push(x[1]!);
    m.set(x[2]!, list);
  }
  return m;
}

/** `ss -Htn state established '( sport = :2049 )'`: the peers (IPv4 and [IPv6]). */
export function parseSsPeers(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const peer = f[f.length - 1]!;
    const addr = peer
      .replace(/:\d+$/, '')
      .replace(/^\[|\]$/g, '')
      .replace(/^::ffff:/, '');
    if (addr) out.add(addr);
  }
  return [...out].sort();
}

const CLIENTS_SCRIPT =
  'cat /var/lib/nfs/rmtab 2>/dev/null; echo "--- nfsctl ss"; ss -Htn state established "( sport = :2049 )" 2>/dev/null; true';

/** What the NFS server on `host` knows about its clients (read-only; empty when it cannot tell). */
export async function nfsClients(host: Host): Promise<NfsClients> {
  try {
    const r = await host.run(['sh', '-c', CLIENTS_SCRIPT], { timeoutMs: 15_000 });
    const [rm = '', ss = ''] = r.stdout.split('--- nfsctl ss\n');
    return { mountedBy: parseRmtab(rm), connected: parseSsPeers(ss) };
  } catch {
    return { mountedBy: new Map(), connected: [] };
  }
}

/** After a move: per rsync-copy volume, the clients to restart (holders of open files get errors). */
export function restartAdvice(volumes: { id: string; path: string; backend: Backend }[], c: NfsClients): string[] {
  const lines: string[] = [];
  const copies = volumes.filter((x) => movePromise(x.backend).kind === 'copy');
  for (const v of copies) {
    const m = c.mountedBy.get(v.path) ?? [];
    if (m.length)
      lines.push(
        `${v.id}: mounted by ${m.join(', ')}: restart the pods there that hold files open on it (they now get I/O errors)`,
      );
  }
  // no rsync-copy volume at all: no open file is lost, nobody to restart
  if (lines.length === 0 && copies.length && c.connected.length)
    lines.push(
      `NFS clients connected before the move: ${c.connected.join(', ')}: pods there holding files open on an rsync-copy volume get I/O errors and must be restarted (the server's rmtab named no volume)`,
    );
  return lines;
}

/** What a VIP move does to NFS client state (locks, opens, delegations), per NFS version. */
export interface ClientState {
  nfsv3: string;
  nfsv4: string;
}

/**
 * The lock and open state clients hold, per volume kind and NFS server. Kernel facts here
 * (grace, reclaim, client tracking) come from the NFS specs and the nfs-utils/kernel sources,
 * not from a kernel-client test: the vm-tier drill holds files open but takes no locks.
 */
export function clientState(config: Config, backend: Backend): ClientState {
  const kind = movePromise(backend).kind;
  if (kind === 'copy')
    return {
      nfsv3:
        'NLM locks are lost: the new holder is told to let clients reclaim (sm-notify), but a reclaim names a file handle of the copy that is stale there',
      nfsv4:
        'opens, locks and delegations are lost: the copy has other file handles (ESTALE), whatever the server scope and grace; the process must reopen (restart the pod)',
    };
  if (!exporterOf(config).nlmViaStatd)
    return {
      nfsv3:
        'NLM locks: nfsctl sends no sm-notify for ganesha; whether ganesha tells clients to reclaim after a move is its own (not checked)',
      nfsv4:
        "opens and locks can be reclaimed only while ganesha on the new holder is in grace and its recovery backend knows the client (RecoveryBackend: the default 'fs' keeps records per host); shown on the vm tier only for open files: a kernel NFSv4.1 client's writer holding its file open went on with no error through a switchover and a failback (CephFS, the lab's ganesha with Graceless = true); no lock was taken",
    };
  return {
    nfsv3:
      "NLM locks: the new holder sends sm-notify as the VIP (its notify list: the old holder's statd list on a planned move, only its own after a crash), so clients reclaim; the kernel's lockd accepts a reclaim only in its grace period, which starts when lockd starts, and nfsctl does not restart the NFS server at a move: reclaims may be refused (not shown on a kernel)",
    nfsv4:
      "the same server scope on both hosts (ha lint) lets clients try to reclaim opens, locks and delegations on the same filesystem; nfsd accepts a reclaim only in its grace period (from nfsd's start; nfsctl does not restart it at a move) and only from a client in its own client-tracking records (nfsdcld's database, or the legacy /var/lib/nfs/v4recovery, per host, not shared by nfsctl): otherwise NFS4ERR_NO_GRACE, and what the client then does with its locks (re-lock or report them lost) is the client's; not shown on a kernel",
  };
}
