// How `volume list` shows what nfsctl does not manage (read by volume/unmanaged.ts).
import type { Context } from '../../cli/context.js';
import { formatSize } from '../../core/sizes.js';
import { findUnmanaged, type ForeignReads, type UnmanagedHost, type UnmanagedVolume } from '../../volume/unmanaged.js';
import type { PairRole } from '../../config/schema.js';
import type { PairState } from '../../volume/plans.js';

export function unmanagedOf(
  ctx: Context,
  state: PairState,
  foreign: Record<PairRole, ForeignReads>,
): UnmanagedVolume[] {
  return findUnmanaged(ctx.config, state.inv, foreign, state.views);
}

export function unmanagedJson(u: UnmanagedVolume) {
  const host = (h: UnmanagedHost) => ({
    reachable: h.reachable,
    dir: h.dir,
    lv: h.lv ? { name: h.lv.name, sizeBytes: h.lv.size } : null,
    mounted: h.mount !== null,
    fstab: h.fstab.length > 0,
    exports: h.exports.map((e) => ({ file: e.file, line: e.entry.line, text: e.entry.raw.trimEnd() })),
  });
  return {
    path: u.path,
    kind: u.kind,
    consistent: u.differences.length === 0,
    differences: u.differences,
    hosts: { primary: host(u.hosts.primary), backup: host(u.hosts.backup) },
  };
}

function cell(h: UnmanagedHost): string {
  if (!h.reachable) return 'unreachable';
  const parts = [
    h.lv ? `lv ${h.lv.name}` : h.dir ? 'dir' : '',
    h.mount ? 'mnt' : '',
    h.exports.length ? 'exp' : '',
  ].filter(Boolean);
  return parts.join('+') || 'missing';
}

/** The section below the managed volumes: every unmanaged volume-shaped thing, marked as such. */
export function printUnmanaged(ctx: Context, list: UnmanagedVolume[]): void {
  if (list.length === 0) return;
  const c = ctx.out.color;
  const rows = [["UNMANAGED (not nfsctl's)", 'KIND', 'SIZE', 'PRIMARY', 'BACKUP', 'BOTH HOSTS']];
  for (const u of list) {
    const lv = u.hosts.primary.lv ?? u.hosts.backup.lv;
    rows.push([
      u.path,
      u.kind,
      lv ? formatSize(lv.size) : '-',
      cell(u.hosts.primary),
      cell(u.hosts.backup),
      u.differences.length
        ? `differ: ${u.differences[0]}${u.differences.length > 1 ? ` (+${u.differences.length - 1})` : ''}`
        : 'consistent',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const text = rows.map((r) =>
    r
      .map((x, i) => (i === r.length - 1 ? x : x.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  ctx.out.line('');
  ctx.out.line(c.bold(text[0]!));
  text.slice(1).forEach((line, i) => ctx.out.line(list[i]!.differences.length ? c.yellow(line) : line));
  const ok = list.filter((u) => u.differences.length === 0 && u.kind === 'lv').length;
  ctx.out.info(
    `${list.length} unmanaged: nfsctl does not resize, fail over, sync or delete them${ok ? `; ${ok} can be adopted as they are (\`nfsctl volume adopt --all --dry-run\`)` : ''}`,
  );
}
