/**
 * /etc/fstab (fstab(5)) parse, edit and serialize, round-tripping byte for byte.
 *
 * Ownership marker: a comment line directly ABOVE the mount line,
 *
 *     # nfsctl:team-a/data
 *     /dev/vg0/pv.team-a.data /nfs/team-a_data xfs defaults,nofail 0 2
 *
 * rather than a trailing comment, because fstab(5) only defines whole-line
 * comments: libmount happens to ignore text after the sixth field, but older
 * parsers and other tools (systemd-fstab-generator runs on libmount, but
 * scripts use awk/sed) may not. libmount also attaches the comment lines
 * before an entry to that entry, which matches this model.
 *
 * nfsctl only rewrites or removes mount lines preceded by its marker; a
 * foreign line for the same mount point makes an edit fail with
 * PreconditionError instead of silently creating a second mount.
 *
 * Fields are separated by blanks; "\ooo" octal escapes (e.g. "\040" for a
 * space) are decoded on parse and produced on render, like libmount's
 * unmangle/mangle.
 */

import { PreconditionError, UsageError } from './errors.js';
import { firstNonBlank, splitPhysicalLines } from './exports-file.js';

interface EntryBase {
  /** Original text including the line terminator. */
  readonly raw: string;
  /** 1-based line number. */
  readonly line: number;
}

export interface FstabBlank extends EntryBase {
  readonly kind: 'blank';
}

export interface FstabComment extends EntryBase {
  readonly kind: 'comment';
  /** Owner if this comment is an nfsctl marker, else null. */
  readonly marker: string | null;
}

export interface FstabMount extends EntryBase {
  readonly kind: 'mount';
  /** fs_spec: device, LABEL=..., UUID=..., host:/path... (decoded). */
  readonly spec: string;
  /** fs_file: the mount point (decoded). */
  readonly file: string;
  readonly vfstype: string;
  /** fs_mntops as written (decoded), "defaults" when the field is absent. */
  readonly mntops: string;
  readonly freq: number;
  readonly passno: number;
  /** Owner from the marker comment on the line directly above, or null. */
  readonly owner: string | null;
}

/** A non-comment line with fewer than three fields or non-numeric freq/passno; kept verbatim. */
export interface FstabInvalid extends EntryBase {
  readonly kind: 'invalid';
  readonly problem: string;
}

export type FstabEntry = FstabBlank | FstabComment | FstabMount | FstabInvalid;

export interface FstabFile {
  readonly entries: readonly FstabEntry[];
  readonly eol: '\n' | '\r\n';
}

/** What nfsctl wants mounted. */
export interface MountSpec {
  readonly spec: string;
  /** Mount point. */
  readonly file: string;
  readonly vfstype: string;
  readonly mntops: string | readonly string[];
  readonly freq?: number;
  readonly passno?: number;
}

export const FSTAB_MARKER_PREFIX = '# nfsctl:';
const MARKER_RE = /^\s*#\s*nfsctl:([A-Za-z0-9._/-]+)(?:\s.*)?\r?$/;
const OWNER_RE = /^[A-Za-z0-9._/-]+$/;

/** libmount unmangle: "\ooo" (three octal digits) becomes that byte. */
export function unmangle(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-3][0-7]{2})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** libmount mangle, plus "#" so a field can never start a comment. */
export function mangle(s: string): string {
  return s.replace(/[ \t\n\\#]/g, (ch) => `\\${(ch.codePointAt(0) ?? 0).toString(8).padStart(3, '0')}`);
}

function parseLine(content: string, raw: string, line: number, owner: string | null): FstabEntry {
  const text = content.endsWith('\r') ? content.slice(0, -1) : content;
  const fields = text.split(/[ \t]+/).filter((f) => f.length > 0);
  if (fields.length < 3) {
    return { kind: 'invalid', raw, line, problem: `expected at least 3 fields, found ${fields.length}` };
  }
  const [spec = '', file = '', vfstype = '', mntops = 'defaults', freqText = '0', passText = '0'] = fields;
  if (!/^-?\d+$/.test(freqText) || !/^-?\d+$/.test(passText)) {
    return { kind: 'invalid', raw, line, problem: 'freq and passno must be integers' };
  }
  return {
    kind: 'mount',
    raw,
    line,
    spec: unmangle(spec),
    file: unmangle(file),
    vfstype: unmangle(vfstype),
    mntops: unmangle(mntops),
    freq: Number(freqText),
    passno: Number(passText),
    owner,
  };
}

/** Parse fstab text. Never throws; odd lines are kept as 'invalid' entries. */
export function parseFstab(text: string): FstabFile {
  const lines = splitPhysicalLines(text);
  const first = lines[0];
  const eol: '\n' | '\r\n' = first && first.terminator === '\n' && first.content.endsWith('\r') ? '\r\n' : '\n';
  const entries: FstabEntry[] = [];
  let pendingMarker: string | null = null;
  for (let idx = 0; idx < lines.length; idx++) {
    const l = lines[idx] as (typeof lines)[number];
    const raw = text.slice(l.start, l.end);
    const lead = firstNonBlank(l.content);
    const lineNo = idx + 1;
    if (lead === '') {
      entries.push({ kind: 'blank', raw, line: lineNo });
      pendingMarker = null;
    } else if (lead === '#') {
      const m = MARKER_RE.exec(l.content);
      const marker = m ? (m[1] ?? null) : null;
      entries.push({ kind: 'comment', raw, line: lineNo, marker });
      pendingMarker = marker;
    } else {
      entries.push(parseLine(l.content, raw, lineNo, pendingMarker));
      pendingMarker = null;
    }
  }
  return { entries, eol };
}

export function serializeFstab(file: FstabFile): string {
  let out = '';
  for (const e of file.entries) out += e.raw;
  return out;
}

/** "/nfs/a/" and "/nfs/a" are the same mount point. */
export function normalizeMountPoint(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') || '/' : p;
}

/** All mount entries for a mount point, owned or not. */
export function findMounts(file: FstabFile, mountpoint: string): FstabMount[] {
  const want = normalizeMountPoint(mountpoint);
  return file.entries.filter((e): e is FstabMount => e.kind === 'mount' && normalizeMountPoint(e.file) === want);
}

/** Mount entries carrying an nfsctl marker. */
export function ownedMounts(file: FstabFile): FstabMount[] {
  return file.entries.filter((e): e is FstabMount => e.kind === 'mount' && e.owner !== null);
}

function checkField(what: string, value: string): void {
  if (value.length === 0) throw new UsageError(`fstab ${what} is empty`);
  // Tabs and spaces are fine (they get mangled to \011 / \040); newlines, NUL and other controls are not.
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
    throw new UsageError(`fstab ${what} ${JSON.stringify(value)} contains a newline or control character`);
  }
}

/** Render the mount line nfsctl writes (without terminator). */
export function renderMountLine(m: MountSpec): string {
  checkField('spec', m.spec);
  checkField('mount point', m.file);
  if (!m.file.startsWith('/')) throw new UsageError(`fstab mount point ${JSON.stringify(m.file)} must be absolute`);
  if (!/^[A-Za-z0-9._+-]+$/.test(m.vfstype))
    throw new UsageError(`invalid filesystem type ${JSON.stringify(m.vfstype)}`);
  const opts = typeof m.mntops === 'string' ? m.mntops : m.mntops.join(',');
  if (opts.length === 0) throw new UsageError('fstab mount options are empty (use "defaults")');
  if (/[\s#\\\u0000-\u001f\u007f]/.test(opts)) {
    throw new UsageError(
      `fstab mount options ${JSON.stringify(opts)} contain whitespace, "#", "\\" or a control character`,
    );
  }
  const freq = m.freq ?? 0;
  const passno = m.passno ?? 0;
  for (const [n, v] of [
    ['freq', freq],
    ['passno', passno],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 9) throw new UsageError(`fstab ${n} must be an integer 0-9, got ${v}`);
  }
  return `${mangle(m.spec)} ${mangle(m.file)} ${m.vfstype} ${opts} ${freq} ${passno}`;
}

function checkOwner(owner: string): void {
  if (!OWNER_RE.test(owner)) {
    throw new UsageError(`invalid nfsctl owner ${JSON.stringify(owner)} (letters, digits, ".", "_", "/", "-" only)`);
  }
}

function refuse(mountpoint: string, found: readonly FstabMount[], owner: string | undefined): void {
  const foreign = found.filter((e) => e.owner === null);
  if (foreign.length > 0) {
    throw new PreconditionError(
      `${mountpoint} already has an /etc/fstab entry nfsctl does not manage (${foreign
        .map((e) => `line ${e.line}: ${e.raw.trimEnd()}`)
        .join('; ')}); remove it, or put "${FSTAB_MARKER_PREFIX}<namespace>/<name>" on the line above it, then retry`,
    );
  }
  if (owner !== undefined) {
    const clash = found.filter((e) => e.owner !== owner);
    if (clash.length > 0) {
      throw new PreconditionError(
        `${mountpoint} is mounted for a different volume in /etc/fstab (${clash
          .map((e) => `"${e.owner}" at line ${e.line}`)
          .join(', ')}), not "${owner}"`,
      );
    }
  }
}

function terminatorOf(raw: string): string {
  if (raw.endsWith('\r\n')) return '\r\n';
  if (raw.endsWith('\n')) return '\n';
  return '';
}

/** Index of the marker comment owning entries[i] (the entry directly above), or -1. */
function markerIndex(entries: readonly FstabEntry[], i: number): number {
  const above = entries[i - 1];
  return above && above.kind === 'comment' && above.marker !== null ? i - 1 : -1;
}

/**
 * Recompute what parsing would: line numbers, and each mount's owner from the
 * line directly above it (an edit can change a neighbour's neighbour). Linear.
 */
function relink(entries: FstabEntry[]): FstabEntry[] {
  let line = 1;
  let prev: FstabEntry | undefined;
  for (let i = 0; i < entries.length; i++) {
    let e = entries[i] as FstabEntry;
    if (e.line !== line) e = { ...e, line };
    if (e.kind === 'mount') {
      const owner = prev && prev.kind === 'comment' ? prev.marker : null;
      if (e.owner !== owner) e = { ...e, owner };
    }
    entries[i] = e;
    prev = e;
    for (let p = e.raw.indexOf('\n'); p >= 0; p = e.raw.indexOf('\n', p + 1)) line++;
  }
  return entries;
}

/** The marker + mount entries nfsctl writes, parsed by the real parser as a self-check. */
function ownedPair(lineText: string, owner: string, eol: string, mountpoint: string): FstabEntry[] {
  const parsed = parseFstab(`${FSTAB_MARKER_PREFIX}${owner}${eol}${lineText}${eol}`).entries;
  const mount = parsed[1];
  if (
    parsed.length !== 2 ||
    !mount ||
    mount.kind !== 'mount' ||
    mount.owner !== owner ||
    normalizeMountPoint(mount.file) !== normalizeMountPoint(mountpoint)
  ) {
    throw new Error(`internal: rendered fstab line does not parse back: ${JSON.stringify(lineText)}`);
  }
  return [...parsed];
}

/**
 * Make `m.file` mounted by an nfsctl-owned entry for `owner`: rewrite the
 * owned entry in place (its marker too) or append marker + entry at the end.
 * Orphaned markers for the same owner (left by an interrupted edit) are
 * dropped. Throws PreconditionError on a foreign or differently-owned entry
 * for the same mount point. Returns a new FstabFile.
 */
export function upsertMount(file: FstabFile, m: MountSpec, owner: string): FstabFile {
  checkOwner(owner);
  const line = renderMountLine(m);
  const found = findMounts(file, m.file);
  refuse(m.file, found, owner);
  const [keep, ...extra] = found;
  const src = file.entries;
  const drop = new Set<FstabEntry>(extra);
  for (let i = 0; i < src.length; i++) {
    const e = src[i] as FstabEntry;
    if (drop.has(e)) {
      const mi = markerIndex(src, i);
      if (mi >= 0) drop.add(src[mi] as FstabEntry);
    }
    // Orphaned marker for this owner: not directly followed by a mount line.
    if (e.kind === 'comment' && e.marker === owner && src[i + 1]?.kind !== 'mount') drop.add(e);
  }
  const out: FstabEntry[] = [];
  for (let i = 0; i < src.length; i++) {
    const e = src[i] as FstabEntry;
    if (drop.has(e)) continue;
    if (e === keep) {
      // `keep` is owned, so the entry directly above it (already in `out`) is its marker.
      const marker = out.pop();
      const [mk, mount] = ownedPair(line, owner, terminatorOf(marker?.raw ?? '') || file.eol, m.file) as [
        FstabEntry,
        FstabEntry,
      ];
      out.push(mk, { ...mount, raw: line + terminatorOf(keep.raw) });
      continue;
    }
    out.push(e);
  }
  if (!keep) {
    const last = out[out.length - 1];
    if (last && terminatorOf(last.raw) === '') out[out.length - 1] = { ...last, raw: last.raw + file.eol };
    out.push(...ownedPair(line, owner, file.eol, m.file));
  }
  return { entries: relink(out), eol: file.eol };
}

/**
 * Remove nfsctl's entry (and its marker) for `mountpoint`; a no-op when
 * there is none. Throws PreconditionError if a foreign entry mounts the same
 * point, or `owner` is given and the entry belongs to another volume.
 */
export function removeMount(file: FstabFile, mountpoint: string, owner?: string): FstabFile {
  if (owner !== undefined) checkOwner(owner);
  const found = findMounts(file, mountpoint);
  refuse(mountpoint, found, owner);
  const src = file.entries;
  const drop = new Set<FstabEntry>(found);
  for (let i = 0; i < src.length; i++) {
    const e = src[i] as FstabEntry;
    if (drop.has(e)) {
      const mi = markerIndex(src, i);
      if (mi >= 0) drop.add(src[mi] as FstabEntry);
    }
    if (owner !== undefined && e.kind === 'comment' && e.marker === owner && src[i + 1]?.kind !== 'mount') drop.add(e);
  }
  if (drop.size === 0) return file;
  return { entries: relink(src.filter((e) => !drop.has(e))), eol: file.eol };
}
