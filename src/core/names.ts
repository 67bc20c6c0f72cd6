/**
 * Volume identity: parsing "<namespace>/<name>" and mapping it to the names
 * every backend needs (directory, LV, RBD image, XFS project, NFS fsid,
 * Ganesha Export_Id).
 *
 * Everything here is deterministic: both hosts of the pair compute the same
 * names from the same reference without talking to each other, which is what
 * makes fail-over work. Nothing here touches the system.
 */

import { createHash } from 'node:crypto';

import { UsageError } from './errors.js';

/** A validated volume identity. Construct with parseVolumeRef/volumeRef. */
export interface VolumeRef {
  /** Kubernetes namespace (DNS-1123 label). */
  readonly namespace: string;
  /** Volume name (DNS-1123 subdomain). */
  readonly name: string;
}

export const NAMESPACE_MAX = 63;
export const NAME_MAX = 253;

export const NAMESPACE_RULE =
  'a namespace must be a DNS-1123 label: 1-63 characters, only lowercase letters a-z, digits 0-9 and "-", starting and ending with a letter or digit';
export const NAME_RULE =
  'a volume name must be a DNS-1123 subdomain: 1-253 characters, only lowercase letters a-z, digits 0-9, "-" and ".", each "."-separated part starting and ending with a letter or digit';

const LABEL_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
// Kubernetes' IsDNS1123Subdomain: the label regex joined by dots, 253 max overall.
// Like Kubernetes we do not cap each dot-separated part at 63 characters.
const SUBDOMAIN_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

// Characters a shell gives meaning to. Naming them explicitly gives a clearer
// message than "invalid character" when someone pastes `$(...)` or `a;b`.
const SHELL_META = new Set([...'`$&;|<>(){}[]*?!~#\'"\\^%=,:@+']);

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f) return `control character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return JSON.stringify(ch);
}

/**
 * Explain why `s` is not acceptable, or return null when it is. Checks run
 * from the most specific (and most likely to be an attack or a typo) to the
 * most general, so the message names the actual problem.
 */
function problemWith(s: string, kind: 'namespace' | 'name'): string | null {
  const max = kind === 'namespace' ? NAMESPACE_MAX : NAME_MAX;
  if (s.length === 0) return 'is empty';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (/\s/.test(ch)) return 'contains whitespace';
    if (cp > 0x7e) return `contains non-ASCII character ${JSON.stringify(ch)}`;
    if (cp < 0x20 || cp === 0x7f) return `contains ${describeChar(ch)}`;
    if (SHELL_META.has(ch)) return `contains shell metacharacter ${JSON.stringify(ch)}`;
    if (ch === '/') return 'contains "/"';
  }
  if (s.includes('..')) return 'contains ".."';
  const upper = /[A-Z]/.exec(s);
  if (upper) return `contains upper-case letter ${JSON.stringify(upper[0])} (names are lower case)`;
  if (kind === 'namespace' && s.includes('.')) return 'contains "." (not allowed in a namespace)';
  const other = /[^a-z0-9.-]/.exec(s);
  if (other) return `contains ${describeChar(other[0])}`;
  if (s.length > max) return `is ${s.length} characters long (at most ${max})`;
  if (s.startsWith('-') || s.endsWith('-')) return 'starts or ends with "-"';
  if (s.startsWith('.') || s.endsWith('.')) return 'starts or ends with "."';
  if (kind === 'name' && !SUBDOMAIN_RE.test(s)) {
    return 'has a "."-separated part that starts or ends with "-"';
  }
  if (kind === 'namespace' && !LABEL_RE.test(s)) return 'is not a DNS-1123 label';
  return null;
}

function shown(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

/** Throw UsageError unless `ns` is a valid namespace. */
export function validateNamespace(ns: string): void {
  const p = problemWith(ns, 'namespace');
  if (p) throw new UsageError(`invalid namespace ${shown(ns)}: ${p} (${NAMESPACE_RULE})`);
}

/** Throw UsageError unless `name` is a valid volume name. */
export function validateName(name: string): void {
  const p = problemWith(name, 'name');
  if (p) throw new UsageError(`invalid volume name ${shown(name)}: ${p} (${NAME_RULE})`);
}

/** Build a VolumeRef from parts, validating both. */
export function volumeRef(namespace: string, name: string): VolumeRef {
  validateNamespace(namespace);
  validateName(name);
  return Object.freeze({ namespace, name });
}

/** Parse "team-a/data" into a VolumeRef, or throw UsageError explaining why not. */
export function parseVolumeRef(input: string): VolumeRef {
  if (typeof input !== 'string' || input.length === 0) {
    throw new UsageError('missing volume reference: expected <namespace>/<name>, e.g. team-a/data');
  }
  const slashes = input.split('/').length - 1;
  if (slashes !== 1) {
    throw new UsageError(
      `invalid volume reference ${shown(input)}: expected <namespace>/<name> with exactly one "/" (found ${slashes}), e.g. team-a/data`,
    );
  }
  const [namespace = '', name = ''] = input.split('/');
  return volumeRef(namespace, name);
}

/** The canonical "<namespace>/<name>" text of a reference. */
export function formatVolumeRef(ref: VolumeRef): string {
  return `${ref.namespace}/${ref.name}`;
}

// ---------------------------------------------------------------------------
// Directory layout
// ---------------------------------------------------------------------------

const PLACEHOLDER_RE = /\{([^{}]*)\}/g;
const KNOWN_PLACEHOLDERS = new Set(['root', 'namespace', 'name']);

/** Characters each part may contain; used to decide whether a separator is unambiguous. */
const NAMESPACE_ALPHABET = /^[a-z0-9-]$/;
const NAME_ALPHABET = /^[a-z0-9.-]$/;

function checkTemplate(template: string): void {
  const counts = new Map<string, number>();
  for (const m of template.matchAll(PLACEHOLDER_RE)) {
    const key = m[1] ?? '';
    if (!KNOWN_PLACEHOLDERS.has(key)) {
      throw new UsageError(
        `invalid path template ${shown(template)}: unknown placeholder {${key}} (allowed: {root}, {namespace}, {name})`,
      );
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const stripped = template.replace(PLACEHOLDER_RE, '');
  if (stripped.includes('{') || stripped.includes('}')) {
    throw new UsageError(`invalid path template ${shown(template)}: unbalanced "{" or "}"`);
  }
  for (const key of ['namespace', 'name']) {
    const n = counts.get(key) ?? 0;
    if (n !== 1) {
      throw new UsageError(`invalid path template ${shown(template)}: {${key}} must appear exactly once (found ${n})`);
    }
  }
  if ((counts.get('root') ?? 0) > 1) {
    throw new UsageError(`invalid path template ${shown(template)}: {root} may appear at most once`);
  }
  if (/[\s\\"'#\u0000-\u001f\u007f]/.test(stripped)) {
    throw new UsageError(
      `invalid path template ${shown(template)}: contains whitespace, a quote, "#", "\\" or a control character`,
    );
  }
}

function checkRoot(root: string): string {
  if (!root.startsWith('/')) {
    throw new UsageError(`invalid export root ${shown(root)}: must be an absolute path`);
  }
  if (/[\s\\"'#\u0000-\u001f\u007f]/.test(root)) {
    throw new UsageError(
      `invalid export root ${shown(root)}: contains whitespace, a quote, "#", "\\" or a control character`,
    );
  }
  const trimmed = root.length > 1 ? root.replace(/\/+$/, '') : root;
  const segments = trimmed.split('/').slice(1);
  if (trimmed !== '/' && segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new UsageError(`invalid export root ${shown(root)}: must be a normalized path (no "//", "." or "..")`);
  }
  return trimmed;
}

/**
 * The directory a volume is mounted at and exported from, e.g.
 * volumePath("{root}/{namespace}_{name}", "/nfs", team-a/data) = "/nfs/team-a_data".
 */
export function volumePath(template: string, root: string, ref: VolumeRef): string {
  checkTemplate(template);
  const r = checkRoot(root);
  const out = template.replace(PLACEHOLDER_RE, (_m, key: string) => {
    if (key === 'root') return r === '/' ? '' : r;
    if (key === 'namespace') return ref.namespace;
    return ref.name;
  });
  const path = out.startsWith('//') ? out.slice(1) : out;
  if (!path.startsWith('/')) {
    throw new UsageError(`path template ${shown(template)} does not produce an absolute path (got ${shown(path)})`);
  }
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new UsageError(
      `path template ${shown(template)} produces a non-normalized path ${shown(path)} (empty, "." or ".." segment)`,
    );
  }
  return path;
}

/**
 * True when no two different volumes can map to the same path under
 * `template`. That holds when the text between the two placeholders contains
 * a character that cannot occur in the part before it (or the part after
 * it): its first (or last) occurrence then pins where the parts meet.
 * "{namespace}_{name}" and "{namespace}/{name}" are unambiguous;
 * "{namespace}{name}" and "{namespace}-{name}" are not ("a-b"+"c" vs "a"+"b-c")
 * and callers must check for collisions (see findPathCollisions).
 */
export function templateIsUnambiguous(template: string): boolean {
  checkTemplate(template);
  const matches = [...template.matchAll(PLACEHOLDER_RE)].filter((m) => m[1] === 'namespace' || m[1] === 'name');
  const [first, second] = matches;
  if (!first || !second || first.index === undefined || second.index === undefined) return false;
  const between = template.slice(first.index + first[0].length, second.index);
  // {root} between the two parts is operator-controlled and may be anything; treat as opaque.
  if (between.includes('{root}')) return false;
  const firstAlphabet = first[1] === 'namespace' ? NAMESPACE_ALPHABET : NAME_ALPHABET;
  const secondAlphabet = second[1] === 'namespace' ? NAMESPACE_ALPHABET : NAME_ALPHABET;
  for (const ch of between) {
    if (!firstAlphabet.test(ch) || !secondAlphabet.test(ch)) return true;
  }
  return false;
}

/** Group references that map to the same path; only groups of two or more are returned. */
export function findPathCollisions(
  template: string,
  root: string,
  refs: readonly VolumeRef[],
): Map<string, VolumeRef[]> {
  const byPath = new Map<string, VolumeRef[]>();
  for (const ref of refs) {
    const p = volumePath(template, root, ref);
    const list = byPath.get(p);
    if (list) list.push(ref);
    else byPath.set(p, [ref]);
  }
  for (const [p, list] of byPath) {
    const distinct = new Set(list.map(formatVolumeRef));
    if (distinct.size < 2) byPath.delete(p);
  }
  return byPath;
}

// ---------------------------------------------------------------------------
// Backend object names
// ---------------------------------------------------------------------------

function shortHash(text: string, hexChars = 16): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, hexChars);
}

/**
 * "pv.<namespace>.<name>": injective because a namespace contains no ".", so
 * the first "." after the prefix separates the parts. When that exceeds
 * `budget`, keep a prefix and append "+<16 hex of sha256>". "+" never occurs
 * in a DNS name, so a shortened name can never equal an unshortened one;
 * two shortened names collide only on a 64-bit hash collision. The full
 * identity is always recorded elsewhere (LV tags, RBD image-meta).
 */
function boundedName(ref: VolumeRef, fits: (candidate: string) => boolean): string {
  const full = `pv.${ref.namespace}.${ref.name}`;
  if (fits(full)) return full;
  const suffix = `+${shortHash(formatVolumeRef(ref))}`;
  for (let keep = full.length - 1; keep > 0; keep--) {
    let head = full.slice(0, keep);
    // Avoid ending the kept part on "." or "-" purely for readability.
    head = head.replace(/[.-]+$/, '');
    const candidate = `${head}${suffix}`;
    if (fits(candidate)) return candidate;
  }
  throw new UsageError(`cannot build a short enough name for ${formatVolumeRef(ref)}`);
}

/**
 * LVM's reserved substrings and prefixes (lib/misc/lvm-string.c), plus the
 * component suffixes newer LVM uses for cache volumes, writecache and
 * integrity. Being stricter than a given LVM version costs nothing: names
 * nfsctl generates contain no "_" at all.
 */
export const LVM_RESERVED_SUBSTRINGS = [
  '_cdata',
  '_cmeta',
  '_corig',
  '_mimage',
  '_mlog',
  '_pmspare',
  '_rimage',
  '_rmeta',
  '_tdata',
  '_tmeta',
  '_vorigin',
  '_vdata',
  '_cpool',
  '_cvol',
  '_wcorig',
  '_imeta',
  '_iorig',
  '_vpool',
] as const;
export const LVM_RESERVED_PREFIXES = ['snapshot', 'pvmove'] as const;
export const LVM_NAME_MAX = 127;
/** device-mapper names ("<vg>-<lv>" with "-" doubled inside each) are limited to 127 bytes. */
export const DM_NAME_MAX = 127;

/** Length of the device-mapper name LVM builds for vg/lv (hyphens in either are doubled). */
export function dmNameLength(vg: string, lv: string): number {
  const hyphens = (s: string) => s.split('-').length - 1;
  return vg.length + hyphens(vg) + 1 + lv.length + hyphens(lv);
}

/** Why `lv` is not a legal LVM LV name, or null when it is. */
export function lvNameProblem(lv: string): string | null {
  if (lv.length === 0) return 'is empty';
  if (lv.length > LVM_NAME_MAX) return `is longer than ${LVM_NAME_MAX} characters`;
  if (!/^[A-Za-z0-9+_.-]+$/.test(lv)) return 'contains characters outside [A-Za-z0-9+_.-]';
  if (lv.startsWith('-')) return 'starts with "-"';
  if (lv === '.' || lv === '..') return 'is "." or ".."';
  for (const p of LVM_RESERVED_PREFIXES) if (lv.startsWith(p)) return `starts with reserved prefix "${p}"`;
  for (const s of LVM_RESERVED_SUBSTRINGS) if (lv.includes(s)) return `contains reserved string "${s}"`;
  return null;
}

export interface LvNameOptions {
  /**
   * The volume group the LV will live in. When given, the name is also kept
   * short enough for the device-mapper name "<vg>-<lv>" (with doubled
   * hyphens) to fit in 127 bytes; otherwise lvcreate fails obscurely for
   * very long names. Use the same VG name on both hosts to get the same LV name.
   */
  vgName?: string;
}

/**
 * LVM logical volume name for a volume: "pv.<namespace>.<name>". It contains
 * no "_" at all, so none of LVM's reserved "_xxx" substrings can occur, and
 * "pv." is not a reserved prefix ("pvmove" is), so names like "tmeta",
 * "rimage-x" or "snapshot" are safe.
 */
export function lvName(ref: VolumeRef, options: LvNameOptions = {}): string {
  const vg = options.vgName;
  const name = boundedName(
    ref,
    (c) => c.length <= LVM_NAME_MAX && (vg === undefined || dmNameLength(vg, c) <= DM_NAME_MAX),
  );
  const problem = lvNameProblem(name);
  if (problem) throw new UsageError(`internal: generated LV name ${shown(name)} ${problem}`);
  return name;
}

/** Linux: a path component is at most 255 bytes (NAME_MAX), a path at most 4095 (PATH_MAX - 1). */
export const PATH_COMPONENT_MAX = 255;
export const PATH_MAX = 4095;

/**
 * Why the names derived for a volume cannot be created, or null: the path's components
 * and length (the template puts namespace and name into one component: a 253-character
 * name does not fit), and with `vg` the device-mapper name "<vg>-<lv>" (127 bytes).
 * Checked before anything runs, so the limit is named instead of lvcreate or mkdir failing.
 */
export function derivedNamesProblem(id: string, path: string, lv?: { vg: string; name: string }): string | null {
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes > PATH_MAX) return `${id}: its path is ${bytes} bytes; Linux allows at most ${PATH_MAX}`;
  for (const c of path.split('/')) {
    const n = Buffer.byteLength(c, 'utf8');
    if (n > PATH_COMPONENT_MAX)
      return `${id}: its directory name ${shown(`${c.slice(0, 40)}…`)} (from nfs.pathTemplate) is ${n} bytes; Linux allows at most ${PATH_COMPONENT_MAX} per path component: use a shorter name (namespace and name together)`;
  }
  if (lv) {
    const problem = lvNameProblem(lv.name);
    if (problem)
      return `${id}: its LV name ${shown(lv.name)} ${problem} (LVM allows at most ${LVM_NAME_MAX} characters)`;
    const dm = dmNameLength(lv.vg, lv.name);
    if (dm > DM_NAME_MAX)
      return `${id}: the device-mapper name of ${lv.vg}/${lv.name} would be ${dm} bytes; LVM allows at most ${DM_NAME_MAX} (a shorter volume or VG name)`;
  }
  return null;
}

/**
 * RBD image names: "pv.<namespace>.<name>", at most 255 characters because
 * udev publishes /dev/rbd/<pool>/<image> and a path component cannot be
 * longer than NAME_MAX (255).
 */
export const RBD_IMAGE_NAME_MAX = 255;
export function rbdImageName(ref: VolumeRef): string {
  return boundedName(ref, (c) => c.length <= RBD_IMAGE_NAME_MAX);
}

/**
 * XFS project name (the left column of /etc/projid): "pv.<namespace>.<name>".
 * Never all digits (xfs_quota would read it as an id) and never contains ":"
 * (the projid field separator). Bounded to 200 characters to stay well inside
 * the line buffers of the tools that read /etc/projid.
 */
export const PROJECT_NAME_MAX = 200;
export function projectName(ref: VolumeRef): string {
  return boundedName(ref, (c) => c.length <= PROJECT_NAME_MAX);
}

// ---------------------------------------------------------------------------
// NFS identifiers
// ---------------------------------------------------------------------------

/**
 * Fixed namespace UUID for nfsctl's fsids. NEVER change it: every existing
 * export's fsid (and so every client's file handles) is derived from it.
 */
export const FSID_NAMESPACE_UUID = '3d0c4b6e-2a51-4f0e-9a43-6b2f1c8e7d90';

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

function formatUuid(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** RFC 4122 version-5 (SHA-1, name-based) UUID. */
export function uuidV5(namespaceUuid: string, name: string): string {
  const digest = createHash('sha1').update(uuidBytes(namespaceUuid)).update(name, 'utf8').digest();
  const b = Uint8Array.from(digest.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50; // version 5
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  return formatUuid(b);
}

/**
 * The fsid= for a volume's kernel export. Deterministic, so primary and backup export the
 * same fsid and clients find the same export after a VIP move. File handles also carry the
 * inode number and generation: they stay valid only where the same filesystem moves (a shared
 * RBD image), not on an rsync copy.
 */
export function fsidFor(ref: VolumeRef): string {
  return uuidV5(FSID_NAMESPACE_UUID, formatVolumeRef(ref));
}

export const EXPORT_ID_MIN = 2;
export const EXPORT_ID_MAX = 65000;

/**
 * Candidate Ganesha Export_Id for a volume (0 is the pseudo root, 1 is the
 * conventional hand-written first export, so the range is 2..65000).
 *
 * ~65k ids means collisions are likely once there are a few hundred volumes
 * (birthday bound), so this is only a *candidate*: the caller must check it
 * against the ids already in use and, on a clash with a different volume,
 * try attempt = 1, 2, ... The sequence is deterministic, so both hosts probe
 * the same ids in the same order; the id actually chosen must be recorded
 * with the volume (metadata) rather than recomputed later.
 */
export function exportIdFor(ref: VolumeRef, attempt = 0): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a non-negative integer`);
  const digest = createHash('sha256')
    .update(`nfsctl-export-id\0${formatVolumeRef(ref)}\0${attempt}`)
    .digest();
  const n = digest.readUInt32BE(0);
  return EXPORT_ID_MIN + (n % (EXPORT_ID_MAX - EXPORT_ID_MIN + 1));
}
