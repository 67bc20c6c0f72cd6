// The facts behind a failed trial mount or write, read from the serving host and the node
// (a few bounded commands, in parallel), and the finding they add up to: the first cause
// that explains the failure (why.ts), or the raw error with "nothing nfsctl checks explains it".
import { backendNamed } from '../volume/backend/registry.js';
import { exporterOf } from '../volume/nfs-server/registry.js';
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { Finding } from '../health/check.js';
import type { HostInventory } from '../volume/inventory.js';
import type { ClusterInventory } from '../volume/backend/contract.js';
import type { VolumeIdentity } from '../volume/identity.js';
import type { Backend } from '../volume/identity.js';
import type { TrialMount } from './node-probes.js';
import { ganeshaFile } from '../volume/exporter.js';
import {
  explainMount,
  explainWrite,
  ganeshaExportAccess,
  kernelExportAccess,
  MISSING_HELPER,
  type ExportAccess,
} from './why.js';

const T = (secs: number, argv: string[]) => ['timeout', '--foreground', '-k', '1', String(secs), ...argv];

/** `ip -o route get VIP` -> the source address the node uses towards it. */
export function parseRouteSrc(text: string): string | null {
  return /\bsrc\s+(\S+)/.exec(text)?.[1] ?? null;
}

/** `stat -c '%u %g %a'` then `df --output=avail,iavail[,fstype,target]` (last line): the volume root and its room. */
export function parseRootFacts(text: string): {
  root: { uid: number; gid: number; mode: number } | null;
  space: { availBytes: number; availInodes: number | null; fstype?: string; mount?: string } | null;
} {
  const lines = text.split('\n').map((l) => l.trim());
  const st = lines.map((l) => /^(\d+) (\d+) ([0-7]{1,4})$/.exec(l)).find(Boolean);
  const dfLine = lines.map((l) => /^(\d+)\s+(\d+|-)(?:\s+(\S+)\s+(\/.*))?$/.exec(l)).find(Boolean);
  return {
    root: st ? { uid: Number(st[1]), gid: Number(st[2]), mode: parseInt(st[3]!, 8) } : null,
    space: dfLine
      ? {
          availBytes: Number(dfLine[1]),
          availInodes: dfLine[2] === '-' ? null : Number(dfLine[2]),
          ...(dfLine[3] !== undefined ? { fstype: dfLine[3], mount: dfLine[4]! } : {}),
        }
      : null,
  };
}

/** Usage sources that are a quota of the volume's own (not the filesystem's df), and how to name them. */
const QUOTA_SOURCES: Record<string, string> = {
  xfs_quota: 'XFS project quota',
  'subvolume info': 'CephFS subvolume quota (ceph fs subvolume info)',
};

export function exportAccessOf(
  config: Config,
  inv: HostInventory,
  v: VolumeIdentity,
  nodeAddr: string | null,
): ExportAccess | null {
  if (exporterOf(config).readsExportsFile) return kernelExportAccess(inv.exports, v.path, nodeAddr);
  const file = ganeshaFile(config, v);
  return ganeshaExportAccess(inv.ganeshaFiles.get(file.slice(file.lastIndexOf('/') + 1)));
}

export interface TrialContext {
  config: Config;
  v: VolumeIdentity;
  backend: Backend;
  holder: PairRole;
  holderHost: Host;
  inv: HostInventory;
  /** The shared backend's cluster as the pair state read it (a subvolume's quota and use). */
  cluster?: ClusterInventory | undefined;
  node: Host;
  /** How the node is named in findings ("client", "this host"). */
  nodeName: string;
  nodeId: string | null;
  secs: number;
}

async function nodeFacts(c: TrialContext): Promise<{ addr: string | null; uid: number; gid: number } | null> {
  const r = await c.node
    .run(
      T(c.secs, ['sh', '-c', 'id -u; id -g; ip -o route get "$1" 2>/dev/null || true', 'nfsctl-why', c.config.vip]),
      { timeoutMs: (c.secs + 3) * 1000 },
    )
    .catch(() => null);
  if (!r || r.exitCode !== 0) return null;
  const [uid = '', gid = '', ...rest] = r.stdout.split('\n');
  if (!/^\d+$/.test(uid.trim()) || !/^\d+$/.test(gid.trim())) return null;
  return { uid: Number(uid), gid: Number(gid), addr: parseRouteSrc(rest.join('\n')) };
}

async function resolveOnHolder(c: TrialContext, names: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  await Promise.all(
    names.map(async (n) => {
      const r = await c.holderHost
        .run(T(c.secs, ['getent', 'ahosts', n]), { timeoutMs: (c.secs + 3) * 1000 })
        .catch(() => null);
      out.set(
        n,
        r && r.exitCode === 0
          ? [
              ...new Set(
                r.stdout
                  .split('\n')
                  .map((l) => l.split(/\s+/)[0]!)
                  .filter(Boolean),
              ),
            ]
          : [],
      );
    }),
  );
  return out;
}

/** The finding for a failed trial: the cause the facts show, or the raw error. */
export async function explainTrialFailure(c: TrialContext, trial: TrialMount): Promise<Finding> {
  const title = `trial mount of ${c.config.vip}:${c.v.path} from ${c.nodeName} (${trial.method})`;
  const raw = `${trial.error}${trial.steps.length ? ` after: ${trial.steps.join(' -> ')}` : ''}`;
  const asFinding = (id: string, t: string, evidence: string, fix: string): Finding => ({
    id,
    host: c.nodeId,
    status: 'critical',
    title: t,
    evidence: `${evidence} (trial: ${raw})`,
    fix,
  });
  if (trial.method === 'none')
    return {
      id: 'trial-mount',
      host: c.nodeId,
      status: 'critical',
      title,
      evidence: raw,
      fix: /^mount\.nfs is installed/.test(trial.error ?? '')
        ? `on ${c.nodeName}: modprobe nfs  # says why the kernel's NFS client module does not load; without one, install the kernel's modules package for $(uname -r)`
        : `on ${c.nodeName}: apt-get install nfs-common (RHEL: dnf install nfs-utils)`,
    };
  const error = trial.error ?? '';
  if (MISSING_HELPER.test(error))
    return asFinding(
      'mount-helper',
      `mount.nfs helper on ${c.nodeName}`,
      `mount(8) found no /sbin/mount.nfs`,
      `apt-get install nfs-common (dnf install nfs-utils) on ${c.nodeName}`,
    );
  const nf = await nodeFacts(c);
  const access = exportAccessOf(c.config, c.inv, c.v, nf?.addr ?? null);
  const options = access?.options ?? c.config.nfs.options;
  const defaultClients = c.config.nfs.clients;
  // what was checked and found allowing, and what could not be read: said as such in the raw finding
  const allowed: string[] = [];
  const unread: string[] = [];
  if (access) allowed.push(`export ${access.readOnly ? 'ro' : 'rw'}, squash ${access.squash}`);
  else unread.push('the export options');
  if (nf?.addr && access) allowed.push(`${c.nodeName} at ${nf.addr} among the clients`);
  if ((trial.stage ?? 'mount') === 'mount') {
    const hostnames = (access?.clients ?? []).filter(
      (s) => /[a-z]/i.test(s) && !s.includes('*') && !s.startsWith('@') && !s.includes(':') && !s.includes('/'),
    );
    const cause = explainMount({
      volume: c.v.id,
      path: c.v.path,
      holder: c.holder,
      node: c.nodeName,
      error,
      access,
      nodeAddr: nf?.addr ?? null,
      resolved: await resolveOnHolder(c, hostnames),
      version: 3,
      options,
      defaultClients,
    });
    if (access?.protocols) allowed.push(`NFS v3 offered`);
    if (cause) return asFinding(cause.id, cause.title, cause.evidence, cause.fix);
  } else {
    const r = await c.holderHost
      .run(
        T(c.secs, [
          'sh',
          '-c',
          'stat -c "%u %g %a" -- "$1"; df -B1 --output=avail,iavail,fstype,target -- "$1" | tail -n 1',
          'nfsctl-why',
          c.v.path,
        ]),
        { timeoutMs: (c.secs + 3) * 1000 },
      )
      .catch(() => null);
    const facts = parseRootFacts(r?.stdout ?? '');
    // the backend's own accounting of the volume (an XFS project quota, a subvolume quota...): full when used reaches capacity
    const usage = backendNamed(c.backend).usage(c.config, c.inv, c.v, c.cluster);
    const quotaName = usage ? QUOTA_SOURCES[usage.source] : undefined;
    const project =
      usage && quotaName && usage.capacityBytes
        ? { usedBytes: usage.usedBytes, hardBytes: usage.capacityBytes, source: quotaName }
        : undefined;
    const cause = explainWrite({
      volume: c.v.id,
      path: c.v.path,
      holder: c.holder,
      error,
      access,
      client: nf ? { uid: nf.uid, gid: nf.gid } : null,
      root: facts.root,
      space: facts.space,
      quota: project ?? null,
      options,
      defaultClients,
    });
    if (cause) return asFinding(cause.id, cause.title, cause.evidence, cause.fix);
    const hasDir = backendNamed(c.backend).makesFilesystem(c.config) || backendNamed(c.backend).inRootFilesystem;
    if (nf && facts.root) allowed.push('identity and owner/mode');
    else
      unread.push(
        `owner/mode of ${c.v.path} on ${c.holder}${facts.root || hasDir ? '' : ' (the volume has no directory on the host)'}`,
      );
    if (facts.space) allowed.push('space and inodes left');
    else unread.push('space and inodes');
    if (project) allowed.push(`${project.source} not full`);
    else unread.push('a quota');
  }
  return {
    id: 'trial-mount',
    host: c.nodeId,
    status: 'critical',
    title,
    evidence: `${raw}; nothing nfsctl checks explains it (${allowed.join('; ') || 'nothing could be checked'}${unread.length ? `; not read: ${unread.join(', ')}` : ''})`,
    fix: `read the NFS server's log on ${c.holder} around this time, and run the failed step by hand from ${c.nodeName}`,
  };
}

/** Kubelet mounts NFS PVs with mount(8), which needs /sbin/mount.nfs, whatever nfsctl's trial uses. */
export async function mountHelperFinding(
  node: Host,
  nodeName: string,
  nodeId: string | null,
  secs: number,
): Promise<Finding> {
  const r = await node
    .run(
      T(secs, [
        'sh',
        '-c',
        'for p in /sbin/mount.nfs /usr/sbin/mount.nfs; do [ -f "$p" ] && [ -x "$p" ] && { echo "$p"; exit 0; }; done; exit 1',
      ]),
      { timeoutMs: (secs + 3) * 1000 },
    )
    .catch(() => null);
  if (r && r.exitCode === 0)
    return {
      id: 'mount-helper',
      host: nodeId,
      status: 'ok',
      title: `mount.nfs helper on ${nodeName}`,
      evidence: r.stdout.trim(),
    };
  return {
    id: 'mount-helper',
    host: nodeId,
    status: 'critical',
    title: `mount.nfs helper on ${nodeName}`,
    evidence: `no executable /sbin/mount.nfs: kubelet's \`mount -t nfs\` fails with "bad option; for several filesystems (e.g. nfs, cifs) you might need a /sbin/mount.<type> helper program"`,
    fix: `on ${nodeName}: apt-get install nfs-common (RHEL: dnf install nfs-utils)`,
  };
}
