// What each storage host actually has, gathered with a handful of commands per host (never
// one per volume), in parallel over the host's one connection. Everything nfsctl shows or
// plans about volumes starts here.
import type { Config, PairRole } from '../config/schema.js';
import { fileContent, type Host, type RunResult } from '../host/host.js';
import { readFileArgv } from '../host/atomic-write.js';
import { parseLvsJson, parseVgsJson, NFSCTL_TAG, type LvmLv, type LvmVg, type VolumeMeta, VolumeMetaSchema } from '../core/lvm-json.js';
import { parseExports, type ExportsFile } from '../core/exports-file.js';
import { parseFstab, type FstabFile } from '../core/fstab.js';
import { parseExportfsV, type ServedExport } from '../core/exportfs-v.js';
import { parseShowExports } from '../core/ganesha.js';
import { parseRbdListLong, type RbdListEntry } from '../core/ceph-json.js';
import { HostUnreachableError } from '../core/errors.js';
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
  /** df of the local filesystems mounted under the NFS root, by mount point (volume usage). */
  df?: Map<string, DfEntry>;
}

export interface RbdInventory {
  images: RbdListEntry[];
  metas: Map<string, VolumeMeta>;
  error?: string;
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
  for (const [id, q] of parseXfsQuotaReport(text)) m.set(id, { id, usedBytes: q.usedBytes, hardBytes: q.hardBytes, softBytes: q.softBytes, inodesUsed: q.inodesUsed, inodesHard: q.inodesHard });
  return m;
}

/** Several files in one round trip: each is preceded by a "==> name <==" line. */
// Every "*<suffix>" file of a directory with a "==> name <==" header, in ONE `tail` per few
// thousand files (find -exec +): a shell loop with one `cat` per file took 4 s for 5,000
// volumes. Each batch ends with a newline, so every file's text is followed by exactly one
// "\n" before the next header, as with `printf "\n"` after each file. Dot files (temp files
// of an atomic write) are left out, as a shell glob would.
const CAT_DIR = 'cd "$1" 2>/dev/null || exit 0; find . -maxdepth 1 -type f -name "*$2" ! -name ".*" -exec sh -c \'tail -v -n +1 -- "$@" && printf "\\n"\' nfsctl-cat {} +';
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
  return config.nfs.server === 'kernel' ? ['exportfs', '-v'] : ganeshaDbus('ShowExports');
}
export function parseServed(config: Config, stdout: string): ServedExport[] {
  return config.nfs.server === 'kernel' ? parseExportfsV(stdout) : parseShowExports(stdout).map((e) => ({ path: e.path, clients: [], exportId: e.exportId }));
}

export async function hostInventory(config: Config, role: PairRole, host: Host): Promise<HostInventory> {
  const inv = emptyInventory(role);
  // Every read is independent: one batch, one process (one SSH channel) on the host.
  const reads: { argv: string[]; use: (r: RunResult) => void }[] = [];
  const read = (argv: string[], use: (r: RunResult) => void) => reads.push({ argv, use });
  const lvm = config.backends.lvm;
  if (lvm) {
    read(['lvs', ...lvmArgs(config), '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'lv_name,vg_name,lv_size,lv_tags,lv_attr,lv_path,lv_uuid', lvm.vg], (r) => {
      if (r.exitCode === 0) inv.lvs = parseLvsJson(r.stdout).filter((lv) => lv.tags.includes(NFSCTL_TAG));
      else inv.error = `lvs: ${r.stderr.trim()}`;
    });
    read(['vgs', ...lvmArgs(config), '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'vg_name,vg_size,vg_free,vg_extent_size', lvm.vg], (r) => {
      if (r.exitCode === 0) inv.vg = parseVgsJson(r.stdout)[0];
    });
  }
  const xfs = config.backends.xfsquota;
  if (xfs) {
    const xfsInv: NonNullable<HostInventory['xfs']> = { projects: new Map(), metas: [], sizeBytes: 0, freeBytes: 0 };
    inv.xfs = xfsInv;
    read(['xfs_quota', '-x', '-c', 'report -p -n -N -b -i', xfs.root], (r) => {
      if (r.exitCode === 0) xfsInv.projects = parseXfsProjectReport(r.stdout);
    });
    read(['df', '-B1', '--output=size,avail', xfs.root], (r) => {
      const [size = '0', avail = '0'] = r.stdout.trim().split('\n')[1]?.trim().split(/\s+/) ?? [];
      xfsInv.sizeBytes = Number(size);
      xfsInv.freeBytes = Number(avail);
    });
    read(catDirArgv(`${xfs.root}/${XFS_META_DIR}`, '.json', 'nfsctl-meta'), (r) => {
      xfsInv.metas = [...splitCat(r.stdout).values()].flatMap((t) => {
        const p = VolumeMetaSchema.safeParse(safeJson(t));
        return p.success ? [p.data] : [];
      });
    });
  }
  if (config.nfs.server === 'kernel') {
    read(readFileArgv(config.nfs.exportsFile), (r) => {
      const t = fileContent(r, config.nfs.exportsFile);
      inv.exportsText = t;
      inv.exports = parseExports(t ?? '');
    });
    read(servedArgv(config), (r) => {
      if (r.exitCode === 0) inv.served = parseServed(config, r.stdout);
      else inv.servedError = r.stderr.trim() || `exportfs -v exit ${r.exitCode}`;
    });
  } else {
    read(catDirArgv(config.nfs.ganeshaExportsDir, '.conf', 'nfsctl-ganesha'), (r) => {
      inv.ganeshaFiles = splitCat(r.stdout);
    });
    read(servedArgv(config), (r) => {
      if (r.exitCode === 0) inv.served = parseServed(config, r.stdout);
      else inv.servedError = r.stderr.trim() || `ganesha ShowExports exit ${r.exitCode}`;
    });
  }
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
  return inv;
}

function safeJson(t: string): unknown {
  try {
    return JSON.parse(t);
  } catch {
    return null;
  }
}

export function ganeshaDbus(method: 'ShowExports' | 'AddExport' | 'RemoveExport' | 'UpdateExport', ...args: string[]): string[] {
  return ['dbus-send', '--system', '--print-reply', '--reply-timeout=10000', '--dest=org.ganesha.nfsd', '/org/ganesha/nfsd/ExportMgr', `org.ganesha.nfsd.exportmgr.${method}`, ...args];
}

/** RBD images are shared by the pair: list them once, with metadata, bounded parallelism. */
export async function rbdInventory(config: Config, host: Host): Promise<RbdInventory> {
  const r = config.backends.rbd!;
  const ls = await host.run(['rbd', ...rbdArgs(config), 'ls', '-l', '--format', 'json', '--pool', r.pool]);
  if (ls.exitCode !== 0) return { images: [], metas: new Map(), error: ls.stderr.trim() };
  const images = parseRbdListLong(ls.stdout).filter((i) => i.image.startsWith("pv.") && !i.snapshot);
  const metas = new Map<string, VolumeMeta>();
  // `rbd ls -l` cannot show image metadata: one `image-meta get` per nfsctl image.
  await mapLimit(images, 8, async (img) => {
    const m = await host.run(['rbd', ...rbdArgs(config), 'image-meta', 'get', `${r.pool}/${img.image}`, 'nfsctl.meta']);
    if (m.exitCode !== 0) return;
    const p = VolumeMetaSchema.safeParse(safeJson(m.stdout.trim()));
    if (p.success) metas.set(img.image, p.data);
  });
  const out: RbdInventory = { images, metas };
  if (!r.map && images.length > 0) {
    // unmapped images have no filesystem to df: the pool's own accounting (one command)
    const du = await host.run(rbdUsageArgv(config));
    if (du.exitCode === 0) out.du = parseRbdDu(du.stdout);
  }
  return out;
}

/** `rbd du` of the whole pool, JSON (without fast-diff it reads each image's object map). */
export function rbdUsageArgv(config: Config): string[] {
  return ['rbd', ...rbdArgs(config), 'du', '--format', 'json', '--pool', config.backends.rbd!.pool];
}

export async function pairInventory(config: Config, hosts: Record<PairRole, Host>): Promise<Record<PairRole, HostInventory>> {
  const [primary, backup] = await Promise.all((['primary', 'backup'] as const).map((role) => hostInventory(config, role, hosts[role]).catch((err: Error) => emptyInventory(role, err.message))));
  return { primary: primary!, backup: backup! };
}

/** An inventory with nothing in it: a host being read, or (with an error) one that did not answer. */
export function emptyInventory(role: PairRole, unreachableError?: string): HostInventory {
  const inv: HostInventory = { role, reachable: unreachableError === undefined, lvs: [], exportsText: null, exports: null, ganeshaFiles: new Map(), served: [], mounts: [], fstabText: null, fstab: null, dirs: new Set() };
  if (unreachableError !== undefined) inv.error = unreachableError;
  return inv;
}
