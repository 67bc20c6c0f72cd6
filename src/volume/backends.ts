// Per-backend steps for one host, through the backend contract (src/volume/backend/): the
// backend supplies its storage steps; what every backend shares (unmounting, fstab, the
// ownership rule of delete) is here.
import type { Config, PairRole } from '../config/schema.js';
import type { Step } from '../plan/plan.js';
import type { VolumeMetaInput } from '../core/lvm-json.js';
import { parseFstab, serializeFstab, removeMount, findMounts } from '../core/fstab.js';
import type { HostInventory } from './inventory.js';
import type { Backend, VolumeIdentity } from './identity.js';
import { backendNamed, configuredBackends } from './backend/registry.js';
import type { CreateOptions, ResizeOptions } from './backend/contract.js';
import { rmdirStep } from './backend/steps.js';
import { unmountStep } from './unmount.js';
import { UsageError } from '../core/errors.js';

import type { Replication } from '../core/backend-names.js';
export type { Replication } from '../core/backend-names.js';

/**
 * The backend a create makes: --backend (default backends.default), with --replication
 * choosing between the two ways of keeping an LVM volume on both hosts (rsync: the lvm
 * backend; drbd: the drbd backend); without it, backends.lvm.replication decides. A
 * --replication with any other backend is a usage error (checked before anything runs).
 */
export function createBackendFor(
  config: Config,
  asked: Backend | undefined,
  replication: Replication | undefined,
): Backend {
  const base = asked ?? config.backends.default;
  if (replication === undefined) return base === 'lvm' && config.backends.lvm?.replication === 'drbd' ? 'drbd' : base;
  const chosen = pick(base, replication);
  if (!configuredBackends(config).some((b) => b.name === chosen))
    throw new UsageError(`backend "${chosen}" is not configured (no backends.${chosen} in the config)`, {
      hint:
        chosen === 'drbd'
          ? 'add backends.drbd (or backends.lvm.replication: drbd) to the config; `nfsctl config check` validates it'
          : `add backends.${chosen} to the config`,
    });
  return chosen;
}

function pick(base: Backend, replication: Replication): Backend {
  if (base !== 'lvm' && base !== 'drbd')
    throw new UsageError(`--replication applies to lvm volumes only, not to backend ${base}`, {
      hint: `${base} volumes are kept by the backend itself; leave --replication out, or use --backend lvm`,
    });
  if (base === 'drbd' && replication === 'rsync')
    throw new UsageError('--backend drbd --replication rsync contradict each other', {
      hint: 'use --backend lvm --replication rsync (an rsync copy) or --replication drbd',
    });
  return replication === 'drbd' ? 'drbd' : 'lvm';
}

/** Steps that create the storage for `v` on one host (before it is exported). */
export function createSteps(
  config: Config,
  role: PairRole,
  inv: HostInventory,
  v: VolumeIdentity,
  backend: Backend,
  size: number,
  meta: VolumeMetaInput,
  opts: CreateOptions,
): Step[] {
  return backendNamed(backend).createSteps(config, role, inv, v, size, meta, opts);
}

/**
 * Steps that remove the storage of `v` from one host (after it is unexported). `owned`:
 * this host holds nfsctl's metadata for exactly this volume (LV tags, the xfsquota record,
 * the RBD image-meta); without it nothing is destroyed here, at most the empty directory an
 * interrupted create left is removed (rmdir, which refuses a directory with anything in it).
 * Every removal is a guarded script (delete-guard.ts) that checks ownership again on the host.
 */
export function deleteSteps(
  config: Config,
  role: PairRole,
  inv: HostInventory,
  v: VolumeIdentity,
  backend: Backend,
  keepData: boolean,
  opts: { removeShared: boolean; owned: boolean },
): Step[] {
  if (!opts.owned)
    return !keepData && inv.dirs.has(v.path)
      ? [rmdirStep(config, role, v, 'remove the empty directory an interrupted create left at')]
      : [];
  const steps: Step[] = [];
  const mount = inv.mounts.find((m) => m.target === v.path);
  const inFstab = inv.fstab ? findMounts(inv.fstab, v.path).length > 0 : false;
  if (mount) {
    steps.push(
      unmountStep(config, role, `${role}:umount`, v.path, {
        title: `mount ${v.path} again`,
        // by its device: an RBD image's mount has no fstab line to find it by
        action: {
          kind: 'run',
          argv: inFstab ? ['mount', v.path] : ['mount', '-t', mount.fstype, '--', mount.source, v.path],
        },
      }),
    );
  }
  if (inFstab) {
    const before = inv.fstabText ?? '';
    steps.push({
      id: `${role}:fstab`,
      host: role,
      title: `remove ${v.path} from /etc/fstab`,
      action: {
        kind: 'write',
        path: '/etc/fstab',
        content: serializeFstab(removeMount(parseFstab(before), v.path, v.id)),
        backup: true,
      },
      undo: { title: 'restore /etc/fstab', action: { kind: 'write', path: '/etc/fstab', content: before } },
    });
  }
  if (keepData) return [...steps, ...(backendNamed(backend).releaseSteps?.(config, role, v) ?? [])];
  return [...steps, ...backendNamed(backend).removeSteps(config, role, inv, v, { removeShared: opts.removeShared })];
}

/** Steps that grow `v` to `size` on one host. */
export function resizeSteps(
  config: Config,
  role: PairRole,
  inv: HostInventory,
  v: VolumeIdentity,
  backend: Backend,
  size: number,
  oldSize: number,
  opts: ResizeOptions,
): Step[] {
  return backendNamed(backend).resizeSteps(config, role, inv, v, size, oldSize, opts);
}
