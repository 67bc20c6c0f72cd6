// The one place that builds a step removing a volume's directory, LV or RBD image. Each
// step is one script that checks, on the host, right before it acts, that the object is
// nfsctl's for exactly this volume (and, for a directory, that the path is one plain
// directory directly inside the NFS root: no symlink, not the root itself); otherwise it
// refuses with exit 4 and changes nothing. The plan (plans.ts) refuses earlier, from the
// inventory; these checks are the defence at the moment of use.
import { posix } from 'node:path';
import { PreconditionError } from '../core/errors.js';

/** Exit code of a guard that refused: the same "precondition" code nfsctl itself uses. */
export const GUARD_REFUSED_EXIT = 4;

/**
 * Is `path` strictly one component below `root` (both absolute and normalised), and not
 * the root itself? Throws a PreconditionError naming what is wrong; returns the path.
 * The root "/" is refused: every top-level system directory is one component below it.
 */
export function checkRemovablePath(root: string, path: string): string {
  const refuse = (why: string) => {
    throw new PreconditionError(`refusing to delete ${JSON.stringify(path)}: ${why}`, {
      hint: 'nfsctl deletes only a volume directory directly inside nfs.root; check nfs.root and nfs.pathTemplate with `nfsctl config check`',
    });
  };
  if (!root.startsWith('/') || posix.normalize(root) !== root || (root.length > 1 && root.endsWith('/')))
    refuse(`the NFS root ${JSON.stringify(root)} is not a normalised absolute path`);
  if (root === '/') refuse('the NFS root is "/"');
  if (!path.startsWith('/') || posix.normalize(path) !== path || path.endsWith('/'))
    refuse('it is not a normalised absolute path');
  if (path === root) refuse('it is the NFS root itself');
  const base = posix.basename(path);
  if (posix.dirname(path) !== root || base === '' || base === '.' || base === '..')
    refuse(`it is not exactly one directory directly inside the NFS root ${root}`);
  if (/[\u0000-\u001f\u007f]/.test(path)) refuse('it contains a control character');
  return path;
}

// $1 root, $2 path, $3 mode (rmdir | rm), $4 metadata record, $5 text the record must
// contain, $6 XFS project id the directory must carry. A missing path is success (re-running
// finishes a half-deleted volume).
const REMOVE_DIR = [
  'root=$1 path=$2 mode=$3 meta=$4 want=$5 projid=$6',
  `no() { printf 'nfsctl: refusing to delete %s: %s; nothing was changed\\n' "$path" "$1" >&2; exit ${GUARD_REFUSED_EXIT}; }`,
  '[ -L "$path" ] && no \'it is a symbolic link\'',
  '[ -e "$path" ] || exit 0',
  '[ -d "$path" ] || no \'it is not a directory\'',
  'r=$(realpath -e -- "$root") || no "the NFS root $root does not resolve"',
  'p=$(realpath -e -- "$path") || no "it does not resolve"',
  '[ "$r" != / ] || no \'the NFS root resolves to /\'',
  '[ "$p" != "$r" ] || no \'it is the NFS root itself\'',
  '[ "${p%/*}" = "$r" ] || no "it is not directly inside $r (it resolves to $p)"',
  'if [ "$mode" = rmdir ]; then exec rmdir -- "$path"; fi',
  '{ [ -f "$meta" ] && [ ! -L "$meta" ]; } || no "it has no nfsctl metadata record ($meta)"',
  'grep -qF -- "$want" "$meta" || no "$meta is not the record of this volume"',
  'got=$(xfs_io -r -c lsproj "$path" 2>/dev/null | sed -n "s/^projid = //p")',
  '[ "$got" = "$projid" ] || no "its XFS project id is ${got:-unknown}, not $projid"',
  'exec rm -rf --one-file-system -- "$path"',
].join('\n');

/** The text nfsctl's JSON metadata record (xfsquota file, RBD image-meta) holds for one volume. */
export function metaNeedle(namespace: string, name: string): string {
  return `"namespace":${JSON.stringify(namespace)},"name":${JSON.stringify(name)}`;
}

/**
 * argv that deletes the volume directory `path` (with everything in it) only when it is
 * nfsctl's: its metadata record `metaPath` names this volume and the directory carries
 * XFS project `projectId`.
 */
export function removeOwnedDirArgv(
  root: string,
  path: string,
  metaPath: string,
  needle: string,
  projectId: number,
): string[] {
  return [
    'sh',
    '-c',
    REMOVE_DIR,
    'nfsctl-rm',
    root,
    checkRemovablePath(root, path),
    'rm',
    metaPath,
    needle,
    String(projectId),
  ];
}

/** argv that removes the directory `path` only if it is empty (rmdir), after the same path checks. */
export function removeEmptyDirArgv(root: string, path: string): string[] {
  return ['sh', '-c', REMOVE_DIR, 'nfsctl-rmdir', root, checkRemovablePath(root, path), 'rmdir', '', '', ''];
}

// $1 vg/lv, $2.. the nfsctl tags it must carry, then "--", then the LVM arguments.
const REMOVE_LV = [
  'lv=$1; shift; want=""',
  'while [ "$#" -gt 0 ] && [ "$1" != -- ]; do want="$want $1"; shift; done; [ "$#" -gt 0 ] && shift',
  `no() { printf 'nfsctl: refusing to remove %s: %s; nothing was changed\\n' "$lv" "$1" >&2; exit ${GUARD_REFUSED_EXIT}; }`,
  'tags=$(lvs "$@" --noheadings -o lv_tags "$lv") || no "lvs cannot read it"',
  'tags=",$(printf %s "$tags" | tr -d " \\t\\n"),"',
  'for t in $want; do case $tags in *",$t,"*) ;; *) no "it does not carry nfsctl\'s metadata tags for this volume" ;; esac; done',
  'exec lvremove "$@" --yes "$lv"',
].join('\n');

/** argv that removes LV `vgLv` only when it still carries every one of `tags` (nfsctl's metadata for this volume). */
export function removeOwnedLvArgv(vgLv: string, tags: readonly string[], lvmArgs: readonly string[]): string[] {
  if (tags.length === 0) throw new Error('internal: an LV removal needs the tags that prove ownership');
  return ['sh', '-c', REMOVE_LV, 'nfsctl-lvremove', vgLv, ...tags, '--', ...lvmArgs];
}

// $1 pool/image, $2 text its nfsctl.meta must contain, then the rbd arguments.
const REMOVE_IMAGE = [
  'spec=$1 want=$2; shift 2',
  `no() { printf 'nfsctl: refusing to remove RBD image %s: %s; nothing was changed\\n' "$spec" "$1" >&2; exit ${GUARD_REFUSED_EXIT}; }`,
  'm=$(rbd "$@" image-meta get -- "$spec" nfsctl.meta 2>/dev/null) || no "it has no nfsctl metadata (image-meta nfsctl.meta)"',
  'case $m in *"$want"*) ;; *) no "its nfsctl metadata is not this volume\'s" ;; esac',
  'exec rbd "$@" rm --no-progress -- "$spec"',
].join('\n');

/** argv that removes RBD image `spec` only when its nfsctl.meta names this volume. */
export function removeOwnedImageArgv(spec: string, needle: string, rbdArgs: readonly string[]): string[] {
  return ['sh', '-c', REMOVE_IMAGE, 'nfsctl-rbd-rm', spec, needle, ...rbdArgs];
}

// $1 file, $2 the exact first line it must carry (nfsctl's ownership mark). A missing file is success.
const REMOVE_FILE = [
  'f=$1 mark=$2',
  `no() { printf 'nfsctl: refusing to remove %s: %s; nothing was changed\\n' "$f" "$1" >&2; exit ${GUARD_REFUSED_EXIT}; }`,
  '[ -L "$f" ] && no \'it is a symbolic link\'',
  '[ -e "$f" ] || exit 0',
  '[ -f "$f" ] || no \'it is not a regular file\'',
  'IFS= read -r first <"$f" || [ -n "$first" ] || no \'it is empty\'',
  '[ "$first" = "$mark" ] || no "its first line is not nfsctl\'s mark ($mark)"',
  'exec rm -f -- "$f"',
].join('\n');

/** argv that removes the file `path` only when its first line is exactly `mark` (a resource file nfsctl wrote for this volume). */
export function removeMarkedFileArgv(path: string, mark: string): string[] {
  if (!path.startsWith('/') || posix.normalize(path) !== path)
    throw new Error(`internal: not a normalised path: ${path}`);
  if (mark.length === 0 || mark.includes('\n')) throw new Error('internal: a file removal needs a one-line mark');
  return ['sh', '-c', REMOVE_FILE, 'nfsctl-rm-marked', path, mark];
}
