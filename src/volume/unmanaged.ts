// Volume-shaped things on the pair that nfsctl does not manage: an LV of the VG mounted (or
// in fstab) under the NFS root, a directory under the root, an export line for a path under
// it, without nfsctl's metadata or marker. The old provisioning service left exactly these
// (one LV per volume at /nfs/{namespace}{name}, a line in /etc/exports); `volume list` and
// `health` show them, and `volume adopt` takes them over. Reads only.
import { lvsArgv } from './backend/lvm.js';
import { exporterOf } from './nfs-server/registry.js';
import type { Config, PairRole } from '../config/schema.js';
import { fileContent, type Host, type RunResult } from '../host/host.js';
import { readFileArgv } from '../host/atomic-write.js';
import { parseLvsJson, NFSCTL_TAG, type LvmLv } from '../core/lvm-json.js';
import { parseExports, normalizeExportPath, type ExportEntry } from '../core/exports-file.js';
import { findMounts, type FstabMount } from '../core/fstab.js';
import { HostUnreachableError } from '../core/errors.js';
import { catDirArgv, splitCat, XFS_META_DIR, type HostInventory, type MountEntry } from './inventory.js';
import type { VolumeView } from './state.js';
import type { ReadOnHost } from './backend/contract.js';

/** The kernel exports files besides nfsctl's own: where hand-made and old lines live. */
export const SYSTEM_EXPORTS = '/etc/exports';
export const EXPORTS_D = '/etc/exports.d';

export interface ForeignReads {
  reachable: boolean;
  error?: string;
  /** Every LV of the VG (tagged ones too: a tagged LV is managed, never listed here). */
  lvs: LvmLv[];
  /** Kernel exports files (path -> text): /etc/exports, /etc/exports.d/*.exports. */
  exportFiles: Map<string, string>;
}

/**
 * Registers the reads of what nfsctl does not manage on a host (into `hostInventory`'s batch,
 * or a batch of their own: readForeign) and returns what they fill in.
 */
export function readForeignVia(config: Config, read: ReadOnHost): ForeignReads {
  const out: ForeignReads = { reachable: true, lvs: [], exportFiles: new Map() };
  if (config.backends.lvm) {
    read(lvsArgv(config, config.backends.lvm.vg), (r) => {
      if (r.exitCode === 0) out.lvs = parseLvsJson(r.stdout);
      else out.error = `lvs: ${r.stderr.trim()}`;
    });
  }
  if (exporterOf(config).readsExportsFile) {
    read(readFileArgv(SYSTEM_EXPORTS), (r) => {
      const t = fileContent(r, SYSTEM_EXPORTS);
      if (t !== null) out.exportFiles.set(SYSTEM_EXPORTS, t);
    });
    read(catDirArgv(EXPORTS_D, '.exports', 'nfsctl-exports-d'), (r) => {
      for (const [name, text] of splitCat(r.stdout)) out.exportFiles.set(`${EXPORTS_D}/${name}`, text);
    });
  }
  return out;
}

/** What a host that did not answer shows of foreign things: nothing, and why. */
export function unreachableForeign(error: string | undefined): ForeignReads {
  return { reachable: false, ...(error === undefined ? {} : { error }), lvs: [], exportFiles: new Map() };
}

/**
 * The foreign reads riding in a host inventory's batch: `read` goes to hostInventory's
 * `alsoRead`, `of` gives what they filled in once it returned (nothing, and why, for a host
 * that did not answer).
 */
export function foreignInBatch(config: Config): {
  read: (read: ReadOnHost) => void;
  of: (inv: HostInventory) => ForeignReads;
} {
  let out: ForeignReads | undefined;
  return {
    read: (read) => void (out = readForeignVia(config, read)),
    of: (inv) => (inv.reachable && out ? out : unreachableForeign(inv.error)),
  };
}

export async function readForeign(config: Config, host: Host): Promise<ForeignReads> {
  const reads: { argv: string[]; use: (r: RunResult) => void }[] = [];
  const out = readForeignVia(config, (argv, use) => void reads.push({ argv, use }));
  try {
    const res = await host.runMany(reads.map((x) => x.argv));
    res.forEach((r, i) => reads[i]!.use(r));
  } catch (err) {
    if (err instanceof HostUnreachableError) return unreachableForeign(err.message);
    throw err;
  }
  return out;
}

export async function readForeignPair(
  config: Config,
  hosts: Record<PairRole, Host>,
): Promise<Record<PairRole, ForeignReads>> {
  const [primary, backup] = await Promise.all(
    (['primary', 'backup'] as const).map((r) =>
      readForeign(config, hosts[r]).catch((err: Error) => unreachableForeign(err.message)),
    ),
  );
  return { primary: primary!, backup: backup! };
}

export interface ForeignExport {
  file: string;
  entry: ExportEntry;
}

export interface UnmanagedHost {
  reachable: boolean;
  dir: boolean;
  lv: LvmLv | null;
  mount: MountEntry | null;
  /** fstab entries for the mount point (none of them nfsctl's). */
  fstab: FstabMount[];
  exports: ForeignExport[];
}

export interface UnmanagedVolume {
  path: string;
  /** The directory's name under the root. */
  dir: string;
  /** What it looks like: an LV (mounted or in fstab), or only a directory / an export line. */
  kind: 'lv' | 'dir' | 'export';
  hosts: Record<PairRole, UnmanagedHost>;
  /** Where the two hosts disagree, or what is missing; empty when consistent. */
  differences: string[];
}

/** /dev/mapper name of vg/lv (device-mapper doubles each "-"). */
export function dmPath(vg: string, lv: string): string {
  return `/dev/mapper/${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`;
}

function lvFor(config: Config, lvs: LvmLv[], sources: string[]): LvmLv | null {
  const vg = config.backends.lvm?.vg;
  if (!vg) return null;
  for (const lv of lvs) {
    const names = [`/dev/${vg}/${lv.name}`, dmPath(vg, lv.name), lv.path].filter(Boolean);
    if (sources.some((s) => names.includes(s))) return lv;
  }
  return null;
}

/** Every export line for a path (any file), foreign or owned. */
function exportLinesFor(f: ForeignReads, inv: HostInventory, config: Config, path: string): ForeignExport[] {
  const files = new Map(f.exportFiles);
  if (inv.exportsText !== null) files.set(config.nfs.exportsFile, inv.exportsText);
  const out: ForeignExport[] = [];
  for (const [file, text] of files) {
    for (const e of parseExports(text).entries)
      if (e.kind === 'export' && normalizeExportPath(e.path) === path) out.push({ file, entry: e });
  }
  return out;
}

function under(root: string, p: string): string | null {
  const n = normalizeExportPath(p);
  if (!n.startsWith(`${root}/`)) return null;
  const rest = n.slice(root.length + 1);
  return rest.includes('/') || rest === '' ? null : rest;
}

/** A line's effective (client, options) pairs, in a form two hosts can be compared by. */
export function exportSignature(e: ExportEntry): string[] {
  return e.clients.map((c) => `${c.host || '*'}(${(c.options.length ? c.options : e.defaultOptions).join(',')})`);
}

/** Every unmanaged volume-shaped thing under the NFS root on either host, with its differences. */
export function findUnmanaged(
  config: Config,
  inv: Record<PairRole, HostInventory>,
  foreign: Record<PairRole, ForeignReads>,
  views: readonly VolumeView[],
): UnmanagedVolume[] {
  const root = normalizeExportPath(config.nfs.root);
  const managed = new Set(views.map((v) => normalizeExportPath(v.path)));
  const skip = new Set([`${root}/${XFS_META_DIR.split('/')[0]}`, `${root}/lost+found`]);
  const paths = new Set<string>();
  const roles = ['primary', 'backup'] as const;
  for (const r of roles) {
    const i = inv[r];
    for (const d of i.dirs) if (under(root, d)) paths.add(normalizeExportPath(d));
    for (const m of i.mounts) if (under(root, m.target)) paths.add(normalizeExportPath(m.target));
    for (const e of i.fstab?.entries ?? [])
      if (e.kind === 'mount' && under(root, e.file)) paths.add(normalizeExportPath(e.file));
    const files = new Map(foreign[r].exportFiles);
    if (i.exportsText !== null) files.set(config.nfs.exportsFile, i.exportsText);
    for (const text of files.values())
      for (const e of parseExports(text).entries)
        if (e.kind === 'export' && e.owner === null && under(root, e.path)) paths.add(normalizeExportPath(e.path));
  }
  const out: UnmanagedVolume[] = [];
  for (const path of [...paths].sort()) {
    if (managed.has(path) || skip.has(path)) continue;
    const hosts = {} as Record<PairRole, UnmanagedHost>;
    for (const r of roles) {
      const i = inv[r];
      const mount = i.mounts.find((m) => normalizeExportPath(m.target) === path) ?? null;
      const fstab = i.fstab ? findMounts(i.fstab, path) : [];
      const lvs = foreign[r].lvs.filter((l) => !l.tags.includes(NFSCTL_TAG));
      const lv = lvFor(config, lvs, [...(mount ? [mount.source] : []), ...fstab.map((f) => f.spec)]);
      hosts[r] = {
        reachable: i.reachable && foreign[r].reachable,
        dir: i.dirs.has(path),
        lv,
        mount,
        fstab,
        exports: exportLinesFor(foreign[r], i, config, path),
      };
    }
    const kind = roles.some((r) => hosts[r].lv) ? 'lv' : roles.some((r) => hosts[r].dir) ? 'dir' : 'export';
    out.push({ path, dir: path.slice(root.length + 1), kind, hosts, differences: differences(config, kind, hosts) });
  }
  return out;
}

/** What keeps an unmanaged volume from being adopted as it is: missing pieces and host-to-host differences. */
export function differences(
  config: Config,
  kind: UnmanagedVolume['kind'],
  hosts: Record<PairRole, UnmanagedHost>,
): string[] {
  const roles = ['primary', 'backup'] as const;
  if (roles.some((r) => !hosts[r].reachable))
    return roles.filter((r) => !hosts[r].reachable).map((r) => `${r} unreachable: state unknown`);
  const out: string[] = [];
  const realMounts = kind === 'lv' ? !config.backends.lvm?.metadataOnly : true;
  const has = (r: PairRole) => hosts[r].dir || hosts[r].lv !== null || hosts[r].exports.length > 0;
  const present = roles.filter(has);
  if (present.length === 1) out.push(`present on ${present[0]} only`);
  for (const r of roles) {
    const h = hosts[r];
    if (!has(r)) continue;
    if (!h.dir) out.push(`${r}: the directory does not exist`);
    if (kind === 'lv') {
      if (!h.lv) out.push(`${r}: no logical volume of ${config.backends.lvm?.vg} is mounted there`);
      if (realMounts && !h.mount) out.push(`${r}: not a mount (the directory is on the root filesystem)`);
      if (realMounts && h.mount && h.lv === null)
        out.push(`${r}: mounted from ${h.mount.source}, not from an LV of ${config.backends.lvm?.vg}`);
      if (realMounts && h.fstab.length === 0)
        out.push(`${r}: no /etc/fstab entry (it would not be mounted after a reboot)`);
    } else if (
      kind === 'dir' &&
      exporterOf(config).readsExportsFile &&
      !config.backends.lvm?.metadataOnly &&
      !h.mount
    ) {
      out.push(`${r}: not a mount (a plain directory on the root filesystem)`);
    }
    if (h.fstab.length > 1) out.push(`${r}: ${h.fstab.length} /etc/fstab entries for the mount point`);
    if (h.exports.length === 0) out.push(`${r}: not exported`);
    if (h.exports.length > 1)
      out.push(
        `${r}: exported by ${h.exports.length} lines (${h.exports.map((e) => `${e.file}:${e.entry.line}`).join(', ')})`,
      );
    if (h.exports.some((e) => e.entry.owner !== null))
      out.push(`${r}: an export line carries nfsctl's marker but no volume has this path`);
  }
  if (present.length === 2) {
    const [p, b] = [hosts.primary, hosts.backup];
    if (p.lv && b.lv && p.lv.size !== b.lv.size)
      out.push(`size differs: primary ${p.lv.size} B, backup ${b.lv.size} B`);
    if (p.lv && b.lv && p.lv.name !== b.lv.name) out.push(`LV name differs: primary ${p.lv.name}, backup ${b.lv.name}`);
    const sp = p.exports.flatMap((e) => exportSignature(e.entry)).join(' ');
    const sb = b.exports.flatMap((e) => exportSignature(e.entry)).join(' ');
    if (p.exports.length && b.exports.length && sp !== sb) out.push(`export line differs: primary ${sp}, backup ${sb}`);
    const fp = p.fstab[0];
    const fb = b.fstab[0];
    if (fp && fb && (fp.vfstype !== fb.vfstype || fp.mntops !== fb.mntops))
      out.push(`fstab entry differs: primary ${fp.vfstype} ${fp.mntops}, backup ${fb.vfstype} ${fb.mntops}`);
  }
  return out;
}
