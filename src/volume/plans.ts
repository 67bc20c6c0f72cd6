// Plans for volume create / delete / resize / export / unexport, built from what the hosts
// really have (inventory) after every input was validated. Nothing here runs a change.
import type { Config, PairRole } from '../config/schema.js';
import type { Plan, Step } from '../plan/plan.js';
import { newPlanId } from '../plan/plan.js';
import { PreconditionError, UsageError } from '../core/errors.js';
import { formatSize } from '../core/sizes.js';
import type { VolumeMetaInput } from '../core/lvm-json.js';
import type { HostInventory } from './inventory.js';
import { identify, type Backend, type VolumeIdentity } from './identity.js';
import { createSteps, deleteSteps, resizeSteps } from './backends.js';
import { exportSpecFor, exportSteps, unexportSteps, type ExportSpec } from './exporter.js';
import { mirrored, type ClusterInventories, type VolumeView } from './state.js';
import { derivedNamesProblem, type VolumeRef } from '../core/names.js';
import { BACKEND_LIST, backendNamed, configuredBackends } from './backend/registry.js';
import { hasCopyPerHost, isMirrored, servedByBoth, type AnyVolumeBackend } from './backend/contract.js';

export const ROLES: readonly PairRole[] = ['primary', 'backup'];

/** The smallest filesystem mkfs.xfs makes (xfsprogs 6.x). */
export const XFS_MIN_BYTES = 300 * 2 ** 20;

export interface PairState {
  inv: Record<PairRole, HostInventory>;
  /** The shared backends' cluster inventories, by backend name (e.g. the RBD pool). */
  cluster?: ClusterInventories;
  /** Which host holds the VIP (null if unknown or none). */
  vipHolder: PairRole | null;
  views: VolumeView[];
}

/** The hosts that export a volume of backend `b`: both, or only the VIP holder (shared-vip, replicated). */
export function servingRoles(b: AnyVolumeBackend, state: Pick<PairState, 'vipHolder'>): readonly PairRole[] {
  return servedByBoth(b) ? ROLES : [state.vipHolder ?? 'primary'];
}

export function findVolume(state: PairState, ref: VolumeRef): VolumeView | undefined {
  return state.views.find((v) => v.namespace === ref.namespace && v.name === ref.name);
}

function requireReachable(state: PairState, what: string): void {
  const down = ROLES.filter((r) => !state.inv[r].reachable);
  if (down.length > 0) {
    throw new PreconditionError(
      `${what}: ${down.map((r) => `${r} is unreachable (${state.inv[r].error})`).join('; ')}`,
      {
        hint: 'both hosts must answer before the pair is changed; check with `nfsctl health`',
      },
    );
  }
}

/** Free room on each host (or in the cluster) for `extra` bytes, or a refusal with the numbers. */
function checkRoom(config: Config, state: PairState, backend: Backend, extra: number, available?: number | null): void {
  const short = backendNamed(backend).room(config, state, extra, available);
  if (short.length > 0)
    throw new PreconditionError(`not enough room, nothing was changed:\n  ${short.join('\n  ')}`, {
      hint: 'free space on both hosts (a mirrored pair needs equal room), or ask for less',
    });
}

export interface CreateInput {
  ref: VolumeRef;
  size: number;
  backend: Backend;
  export: ExportSpec;
  labels: Record<string, string>;
  createdBy: string;
  now?: Date;
  /** Shared backends: what the cluster can still take (the backend's `available`), null when unknown. */
  rbdAvailBytes?: number | null;
}

/** The derived names of a new volume fit the kernel's and LVM's limits (exit 2 otherwise); run before anything is contacted. */
export function checkCreatable(config: Config, ref: VolumeRef, backend: Backend): VolumeIdentity {
  const v = identify(config, ref);
  const problem = derivedNamesProblem(v.id, v.path) ?? backendNamed(backend).nameProblem(config, v);
  if (problem) throw new UsageError(problem);
  return v;
}

export function planCreate(config: Config, state: PairState, input: CreateInput): Plan {
  checkCreatable(config, input.ref, input.backend);
  const b = backendNamed(input.backend);
  if (!configuredBackends(config).includes(b))
    throw new UsageError(`backend "${input.backend}" is not configured (no backends.${input.backend} in the config)`);
  // mkfs.xfs (xfsprogs 6.x) refuses filesystems under 300 MiB: say so before anything runs
  if (b.makesFilesystem(config) && input.size < XFS_MIN_BYTES) {
    throw new UsageError(
      `${formatSize(input.size)} is too small for a ${input.backend} volume: XFS needs at least 300Mi`,
      { hint: 'ask for --size 300M or more, or use the xfsquota backend for small volumes' },
    );
  }
  const v = identify(config, input.ref);
  requireReachable(state, `cannot create ${v.id}`);
  const existing = findVolume(state, input.ref);
  if (existing)
    throw new PreconditionError(`${v.id} already exists (${existing.backend}, ${formatSize(existing.sizeBytes)})`, {
      hint: `see it with \`nfsctl volume show ${v.id}\``,
    });
  // Another claim (or something foreign) already at this path: an ambiguous template, or a leftover.
  for (const r of ROLES) {
    if (state.inv[r].dirs.has(v.path))
      throw new PreconditionError(`${r}: ${v.path} already exists and belongs to no nfsctl volume`, {
        hint: 'move it away, or adopt it by hand; nfsctl never writes into a directory it did not create',
      });
  }
  checkRoom(config, state, input.backend, input.size, input.rbdAvailBytes);
  const asked: VolumeMetaInput = {
    v: 1,
    namespace: input.ref.namespace,
    name: input.ref.name,
    labels: input.labels,
    createdAt: (input.now ?? new Date()).toISOString(),
    createdBy: input.createdBy,
    backend: b.metaName,
    size: input.size,
  };
  // what only both hosts together decide (DRBD's minor and port): recorded on both copies
  const meta = b.allocate ? b.allocate(config, state, v, asked) : asked;
  const phases: Plan['phases'] = [];
  if (b.placement === 'replicated') {
    // a copy per host kept identical underneath (DRBD): both sides first, then the VIP holder
    // makes the one filesystem and mounts it; only the holder exports it
    const holder = state.vipHolder ?? 'primary';
    phases.push({
      title: `create the ${b.noun} on both hosts`,
      steps: ROLES.flatMap((r) =>
        createSteps(config, r, state.inv[r], v, input.backend, input.size, meta, {
          createShared: false,
          active: false,
        }),
      ),
    });
    phases.push({
      title: `make the filesystem and mount it where the VIP is (${holder})`,
      steps: createSteps(config, holder, state.inv[holder], v, input.backend, input.size, meta, {
        createShared: true,
        active: true,
      }),
    });
  } else if (isMirrored(b)) {
    phases.push({
      title: `create the ${input.backend} storage on both hosts`,
      steps: ROLES.flatMap((r) =>
        createSteps(config, r, state.inv[r], v, input.backend, input.size, meta, { createShared: false, active: true }),
      ),
    });
  } else {
    const holder = state.vipHolder ?? 'primary';
    const both = servedByBoth(b);
    phases.push({
      title: `create the shared ${b.noun}`,
      steps: createSteps(config, holder, state.inv[holder], v, input.backend, input.size, meta, {
        createShared: true,
        active: false,
      }),
    });
    phases.push({
      title: both ? `prepare ${v.path} on both hosts` : `prepare ${v.path} (mapped only where the VIP is: ${holder})`,
      steps: ROLES.flatMap((r) =>
        createSteps(config, r, state.inv[r], v, input.backend, input.size, meta, {
          createShared: false,
          active: both || r === holder,
        }),
      ),
    });
  }
  const exportRoles = servingRoles(b, state);
  const fsal = b.ganeshaFsal(config, v, state.cluster?.[b.name]);
  phases.push({
    title: 'export it over NFS',
    // a replicated (DRBD) volume is configured on the holder only: an exports line for its
    // unmounted mount point on the standby fails any `exportfs -ra` there; the notify hook adds
    // the line on the new holder and removes it from the old one
    steps: exportRoles.flatMap((r) =>
      exportSteps(config, r, state.inv[r], v, exportSpecFor(config, b, input.export), fsal),
    ),
  });
  return {
    id: newPlanId(),
    title: `create ${v.id} (${input.backend}, ${formatSize(input.size)}) at ${v.path}`,
    phases,
    cleanupHint: `nfsctl volume delete ${v.id} --yes (finishes or removes a half-created volume)`,
  };
}

export interface DeleteInput {
  ref: VolumeRef;
  keepData: boolean;
  /**
   * Hosts where the volume's directory exists and was seen empty just before planning (a
   * leftover of an interrupted create): without nfsctl's metadata there, it may still be
   * removed with rmdir, which cannot destroy data.
   */
  emptyDirs?: Partial<Record<PairRole, boolean>>;
}

/** Does this host hold nfsctl's metadata for exactly `v` (LV tags, the xfsquota record, the RBD image-meta)? */
export function ownedOn(state: PairState, role: PairRole, v: VolumeIdentity, backend: Backend): boolean {
  return backendNamed(backend).owns(state, role, v);
}

/**
 * What is at the volume's place on a host that does not own it, and would be touched:
 * refused (nfsctl deletes only what carries its own metadata) unless it is an empty
 * directory (rmdir) or nothing at all.
 */
function unownedProblems(
  config: Config,
  state: PairState,
  role: PairRole,
  v: VolumeIdentity,
  backend: Backend,
  input: DeleteInput,
): string[] {
  const inv = state.inv[role];
  const out: string[] = [];
  if (inv.dirs.has(v.path) && !input.keepData && input.emptyDirs?.[role] !== true)
    out.push(`${v.path} exists and is not empty`);
  if (inv.mounts.some((m) => m.target === v.path)) out.push(`something is mounted at ${v.path}`);
  if (inv.served.some((e) => e.path === v.path)) out.push(`the NFS server serves ${v.path}`);
  out.push(...backendNamed(backend).foreignProblems(config, state, role, v));
  return out;
}

export function planDelete(
  config: Config,
  state: PairState,
  input: DeleteInput,
): { plan: Plan; view: VolumeView | undefined; v: VolumeIdentity } {
  const view = findVolume(state, input.ref);
  // an adopted volume keeps its own LV name and path (recorded in its metadata)
  const v = view?.identity ?? identify(config, input.ref);
  requireReachable(state, `cannot delete ${v.id}`);
  const backend: Backend = view?.backend ?? guessBackend(config, state, v);
  const owned: Record<PairRole, boolean> = {
    primary: ownedOn(state, 'primary', v, backend),
    backup: ownedOn(state, 'backup', v, backend),
  };
  const problems = ROLES.flatMap((r) =>
    owned[r] ? [] : unownedProblems(config, state, r, v, backend, input).map((p) => `${r}: ${p}`),
  );
  if (problems.length > 0) {
    throw new PreconditionError(
      `refusing to delete ${v.id}: nfsctl deletes only what carries its own metadata for this volume, and here it finds none (no ${backendNamed(backend).metaRecord(config)} for ${v.id}):\n  ${problems.join('\n  ')}\nnothing was changed`,
      {
        hint: 'if it is not a volume, leave it or remove it by hand; `nfsctl volume list` shows what nfsctl owns',
      },
    );
  }
  const steps: Step[] = [];
  // only lines and files marked as nfsctl's for this volume (a foreign export line is refused by removeExport)
  const unexport = ROLES.flatMap((r) => unexportSteps(config, r, state.inv[r], v));
  const removesShared = (r: PairRole) =>
    r === 'primary' && !hasCopyPerHost(backendNamed(backend)) && owned[r] && backendNamed(backend).leftover(state, v);
  // the host that destroys the one shared copy goes last: after the other has let go of it
  // (unmounted, an RBD image unmapped: rbd rm refuses an image still mapped somewhere)
  const order = ROLES.some(removesShared)
    ? [...ROLES].sort((a, b) => Number(removesShared(a)) - Number(removesShared(b)))
    : ROLES;
  const remove = order.flatMap((r) =>
    deleteSteps(config, r, state.inv[r], v, backend, input.keepData, {
      owned: owned[r],
      removeShared: removesShared(r),
    }),
  );
  steps.push(...unexport);
  const plan: Plan = {
    id: newPlanId(),
    title: `${input.keepData ? 'retire' : 'delete'} ${v.id}${input.keepData ? ' (keeping its data)' : ''}`,
    phases: [
      { title: 'stop exporting it on both hosts', steps: unexport },
      { title: input.keepData ? 'unmount it (data kept)' : 'unmount and destroy its storage', steps: remove },
    ].filter((p) => p.steps.length > 0),
    cleanupHint: `nfsctl volume delete ${v.id} --yes (run again: it finishes a half-deleted volume)`,
  };
  return { plan, view, v };
}

/** A half-created volume may have lost its metadata: look at what is there. */
function guessBackend(config: Config, state: PairState, v: VolumeIdentity): Backend {
  return (BACKEND_LIST.find((b) => b.leftover(state, v))?.name as Backend | undefined) ?? config.backends.default;
}

export function planResize(
  config: Config,
  state: PairState,
  ref: VolumeRef,
  size: number,
  rbdAvail?: number | null,
): Plan {
  const v = identify(config, ref);
  requireReachable(state, `cannot resize ${v.id}`);
  const view = findVolume(state, ref);
  if (!view) throw new PreconditionError(`${v.id} does not exist`, { hint: 'see `nfsctl volume list`' });
  const current = Math.max(view.sizeBytes, ...ROLES.map((r) => view.hosts[r].sizeBytes ?? 0));
  if (size < current)
    throw new UsageError(
      `refusing to shrink ${v.id} from ${formatSize(current)} to ${formatSize(size)}: XFS cannot shrink, and shrinking the device under it destroys data`,
      { hint: 'to get a smaller volume, create a new one and copy the data' },
    );
  if (size === current) throw new PreconditionError(`${v.id} is already ${formatSize(current)}`);
  checkRoom(config, state, view.backend, size - current, rbdAvail);
  const holder = state.vipHolder ?? 'primary';
  const b = backendNamed(view.backend);
  if (b.placement === 'replicated') {
    // both LVs first (one phase: in parallel), then the device and the filesystem on the holder
    const grow = ROLES.flatMap((r) =>
      resizeSteps(config, r, state.inv[r], view.identity, view.backend, size, current, {
        resizeShared: false,
        active: false,
      }),
    );
    const device = resizeSteps(config, holder, state.inv[holder], view.identity, view.backend, size, current, {
      resizeShared: true,
      active: true,
    });
    return {
      id: newPlanId(),
      title: `grow ${v.id} from ${formatSize(current)} to ${formatSize(size)}`,
      phases: [
        { title: `grow the ${b.noun}'s logical volume on both hosts`, steps: grow },
        { title: `grow the ${b.noun} and the filesystem where the VIP is (${holder})`, steps: device },
      ],
      cleanupHint: `nfsctl volume resize ${v.id} --size ${size}B --yes (run again: growing is idempotent)`,
    };
  }
  const steps = mirrored(view.backend)
    ? ROLES.flatMap((r) =>
        resizeSteps(config, r, state.inv[r], view.identity, view.backend, size, current, {
          resizeShared: false,
          active: true,
        }),
      )
    : [
        ...resizeSteps(config, holder, state.inv[holder], view.identity, view.backend, size, current, {
          resizeShared: true,
          active: true,
        }),
      ];
  const metaSteps: Step[] = backendNamed(view.backend).recordSizeSteps(config, state, view, size, holder);
  return {
    id: newPlanId(),
    title: `grow ${v.id} from ${formatSize(current)} to ${formatSize(size)}`,
    phases: [{ title: 'grow the storage and the filesystem', steps: [...steps, ...metaSteps] }],
    cleanupHint: `nfsctl volume resize ${v.id} --size ${size}B --yes (run again: growing is idempotent)`,
  };
}

export function planExport(config: Config, state: PairState, ref: VolumeRef, spec: ExportSpec): Plan {
  const v = identify(config, ref);
  requireReachable(state, `cannot export ${v.id}`);
  const view = findVolume(state, ref);
  if (!view) throw new PreconditionError(`${v.id} does not exist`, { hint: 'see `nfsctl volume list`' });
  const b = backendNamed(view.backend);
  const roles = servingRoles(b, state);
  const fsal = b.ganeshaFsal(config, v, state.cluster?.[b.name]);
  return {
    id: newPlanId(),
    title: `export ${v.id} to ${spec.clients.join(' ')} (${spec.options.join(',')})`,
    phases: [
      {
        title: 'export on both hosts',
        steps: roles.flatMap((r) =>
          exportSteps(config, r, state.inv[r], view.identity, exportSpecFor(config, b, spec), fsal),
        ),
      },
    ],
  };
}

export function planUnexport(config: Config, state: PairState, ref: VolumeRef, remaining: ExportSpec | null): Plan {
  const v = identify(config, ref);
  requireReachable(state, `cannot unexport ${v.id}`);
  const view = findVolume(state, ref);
  if (!view) throw new PreconditionError(`${v.id} does not exist`, { hint: 'see `nfsctl volume list`' });
  const b = backendNamed(view.backend);
  const fsal = b.ganeshaFsal(config, view.identity, state.cluster?.[b.name]);
  // a narrower export is written only where the volume is served (shared-vip, replicated: the VIP holder)
  const steps = remaining
    ? servingRoles(b, state).flatMap((r) =>
        exportSteps(config, r, state.inv[r], view.identity, exportSpecFor(config, b, remaining), fsal),
      )
    : ROLES.flatMap((r) => unexportSteps(config, r, state.inv[r], view.identity));
  return {
    id: newPlanId(),
    title: remaining ? `export ${v.id} only to ${remaining.clients.join(' ')}` : `stop exporting ${v.id}`,
    phases: [{ title: 'change the exports on both hosts', steps }],
  };
}
