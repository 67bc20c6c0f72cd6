import { createHash } from 'node:crypto';

// Atomic file replacement as one small POSIX sh script, used unchanged on the local host
// and over SSH, so both kinds of host share one tested code path. The content arrives on
// stdin; every value is a positional parameter (never spliced into the script text).
//
// Order matters for crash safety: the temp file lives in the target's directory (same
// filesystem, so rename is atomic), is fsynced before the rename, and the directory is
// fsynced after it. A process killed at any instant leaves either the old file or the new
// one, never a torn one (at worst a stray `.name.nfsctl-XXXXXX` temp file). The backup of
// the previous content is `<file>.nfsctl-<stamp>.<random>.bak`, made by mktemp (never a
// predictable name another user could plant a symlink at).

export const ATOMIC_WRITE_SCRIPT = `set -eu
target=$1 mode=$2 backup=$3 stamp=$4 keep=$5 size=$6 sum=$7
dir=$(dirname -- "$target"); base=$(basename -- "$target")
mkdir -p -- "$dir"
tmp=$(mktemp -- "$dir/.$base.nfsctl-XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
# If nfsctl died while sending, cat saw an early EOF: never install a short file.
got=$(wc -c < "$tmp")
[ "$got" -eq "$size" ] || { echo "incomplete content: got $got of $size bytes; $target unchanged" >&2; exit 75; }
[ "$(sha256sum < "$tmp" | cut -d' ' -f1)" = "$sum" ] || { echo "content checksum mismatch; $target unchanged" >&2; exit 75; }
if [ -e "$target" ]; then
  chmod --reference="$target" -- "$tmp"
  chown --reference="$target" -- "$tmp" 2>/dev/null || true
else
  chmod "$mode" -- "$tmp"
fi
sync -- "$tmp"
bak=
if [ "$backup" = 1 ] && [ -e "$target" ]; then
  # an unpredictable name, created exclusively (O_EXCL, mode 0600) by mktemp: a symlink
  # planted at a guessable name is never followed; the copy goes into that file, then gets
  # the original's mode, owner and times (what cp -p gave)
  bak=$(mktemp --suffix=.bak -- "$target.nfsctl-$stamp.XXXXXX")
  cat -- "$target" > "$bak"
  chown --reference="$target" -- "$bak" 2>/dev/null || true
  chmod --reference="$target" -- "$bak"
  touch -r "$target" -- "$bak"
  # keep the newest $keep backups; the stamp sorts chronologically
  set -- "$target".nfsctl-*.bak
  drop=$(($# - keep)); for f do [ "$drop" -gt 0 ] || break; rm -f -- "$f"; drop=$((drop - 1)); done
fi
mv -f -- "$tmp" "$target"
trap - EXIT
sync -- "$dir" 2>/dev/null || true
printf '%s' "$bak"
`;

export const BACKUPS_KEPT = 10;

/** 20261122T101530123Z: sortable, filename-safe, unique to the millisecond. */
export function backupStamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('.', '');
}

export function atomicWriteArgv(
  path: string,
  content: string,
  mode: number,
  backup: boolean,
  now = new Date(),
): string[] {
  if (!path.startsWith('/')) throw new Error(`atomic write needs an absolute path, got ${JSON.stringify(path)}`);
  const bytes = Buffer.from(content, 'utf8');
  const sum = createHash('sha256').update(bytes).digest('hex');
  return [
    'sh',
    '-c',
    ATOMIC_WRITE_SCRIPT,
    'nfsctl-write',
    path,
    mode.toString(8),
    backup ? '1' : '0',
    backupStamp(now),
    String(BACKUPS_KEPT),
    String(bytes.length),
    sum,
  ];
}

/** Prints the file, or exits 44 when it does not exist (so "missing" is not "unreadable"). */
export const READ_MISSING_EXIT = 44;
export function readFileArgv(path: string): string[] {
  return ['sh', '-c', 'if [ -e "$1" ]; then exec cat -- "$1"; else exit 44; fi', 'nfsctl-read', path];
}
