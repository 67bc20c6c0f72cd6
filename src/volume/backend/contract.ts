// The contract every volume backend implements. A backend is one file in this directory that
// exports one object of type VolumeBackend, plus one line in registry.ts; nothing else in nfsctl
// switches on a backend's name. The compiler refuses a backend that lacks a member (see
// test/unit/backend-contract.test.ts).
//
// A backend says:
// - what it is called (`name`: config key and CLI value; `metaName`: the value of the
//   `backend` field of its metadata records) and how its config section looks (`configSchema`,
//   `configDocs`, `configWarnings`);
// - where its storage lives (`placement`): 'mirrored' (each host has its own copy, rsync keeps
//   them in step, both hosts export it), 'shared-vip' (one copy in a cluster, attached and
//   exported only where the VIP is, following it: RBD), 'shared-both' (one copy in a
//   cluster, exported by both hosts at once, nothing follows the VIP and nothing syncs), or
//   'replicated' (a copy per host kept identical block for block underneath, by DRBD; mounted
//   and exported only where the VIP is, following it; rsync never copies it);
// - whether it makes a filesystem of its own (mkfs + mount at the volume's path);
// - what it reads from each host (`readHost`, into the host's one batch of reads) and, for
//   shared storage, from the cluster once for the pair (`readCluster`);
// - how it reports a volume's state on a host (`storageState`), its metadata records
//   (`hostMetas`, `metaOnHost`, `owns`), and its room (`room`, `available`);
// - its create / resize / delete steps and how it records metadata changes;
// - its PV source, its health and troubleshoot hooks, and what a VIP move means for it.
import type { ZodTypeAny } from 'zod';
import type { Config, PairRole } from '../../config/schema.js';
import type { Host, RunResult } from '../../host/host.js';
import type { Action, Step } from '../../plan/plan.js';
import type { VolumeMeta, VolumeMetaInput } from '../../core/lvm-json.js';
import type { Finding } from '../../health/check.js';
import type { MovePromise } from '../../ha/promise.js';
import type { HostInventory } from '../inventory.js';
import type { VolumeIdentity } from '../identity.js';
import type { GaneshaFsal } from '../nfs-server/contract.js';
import type { Usage } from '../../core/usage.js';

/**
 * Where a volume's storage lives and who serves it.
 * - mirrored: a copy per host; both export it; rsync mirrors the active host to the standby.
 * - shared-vip: one copy in a cluster; attached and exported only on the VIP holder.
 * - shared-both: one copy in a cluster; both hosts export it at once (no sync, no follow).
 * - replicated: a copy per host, identical block for block underneath (DRBD, protocol C);
 *   mounted and exported only on the VIP holder, following it; nothing syncs it with rsync.
 */
export type Placement = 'mirrored' | 'shared-vip' | 'shared-both' | 'replicated';

/** Registers one read into a host's batch (one process, one SSH channel, for all of them). */
export type ReadOnHost = (argv: string[], use: (r: RunResult) => void) => void;

/** What a shared backend reads once for the pair: its volumes' metadata, by volume key. */
export interface ClusterInventory {
  /** Metadata records, by the backend's own key for the volume (image name, subvolume...). */
  metas: Map<string, VolumeMeta>;
  /** The cluster could not be read: shown as a warning; its volumes look absent. */
  error?: string;
}

/** What a backend sees of the pair when it plans (the same object the plans get). */
export interface BackendPairState {
  inv: Record<PairRole, HostInventory>;
  /** Cluster inventories by backend name (shared backends only). */
  cluster?: Partial<Record<string, ClusterInventory>>;
  vipHolder: PairRole | null;
}

/** The volume as the backend needs it when it rewrites metadata. */
export interface BackendVolume {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  createdAt: string;
  createdBy: string;
  identity: VolumeIdentity;
}

/** One host's view of one volume's storage. */
export interface StorageState {
  present: boolean;
  sizeBytes: number | null;
  usedBytes: number | null;
}

export interface CreateOptions {
  /** Shared placements: this call creates the one shared copy (planned on one host only). */
  createShared: boolean;
  /** This host serves the volume (mirrored: always; shared-vip: the VIP holder; shared-both: both). */
  active: boolean;
}

export interface ResizeOptions {
  /** Shared placements: this call grows the one shared copy (planned on one host only). */
  resizeShared: boolean;
  /** This host serves the volume: grow its filesystem here. */
  active: boolean;
}

export interface RemoveOptions {
  /** Shared placements: this call destroys the one shared copy (planned on one host only). */
  removeShared: boolean;
}

/** A metadata rewrite on one host: the action and how to put the record back. */
export interface MetaWrite {
  role: PairRole;
  meta: VolumeMeta;
  write(next: VolumeMetaInput): { action: Action; undo: { title: string; action: Action } };
}

/** A volume that follows the VIP (shared-vip, replicated), as keepalived's notify sees it. */
export interface FollowingVolume {
  id: string;
  path: string;
  identity: VolumeIdentity;
}

export interface FollowVipResult {
  steps: Step[];
  recordedOnly: string[];
  why: string;
  /** Volumes NOT served here, and why (a stale DRBD side is never promoted); the notify hook reports them as errors. */
  refused?: string[];
}

/** A finding without its host (the caller knows where it ran). */
export type BackendFinding = Omit<Finding, 'host'>;

/**
 * A volume backend. `Name` is its config key; `Section` the zod schema of `backends.<name>`.
 * Every member is required unless marked optional, so a backend that forgets one does not
 * compile.
 */
export interface VolumeBackend<Name extends string = string, Section extends ZodTypeAny = ZodTypeAny> {
  /** Config key (`backends.<name>`), CLI value (`volume create --backend <name>`), shown in lists. */
  readonly name: Name;
  /** The `backend` field of its metadata records (on-disk format; xfsquota writes "xfs"). */
  readonly metaName: VolumeMeta['backend'];
  /** What one volume's storage is called ("LV", "RBD image"): in messages. */
  readonly noun: string;
  readonly placement: Placement;
  /** The zod schema of `backends.<name>` (the section is optional in the config). */
  readonly configSchema: Section;
  /** What each key of the section means, by dotted path from the top (`backends.<name>.x`). */
  readonly configDocs: Readonly<Record<string, string>>;
  /** Keys of its section that hold a path and have no default (the reference shows them as type path). */
  readonly configPathKeys: readonly string[];
  /**
   * Directories outside nfs.root its volumes' data lives under (nfsctl's own files may not be
   * inside: sync copies them, delete removes). Optional (added after the first backends):
   * none when absent.
   */
  dataRoots?(config: Config): string[];
  /** Warnings about a valid but risky section (`config check`). */
  configWarnings(config: Config): { path: (string | number)[]; message: string }[];
  /** Errors in the rest of the config this backend cannot work with (config load refuses them, exit 2). Omitted: none. */
  configProblems?(config: Config): { path: (string | number)[]; message: string }[];
  /**
   * Another section implies this one (parsed `backends`): it is then filled with its defaults
   * when absent (backends.lvm.replication: drbd implies backends.drbd). Omitted: never.
   */
  impliedBy?(sections: Readonly<Record<string, unknown>>): boolean;
  /**
   * What a new volume's metadata must record that only both hosts together decide (DRBD's
   * minor and port, free on both), before its create steps are planned; throws a
   * PreconditionError when nothing is free. Omitted: the metadata as it is.
   */
  allocate?(config: Config, state: BackendPairState, v: VolumeIdentity, meta: VolumeMetaInput): VolumeMetaInput;

  /** Does it make a filesystem on a device and mount it at the volume's path (here: mkfs.xfs)? */
  makesFilesystem(config: Config): boolean;
  /** The device mounted at the volume's path on a host that has it, or null (no own mount). */
  mountedDevice(config: Config, v: VolumeIdentity): string | null;
  /** Mirrored backends whose volumes are directories of the NFS root filesystem itself (sync copies the root). */
  readonly inRootFilesystem: boolean;
  /** Where one volume's storage is, for messages ("LV vg0/pv.a.b"). */
  describe(config: Config, v: VolumeIdentity): string;
  /** Where its metadata record of `v` lives, for refusals ("LV tags"). */
  metaRecord(config: Config): string;
  /** A derived name of `v` this backend cannot take (too long...), or null. Runs before anything is contacted. */
  nameProblem(config: Config, v: VolumeIdentity): string | null;

  /** Register this backend's reads of one host (only called when its section is configured). */
  readHost(config: Config, inv: HostInventory, read: ReadOnHost): void;
  /** Shared backends: read the cluster once for the pair (null: nothing to read). */
  readCluster(config: Config, host: Host): Promise<ClusterInventory> | null;
  /** Metadata records this host holds (mirrored backends; shared ones keep theirs in the cluster). */
  hostMetas(inv: HostInventory): Iterable<VolumeMeta>;
  /** This host's own record of `v` (undefined: none here; null: one that does not parse). */
  metaOnHost(inv: HostInventory, v: VolumeIdentity): VolumeMeta | null | undefined;
  /** One host's view of `v`'s storage. `cluster`: this backend's cluster inventory, if any. */
  storageState(
    config: Config,
    inv: HostInventory,
    v: VolumeIdentity,
    cluster: ClusterInventory | undefined,
  ): StorageState;
  /** Used against capacity (and inodes) of `v` on this host from the backend's own accounting; null: it cannot tell (never 0 for unknown). */
  usage(config: Config, inv: HostInventory, v: VolumeIdentity, cluster: ClusterInventory | undefined): Usage | null;
  /** Does this host (or the cluster, for shared storage) hold nfsctl's metadata for exactly `v`? */
  owns(state: BackendPairState, role: PairRole, v: VolumeIdentity): boolean;
  /** Is anything of this backend at `v`'s place (a half-created volume that lost its metadata)? */
  leftover(state: BackendPairState, v: VolumeIdentity): boolean;
  /** What of this backend is at `v`'s place on `role` without nfsctl's metadata for `v` (refused by delete). */
  foreignProblems(config: Config, state: BackendPairState, role: PairRole, v: VolumeIdentity): string[];
  /** Why `extra` more bytes do not fit (one line per host or pool); `available`: what `available()` said. */
  room(config: Config, state: BackendPairState, extra: number, available: number | null | undefined): string[];
  /** Shared backends: bytes the cluster can still take, or null when it cannot tell. */
  available(config: Config, host: Host): Promise<number | null>;

  /** Steps that create `v`'s storage on one host, before it is exported. */
  createSteps(
    config: Config,
    role: PairRole,
    inv: HostInventory,
    v: VolumeIdentity,
    size: number,
    meta: VolumeMetaInput,
    opts: CreateOptions,
  ): Step[];
  /** Steps that grow `v` to `size` on one host. */
  resizeSteps(
    config: Config,
    role: PairRole,
    inv: HostInventory,
    v: VolumeIdentity,
    size: number,
    oldSize: number,
    opts: ResizeOptions,
  ): Step[];
  /** Steps that record the new size in the metadata (after the resize steps); `holder`: where shared records are written from. */
  recordSizeSteps(config: Config, state: BackendPairState, view: BackendVolume, size: number, holder: PairRole): Step[];
  /** Steps that destroy `v`'s storage on one host that owns it (after unmount and fstab). */
  removeSteps(config: Config, role: PairRole, inv: HostInventory, v: VolumeIdentity, opts: RemoveOptions): Step[];
  /**
   * Steps that let go of `v` on one host when it is retired (data kept, after unmount and
   * fstab), for what a retired volume must not hold (an RBD mapping); none when absent.
   */
  releaseSteps?(config: Config, role: PairRole, v: VolumeIdentity): Step[];
  /** Every metadata record of `view` that can be rewritten (intent marks), one per copy. */
  metaWrites(config: Config, state: BackendPairState, view: BackendVolume): MetaWrite[];

  /** The `spec` volume source of the Kubernetes PV (nfs from the VIP for every NFS-served backend). */
  pvSource(config: Config, v: VolumeIdentity): Record<string, unknown>;
  /**
   * Ganesha: the FSAL of the volume's EXPORT (null: the default, FSAL VFS on the local path).
   * A backend whose storage ganesha reads itself (CephFS) returns e.g. `{ name: 'CEPH',
   * params: [['Filesystem', 'cephfs'], ['User_Id', 'nfs']], path: '/volumes/_nogroup/x/uuid' }`;
   * `cluster`: its cluster inventory, when read. A server that cannot serve an FSAL (the kernel's) refuses the export.
   */
  ganeshaFsal(config: Config, v: VolumeIdentity, cluster: ClusterInventory | undefined): GaneshaFsal | null;
  /** What a VIP move does to its clients; null: the default for its placement. */
  readonly movePromise: MovePromise | null;

  /** Health: per-host checks of what the backend needs (client tools, cluster reachable). */
  readonly health: {
    id: string;
    title: string;
    /** Findings for one host; [] when the backend is not configured. */
    host(config: Config, role: PairRole, host: Host, timeoutMs: number): Promise<Finding[]>;
    /** Room on one host, from its inventory. */
    room(config: Config, inv: HostInventory): Finding[];
    /** Room across the pair (mirrored: both hosts should have equal room). */
    pairRoom(config: Config, primary: HostInventory | undefined, backup: HostInventory | undefined): Finding[];
  };
  /** Troubleshoot (the mount runbook): backend-specific links of the chain; null: nothing to check. */
  readonly troubleshoot: {
    /** The storage behind it is healthy (e.g. the Ceph cluster), asked on `host`. */
    backend(config: Config, host: Host, timeoutMs: number): Promise<BackendFinding | null>;
    /** The volume is in place on the serving host when it has no mount of its own (a directory with its quota). */
    inPlace(
      config: Config,
      role: PairRole,
      host: Host,
      v: VolumeIdentity,
      timeoutMs: number,
    ): Promise<BackendFinding | null>;
    /**
     * Remove the trial mount's probe files (names `prefix` + digits-digits) from the volume on
     * `host`, for a backend whose volume has no directory on the host (the chain removes them
     * by `v.path` otherwise). Resolves to null when done, else why not.
     */
    removeProbes?(
      config: Config,
      host: Host,
      v: VolumeIdentity,
      cluster: ClusterInventory | undefined,
      prefix: string,
      timeoutMs: number,
    ): Promise<string | null>;
  };
  /**
   * shared-vip, replicated: what attaches (`gained`) or detaches the volumes on `role` when keepalived
   * moves the VIP, with `serve(v)` (the export / unexport step, null: nothing to do) at the
   * right place. `recordedOnly`: what a host that cannot attach (a lab) would have run, and
   * `why` not. Other placements return no steps.
   */
  followVip(
    config: Config,
    role: PairRole,
    inv: HostInventory,
    views: readonly FollowingVolume[],
    gained: boolean,
    serve: (v: FollowingVolume) => Step | null,
  ): FollowVipResult;
}

/** Any backend, whatever its section type. */
export type AnyVolumeBackend = VolumeBackend<string, any>;

/** Does every host keep its own copy that rsync keeps in step (false for replicated: DRBD does)? */
export function isMirrored(b: Pick<VolumeBackend, 'placement'>): boolean {
  return b.placement === 'mirrored';
}

/** Do both hosts export it (mirrored, shared-both), or only the VIP holder (shared-vip, replicated)? */
export function servedByBoth(b: Pick<VolumeBackend, 'placement'>): boolean {
  return b.placement !== 'shared-vip' && b.placement !== 'replicated';
}

/** Is it served only where the VIP is, and moved by keepalived's notify hook (shared-vip, replicated)? */
export function followsVip(b: Pick<VolumeBackend, 'placement'>): boolean {
  return b.placement === 'shared-vip' || b.placement === 'replicated';
}

/**
 * Is its filesystem mounted, and so exported, on the VIP holder only: a DRBD volume, or an RBD
 * image nfsctl maps (not with backends.rbd.map: false, where only the export follows)? The
 * new holder adds it to its exports when it serves it, the old one drops the line (an
 * `exportfs -ra` there would otherwise export the bare mount point directory), and the
 * standby holds NFS traffic to the VIP until it serves.
 */
export function holderOnly(b: Pick<VolumeBackend, 'placement' | 'makesFilesystem'>, config: Config): boolean {
  return b.placement === 'replicated' || (b.placement === 'shared-vip' && b.makesFilesystem(config));
}

/** Does each host hold a copy of its own on local storage (mirrored, replicated), not one shared copy? */
export function hasCopyPerHost(b: Pick<VolumeBackend, 'placement'>): boolean {
  return b.placement === 'mirrored' || b.placement === 'replicated';
}

/** The PV source of every backend NFS clients reach through the VIP. */
export function nfsPvSource(config: Config, v: VolumeIdentity): Record<string, unknown> {
  return { nfs: { server: config.vip, path: v.path } };
}
