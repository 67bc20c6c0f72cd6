// The contract every NFS server kind (`nfs.server`) implements: one file in this directory
// exporting one Exporter object, plus one line in registry.ts. Nothing else in nfsctl
// switches on the server's name: the code asks the exporter to do a thing, or reads one of
// its capabilities (how a write freeze is done, whether it reads /etc/nfs.conf...).
import type { Config, PairRole } from '../../config/schema.js';
import type { Host } from '../../host/host.js';
import type { Step } from '../../plan/plan.js';
import type { ServedExport } from '../../core/exportfs-v.js';
import type { HostInventory } from '../inventory.js';
import type { VolumeIdentity } from '../identity.js';
import type { ReadOnHost } from '../backend/contract.js';

export interface ExportSpec {
  clients: string[];
  options: string[];
  /**
   * Serve the path only while a filesystem is mounted there (the kernel's `mp`). For volumes
   * served by the VIP holder only (DRBD): a holder that crashes keeps its line, and when it
   * boots again its mount point is a bare directory of the root filesystem, which `exportfs -ra`
   * would otherwise export under the volume's fsid. Ganesha has no such option (its files are
   * written on the holder only and removed on the next transition).
   */
  onlyWhenMounted?: boolean;
}

/**
 * A ganesha FSAL other than VFS, supplied by a backend whose storage ganesha reads itself
 * (CephFS: `FSAL { Name = CEPH; Filesystem = "cephfs"; User_Id = "nfs"; }`). Servers that
 * export a local path (the kernel's) refuse it.
 */
export interface GaneshaFsal {
  /** FSAL name (letters, digits, _). */
  name: string;
  /** Further FSAL parameters, in order; values are quoted for ganesha's grammar. */
  params: readonly (readonly [key: string, value: string])[];
  /** The export's Path inside that FSAL (default: the volume's path); Pseudo stays the volume's path. */
  path?: string;
  /**
   * Without `path`: the argv that prints it on a host, for storage whose Path exists only once
   * the create steps made it (a CephFS subvolume's); run when the EXPORT block is written.
   */
  pathArgv?: readonly string[];
}

export interface Exporter<Name extends string = string> {
  /** The `nfs.server` value. */
  readonly name: Name;
  /** Who serves, for messages: "the kernel NFS server (exportfs -v)". */
  readonly servedBy: string;
  /** Where nfsctl's export config lives on a host (a file or a directory), for messages. */
  configLocation(config: Config): string;
  /** Refuse clients and options this server cannot represent, before anything is planned (exit 2). */
  checkSpec(spec: ExportSpec): void;
  /** Can it serve a volume whose backend supplies its own ganesha FSAL? */
  readonly servesFsal: boolean;

  /** Register the reads of its config and of what it serves into a host's batch. */
  readHost(config: Config, inv: HostInventory, read: ReadOnHost): void;
  /** argv printing what the running server serves, and its parser. */
  servedArgv(config: Config): string[];
  parseServed(stdout: string): ServedExport[];
  /** Is `v` in this host's export config, and for which clients? */
  exportState(
    config: Config,
    inv: HostInventory,
    v: VolumeIdentity,
  ): {
    configured: boolean;
    clients: string[];
    /** Every client gets read-only access (ro, Access_Type = RO). */ readOnly?: boolean;
  };

  /** Steps that make `v` exported on one host (idempotent: an existing export is updated). */
  exportSteps(
    config: Config,
    role: PairRole,
    inv: HostInventory,
    v: VolumeIdentity,
    spec: ExportSpec,
    fsal: GaneshaFsal | null,
  ): Step[];
  /** Steps that stop exporting `v` on one host; nothing when it is not exported there. */
  unexportSteps(config: Config, role: PairRole, inv: HostInventory, v: VolumeIdentity): Step[];

  /** argvs that (re)serve configured exports at runtime: all of them (kernel), or these volumes' (ganesha). */
  serveArgvs(config: Config, vs: readonly VolumeIdentity[]): string[][];
  /** argvs that stop serving `v` at runtime, its config kept; `servedId`: the id it is served under. */
  unserveArgvs(config: Config, v: VolumeIdentity, clients: readonly string[], servedId: number | undefined): string[][];

  /**
   * argv that makes the server let go of paths it no longer exports, so they can be unmounted
   * (run between the tries of a busy unmount, src/volume/unmount.ts); null: nothing to run.
   */
  readonly releaseArgv: readonly string[] | null;
  /** The write freeze of a switchover stops the whole server (true), or removes each export (false). */
  readonly freezeStopsServer: boolean;
  /** Does the server read exports(5) files (so export lines written by hand or by the old service are its config)? */
  readonly readsExportsFile: boolean;
  /** Settings in /etc/nfs.conf govern it (nfsd scope, grace, pinned ports): checked by `ha lint`. */
  readonly usesNfsConf: boolean;
  /** Its NFSv3 locks go through nfs-utils' rpc.statd, so `sm-notify -f -v <VIP>` on the new VIP holder tells clients to reclaim them (ha/nlm.ts). */
  readonly nlmViaStatd: boolean;
  /** Its exports carry an fsid option nfsctl derives (checked the same on both hosts by `ha lint`). */
  readonly fsidInExports: boolean;
  /** Clients that have `v` mounted, as far as the server can tell; null: it keeps no such table. */
  activeClients(host: Host, v: VolumeIdentity): Promise<string[] | null>;
}

export type AnyExporter = Exporter<string>;
