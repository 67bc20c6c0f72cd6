// Per-backend steps for one host. LVM and XFS-quota volumes are mirrored (each host has its
// own copy, rsync keeps them in step); an RBD image is one shared device, created once and
// mapped only where the VIP is.
import type { Config } from '../config/schema.js';
import type { Step } from '../plan/plan.js';
import { decodeMetaTags, encodeMetaTags, isMetaTag, NFSCTL_TAG, planTagUpdate, type VolumeMetaInput } from '../core/lvm-json.js';
import { parseFstab, serializeFstab, upsertMount, removeMount, findMounts } from '../core/fstab.js';
import type { HostInventory } from './inventory.js';
import { lvmArgs, rbdArgs, xfsMetaPath } from './inventory.js';
import type { Backend, VolumeIdentity } from './identity.js';
import { metaNeedle, removeEmptyDirArgv, removeOwnedDirArgv, removeOwnedImageArgv, removeOwnedLvArgv } from './delete-guard.js';

const MIB = 1024 * 1024;

export function lvDevice(config: Config, v: VolumeIdentity): string {
  return `/dev/${config.backends.lvm!.vg}/${v.lv}`;
}

function fstabSteps(role: string, inv: HostInventory, v: VolumeIdentity, device: string, extraOpts: string[] = []): Step {
  const before = inv.fstabText ?? '';
  const after = serializeFstab(upsertMount(parseFstab(before), { spec: device, file: v.path, vfstype: 'xfs', mntops: ['defaults', 'nofail', ...extraOpts], freq: 0, passno: 0 }, v.id));
  return {
    id: `${role}:fstab`,
    host: role,
    title: `add ${v.path} to /etc/fstab`,
    action: { kind: 'write', path: '/etc/fstab', content: after, backup: true, summary: `${device} ${v.path} xfs` },
    undo: { title: 'restore /etc/fstab', action: { kind: 'write', path: '/etc/fstab', content: before } },
  };
}

function mkdirStep(role: string, v: VolumeIdentity): Step {
  return {
    id: `${role}:mkdir`,
    host: role,
    title: `create the mount point ${v.path}`,
    action: { kind: 'run', argv: ['mkdir', '-p', '-m', '0777', '--', v.path] },
    undo: { title: `remove ${v.path} (only if empty)`, action: { kind: 'run', argv: ['rmdir', '--', v.path] } },
  };
}

/** Steps that create the storage for `v` on one host (before it is exported). */
export function createSteps(config: Config, role: string, inv: HostInventory, v: VolumeIdentity, backend: Backend, size: number, meta: VolumeMetaInput, opts: { mapHere: boolean; createImage: boolean }): Step[] {
  switch (backend) {
    case 'lvm': {
      const lvm = config.backends.lvm!;
      const dev = lvDevice(config, v);
      const tags = encodeMetaTags(meta).flatMap((t) => ['--addtag', t]);
      const steps: Step[] = [
        {
          id: `${role}:lvcreate`,
          host: role,
          title: `create logical volume ${lvm.vg}/${v.lv} (${size} bytes)`,
          action: { kind: 'run', argv: ['lvcreate', ...lvmArgs(config), '--yes', ...(lvm.metadataOnly ? ['--activate', 'n', '--zero', 'n'] : ['--wipesignatures', 'y']), '--name', v.lv, '--size', `${size}b`, ...tags, lvm.vg] },
          undo: { title: `remove ${lvm.vg}/${v.lv}`, action: { kind: 'run', argv: ['lvremove', ...lvmArgs(config), '--yes', `${lvm.vg}/${v.lv}`] } },
        },
      ];
      if (!lvm.metadataOnly) {
        steps.push({
          id: `${role}:mkfs`,
          host: role,
          title: `make an XFS filesystem on ${dev}`,
          action: { kind: 'run', argv: ['mkfs.xfs', '-q', ...lvm.mkfsArgs, dev], timeoutMs: 300_000 },
          undo: null,
          noUndoReason: 'removing the logical volume discards it',
        });
      }
      steps.push(mkdirStep(role, v));
      if (!lvm.metadataOnly) {
        steps.push(
          {
            id: `${role}:mount`,
            host: role,
            title: `mount ${dev} at ${v.path}`,
            action: { kind: 'run', argv: ['mount', '-t', 'xfs', dev, v.path] },
            undo: { title: `unmount ${v.path}`, action: { kind: 'run', argv: ['umount', v.path] } },
          },
          fstabSteps(role, inv, v, dev),
        );
      }
      return steps;
    }
    case 'xfsquota': {
      const root = config.backends.xfsquota!.root;
      const metaPath = xfsMetaPath(root, v.project);
      return [
        mkdirStep(role, v),
        {
          id: `${role}:project`,
          host: role,
          title: `make ${v.path} XFS project ${v.projectId}`,
          action: { kind: 'run', argv: ['xfs_quota', '-x', '-c', `project -s -p ${v.path} ${v.projectId}`, root] },
          undo: { title: `clear project ${v.projectId} from ${v.path}`, action: { kind: 'run', argv: ['xfs_quota', '-x', '-c', `project -C -p ${v.path} ${v.projectId}`, root] } },
        },
        ...(config.backends.xfsquota!.quota
          ? [
              {
                id: `${role}:limit`,
                host: role,
                title: `limit project ${v.projectId} to ${size} bytes (hard)`,
                action: { kind: 'run' as const, argv: ['xfs_quota', '-x', '-c', `limit -p bhard=${size} ${v.projectId}`, root] },
                undo: { title: `drop the limit of project ${v.projectId}`, action: { kind: 'run' as const, argv: ['xfs_quota', '-x', '-c', `limit -p bhard=0 ${v.projectId}`, root] } },
              },
            ]
          : []),
        {
          id: `${role}:meta`,
          host: role,
          title: `record the volume's metadata in ${metaPath}`,
          action: { kind: 'write', path: metaPath, content: JSON.stringify(meta) + '\n', mode: 0o644 },
          undo: { title: `remove ${metaPath}`, action: { kind: 'run', argv: ['rm', '-f', '--', metaPath] } },
        },
      ];
    }
    case 'rbd': {
      const r = config.backends.rbd!;
      const spec = `${r.pool}/${v.image}`;
      const steps: Step[] = [];
      if (opts.createImage) {
        steps.push(
          {
            id: `${role}:rbd-create`,
            host: role,
            title: `create RBD image ${spec} (layering only, like the Kubernetes rbd plugin)`,
            action: { kind: 'run', argv: ['rbd', ...rbdArgs(config), 'create', '--size', `${Math.ceil(size / MIB)}M`, '--image-feature', 'layering', spec] },
            undo: { title: `remove ${spec}`, action: { kind: 'run', argv: ['rbd', ...rbdArgs(config), 'rm', '--no-progress', spec] } },
          },
          {
            id: `${role}:rbd-meta`,
            host: role,
            title: `record the volume's metadata on ${spec}`,
            action: { kind: 'run', argv: ['rbd', ...rbdArgs(config), 'image-meta', 'set', spec, 'nfsctl.meta', JSON.stringify(meta)] },
            undo: null,
            noUndoReason: 'removing the image removes its metadata',
          },
        );
      }
      if (opts.mapHere && r.map) {
        steps.push({
          id: `${role}:rbd-map`,
          host: role,
          title: `map ${spec}, make XFS on it and mount it at ${v.path}`,
          action: {
            kind: 'run',
            // one step: the device name only exists on the host that mapped it
            argv: ['sh', '-ec', 'spec=$1 path=$2; shift 2; dev=$(rbd "$@" map "$spec"); mkfs.xfs -q "$dev"; mkdir -p -m 0777 -- "$path"; mount -t xfs "$dev" "$path"', 'nfsctl-rbd-map', spec, v.path, ...rbdArgs(config)],
            timeoutMs: 300_000,
          },
          undo: { title: `unmount and unmap ${spec}`, action: { kind: 'run', argv: ['sh', '-c', 'spec=$1 path=$2; shift 2; umount "$path"; rbd "$@" unmap "$spec"', 'nfsctl-rbd-unmap', spec, v.path, ...rbdArgs(config)] } },
        });
      } else {
        steps.push(mkdirStep(role, v));
      }
      return steps;
    }
  }
}

/**
 * Steps that remove the storage of `v` from one host (after it is unexported). `owned`:
 * this host holds nfsctl's metadata for exactly this volume (LV tags, the xfsquota record,
 * the RBD image-meta); without it nothing is destroyed here, at most the empty directory an
 * interrupted create left is removed (rmdir, which refuses a directory with anything in it).
 * Every removal is a guarded script (delete-guard.ts) that checks ownership again on the host.
 */
export function deleteSteps(config: Config, role: string, inv: HostInventory, v: VolumeIdentity, backend: Backend, keepData: boolean, opts: { removeImage: boolean; owned: boolean }): Step[] {
  if (!opts.owned) return !keepData && inv.dirs.has(v.path) ? [rmdirStep(config, role, v, 'remove the empty directory an interrupted create left at')] : [];
  const steps: Step[] = [];
  const mounted = inv.mounts.some((m) => m.target === v.path);
  const inFstab = inv.fstab ? findMounts(inv.fstab, v.path).length > 0 : false;
  if (mounted) {
    steps.push({
      id: `${role}:umount`,
      host: role,
      title: `unmount ${v.path}`,
      action: { kind: 'run', argv: ['umount', v.path] },
      undo: { title: `mount ${v.path} again`, action: { kind: 'run', argv: ['mount', v.path] } },
    });
  }
  if (inFstab) {
    const before = inv.fstabText ?? '';
    steps.push({
      id: `${role}:fstab`,
      host: role,
      title: `remove ${v.path} from /etc/fstab`,
      action: { kind: 'write', path: '/etc/fstab', content: serializeFstab(removeMount(parseFstab(before), v.path, v.id)), backup: true },
      undo: { title: 'restore /etc/fstab', action: { kind: 'write', path: '/etc/fstab', content: before } },
    });
  }
  if (keepData) return steps;
  const lvm = config.backends.lvm;
  switch (backend) {
    case 'lvm': {
      const lv = inv.lvs.find((l) => l.name === v.lv);
      if (lv) {
        steps.push({
          id: `${role}:lvremove`,
          host: role,
          title: `remove logical volume ${lvm!.vg}/${v.lv} (data is destroyed)`,
          action: { kind: 'run', argv: removeOwnedLvArgv(`${lvm!.vg}/${v.lv}`, lv.tags.filter((t) => t === NFSCTL_TAG || isMetaTag(t)), lvmArgs(config)), summary: `lvremove --yes ${lvm!.vg}/${v.lv} (after checking it carries nfsctl's tags for ${v.id})` },
          undo: null,
          noUndoReason: 'a removed logical volume cannot be restored',
        });
      }
      if (inv.dirs.has(v.path)) steps.push(rmdirStep(config, role, v));
      break;
    }
    case 'xfsquota': {
      const root = config.backends.xfsquota!.root;
      const metaPath = xfsMetaPath(root, v.project);
      // only what is still there: re-running finishes a half-deleted volume without noise
      if (config.backends.xfsquota!.quota && inv.xfs?.projects.has(v.projectId)) {
        steps.push({
          id: `${role}:limit`,
          host: role,
          title: `drop the limit of project ${v.projectId}`,
          action: { kind: 'run', argv: ['xfs_quota', '-x', '-c', `limit -p bhard=0 ${v.projectId}`, root] },
          undo: null,
          noUndoReason: 'follows the data removal',
        });
      }
      if (inv.dirs.has(v.path)) {
        steps.push({
          id: `${role}:rm-data`,
          host: role,
          title: `delete ${v.path} and everything in it (data is destroyed)`,
          action: { kind: 'run', argv: removeOwnedDirArgv(config.nfs.root, v.path, metaPath, metaNeedle(v.ref.namespace, v.ref.name), v.projectId), timeoutMs: 600_000, summary: `rm -rf --one-file-system -- ${v.path} (after checking it is nfsctl's: ${metaPath}, XFS project ${v.projectId})` },
          undo: null,
          noUndoReason: 'deleted files cannot be restored',
        });
      }
      if (inv.xfs?.metas.some((m) => m.namespace === v.ref.namespace && m.name === v.ref.name)) {
        steps.push({
          id: `${role}:meta`,
          host: role,
          title: 'remove its metadata record',
          action: { kind: 'run', argv: ['rm', '-f', '--', metaPath] },
          undo: null,
          noUndoReason: 'follows the data removal',
        });
      }
      break;
    }
    case 'rbd': {
      if (inv.dirs.has(v.path)) steps.push(rmdirStep(config, role, v));
      if (opts.removeImage) {
        const spec = `${config.backends.rbd!.pool}/${v.image}`;
        steps.push({
          id: `${role}:rbd-rm`,
          host: role,
          title: `remove RBD image ${spec} (data is destroyed)`,
          action: { kind: 'run', argv: removeOwnedImageArgv(spec, metaNeedle(v.ref.namespace, v.ref.name), rbdArgs(config)), timeoutMs: 600_000, summary: `rbd rm ${spec} (after checking its nfsctl.meta names ${v.id})` },
          undo: null,
          noUndoReason: 'a removed image cannot be restored',
        });
      }
      break;
    }
  }
  return steps;
}

function rmdirStep(config: Config, role: string, v: VolumeIdentity, what = 'remove the mount point'): Step {
  return {
    id: `${role}:rmdir`,
    host: role,
    title: `${what} ${v.path}`,
    action: { kind: 'run', argv: removeEmptyDirArgv(config.nfs.root, v.path), summary: `rmdir -- ${v.path}` },
    undo: { title: `recreate ${v.path}`, action: { kind: 'run', argv: ['mkdir', '-p', '--', v.path] } },
  };
}

/** Steps that grow `v` to `size` on one host. */
export function resizeSteps(config: Config, role: string, inv: HostInventory, v: VolumeIdentity, backend: Backend, size: number, oldSize: number, opts: { resizeImage: boolean; growFsHere: boolean }): Step[] {
  switch (backend) {
    case 'lvm': {
      const lvm = config.backends.lvm!;
      const steps: Step[] = [
        {
          id: `${role}:lvextend`,
          host: role,
          title: `extend ${lvm.vg}/${v.lv} to ${size} bytes`,
          action: { kind: 'run', argv: ['lvextend', ...lvmArgs(config), '--size', `${size}b`, `${lvm.vg}/${v.lv}`] },
          undo: null,
          noUndoReason: 'shrinking a logical volume under XFS would destroy it',
        },
      ];
      const lv = inv.lvs.find((l) => l.name === v.lv);
      if (lv) {
        const { add, remove } = planTagUpdate(lv.tags, { ...(decodeMetaTags(lv.tags) ?? {}), size } as VolumeMetaInput);
        if (add.length + remove.length > 0) {
          steps.push({
            id: `${role}:lvtags`,
            host: role,
            title: 'record the new size in the LV tags',
            action: { kind: 'run', argv: ['lvchange', ...lvmArgs(config), ...remove.flatMap((t) => ['--deltag', t]), ...add.flatMap((t) => ['--addtag', t]), `${lvm.vg}/${v.lv}`] },
            undo: null,
          });
        }
      }
      if (!lvm.metadataOnly) steps.push(growfs(role, v));
      return steps;
    }
    case 'xfsquota': {
      const root = config.backends.xfsquota!.root;
      if (!config.backends.xfsquota!.quota) return []; // nothing enforces the size: only the record changes
      return [
        {
          id: `${role}:limit`,
          host: role,
          title: `raise the hard limit of project ${v.projectId} to ${size} bytes`,
          action: { kind: 'run', argv: ['xfs_quota', '-x', '-c', `limit -p bhard=${size} ${v.projectId}`, root] },
          undo: { title: `restore the limit (${oldSize} bytes)`, action: { kind: 'run', argv: ['xfs_quota', '-x', '-c', `limit -p bhard=${oldSize} ${v.projectId}`, root] } },
        },
      ];
    }
    case 'rbd': {
      const spec = `${config.backends.rbd!.pool}/${v.image}`;
      const steps: Step[] = [];
      if (opts.resizeImage) {
        steps.push({
          id: `${role}:rbd-resize`,
          host: role,
          title: `grow ${spec} to ${Math.ceil(size / MIB)} MiB`,
          action: { kind: 'run', argv: ['rbd', ...rbdArgs(config), 'resize', '--no-progress', '--size', `${Math.ceil(size / MIB)}M`, spec] },
          undo: null,
          noUndoReason: 'shrinking an image under XFS would destroy it',
        });
      }
      if (opts.growFsHere && config.backends.rbd!.map) steps.push(growfs(role, v));
      return steps;
    }
  }
}

function growfs(role: string, v: VolumeIdentity): Step {
  return {
    id: `${role}:growfs`,
    host: role,
    title: `grow the XFS filesystem at ${v.path}`,
    action: { kind: 'run', argv: ['xfs_growfs', v.path] },
    undo: null,
    noUndoReason: 'XFS cannot shrink',
  };
}
