// The rsync engine shared by `nfsctl sync`, failback and switchover: the receiving host
// pulls the sending host's rsync daemon module, one rsync per volume filesystem (see "units"
// below), after checking on both hosts that each is mounted on its own device and that the
// source looks like real data, and that each one's deletions stay under the cap.
import type { Config, PairRole } from '../config/schema.js';
import { CommandCancelledError, type Host } from '../host/host.js';
import { NfsctlError, PreconditionError } from '../core/errors.js';
import { parseRsyncOutput, rsyncExitMeaning, type RsyncReport } from '../core/rsync.js';
import { formatSize } from '../core/sizes.js';
import { rsyncRemoteShell } from '../core/rsync-e.js';
import { checkPlainPath } from '../core/plain-path.js';
import { XFS_META_DIR } from '../volume/inventory.js';
import type { SyncRecord } from './sync-state.js';
import { mirrored, type VolumeView } from '../volume/state.js';
import { backendNamed, configuredBackends } from '../volume/backend/registry.js';
import { mapLimit } from '../core/concurrency.js';
import { CopyMeter, Progress2Stream, type CopySnapshot } from '../core/rsync-progress.js';

export const DEFAULT_MAX_DELETE = 500;
/** A sync may run for hours on a big tree; the host's default command timeout is far too short. */
export const RSYNC_TIMEOUT_MS = 12 * 3_600_000;

/**
 * Paths never copied nor deleted by a sync: nfsctl's per-volume metadata records under the
 * NFS root are written on both hosts by nfsctl itself (volume create/resize), never mirrored.
 */
export function syncExcludes(): string[] {
  return [`/${XFS_META_DIR.split('/')[0]}/`];
}

export interface RsyncArgs {
  config: Config;
  source: PairRole;
  dryRun: boolean;
  maxDelete?: number;
  /** Pull over SSH (`root@host:/nfs/`) instead of the rsync daemon module. */
  ssh?: boolean;
  /** One unit of the sync (a volume's own filesystem, or the NFS root); default: the whole root. */
  unit?: SyncUnit;
  /** Report progress (`--info=progress2`) for a live display. */
  progress?: boolean;
}

/**
 * The ssh that rsync runs for `sync --ssh`: host key checking pinned here (never left to the
 * host's ssh_config) against nfsctl's knownHosts, nfsctl's identity, no prompts. The paths
 * are checked for ssh's own grammar (it expands `%` and `~` in them and splits on spaces).
 */
function sshForRsync(role: PairRole, ssh: { port: number; identity: string; knownHosts: string }): string[] {
  const identity = checkPlainPath(ssh.identity, `hosts.${role}.ssh.identity`);
  const knownHosts = checkPlainPath(ssh.knownHosts, `hosts.${role}.ssh.knownHosts`);
  return [
    'ssh',
    '-p',
    String(ssh.port),
    '-i',
    identity,
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
  ];
}

// rsync reads these as wildcards or escapes in a filter pattern (and a newline would end it):
// a volume directory holding one could widen the copy to foreign directories. Volume paths are
// validated where they are made; this is the check at the grammar the path lands in.
const FILTER_UNSAFE = /[*?[\\\x00-\x1f\x7f]/;

/**
 * The filters that limit the root unit to its volumes' directories: each one included with
 * everything under it (`/dir/***`), each parent of a nested one included as a directory alone
 * with its other entries left out, then every other top-level entry left out. Excluded paths
 * are never deleted on the receiver (no --delete-excluded), so foreign data stays as it is.
 */
export function onlyFilters(rels: string[]): string[] {
  const parents = new Set<string>();
  for (const rel of rels) {
    const parts = rel.split('/');
    if (rel === '' || parts.some((p) => p === '' || p === '.' || p === '..') || FILTER_UNSAFE.test(rel))
      throw new NfsctlError(
        `volume directory ${JSON.stringify(rel)} cannot be named in an rsync filter (empty, dot or wildcard parts): not syncing`,
      );
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join('/'));
  }
  const deepestFirst = [...parents].sort((a, b) => b.split('/').length - a.split('/').length || a.localeCompare(b));
  return [
    ...rels.map((r) => `--include=/${r}/***`),
    ...deepestFirst.map((p) => `--include=/${p}/`),
    ...deepestFirst.map((p) => `--exclude=/${p}/*`),
    '--exclude=/*',
  ];
}

export function rsyncArgv(a: RsyncArgs): string[] {
  const root = a.config.nfs.root.replace(/\/+$/, '');
  const src = a.config.hosts[a.source];
  const sub = a.unit && a.unit.rel ? `${a.unit.rel}/` : '';
  const from = a.ssh
    ? `${src.ssh.user}@${src.address}:${root}/${sub}`
    : `rsync://${src.address}/${a.config.rsync.module}/${sub}`;
  return [
    'rsync',
    '-aHAX',
    '--delete',
    '--numeric-ids',
    '--itemize-changes',
    '--stats',
    `--timeout=${Math.ceil(a.config.rsync.ioTimeout / 1000)}`,
    ...(a.dryRun ? ['--dry-run'] : []),
    ...(a.progress && !a.dryRun ? ['--info=progress2'] : []),
    ...(a.maxDelete !== undefined ? [`--max-delete=${a.maxDelete}`] : []),
    ...(a.unit ? ['--one-file-system'] : []),
    ...syncExcludes().map((e) => `--exclude=${e}`),
    ...(a.unit?.excludes ?? []).map((e) => `--exclude=${e}`),
    ...(a.unit?.only ? onlyFilters(a.unit.only) : []),
    ...(a.ssh ? ['-e', rsyncRemoteShell(sshForRsync(a.source, src.ssh))] : []),
    // Over SSH the source is user@host:path: end the options first.
    ...(a.ssh ? ['--'] : []),
    from,
    `${root}/${sub}`,
  ];
}

export interface TreeFacts {
  role: PairRole;
  mounted: boolean;
  entries: number;
  usedBytes: number;
}

/** Why the source tree must not be mirrored over the destination, or null when it looks sane. */
export function sourceProblem(config: Config, src: TreeFacts, dst: TreeFacts): string | null {
  const root = config.nfs.root;
  if (!src.mounted)
    return `${src.role}'s ${root} is not a mount point (its filesystem is not mounted): mirroring it would wipe ${dst.role}`;
  if (src.entries === 0) return `${src.role}'s ${root} is empty: mirroring it would delete everything on ${dst.role}`;
  const FLOOR = 64 * 2 ** 20;
  if (dst.usedBytes > FLOOR && src.usedBytes < dst.usedBytes / 2) {
    return `${src.role}'s ${root} holds ${formatSize(src.usedBytes)}, far less than ${dst.role}'s ${formatSize(dst.usedBytes)}: wrong or half-mounted filesystem?`;
  }
  return null;
}

/** The itemised preview: every deletion (up to `limit` lines), then counts. */
export function renderPreview(rep: RsyncReport, source: PairRole, dest: PairRole, limit = 200): string[] {
  const lines = [
    `rsync preview ${source} -> ${dest}: ${rep.transfers.length} file(s) to copy or update, ${rep.deletions.length} to delete${rep.stats.totalFileSize !== null ? `, source ${formatSize(rep.stats.totalFileSize)}` : ''}`,
  ];
  for (const d of rep.deletions.slice(0, limit)) lines.push(`  *deleting ${d}`);
  if (rep.deletions.length > limit) lines.push(`  ... and ${rep.deletions.length - limit} more deletion(s)`);
  const others = rep.changes.filter((c) => c.op !== 'delete' && c.path !== './');
  for (const c of others.slice(0, Math.max(0, 20))) lines.push(`  ${c.code} ${c.path}`);
  if (others.length > 20) lines.push(`  ... and ${others.length - 20} more change(s)`);
  return lines;
}

export function checkDeleteCap(rep: RsyncReport, cap: number, source: PairRole, dest: PairRole): void {
  if (rep.deletions.length > cap) {
    throw new PreconditionError(
      `refusing to sync ${source} -> ${dest}: it would delete ${rep.deletions.length} path(s) on ${dest}, more than the cap of ${cap}:\n${renderPreview(rep, source, dest).join('\n')}`,
      {
        hint: `if these deletions are intended, run it again with --max-delete ${rep.deletions.length}`,
      },
    );
  }
}

export function syncRecord(
  source: PairRole,
  dest: PairRole,
  started: number,
  rep: (RsyncReport & { durationMs: number }) | null,
  error?: string,
  per?: { volumes: string[]; skipped: string[] },
): SyncRecord {
  return {
    time: new Date().toISOString(),
    // a sync that left volumes out is not a good sync of the pair (their copies are stale)
    ok: rep !== null && error === undefined && !per?.skipped.length,
    ...(per ? { volumes: per.volumes, ...(per.skipped.length ? { skipped: per.skipped } : {}) } : {}),
    direction: `${source}->${dest}`,
    source,
    destination: dest,
    bytes: rep?.stats.transferredFileSize ?? 0,
    ...(rep?.stats.files != null ? { files: rep.stats.files } : {}),
    ...(rep ? { deleted: rep.deletions.length } : {}),
    durationMs: Date.now() - started,
    ...(error !== undefined ? { error } : {}),
  };
}

/** Compare two trees: file count and sizes, and with `checksums` a sha256 over every file. */
export async function treeDigest(
  config: Config,
  host: Host,
  checksums: boolean,
  dir: string = config.nfs.root,
  only?: string[],
): Promise<{ files: number; bytes: number; digest: string }> {
  // The root unit carries its volumes' directories only (onlyFilters): the listing covers the
  // same directories, or a foreign file that is rightly not copied would fail the verify.
  if (only) for (const rel of only) onlyFilters([rel]);
  if (only && only.length === 0) return { files: 0, bytes: 0, digest: '' };
  // One pass over the listing, no temporary file (a fixed name in /tmp was a symlink
  // target): awk counts files and bytes and pipes the listing itself into sha256sum.
  // With `only`, find starts at ./<dir> for each (%p keeps that prefix in the listing).
  const starts = only ? '"$@"' : '.';
  const name = only ? '%p' : '%P';
  const script = [
    'cd "$1" || exit 3',
    'shift',
    `find ${starts} -xdev -path ./.nfsctl -prune -o -type f -printf "${name}\\t%s\\n" | LC_ALL=C sort | awk -F"\\t" -v list=${checksums ? 0 : 1} 'BEGIN { c = "sha256sum | cut -c1-64 | sed s/^/digest=/" } { n++; s += $2; if (list) print | c } END { if (list) { printf "" | c; close(c) } printf "files=%d\\nbytes=%d\\n", n, s }' || exit 3`,
    ...(checksums
      ? [
          `echo digest=$(find ${starts} -xdev -path ./.nfsctl -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -c1-64)`,
        ]
      : []),
  ].join('\n');
  const args = only ? only.map((rel) => `./${rel}`) : [];
  const r = await host.run(['sh', '-c', script, 'nfsctl-digest', dir, ...args], { timeoutMs: RSYNC_TIMEOUT_MS });
  if (r.exitCode !== 0) throw new NfsctlError(`${host.name}: cannot list ${dir}: ${r.stderr.trim()}`);
  const v = (k: string) => new RegExp(`^${k}=(\\S*)`, 'm').exec(r.stdout)?.[1] ?? '';
  return { files: Number(v('files')), bytes: Number(v('bytes')), digest: v('digest') };
}

// ---------------------------------------------------------------- per-volume units
//
// The pair's data is mirrored in units, each one filesystem: a volume with its own mount
// (an LVM volume: its LV mounted at /nfs/<namespace>_<name>) is a unit of its own; the NFS
// root is one more unit when it is a filesystem of its own (the xfsquota backend keeps every
// volume as a directory of it) and carries those volumes' directories only: nothing else under
// the root is nfsctl's, so it is neither copied nor deleted (see onlyFilters). Each unit is
// checked on BOTH hosts before any of its data moves (mounted, on its own device, not empty
// over a full copy), previewed and capped on its own, and copied by its own rsync with
// --one-file-system, so a copy never reaches into another unit nor deletes under a mount
// point whose filesystem is absent. RBD volumes are one shared image: never copied.

export interface SyncUnit {
  /** The directory under the NFS root ('' = the root itself). */
  rel: string;
  /** Absolute path on both hosts. */
  path: string;
  /** The volumes it carries ("ns/name"); the root unit may carry none (other files). */
  volumes: string[];
  /** Own-mount units: the device that must be mounted at `path` on each host. */
  device?: string;
  /** rsync excludes relative to the unit (the root unit leaves out every volume mount). */
  excludes: string[];
  /**
   * The root unit only: the directories (relative to the root) of the volumes it carries. It
   * copies these and nothing else: whatever else is under the NFS root is not nfsctl's (an
   * unmanaged directory, an old service's volume not yet adopted) and is neither copied over
   * nor deleted on the destination.
   */
  only?: string[];
  /** The root when nothing requires it: a unit only where it is a mount point. */
  optional?: boolean;
}

/** A unit's name for people: the volume id, or the root's path. */
export function unitName(u: SyncUnit): string {
  return u.rel === ''
    ? `${u.path} (the NFS root${u.volumes.length ? `: ${u.volumes.join(', ')}` : ''})`
    : u.volumes.join(', ') || u.rel;
}

/** A unit's name in progress lines: its one volume, or its path (the root may carry many). */
export function unitShort(u: SyncUnit): string {
  return u.volumes.length === 1 ? u.volumes[0]! : u.rel === '' ? u.path : u.volumes.join(', ') || u.rel;
}

/** Does this mirrored volume live on a filesystem of its own at its path (its LV mounted there)? */
export function ownMount(config: Config, v: Pick<VolumeView, 'backend' | 'identity'>): boolean {
  return mirrored(v.backend) && backendNamed(v.backend).mountedDevice(config, v.identity) !== null;
}

function relOf(config: Config, path: string): string {
  const root = config.nfs.root.replace(/\/+$/, '');
  if (!path.startsWith(`${root}/`)) throw new NfsctlError(`volume path ${path} is not under the NFS root ${root}`);
  return path.slice(root.length + 1);
}

/**
 * The units to mirror. The root is a unit when the xfsquota backend is configured (its
 * volumes are directories of the root filesystem) or some mirrored volume has no mount of
 * its own; otherwise it is `optional`: a unit only if it is a mount point on either host
 * (checkUnits drops it when it is a plain directory on both, the seed's per-volume layout).
 */
export function syncUnits(config: Config, views: VolumeView[]): SyncUnit[] {
  const mirroredViews = views.filter((v) => mirrored(v.backend));
  const own = mirroredViews.filter((v) => ownMount(config, v));
  const inRoot = mirroredViews.filter((v) => !ownMount(config, v));
  const root = config.nfs.root.replace(/\/+$/, '');
  const out = views.filter((v) => ownMount(config, v) || !mirrored(v.backend)).map((v) => `/${relOf(config, v.path)}/`);
  const units: SyncUnit[] = [
    {
      rel: '',
      path: root,
      volumes: inRoot.map((v) => v.id),
      excludes: out,
      only: inRoot.map((v) => relOf(config, v.path)),
      ...(!configuredBackends(config).some((b) => b.inRootFilesystem) && inRoot.length === 0 ? { optional: true } : {}),
    },
  ];
  for (const v of own) {
    units.push({
      rel: relOf(config, v.path),
      path: v.path,
      volumes: [v.id],
      device: backendNamed(v.backend).mountedDevice(config, v.identity)!,
      excludes: [],
    });
  }
  return units;
}

export interface UnitFacts {
  /** Mounted at exactly the unit's path (root unit: the root is a mount point). */
  mounted: boolean;
  /** major:minor of the filesystem mounted there ('' when none). */
  majmin: string;
  /** What is mounted there (findmnt SOURCE). */
  source: string;
  /** major:minor of the unit's device ('' when it does not exist or is not a block device). */
  deviceMajmin: string;
  /** Has at least one entry (root unit: how many, volume mounts and .nfsctl left out). */
  entries: number;
  usedBytes: number;
  /** Root unit only: which of its volumes' top directories exist there. */
  present?: string[];
}

// One round trip per host for every unit. The root: mountpoint, top-level names (counted by
// the caller, leaving out volume mount points), du -sx. A volume: what is mounted at its
// path (findmnt), its device's major:minor, whether it has an entry, df's used bytes.
const UNIT_FACTS = [
  'root=$1; shift',
  'if [ "$root" != - ]; then',
  '  if mountpoint -q "$root"; then m=1; else m=0; fi',
  '  printf "R\\t%s\\t%s\\n" "$m" "$(du -sxB1 --exclude=./.nfsctl "$root" 2>/dev/null | cut -f1)"',
  '  find "$root" -mindepth 1 -maxdepth 1 ! -name .nfsctl -printf "N\\t%f\\n" 2>/dev/null',
  'fi',
  'while [ $# -ge 2 ]; do',
  '  p=$1; d=$2; shift 2',
  '  mm=; src=; dm=; n=0; u=0',
  '  line=$(findmnt -rn -o MAJ:MIN,SOURCE --mountpoint "$p" 2>/dev/null | tail -n 1)',
  '  if [ -n "$line" ]; then',
  '    mm=${line%% *}; src=${line#* }',
  '    n=$(find "$p" -mindepth 1 -maxdepth 1 ! -name lost+found 2>/dev/null | head -n 1 | wc -l)',
  '    u=$(df -B1 --output=used "$p" 2>/dev/null | tail -n 1 | tr -d " ")',
  '  fi',
  '  if [ -b "$d" ]; then hx=$(stat -Lc "%t %T" -- "$d"); dm=$(printf "%d:%d" "0x${hx% *}" "0x${hx#* }"); fi',
  '  printf "V\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n" "$p" "$mm" "$dm" "$n" "${u:-0}" "$src"',
  'done',
].join('\n');

/** Every unit's facts on one host, in one round trip. Keyed by unit path. */
export async function unitFacts(config: Config, host: Host, units: SyncUnit[]): Promise<Map<string, UnitFacts>> {
  const root = units.find((u) => u.rel === '');
  const args = [root ? root.path : '-', ...units.flatMap((u) => [u.path, u.device ?? '-'])];
  const r = await host.run(['sh', '-c', UNIT_FACTS, 'nfsctl-units', ...args], { timeoutMs: 600_000 });
  if (r.exitCode !== 0)
    throw new NfsctlError(`${host.name}: cannot read the volume mounts (exit ${r.exitCode}): ${r.stderr.trim()}`);
  const out = new Map<string, UnitFacts>();
  const names: string[] = [];
  let rootMounted = false;
  let rootUsed = 0;
  for (const line of r.stdout.split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'R') {
      rootMounted = f[1] === '1';
      rootUsed = Number(f[2]) || 0;
    } else if (f[0] === 'N') names.push(f[1] ?? '');
    else if (f[0] === 'V') {
      out.set(f[1]!, {
        mounted: (f[2] ?? '') !== '',
        majmin: f[2] ?? '',
        deviceMajmin: f[3] ?? '',
        entries: Number(f[4]) || 0,
        usedBytes: Number(f[5]) || 0,
        source: f.slice(6).join('\t'),
      });
    }
  }
  if (root) {
    const skip = new Set(root.excludes.map((e) => e.replace(/^\/|\/$/g, '')));
    // what the root unit copies: its volumes' top directories (other entries are not nfsctl's);
    // with none, the checks still see the whole root (a wrong filesystem is still refused)
    const carried = root.only?.length ? new Set(root.only.map((r) => r.split('/')[0]!)) : null;
    const v = out.get(root.path);
    out.set(root.path, {
      mounted: rootMounted,
      majmin: v?.majmin ?? '',
      source: v?.source ?? '',
      deviceMajmin: '',
      entries: names.filter((n) => !skip.has(n) && (!carried || carried.has(n))).length,
      ...(carried ? { present: names.filter((n) => carried.has(n)) } : {}),
      usedBytes: rootUsed,
    });
  }
  return out;
}

export interface UnitProblem {
  unit: SyncUnit;
  /** One line naming the volume and the host. */
  text: string;
}

/** Why a unit must not be mirrored from `src` onto `dst`, or [] when both sides are fine. */
export function unitProblems(
  config: Config,
  u: SyncUnit,
  src: { role: PairRole; facts: UnitFacts | undefined },
  dst: { role: PairRole; facts: UnitFacts | undefined },
): string[] {
  if (u.rel === '') {
    const tf = (role: PairRole, x: UnitFacts | undefined): TreeFacts => ({
      role,
      mounted: x?.mounted ?? false,
      entries: x?.entries ?? 0,
      usedBytes: x?.usedBytes ?? 0,
    });
    const s = tf(src.role, src.facts);
    const d = tf(dst.role, dst.facts);
    const why = sourceProblem(config, s, d);
    if (why) return [why];
    if (!d.mounted)
      return [
        `${config.nfs.root} is not a mount point on ${dst.role}: syncing into it would write to the wrong filesystem`,
      ];
    // a volume directory the source lacks would be deleted, with all it holds, on the destination
    const have = new Set(src.facts?.present ?? []);
    const root = config.nfs.root.replace(/\/+$/, '');
    return (dst.facts?.present ?? [])
      .filter((n) => !have.has(n))
      .map(
        (n) =>
          `${root}/${n} is missing on ${src.role} but holds a volume on ${dst.role}: mirroring would delete it there`,
      );
  }
  const name = u.volumes.join(', ') || u.rel;
  const out: string[] = [];
  for (const side of [src, dst]) {
    const x = side.facts;
    if (!x || x.deviceMajmin === '') out.push(`${name}: its LV ${u.device} is missing or inactive on ${side.role}`);
    else if (!x.mounted)
      out.push(`${name}: ${u.path} is not mounted on ${side.role} (its LV ${u.device} belongs there)`);
    else if (x.majmin !== x.deviceMajmin)
      out.push(
        `${name}: ${u.path} on ${side.role} is ${x.source} (${x.majmin}), not its LV ${u.device} (${x.deviceMajmin})`,
      );
  }
  if (out.length) return out;
  const s = src.facts!;
  const d = dst.facts!;
  if (s.entries === 0 && d.entries > 0)
    return [`${name}: ${u.path} is empty on ${src.role}: mirroring it would delete everything in it on ${dst.role}`];
  const FLOOR = 64 * 2 ** 20;
  if (d.usedBytes > FLOOR && s.usedBytes < d.usedBytes / 2)
    return [
      `${name}: ${u.path} holds ${formatSize(s.usedBytes)} on ${src.role}, far less than ${formatSize(d.usedBytes)} on ${dst.role}: wrong or damaged filesystem?`,
    ];
  return [];
}

export interface ReadyUnit extends SyncUnit {
  /** major:minor mounted at `path` on the destination when checked: rsync runs only while it still is. */
  destMajmin: string;
}

export interface UnitCheck {
  ready: ReadyUnit[];
  problems: UnitProblem[];
}

/**
 * Check every unit on both hosts. Refuses (PreconditionError, nothing changed) when any unit
 * has a problem, naming each; with `skipUnready` the others go on and the problems are returned.
 */
export async function checkUnits(
  config: Config,
  units: SyncUnit[],
  src: { role: PairRole; host: Host },
  dst: { role: PairRole; host: Host },
  o: { skipUnready?: boolean } = {},
): Promise<UnitCheck> {
  const [sf, df] = await Promise.all([unitFacts(config, src.host, units), unitFacts(config, dst.host, units)]);
  const ready: ReadyUnit[] = [];
  const problems: UnitProblem[] = [];
  for (const u of units) {
    if (u.optional && !sf.get(u.path)?.mounted && !df.get(u.path)?.mounted) continue; // a plain directory on both: files directly in it are not volumes
    const p = unitProblems(
      config,
      u,
      { role: src.role, facts: sf.get(u.path) },
      { role: dst.role, facts: df.get(u.path) },
    );
    if (p.length) problems.push(...p.map((text) => ({ unit: u, text })));
    else ready.push({ ...u, destMajmin: df.get(u.path)?.majmin ?? '' });
  }
  if (problems.length && !o.skipUnready) {
    const rootOnly = problems.every((p) => p.unit.rel === '');
    throw new PreconditionError(
      `refusing to sync ${src.role} -> ${dst.role}: ${problems.length === 1 ? problems[0]!.text : `\n  ${problems.map((p) => p.text).join('\n  ')}`}\nnothing was copied or deleted`,
      {
        hint: rootOnly
          ? `check the filesystem (findmnt ${config.nfs.root}) on both hosts, then run it again`
          : `mount each volume on its LV on both hosts (findmnt <path>; mount <path>), then run it again; or go on with the other volumes: --skip-unready`,
      },
    );
  }
  if (ready.length === 0 && problems.length > 0) {
    throw new PreconditionError(
      `refusing to sync ${src.role} -> ${dst.role}: no volume is ready:\n  ${problems.map((p) => p.text).join('\n  ')}`,
      { hint: 'mount the volumes on both hosts, then run it again' },
    );
  }
  return { ready, problems };
}

/** Paths of a unit's report as seen from the NFS root ("vm-a_data/file"). */
export function prefixReport(rep: RsyncReport, rel: string): RsyncReport {
  if (!rel) return rep;
  const p = (s: string) => (s === './' ? `${rel}/` : `${rel}/${s}`);
  return {
    ...rep,
    changes: rep.changes.map((c) => ({ ...c, path: p(c.path) })),
    deletions: rep.deletions.map(p),
    transfers: rep.transfers.map(p),
  };
}

/** Several units' reports as one (for the preview and the totals). */
export function mergeReports(reps: RsyncReport[]): RsyncReport {
  const sum = (k: keyof RsyncReport['stats']) =>
    reps.some((r) => typeof r.stats[k] === 'number')
      ? reps.reduce((a, r) => a + ((r.stats[k] as number | null) ?? 0), 0)
      : null;
  return {
    changes: reps.flatMap((r) => r.changes),
    deletions: reps.flatMap((r) => r.deletions),
    transfers: reps.flatMap((r) => r.transfers),
    stats: {
      files: sum('files'),
      createdFiles: sum('createdFiles'),
      deletedFiles: sum('deletedFiles'),
      transferredFiles: sum('transferredFiles'),
      totalFileSize: sum('totalFileSize'),
      transferredFileSize: sum('transferredFileSize'),
      literalData: sum('literalData'),
      bytesSent: sum('bytesSent'),
      bytesReceived: sum('bytesReceived'),
      dryRun: reps.some((r) => r.stats.dryRun),
    },
  };
}

export interface UnitPreview {
  unit: ReadyUnit;
  /** Paths as seen from the NFS root. */
  report: RsyncReport;
}

/** The dry run of every ready unit on the destination; throws with rsync's words when one fails. */
export async function previewUnits(
  dest: Host,
  a: Omit<RsyncArgs, 'unit' | 'dryRun'>,
  units: ReadyUnit[],
): Promise<UnitPreview[]> {
  const { maxDelete: _cap, ...noCap } = a; // the preview lists every deletion; the cap is checked on it
  // read-only dry runs, 4 at a time: each volume costs one rsync start (~0.1 s), so many volumes add up
  const results = await mapLimit(units, 4, (u) =>
    dest.run(rsyncArgv({ ...noCap, dryRun: true, unit: u }), { timeoutMs: RSYNC_TIMEOUT_MS }),
  );
  return units.map((u, i) => {
    const r = results[i]!;
    if (r.exitCode !== 0 && r.exitCode !== 24) {
      throw new PreconditionError(
        `${dest.name}: the rsync dry run of ${unitName(u)} from ${a.source} failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`,
        {
          hint: `is the rsync daemon running on ${a.source}? (its module ${a.config.rsync.module} must serve ${a.config.nfs.root})`,
        },
      );
    }
    return { unit: u, report: prefixReport(parseRsyncOutput(r.stdout), u.rel) };
  });
}

/** The deletion cap, per unit (each volume on its own): refuses naming the volume. */
export function checkUnitCaps(previews: UnitPreview[], cap: number, source: PairRole, dest: PairRole): void {
  for (const p of previews) {
    if (p.report.deletions.length > cap) {
      throw new PreconditionError(
        `refusing to sync ${source} -> ${dest}: ${unitName(p.unit)}: it would delete ${p.report.deletions.length} path(s) on ${dest}, more than the cap of ${cap}:\n${renderPreview(p.report, source, dest).join('\n')}`,
        {
          hint: `if these deletions are intended, run it again with --max-delete ${p.report.deletions.length}`,
        },
      );
    }
  }
}

/** How much previews will copy: "12 file(s), 1.5Gi, 0 to delete" (files and bytes to transfer, from the dry runs' --stats). */
export function previewSize(previews: UnitPreview[]): string {
  const files = previews.reduce((n, p) => n + p.report.transfers.length, 0);
  const bytes = previews.reduce((n, p) => n + (p.report.stats.transferredFileSize ?? 0), 0);
  const del = previews.reduce((n, p) => n + p.report.deletions.length, 0);
  return `${files} file(s), ${formatSize(bytes)}, ${del} to delete`;
}

/** A unit's preview lines, one header per volume, then every deletion. */
export function renderUnitPreviews(previews: UnitPreview[], source: PairRole, dest: PairRole): string[] {
  if (previews.length === 1) return renderPreview(previews[0]!.report, source, dest);
  const all = mergeReports(previews.map((p) => p.report));
  const lines = [
    `rsync preview ${source} -> ${dest}: ${previews.length} unit(s), ${all.transfers.length} file(s) to copy or update, ${all.deletions.length} to delete`,
  ];
  for (const p of previews)
    lines.push(`  ${unitName(p.unit)}: ${p.report.transfers.length} to copy, ${p.report.deletions.length} to delete`);
  return [...lines, ...renderPreview(all, source, dest).slice(1)];
}

// The destination re-checks, right before its rsync, that the unit's filesystem is still the
// one checked (same major:minor at the path): an LV unmounted meanwhile is not written under.
const GUARD =
  'p=$1; want=$2; shift 2; got=$(findmnt -rn -o MAJ:MIN --mountpoint "$p" 2>/dev/null | tail -n 1); if [ "$got" != "$want" ]; then echo "nfsctl: $p is not mounted from $want any more (now: ${got:-nothing}): not syncing into it" >&2; exit 96; fi; exec "$@"';
export const GUARD_EXIT = 96;

export function guardedRsyncArgv(a: RsyncArgs & { unit: ReadyUnit }): string[] {
  return ['sh', '-c', GUARD, 'nfsctl-rsync', a.unit.path, a.unit.destMajmin, ...rsyncArgv(a)];
}

export interface UnitResult {
  unit: ReadyUnit;
  report: RsyncReport & { durationMs: number; exitCode: number };
}

/** While units copy: cancel them (an interrupt), and see bytes, rate and ETA (per unit and in total). */
export interface CopyLive {
  signal?: AbortSignal;
  /** Called as rsync reports progress (several times a second). */
  progress?: (s: CopySnapshot) => void;
  /** Bytes the unit will copy (the dry run's "Total transferred file size"), when previewed. */
  expected?: (u: ReadyUnit) => number | null;
  name?: (u: ReadyUnit) => string;
}

/** The real copy of every ready unit, one rsync each (deletions capped per unit); stops at the first failure. */
export async function runUnits(
  dest: Host,
  a: Omit<RsyncArgs, 'unit' | 'dryRun'>,
  units: ReadyUnit[],
  done?: (r: UnitResult) => void,
  live: CopyLive = {},
): Promise<UnitResult[]> {
  const out: UnitResult[] = [];
  const show = live.progress;
  const meter = new CopyMeter(
    units.map((u) => ({ name: live.name?.(u) ?? unitName(u), expected: live.expected?.(u) ?? null })),
  );
  for (const [i, u] of units.entries()) {
    meter.start(i);
    const stream = new Progress2Stream();
    const onStdout = show
      ? (chunk: string) => {
          const ended = stream.push(chunk);
          const latest = stream.peek() ?? ended.at(-1) ?? null;
          if (!latest) return;
          meter.sample(latest);
          show(meter.snapshot()!);
        }
      : undefined;
    const r = await dest
      .run(guardedRsyncArgv({ ...a, dryRun: false, unit: u, ...(show ? { progress: true } : {}) }), {
        timeoutMs: RSYNC_TIMEOUT_MS,
        ...(live.signal ? { signal: live.signal } : {}),
        ...(onStdout ? { onStdout } : {}),
      })
      .catch((err: unknown) => {
        // name the copy, not the guard script around it
        throw err instanceof CommandCancelledError
          ? new CommandCancelledError(dest.name, ['rsync', unitName(u)], err.mayStillRun)
          : err;
      });
    if (r.exitCode === GUARD_EXIT)
      throw new NfsctlError(`${dest.name}: ${unitName(u)}: ${r.stderr.trim().split('\n').pop()}`, {
        hint: `mount it again on ${dest.name}, then run it again`,
      });
    const meaning = rsyncExitMeaning(r.exitCode);
    if (!meaning.ok) {
      const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
      throw new NfsctlError(
        `${dest.name}: rsync of ${unitName(u)} from ${a.source} failed: ${meaning.text}${tail ? `: ${tail}` : ''}`,
      );
    }
    const res = {
      unit: u,
      report: { ...prefixReport(parseRsyncOutput(r.stdout), u.rel), durationMs: r.durationMs, exitCode: r.exitCode },
    };
    meter.finish(i, res.report.stats.transferredFileSize ?? 0);
    out.push(res);
    done?.(res);
  }
  return out;
}

/** The units of a run as one report (for the sync record and the summary line). */
export function unitsReport(results: UnitResult[]): RsyncReport & { durationMs: number } {
  return {
    ...mergeReports(results.map((r) => r.report)),
    durationMs: results.reduce((a, r) => a + r.report.durationMs, 0),
  };
}
