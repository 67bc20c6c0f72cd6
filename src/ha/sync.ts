// The rsync engine shared by `nfsctl sync`, failback and switchover: the receiving host
// pulls the sending host's rsync daemon module into the NFS root, after checking that the
// source looks like real data and that the deletions stay under a cap.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import { NfsctlError, PreconditionError } from '../core/errors.js';
import { parseRsyncOutput, rsyncExitMeaning, type RsyncReport } from '../core/rsync.js';
import { formatSize } from '../core/sizes.js';
import { rsyncRemoteShell } from '../core/rsync-e.js';
import { checkPlainPath } from '../core/plain-path.js';
import { XFS_META_DIR } from '../volume/inventory.js';
import type { SyncRecord } from './sync-state.js';

export const DEFAULT_MAX_DELETE = 500;
/** A sync may run for hours on a big tree; the host's default command timeout is far too short. */
export const RSYNC_TIMEOUT_MS = 12 * 3_600_000;

export function peerOf(role: PairRole): PairRole {
  return role === 'primary' ? 'backup' : 'primary';
}

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
}

/**
 * The ssh that rsync runs for `sync --ssh`: host key checking pinned here (never left to the
 * host's ssh_config) against nfsctl's knownHosts, nfsctl's identity, no prompts. The paths
 * are checked for ssh's own grammar (it expands `%` and `~` in them and splits on spaces).
 */
function sshForRsync(role: PairRole, ssh: { port: number; identity: string; knownHosts: string }): string[] {
  const identity = checkPlainPath(ssh.identity, `hosts.${role}.ssh.identity`);
  const knownHosts = checkPlainPath(ssh.knownHosts, `hosts.${role}.ssh.knownHosts`);
  return ['ssh', '-p', String(ssh.port), '-i', identity, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'];
}

export function rsyncArgv(a: RsyncArgs): string[] {
  const root = a.config.nfs.root.replace(/\/+$/, '');
  const src = a.config.hosts[a.source];
  const from = a.ssh ? `${src.ssh.user}@${src.address}:${root}/` : `rsync://${src.address}/${a.config.rsync.module}/`;
  return [
    'rsync',
    '-aHAX',
    '--delete',
    '--numeric-ids',
    '--itemize-changes',
    '--stats',
    ...(a.dryRun ? ['--dry-run'] : []),
    ...(a.maxDelete !== undefined ? [`--max-delete=${a.maxDelete}`] : []),
    ...syncExcludes().map((e) => `--exclude=${e}`),
    ...(a.ssh ? ['-e', rsyncRemoteShell(sshForRsync(a.source, src.ssh))] : []),
    // Over SSH the source is user@host:path: end the options first.
    ...(a.ssh ? ['--'] : []),
    from,
    `${root}/`,
  ];
}

export interface TreeFacts {
  role: PairRole;
  mounted: boolean;
  entries: number;
  usedBytes: number;
}

/** Mount point? How many top-level entries? How many bytes (du -sx)? One round trip. */
export async function treeFacts(config: Config, role: PairRole, host: Host): Promise<TreeFacts> {
  const root = config.nfs.root;
  const r = await host.run([
    'sh',
    '-c',
    'if mountpoint -q "$1"; then echo mounted=1; else echo mounted=0; fi; echo entries=$(find "$1" -mindepth 1 -maxdepth 1 ! -name .nfsctl 2>/dev/null | wc -l); echo used=$(du -sxB1 --exclude=./.nfsctl "$1" 2>/dev/null | cut -f1)',
    'nfsctl-tree',
    root,
  ], { timeoutMs: 600_000 });
  const v = (k: string) => Number(new RegExp(`^${k}=(\\d+)`, 'm').exec(r.stdout)?.[1] ?? '0');
  return { role, mounted: v('mounted') === 1, entries: v('entries'), usedBytes: v('used') };
}

/** Why the source tree must not be mirrored over the destination, or null when it looks sane. */
export function sourceProblem(config: Config, src: TreeFacts, dst: TreeFacts): string | null {
  const root = config.nfs.root;
  if (!src.mounted) return `${src.role}'s ${root} is not a mount point (its filesystem is not mounted): mirroring it would wipe ${dst.role}`;
  if (src.entries === 0) return `${src.role}'s ${root} is empty: mirroring it would delete everything on ${dst.role}`;
  const FLOOR = 64 * 2 ** 20;
  if (dst.usedBytes > FLOOR && src.usedBytes < dst.usedBytes / 2) {
    return `${src.role}'s ${root} holds ${formatSize(src.usedBytes)}, far less than ${dst.role}'s ${formatSize(dst.usedBytes)}: wrong or half-mounted filesystem?`;
  }
  return null;
}

export async function checkTrees(config: Config, src: { role: PairRole; host: Host }, dst: { role: PairRole; host: Host }): Promise<{ src: TreeFacts; dst: TreeFacts }> {
  const [s, d] = await Promise.all([treeFacts(config, src.role, src.host), treeFacts(config, dst.role, dst.host)]);
  const why = sourceProblem(config, s, d);
  if (why) throw new PreconditionError(`refusing to sync ${src.role} -> ${dst.role}: ${why}`, { hint: `check the filesystem on ${src.role} (findmnt ${config.nfs.root}), then run it again` });
  if (!d.mounted) throw new PreconditionError(`refusing to sync into ${dst.role}: ${config.nfs.root} is not a mount point there`, { hint: `mount ${config.nfs.root} on ${dst.role} first` });
  return { src: s, dst: d };
}

/** Run rsync on the destination host; throws with rsync's own words when it fails. */
export async function runRsync(dest: Host, a: RsyncArgs): Promise<RsyncReport & { durationMs: number; exitCode: number }> {
  const argv = rsyncArgv(a);
  const r = await dest.run(argv, { timeoutMs: RSYNC_TIMEOUT_MS });
  const meaning = rsyncExitMeaning(r.exitCode);
  if (!meaning.ok) {
    const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new NfsctlError(`${dest.name}: rsync from ${a.source} failed: ${meaning.text}${tail ? `: ${tail}` : ''}`);
  }
  return { ...parseRsyncOutput(r.stdout), durationMs: r.durationMs, exitCode: r.exitCode };
}

/** The itemised preview: every deletion (up to `limit` lines), then counts. */
export function renderPreview(rep: RsyncReport, source: PairRole, dest: PairRole, limit = 200): string[] {
  const lines = [`rsync preview ${source} -> ${dest}: ${rep.transfers.length} file(s) to copy or update, ${rep.deletions.length} to delete${rep.stats.totalFileSize !== null ? `, source ${formatSize(rep.stats.totalFileSize)}` : ''}`];
  for (const d of rep.deletions.slice(0, limit)) lines.push(`  *deleting ${d}`);
  if (rep.deletions.length > limit) lines.push(`  ... and ${rep.deletions.length - limit} more deletion(s)`);
  const others = rep.changes.filter((c) => c.op !== 'delete' && c.path !== './');
  for (const c of others.slice(0, Math.max(0, 20))) lines.push(`  ${c.code} ${c.path}`);
  if (others.length > 20) lines.push(`  ... and ${others.length - 20} more change(s)`);
  return lines;
}

export function checkDeleteCap(rep: RsyncReport, cap: number, source: PairRole, dest: PairRole): void {
  if (rep.deletions.length > cap) {
    throw new PreconditionError(`refusing to sync ${source} -> ${dest}: it would delete ${rep.deletions.length} path(s) on ${dest}, more than the cap of ${cap}:\n${renderPreview(rep, source, dest).join('\n')}`, {
      hint: `if these deletions are intended, run it again with --max-delete ${rep.deletions.length}`,
    });
  }
}

export function syncRecord(source: PairRole, dest: PairRole, started: number, rep: (RsyncReport & { durationMs: number }) | null, error?: string): SyncRecord {
  return {
    time: new Date().toISOString(),
    ok: rep !== null && error === undefined,
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
export async function treeDigest(config: Config, host: Host, checksums: boolean): Promise<{ files: number; bytes: number; digest: string }> {
  // One pass over the listing, no temporary file (a fixed name in /tmp was a symlink
  // target): awk counts files and bytes and pipes the listing itself into sha256sum.
  const script = [
    'cd "$1" || exit 3',
    `find . -xdev -path ./.nfsctl -prune -o -type f -printf "%P\\t%s\\n" | LC_ALL=C sort | awk -F"\\t" -v list=${checksums ? 0 : 1} 'BEGIN { c = "sha256sum | cut -c1-64 | sed s/^/digest=/" } { n++; s += $2; if (list) print | c } END { if (list) { printf "" | c; close(c) } printf "files=%d\\nbytes=%d\\n", n, s }' || exit 3`,
    ...(checksums ? ['echo digest=$(find . -xdev -path ./.nfsctl -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -c1-64)'] : []),
  ].join('\n');
  const r = await host.run(['sh', '-c', script, 'nfsctl-digest', config.nfs.root], { timeoutMs: RSYNC_TIMEOUT_MS });
  if (r.exitCode !== 0) throw new NfsctlError(`${host.name}: cannot list ${config.nfs.root}: ${r.stderr.trim()}`);
  const v = (k: string) => new RegExp(`^${k}=(\\S*)`, 'm').exec(r.stdout)?.[1] ?? '';
  return { files: Number(v('files')), bytes: Number(v('bytes')), digest: v('digest') };
}
