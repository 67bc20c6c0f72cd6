/**
 * /etc/exports (exports(5)) as a list of entries that round-trips byte for byte.
 *
 * Why byte for byte: /etc/exports is shared with whatever else the operator
 * exports by hand. nfsctl must be able to add and remove its own lines without
 * reformatting, reordering or "fixing" anybody else's.
 *
 * Ownership: a line belongs to nfsctl when it ends with a marker comment
 * `# nfsctl:<owner>` (owner = "<namespace>/<name>"), e.g.
 *
 *     /nfs/team-a_data 10.0.0.0/8(rw,sync,no_subtree_check,fsid=...) # nfsctl:team-a/data
 *
 * A trailing comment keeps one export on one line (so edits are atomic per
 * line) and exportfs ignores it: nfs-utils skips "#" to end of line when it
 * is met between tokens. nfsctl only ever rewrites or deletes lines carrying
 * its marker; if any other line exports the same path the edit is refused
 * with a PreconditionError, because the kernel would merge or shadow the two.
 *
 * Parsing follows nfs-utils (support/nfs/xio.c, exports.c): "\" at the very
 * end of a line continues it, double quotes group (and are removed), "\ooo"
 * octal escapes are decoded, "#" at the start of a token starts a comment that
 * runs to the end of that physical line (and ends the entry), "-opts" sets
 * default options, and "host(opts)" has no space before "(".
 * Everything is linear in the size of the file.
 */

import { isIPv4, isIPv6 } from 'node:net';

import { PreconditionError, UsageError } from './errors.js';

export interface ExportClient {
  /** Client spec as written ("" means a bare "(opts)" token, which exportfs applies to everyone). */
  readonly host: string;
  readonly options: readonly string[];
}

interface EntryBase {
  /** The entry's original text, including its line terminator(s) and continuation lines. */
  readonly raw: string;
  /** 1-based number of the entry's first physical line. */
  readonly line: number;
}

export interface BlankEntry extends EntryBase {
  readonly kind: 'blank';
}

export interface CommentEntry extends EntryBase {
  readonly kind: 'comment';
}

export interface ExportEntry extends EntryBase {
  readonly kind: 'export';
  /** The exported path, with quotes removed and octal escapes decoded. */
  readonly path: string;
  /** Options from a "-opts" token, applied to clients without their own. */
  readonly defaultOptions: readonly string[];
  readonly clients: readonly ExportClient[];
  /** Trailing comment including its "#", if any. */
  readonly comment: string | null;
  /** Owner named by an nfsctl marker comment, or null for a foreign line. */
  readonly owner: string | null;
  /** Things that look wrong in a (foreign) line; parsing never throws. */
  readonly problems: readonly string[];
}

export type ExportsEntry = BlankEntry | CommentEntry | ExportEntry;

export interface ExportsFile {
  readonly entries: readonly ExportsEntry[];
  /** Line terminator used for lines nfsctl adds: the file's own (first) one, "\n" by default. */
  readonly eol: '\n' | '\r\n';
}

export const EXPORTS_MARKER = 'nfsctl:';
const MARKER_RE = /^#\s*nfsctl:([A-Za-z0-9._/-]+)(?:\s.*)?$/;
const OWNER_RE = /^[A-Za-z0-9._/-]+$/;

export interface PhysicalLine {
  readonly content: string; // without "\n" (may end with "\r")
  readonly terminator: string; // "\n" or "" for a final unterminated line
  /** Offset of the line in the text, and one past its terminator. */
  readonly start: number;
  readonly end: number;
}

/** Split into physical lines keeping terminators, so joining reproduces the input. */
export function splitPhysicalLines(text: string): PhysicalLine[] {
  const out: PhysicalLine[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      out.push({ content: text.slice(start), terminator: '', start, end: text.length });
      break;
    }
    out.push({ content: text.slice(start, nl), terminator: '\n', start, end: nl + 1 });
    start = nl + 1;
  }
  return out;
}

/** First character that is not a blank, or "" for a blank line. */
export function firstNonBlank(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 11 && c !== 12) return s.charAt(i);
  }
  return '';
}

/** Decode nfs-utils "\ooo" escapes (three octal digits, value < 256). */
export function decodeOctalEscapes(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-3][0-7]{2})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

interface Scan {
  /** Index one past the last physical line of the entry. */
  end: number;
  tokens: string[];
  comment: string | null;
}

/** Read one logical entry starting at physical line `start`, the way nfs-utils' xgettok/xskip do. */
function scanEntry(lines: readonly PhysicalLine[], start: number): Scan {
  const tokens: string[] = [];
  // The current token is `tok` (pieces already closed off by quotes or
  // continuations) plus body[pieceStart..j). Slicing instead of appending
  // character by character keeps parsing allocation-light.
  let tok = '';
  let inTok = false;
  let quoted = false;
  let li = start;
  let skipLeading = false;
  for (;;) {
    const line = lines[li];
    if (!line) return { end: li, tokens: inTok ? [...tokens, tok] : tokens, comment: null };
    const content = line.content;
    // Like xgetc: "\\" immediately followed by "\n" joins the next line.
    const cont = line.terminator !== '' && content.endsWith('\\');
    const body = cont ? content.slice(0, -1) : content;
    let j = 0;
    if (skipLeading) {
      while (j < body.length && (body[j] === ' ' || body[j] === '\t')) j++;
      skipLeading = false;
    }
    let pieceStart = j;
    for (; j < body.length; j++) {
      const c = body.charCodeAt(j);
      if (!quoted && (c === 32 || c === 9 || c === 13 || c === 11 || c === 12)) {
        if (inTok) tokens.push(tok + body.slice(pieceStart, j));
        tok = '';
        inTok = false;
        pieceStart = j + 1;
        continue;
      }
      if (!quoted && !inTok && c === 35 /* # */) {
        // Comment to end of the physical line; a trailing "\\" inside it does not continue.
        return { end: li + 1, tokens, comment: content.slice(j) };
      }
      if (c === 34 /* " */) {
        tok += body.slice(pieceStart, j);
        pieceStart = j + 1;
        quoted = !quoted;
        inTok = true;
        continue;
      }
      inTok = true;
    }
    if (inTok) tok += body.slice(pieceStart, j);
    if (!cont) {
      if (inTok) tokens.push(tok);
      return { end: li + 1, tokens, comment: null };
    }
    // Backslash-newline reads as one space (inside quotes it becomes part of the token).
    if (quoted) tok += ' ';
    else if (inTok) {
      tokens.push(tok);
      tok = '';
      inTok = false;
    }
    skipLeading = true;
    li++;
  }
}

function splitOptions(list: string): string[] {
  const out: string[] = [];
  for (const o of list.split(',')) if (o.length > 0) out.push(o);
  return out;
}

function interpret(tokens: readonly string[]): {
  path: string;
  defaultOptions: string[];
  clients: ExportClient[];
  problems: string[];
} {
  const problems: string[] = [];
  const path = decodeOctalEscapes(tokens[0] ?? '');
  if (path.charCodeAt(0) !== 47 /* / */) problems.push(`path ${JSON.stringify(path)} is not absolute`);
  let defaultOptions: string[] = [];
  const clients: ExportClient[] = [];
  for (let k = 1; k < tokens.length; k++) {
    const t = tokens[k] as string;
    if (t.charCodeAt(0) === 45 /* - */) {
      defaultOptions = splitOptions(t.slice(1));
      continue;
    }
    const open = t.indexOf('(');
    if (open < 0) {
      clients.push({ host: decodeOctalEscapes(t), options: [] });
      continue;
    }
    const closed = t.charCodeAt(t.length - 1) === 41; /* ) */
    if (!closed || t.indexOf('(', open + 1) >= 0) {
      problems.push(`malformed client token ${JSON.stringify(t)}`);
    }
    const host = decodeOctalEscapes(t.slice(0, open));
    if (host === '')
      problems.push(`options ${JSON.stringify(t)} without a client apply to everyone (space before "("?)`);
    clients.push({ host, options: splitOptions(t.slice(open + 1, closed ? -1 : undefined)) });
  }
  return { path, defaultOptions, clients, problems };
}

/** Parse the text of an exports file. Never throws: odd foreign lines are kept and flagged. */
export function parseExports(text: string): ExportsFile {
  const lines = splitPhysicalLines(text);
  const entries: ExportsEntry[] = [];
  const first = lines[0];
  const eol: '\n' | '\r\n' = first && first.terminator === '\n' && first.content.endsWith('\r') ? '\r\n' : '\n';
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as PhysicalLine;
    const lead = firstNonBlank(line.content);
    if (lead === '') {
      entries.push({ kind: 'blank', raw: text.slice(line.start, line.end), line: i + 1 });
      i++;
      continue;
    }
    if (lead === '#') {
      entries.push({ kind: 'comment', raw: text.slice(line.start, line.end), line: i + 1 });
      i++;
      continue;
    }
    const scan = scanEntry(lines, i);
    const raw = text.slice(line.start, (lines[scan.end - 1] as PhysicalLine).end);
    if (scan.tokens.length === 0) {
      entries.push({ kind: scan.comment === null ? 'blank' : 'comment', raw, line: i + 1 });
    } else {
      const { path, defaultOptions, clients, problems } = interpret(scan.tokens);
      const comment =
        scan.comment === null ? null : scan.comment.endsWith('\r') ? scan.comment.slice(0, -1) : scan.comment;
      const marker = comment === null ? null : MARKER_RE.exec(comment);
      entries.push({
        kind: 'export',
        raw,
        line: i + 1,
        path,
        defaultOptions,
        clients,
        comment,
        owner: marker ? (marker[1] ?? null) : null,
        problems,
      });
    }
    i = scan.end;
  }
  return { entries, eol };
}

/** The file's text; parseExports(text) then serializeExports gives back `text` exactly. */
export function serializeExports(file: ExportsFile): string {
  let out = '';
  for (const e of file.entries) out += e.raw;
  return out;
}

/** Strip trailing slashes so "/nfs/a/" and "/nfs/a" compare equal (exportfs treats them alike). */
export function normalizeExportPath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
}

/** All export entries for `path` (owned or not), in file order. */
export function findExports(file: ExportsFile, path: string): ExportEntry[] {
  const want = normalizeExportPath(path);
  return file.entries.filter((e): e is ExportEntry => e.kind === 'export' && normalizeExportPath(e.path) === want);
}

/** Every export entry carrying an nfsctl marker. */
export function ownedExports(file: ExportsFile): ExportEntry[] {
  return file.entries.filter((e): e is ExportEntry => e.kind === 'export' && e.owner !== null);
}

/** Encode a path as one exports token: octal-escape anything exportfs would split on or reinterpret. */
export function encodeExportPath(path: string): string {
  let out = '';
  for (const ch of path) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp <= 0x20 || cp === 0x7f || ch === '"' || ch === '\\' || ch === '#' || ch === '(' || ch === ')') {
      out += `\\${cp.toString(8).padStart(3, '0')}`;
    } else {
      out += ch;
    }
  }
  return out;
}

function checkPath(path: string): void {
  if (!path.startsWith('/')) throw new UsageError(`export path ${JSON.stringify(path)} must be absolute`);
  if (/[\u0000-\u001f\u007f]/.test(path)) {
    throw new UsageError(`export path ${JSON.stringify(path)} contains a control character`);
  }
}

function checkOwner(owner: string): void {
  if (!OWNER_RE.test(owner)) {
    throw new UsageError(`invalid nfsctl owner ${JSON.stringify(owner)} (letters, digits, ".", "_", "/", "-" only)`);
  }
}

/** Render the single line nfsctl writes for an export (without terminator). */
export function renderExportLine(path: string, clients: readonly ExportClient[], owner: string): string {
  checkPath(path);
  checkOwner(owner);
  if (clients.length === 0) throw new UsageError(`export of ${path} needs at least one client`);
  const parts = clients.map((c) => {
    validateClientSpec(c.host);
    validateExportOptions(c.options);
    return c.options.length > 0 ? `${c.host}(${c.options.join(',')})` : c.host;
  });
  return `${encodeExportPath(path)} ${parts.join(' ')} # ${EXPORTS_MARKER}${owner}`;
}

function describe(e: ExportEntry): string {
  const text = e.raw.replace(/\r?\n$/, '');
  return `line ${e.line}: ${text.length > 160 ? `${text.slice(0, 160)}…` : text}`;
}

function refuseForeign(path: string, others: readonly ExportEntry[], owner: string | undefined): void {
  const foreign = others.filter((e) => e.owner === null);
  if (foreign.length > 0) {
    throw new PreconditionError(
      `${path} is already exported by a line nfsctl does not manage (${foreign.map(describe).join('; ')}); ` +
        `remove that line, or mark it as nfsctl's by appending "# ${EXPORTS_MARKER}<namespace>/<name>", then retry`,
    );
  }
  if (owner !== undefined) {
    const clash = others.filter((e) => e.owner !== null && e.owner !== owner);
    if (clash.length > 0) {
      throw new PreconditionError(
        `${path} is exported for a different volume (${clash.map((e) => `"${e.owner}" at line ${e.line}`).join(', ')}), not "${owner}"`,
      );
    }
  }
}

/** Line terminator that closes `raw` ("" when it is the unterminated last line). */
function terminatorOf(raw: string): string {
  if (raw.endsWith('\r\n')) return '\r\n';
  if (raw.endsWith('\n')) return '\n';
  return '';
}

/**
 * Parse the single line nfsctl is about to write and check it means exactly
 * what we intend: one export of `path`, owned by `owner`.
 */
function ownedEntryFor(lineText: string, eol: string, path: string, owner: string): ExportEntry {
  const parsed = parseExports(lineText + eol).entries;
  const e = parsed[0];
  if (
    parsed.length !== 1 ||
    !e ||
    e.kind !== 'export' ||
    e.owner !== owner ||
    normalizeExportPath(e.path) !== normalizeExportPath(path)
  ) {
    throw new Error(`internal: rendered exports line does not parse back: ${JSON.stringify(lineText)}`);
  }
  return e;
}

/** Fix up line numbers after entries were added, replaced or removed (linear). */
function renumber(entries: ExportsEntry[]): ExportsEntry[] {
  let line = 1;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as ExportsEntry;
    if (e.line !== line) entries[i] = { ...e, line };
    for (let p = e.raw.indexOf('\n'); p >= 0; p = e.raw.indexOf('\n', p + 1)) line++;
  }
  return entries;
}

/**
 * Make `path` exported to `clients` by an nfsctl-owned line for `owner`.
 * Replaces the owned line(s) for the path in place (keeping position and
 * terminator; duplicates are dropped), or appends a new line. Throws
 * PreconditionError if a foreign line, or a line owned by another volume,
 * exports the same path. Returns a new ExportsFile; the input is not changed.
 *
 * Edits never change how neighbouring lines parse: an entry that precedes
 * another one cannot end in a continuation (it would have swallowed it), and
 * the lines nfsctl writes end in a comment, which never continues. The one
 * exception, a file whose last line ends in "\\", is handled on append.
 */
export function upsertExport(
  file: ExportsFile,
  path: string,
  clients: readonly ExportClient[],
  owner: string,
): ExportsFile {
  const text = renderExportLine(path, clients, owner);
  const matches = findExports(file, path);
  refuseForeign(path, matches, owner);
  if (matches.length > 0) {
    const [keep, ...drop] = matches as [ExportEntry, ...ExportEntry[]];
    const fresh = ownedEntryFor(text, terminatorOf(keep.raw), path, owner);
    const dropSet = new Set<ExportsEntry>(drop);
    const out: ExportsEntry[] = [];
    for (const e of file.entries) {
      if (dropSet.has(e)) continue;
      out.push(e === keep ? { ...fresh, line: keep.line } : e);
    }
    // Line numbers shift if duplicates went away or `keep` spanned continuation lines.
    return { entries: renumber(out), eol: file.eol };
  }
  const entries = [...file.entries];
  const mine = ownedEntryFor(text, file.eol, path, owner);
  const last = entries[entries.length - 1];
  if (!last) return { entries: [mine], eol: file.eol };
  // Re-read the old last entry together with our line, exactly as exportfs
  // will. If it is unterminated it needs a newline; if it ends in "\\" it
  // would swallow our line as a continuation, so give it an empty line to
  // consume instead.
  const isMine = (e: ExportsEntry | undefined) =>
    e !== undefined &&
    e.kind === 'export' &&
    e.owner === owner &&
    normalizeExportPath(e.path) === normalizeExportPath(path);
  let head = terminatorOf(last.raw) === '' ? last.raw + file.eol : last.raw;
  let tail = parseExports(head + text + file.eol).entries;
  if (!isMine(tail[tail.length - 1]) || tail.length < 2) {
    head += file.eol;
    tail = parseExports(head + text + file.eol).entries;
    if (!isMine(tail[tail.length - 1])) {
      throw new Error(`internal: cannot append an exports line after ${JSON.stringify(last.raw.slice(-80))}`);
    }
  }
  entries.splice(entries.length - 1, 1, ...tail);
  return { entries: renumber(entries), eol: file.eol };
}

/**
 * Remove nfsctl's line(s) exporting `path`. A no-op when there are none.
 * Throws PreconditionError when a foreign line also exports the path (removing
 * ours would not unexport it), or when `owner` is given and the owned line
 * belongs to a different volume.
 */
export function removeExport(file: ExportsFile, path: string, owner?: string): ExportsFile {
  const matches = findExports(file, path);
  refuseForeign(path, matches, owner);
  if (matches.length === 0) return file;
  const drop = new Set<ExportsEntry>(matches);
  return { entries: renumber(file.entries.filter((e) => !drop.has(e))), eol: file.eol };
}

// ---------------------------------------------------------------------------
// Option and client validation
// ---------------------------------------------------------------------------
/** Options that take no value. */
const FLAG_OPTIONS = [
  'rw',
  'ro',
  'sync',
  'async',
  'wdelay',
  'no_wdelay',
  'hide',
  'nohide',
  'crossmnt',
  'subtree_check',
  'no_subtree_check',
  'secure_locks',
  'auth_nlm',
  'insecure_locks',
  'no_auth_nlm',
  'secure',
  'insecure',
  'root_squash',
  'no_root_squash',
  'all_squash',
  'no_all_squash',
  'nordirplus',
  'pnfs',
  'no_pnfs',
  'security_label',
] as const;

/** Options that require "=value". */
const VALUE_OPTIONS = ['fsid', 'anonuid', 'anongid', 'sec', 'refer', 'replicas', 'xprtsec'] as const;

/** Options that may appear bare or with "=value". */
const OPTIONAL_VALUE_OPTIONS = ['mountpoint', 'mp'] as const;

export const KNOWN_EXPORT_OPTIONS: readonly string[] = [...FLAG_OPTIONS, ...VALUE_OPTIONS, ...OPTIONAL_VALUE_OPTIONS];

const FLAGS = new Set<string>(FLAG_OPTIONS);
const VALUED = new Set<string>(VALUE_OPTIONS);
const OPTIONAL_VALUED = new Set<string>(OPTIONAL_VALUE_OPTIONS);

/** Synonyms collapse to one canonical spelling before looking for contradictions. */
const CANONICAL: Record<string, string> = {
  auth_nlm: 'secure_locks',
  no_auth_nlm: 'insecure_locks',
  mp: 'mountpoint',
};

/** Pairs that cannot both be set; exportfs silently lets the last one win. */
const CONTRADICTIONS: ReadonlyArray<readonly [string, string]> = [
  ['rw', 'ro'],
  ['sync', 'async'],
  ['wdelay', 'no_wdelay'],
  ['hide', 'nohide'],
  ['subtree_check', 'no_subtree_check'],
  ['secure_locks', 'insecure_locks'],
  ['secure', 'insecure'],
  ['root_squash', 'no_root_squash'],
  ['all_squash', 'no_all_squash'],
  ['pnfs', 'no_pnfs'],
];

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const SEC_FLAVORS = new Set(['sys', 'krb5', 'krb5i', 'krb5p', 'none']);
const XPRTSEC_POLICIES = new Set(['none', 'tls', 'mtls']);

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** Known options that look like `word` (typos, missing underscores, extra "no"). */
export function closeMatches(word: string, candidates: readonly string[] = KNOWN_EXPORT_OPTIONS, max = 3): string[] {
  const w = word.toLowerCase();
  const squash = (s: string) => s.replace(/[_-]/g, '');
  const scored = candidates
    .map((c) => {
      let score = levenshtein(w, c);
      if (squash(w) === squash(c)) score = Math.min(score, 0.5);
      return { c, score };
    })
    .filter(({ c, score }) => score <= Math.max(2, Math.floor(c.length / 4)))
    .sort((x, y) => x.score - y.score || x.c.localeCompare(y.c));
  return scored.slice(0, max).map(({ c }) => c);
}

function unknownOption(name: string): never {
  const near = closeMatches(name);
  const hint = near.length > 0 ? `; did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : '';
  throw new UsageError(`unknown export option "${name}"${hint} (see exports(5))`);
}

function checkValue(name: string, value: string): void {
  const bad = (why: string): never => {
    throw new UsageError(`invalid value for export option "${name}": ${JSON.stringify(value)} ${why}`);
  };
  switch (name) {
    case 'fsid':
      if (value === 'root') return;
      if (/^\d+$/.test(value)) {
        if (Number(value) > 0xffffffff) bad('is out of range (0-4294967295)');
        return;
      }
      if (UUID_RE.test(value)) return;
      bad('must be "root", an integer or a UUID');
      break;
    case 'anonuid':
    case 'anongid':
      if (!/^-?\d+$/.test(value)) bad('must be an integer');
      if (Number(value) < -2147483648 || Number(value) > 0xffffffff) bad('is out of range');
      return;
    case 'sec': {
      const flavors = value.split(':');
      for (const f of flavors) {
        if (!SEC_FLAVORS.has(f))
          bad(`contains unknown flavor "${f}" (expected ${[...SEC_FLAVORS].join(', ')}, separated by ":")`);
      }
      return;
    }
    case 'xprtsec': {
      for (const p of value.split(':')) {
        if (!XPRTSEC_POLICIES.has(p)) bad(`contains unknown policy "${p}" (expected none, tls, mtls)`);
      }
      return;
    }
    case 'refer':
    case 'replicas':
      // path@host[+host][:path@host...]; just make sure it is one shell- and exports-safe token.
      if (!/^[A-Za-z0-9_./@+:-]+$/.test(value) || !value.includes('@'))
        bad('must look like /path@host[+host][:/path@host...]');
      return;
    case 'mountpoint':
      if (!/^\/[A-Za-z0-9_./+-]*$/.test(value)) bad('must be an absolute path');
      return;
    default:
      return;
  }
}

/**
 * Validate a list of kernel export options (as written between the
 * parentheses, already split on ","). Throws UsageError for unknown options
 * (with suggestions), malformed values, and contradictory pairs.
 */
export function validateExportOptions(opts: readonly string[]): void {
  const seen = new Map<string, string>(); // canonical name -> original text
  const values = new Map<string, string>();
  for (const raw of opts) {
    if (raw.length === 0) throw new UsageError('empty export option (two commas in a row?)');
    if (/[\s(),"'#\\]/.test(raw) || /[^\x21-\x7e]/.test(raw)) {
      throw new UsageError(
        `invalid export option ${JSON.stringify(raw)}: contains whitespace, "(", ")", ",", a quote, "#" or "\\"`,
      );
    }
    const eq = raw.indexOf('=');
    const name = eq < 0 ? raw : raw.slice(0, eq);
    const value = eq < 0 ? undefined : raw.slice(eq + 1);
    if (FLAGS.has(name)) {
      if (value !== undefined) throw new UsageError(`export option "${name}" takes no value (got "${raw}")`);
    } else if (VALUED.has(name)) {
      if (value === undefined || value === '')
        throw new UsageError(`export option "${name}" needs a value ("${name}=...")`);
      checkValue(name, value);
    } else if (OPTIONAL_VALUED.has(name)) {
      if (value !== undefined) checkValue('mountpoint', value);
    } else {
      unknownOption(name);
    }
    const canon = CANONICAL[name] ?? name;
    if (value !== undefined) {
      const before = values.get(canon);
      if (before !== undefined && before !== value) {
        throw new UsageError(`export option "${name}" given twice with different values ("${before}" and "${value}")`);
      }
      values.set(canon, value);
    }
    seen.set(canon, raw);
  }
  for (const [a, b] of CONTRADICTIONS) {
    if (seen.has(a) && seen.has(b)) {
      throw new UsageError(`contradictory export options "${seen.get(a)}" and "${seen.get(b)}": choose one`);
    }
  }
}

export type ClientSpecKind =
  | 'anyone'
  | 'netgroup'
  | 'ipv4'
  | 'ipv4-network'
  | 'ipv6'
  | 'ipv6-network'
  | 'hostname'
  | 'wildcard';

function badClient(spec: string, why: string): never {
  throw new UsageError(
    `invalid NFS client ${JSON.stringify(spec)}: ${why} (expected *, an IP address, a CIDR network like 10.0.0.0/8, a host name, a wildcard like *.example.com, or @netgroup)`,
  );
}

/**
 * Validate one NFS client specification (the part before "(" in
 * /etc/exports, or an entry of Ganesha's Clients list) and say what it is.
 * Bracket patterns ("host[0-9]") are deliberately not supported.
 */
export function validateClientSpec(spec: string): ClientSpecKind {
  if (spec.length === 0) badClient(spec, 'is empty');
  if (/\s/.test(spec)) badClient(spec, 'contains whitespace');
  if (/[()]/.test(spec)) badClient(spec, 'contains "(" or ")" (options go in the options list, not the client)');
  if (/[^\x21-\x7e]/.test(spec)) badClient(spec, 'contains a non-ASCII or control character');
  if (/[`$&;|<>{}'"\\!~#%=,^+[\]]/.test(spec))
    badClient(spec, 'contains a shell metacharacter or other reserved character');
  if (spec.length > 253) badClient(spec, 'is longer than 253 characters');
  if (spec === '*') return 'anyone';
  if (spec.startsWith('@')) {
    if (!/^@[A-Za-z0-9_.-]+$/.test(spec))
      badClient(spec, 'netgroup names may contain only letters, digits, "_", "." and "-"');
    return 'netgroup';
  }
  const slash = spec.indexOf('/');
  if (slash >= 0) {
    const addr = spec.slice(0, slash);
    const mask = spec.slice(slash + 1);
    if (isIPv4(addr)) {
      if (/^\d{1,2}$/.test(mask) && Number(mask) <= 32) return 'ipv4-network';
      if (isIPv4(mask)) return 'ipv4-network';
      badClient(spec, 'IPv4 prefix length must be 0-32 or a dotted netmask');
    }
    if (isIPv6(addr)) {
      if (/^\d{1,3}$/.test(mask) && Number(mask) <= 128) return 'ipv6-network';
      badClient(spec, 'IPv6 prefix length must be 0-128');
    }
    badClient(spec, 'the part before "/" is not an IP address');
  }
  if (isIPv4(spec)) return 'ipv4';
  if (spec.includes(':')) {
    if (isIPv6(spec)) return 'ipv6';
    badClient(spec, 'is not a valid IPv6 address');
  }
  if (/^[\d.]+$/.test(spec)) badClient(spec, 'is not a valid IPv4 address');
  const labels = spec.split('.');
  for (const label of labels) {
    if (label.length === 0) badClient(spec, 'has an empty "."-separated part');
    if (!/^[A-Za-z0-9*?_-]+$/.test(label)) badClient(spec, `host name part "${label}" contains invalid characters`);
    if (label.startsWith('-') || label.endsWith('-'))
      badClient(spec, `host name part "${label}" starts or ends with "-"`);
  }
  return /[*?]/.test(spec) ? 'wildcard' : 'hostname';
}
