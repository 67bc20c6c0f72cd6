// Step builders more than one backend uses (mount point, fstab, growfs, rmdir).
import type { Config } from '../../config/schema.js';
import type { Step } from '../../plan/plan.js';
import { parseFstab, serializeFstab, upsertMount } from '../../core/fstab.js';
import type { HostInventory } from '../inventory.js';
import type { VolumeIdentity } from '../identity.js';
import { removeEmptyDirArgv } from '../delete-guard.js';
import { hold, holdAvailableArgv } from '../../ha/vip-hold.js';

export const MIB = 1024 * 1024;

export function fstabStep(
  role: string,
  inv: HostInventory,
  v: VolumeIdentity,
  device: string,
  extraOpts: string[] = [],
): Step {
  const before = inv.fstabText ?? '';
  const after = serializeFstab(
    upsertMount(
      parseFstab(before),
      { spec: device, file: v.path, vfstype: 'xfs', mntops: ['defaults', 'nofail', ...extraOpts], freq: 0, passno: 0 },
      v.id,
    ),
  );
  return {
    id: `${role}:fstab`,
    host: role,
    title: `add ${v.path} to /etc/fstab`,
    action: { kind: 'write', path: '/etc/fstab', content: after, backup: true, summary: `${device} ${v.path} xfs` },
    undo: { title: 'restore /etc/fstab', action: { kind: 'write', path: '/etc/fstab', content: before } },
  };
}

export function mkdirStep(role: string, v: VolumeIdentity): Step {
  return {
    id: `${role}:mkdir`,
    host: role,
    title: `create the mount point ${v.path}`,
    action: { kind: 'run', argv: ['mkdir', '-p', '-m', '0777', '--', v.path] },
    undo: { title: `remove ${v.path} (only if empty)`, action: { kind: 'run', argv: ['rmdir', '--', v.path] } },
  };
}

export function rmdirStep(config: Config, role: string, v: VolumeIdentity, what = 'remove the mount point'): Step {
  return {
    id: `${role}:rmdir`,
    host: role,
    title: `${what} ${v.path}`,
    action: { kind: 'run', argv: removeEmptyDirArgv(config.nfs.root, v.path), summary: `rmdir -- ${v.path}` },
    undo: { title: `recreate ${v.path}`, action: { kind: 'run', argv: ['mkdir', '-p', '--', v.path] } },
  };
}

export function growfsStep(role: string, v: VolumeIdentity): Step {
  return {
    id: `${role}:growfs`,
    host: role,
    title: `grow the XFS filesystem at ${v.path}`,
    action: { kind: 'run', argv: ['xfs_growfs', v.path] },
    undo: null,
    noUndoReason: 'XFS cannot shrink',
  };
}

/** A metadata record with `size` changed, rebuilt from the merged view. */
export function metaWithSize(
  metaName: string,
  view: { namespace: string; name: string; labels: Record<string, string>; createdAt: string; createdBy: string },
  size: number,
) {
  return {
    v: 1 as const,
    namespace: view.namespace,
    name: view.name,
    labels: view.labels,
    createdAt: view.createdAt,
    createdBy: view.createdBy,
    backend: metaName,
    size,
  };
}

/** Room findings: critical under 5 % free, warn under 15 %. */
export function roomStatus(free: number, size: number): { pct: number; status: 'ok' | 'warn' | 'critical' } {
  const pct = size ? (free / size) * 100 : 0;
  return { pct, status: pct < 5 ? 'critical' : pct < 15 ? 'warn' : 'ok' };
}

/**
 * The standby holds NFS traffic to the VIP (ha/vip-hold.ts), for the first holder-only volume
 * of a pair (DRBD, a mapped RBD image): a crash that lands the VIP there finds clients waiting
 * for the notify hook to serve instead of ESTALE. The hook keeps it so at every transition.
 */
export function standbyHoldStep(config: Config, standby: string): Step {
  return {
    id: `${standby}:vip-hold`,
    host: standby,
    title: `on ${standby} (the standby): drop NFS traffic to the VIP until it serves (skipped without iptables: health says so)`,
    action: {
      kind: 'fn',
      describe: 'iptables -I INPUT -d <VIP> --dport 2049 -j DROP (comment nfsctl-vip-hold), once',
      fn: async (h) => {
        if ((await h.run(holdAvailableArgv(config.vip), { timeoutMs: 15_000 })).exitCode === 0)
          await hold(h, config.vip);
      },
    },
    undo: null,
    noUndoReason: "the standby's steady state (the notify hook keeps it)",
  };
}
