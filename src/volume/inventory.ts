// What each storage host actually has, gathered with a handful of commands per host (never
// one per volume), in parallel over the host's one connection. Everything nfsctl shows or
// plans about volumes starts here.
import type { Config, PairRole } from '../config/schema.js';
import { fileContent, type Host, type RunResult } from '../host/host.js';
import { readFileArgv } from '../host/atomic-write.js';
import type { LvmLv, LvmVg, VolumeMeta } from '../core/lvm-json.js';
import type { ExportsFile } from '../core/exports-file.js';
import { parseFstab, type FstabFile } from '../core/fstab.js';
import { servedWhileMounted, type ServedExport } from '../core/exportfs-v.js';
import { exporterOf } from './nfs-server/registry.js';
import type { RbdListEntry } from '../core/ceph-json.js';
import { HostUnreachableError } from '../core/errors.js';
import { configuredBackends } from './backend/registry.js';
import type { ClusterInventory, ReadOnHost } from './backend/contract.js';
import type { DrbdState } from '../core/drbd.js';
import { mapLimit } from '../core/concurrency.js';
import { DF_ARGV, parseDf, parseRbdDu, parseXfsQuotaReport, type DfEntry, type RbdDuEntry } from '../core/usage.js';

export interface XfsProject {
  id: number;
  usedBytes: number;
  hardBytes: number;
  softBytes?: number;
  inodesUsed?: number | null;
  inodesHard?: number | null;
}

export interface MountEntry {
  source: string;
  target: string;
  fstype: string;
  options: string;
}

export interface HostInventory {
  role: PairRole;
  reachable: boolean;
  error?: string;
  lvs: LvmLv[];
  vg?: LvmVg;
  xfs?: { projects: Map<number, XfsProject>; metas: VolumeMeta[]; sizeBytes: number; freeBytes: number };
  exportsText: string | null;
  exports: ExportsFile | null;
  /** Ganesha: nfsctl's per-volume export files (name -> content). */
  ganeshaFiles: Map<string, string>;
  served: ServedExport[];
  servedError?: string;
  mounts: MountEntry[];
  fstabText: string | null;
  fstab: FstabFile | null;
  /** Directories that exist under the NFS root (one level). */
  dirs: Set<string>;
  /** What other backends read from this host (their readHost), by backend name. */
  extra: Record<string, unknown>;
  /** df of the local filesystems mounted under the NFS root, by mount point (volume usage). */
  df?: Map<string, DfEntry>;
  /** DRBD (the drbd backend's readHost): states and nfsctl's marked resource files, by resource name. */
  drbd?: DrbdInventory;
}

export interface DrbdInventory {
  /** By resource name: nfsctl's resources (from their files) joined with /proc/drbd. */
  states: Map<string, DrbdState>;
  /** nfsctl's marked resource files' contents, by resource name. */
  files: Map<string, string>;
  /** Minors and ports taken on this host by any resource file (ours or not) or /proc/drbd. */
  used?: { minors: number[]; ports: number[]; resources: string[] };
  /** Resource files under the resource directory without nfsctl's mark, by file name -> resources they define. */
  foreign?: Map<string, string[]>;
  /** nfsctl's LVs (tagged) in the drbd backend's volume group, and that group. */
  lvs?: LvmLv[];
  vg?: LvmVg;
  /** /proc/drbd as read (null: no such file, the module is not loaded). */
  procText?: string | null;
  error?: string;
}

export interface RbdInventory extends ClusterInventory {
  images: RbdListEntry[];
  /** `rbd du` per image (only read where images are not mapped: see rbdUsageArgv). */
  du?: Map<string, RbdDuEntry>;
}

export const XFS_META_DIR = '.nfsctl/meta';

export function xfsMetaPath(root: string, project: string): string {
  return `${root}/${XFS_META_DIR}/${project}.json`;
}

export function lvmArgs(config: Config): string[] {
  // Lab hosts without device-mapper: LVM must not try to activate anything.
  return config.backends.lvm?.metadataOnly ? ['--config', 'global { activation = 0 }'] : [];
}

export function rbdArgs(config: Config): string[] {
  const r = config.backends.rbd!;
  return ['--conf', r.cephConf, '--id', r.id, ...(r.keyring ? ['--keyring', r.keyring] : [])];
}

function parseProcMounts(text: string): MountEntry[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [source = '', target = '', fstype = '', options = ''] = l.split(' ');
      return { source: unescape(source), target: unescape(target), fstype, options };
    });
}

/** `xfs_quota -x -c 'report -p -n -N -b -i'`: blocks (KiB) and inodes per project (src/core/usage.ts). */
export function parseXfsProjectReport(text: string): Map<number, XfsProject> {
  const m = new Map<number, XfsProject>();
  for (const [id, q] of parseXfsQuotaReport(text))
    m.set(id, {
      id,
      usedBytes: q.usedBytes,
      hardBytes: q.hardBytes,
      softBytes: q.softBytes,
      inodesUsed: q.inodesUsed,
      inodesHard: q.inodesHard,
    });
  return m;
}

/** Several files in one round trip: each is preceded by a "==> name <==" line. */
// Every "*<suffix>" file of a directory with a "==> name <==" header, in ONE `tail` per few
// thousand files (find -exec +): a shell loop with one `cat` per file took 4 s for 5,000
// volumes. Each batch ends with a newline, so every file's text is followed by exactly one
// "\n" before the next header, as with `printf "\n"` after each file. Dot files (temp files
// of an atomic write) are left out, as a shell glob would.
const CAT_DIR =
  'cd "$1" 2>/dev/null || exit 0; find . -maxdepth 1 -type f -name "*$2" ! -name ".*" -exec sh -c \'tail -v -n +1 -- "$@" && printf "\\n"\' nfsctl-cat {} +';
/** argv printing every `<dir>/*<suffix>` file (see CAT_DIR); splitCat reads its output back. */
export function catDirArgv(dir: string, suffix: string, tag: string): string[] {
  return ['sh', '-c', CAT_DIR, tag, dir, suffix];
}
export function splitCat(text: string): Map<string, string> {
  const files = new Map<string, string>();
  const parts = text.split(/^==> (?:\.\/)?(.+) <==\n/m);
  for (let i = 1; i < parts.length; i += 2) files.set(parts[i]!, parts[i + 1]!.replace(/\n$/, ''));
  return files;
}

/** The running NFS server's own list of what it serves (exportfs -v, or ganesha over dbus). */
export function servedArgv(config: Config): string[] {
  return exporterOf(config).servedArgv(config);
}
export function parseServed(config: Config, stdout: string): ServedExport[] {
  return exporterOf(config).parseServed(stdout);
}

/**
 * A host's inventory. `alsoRead` adds a caller's own reads to the same batch (what nfsctl does
 * not manage, for `volume list` and `health`): a command it shares with the backends (the
 * VG's `lvs`) runs once (host/batch.ts). Its uses are not called when the host did not answer.
 */
export async function hostInventory(
  config: Config,
  role: PairRole,
  host: Host,
  alsoRead?: (read: ReadOnHost) => void,
): Promise<HostInventory> {
  const inv = emptyInventory(role);
  // Every read is independent: one batch, one process (one SSH channel) on the host.
  const reads: { argv: string[]; use: (r: RunResult) => void }[] = [];
  const read = (argv: string[], use: (r: RunResult) => void) => void reads.push({ argv, use });
  alsoRead?.(read);
  for (const b of configuredBackends(config)) b.readHost(config, inv, read);
  exporterOf(config).readHost(config, inv, read);
  read(readFileArgv('/proc/mounts'), (r) => void (inv.mounts = parseProcMounts(fileContent(r, '/proc/mounts') ?? '')));
  read(readFileArgv('/etc/fstab'), (r) => {
    const t = fileContent(r, '/etc/fstab');
    inv.fstabText = t;
    inv.fstab = parseFstab(t ?? '');
  });
  read(['find', config.nfs.root, '-mindepth', '1', '-maxdepth', '1', '-type', 'd'], (r) => {
    inv.dirs = new Set(r.stdout.split('\n').filter(Boolean));
  });
  // Usage of mounted volumes (LVs, mapped RBD images): one df of the local filesystems, the
  // lines under the NFS root kept (df exits 1 when one filesystem cannot be read: the others
  // are still printed and used).
  read(DF_ARGV, (r) => {
    const under = `${config.nfs.root}/`;
    inv.df = new Map([...parseDf(r.stdout)].filter(([target]) => target.startsWith(under)));
  });
  let results: RunResult[];
  try {
    results = await host.runMany(reads.map((x) => x.argv));
  } catch (err) {
    if (err instanceof HostUnreachableError) return emptyInventory(role, err.message);
    throw err;
  }
  reads.forEach((x, i) => x.use(results[i]!));
  // an `mp` export of an unmounted path is listed but not served (a DRBD holder booted after a crash)
  inv.served = servedWhileMounted(inv.served, new Set(inv.mounts.map((m) => m.target)));
  return inv;
}

/**
 * What the shared backends read once for the pair (their cluster: a Ceph pool...), by backend
 * name. The cluster is shared: ask whichever host answers, in the given order.
 */
export async function clusterInventories(
  config: Config,
  hosts: readonly Host[],
): Promise<Partial<Record<string, ClusterInventory>>> {
  const out: Partial<Record<string, ClusterInventory>> = {};
  await Promise.all(
    configuredBackends(config).map(async (b) => {
      let last: Error | undefined;
      for (const h of hosts) {
        try {
          const c = b.readCluster(config, h);
          if (c === null) return;
          out[b.name] = await c;
          return;
        } catch (err) {
          last = err as Error;
        }
      }
      out[b.name] = { metas: new Map(), error: last?.message ?? 'no host answered' };
    }),
  );
  return out;
}

export function ganeshaDbus(
  method: 'ShowExports' | 'AddExport' | 'RemoveExport' | 'UpdateExport',
  ...args: string[]
): string[] {
  return [
    'dbus-send',
    '--system',
    '--print-reply',
    '--reply-timeout=10000',
    '--dest=org.ganesha.nfsd',
    '/org/ganesha/nfsd/ExportMgr',
    `org.ganesha.nfsd.exportmgr.${method}`,
    ...args,
  ];
}

export async function pairInventory(
  config: Config,
  hosts: Record<PairRole, Host>,
  alsoRead?: (role: PairRole, read: ReadOnHost) => void,
): Promise<Record<PairRole, HostInventory>> {
  const [primary, backup] = await Promise.all(
    (['primary', 'backup'] as const).map((role) =>
      hostInventory(config, role, hosts[role], alsoRead && ((read) => alsoRead(role, read))).catch((err: Error) =>
        emptyInventory(role, err.message),
      ),
    ),
  );
  return { primary: primary!, backup: backup! };
}

/** An inventory with nothing in it: a host being read, or (with an error) one that did not answer. */
export function emptyInventory(role: PairRole, unreachableError?: string): HostInventory {
  const inv: HostInventory = {
    role,
    reachable: unreachableError === undefined,
    lvs: [],
    exportsText: null,
    exports: null,
    ganeshaFiles: new Map(),
    served: [],
    mounts: [],
    fstabText: null,
    fstab: null,
    dirs: new Set(),
    extra: {},
  };
  if (unreachableError !== undefined) inv.error = unreachableError;
  return inv;
}
