/**
 * NFS-Ganesha support: render nfsctl's EXPORT blocks, find EXPORT blocks in a
 * config file, and read `ShowExports` over D-Bus.
 *
 * Ownership: nfsctl puts a marker comment on the line directly above each
 * EXPORT block it writes,
 *
 *     # nfsctl:team-a/data
 *     EXPORT {
 *         Export_Id = 4242;
 *         ...
 *     }
 *
 * and only ever replaces or removes blocks carrying that marker.
 *
 * Quoting: paths are written in double quotes and must not contain
 * characters that could end the string or start something else in Ganesha's
 * config lexer (quotes, backslashes, newlines, control characters, "$" or
 * "%"); such values are rejected rather than escaped, because escaping rules
 * differ between Ganesha versions. Client specs are written bare (Ganesha 4.3
 * rejects a quoted client with "Expected a client, got a double quoted
 * string"), which is safe because validateClientSpec only lets through
 * characters that cannot break the syntax.
 */

import { OutputParseError, UsageError, excerpt } from './errors.js';
import { validateClientSpec } from './exports-file.js';

export type GaneshaAccessType = 'RW' | 'RO' | 'None' | 'MDONLY' | 'MDONLY_RO';
export type GaneshaSquash = 'Root_Squash' | 'No_Root_Squash' | 'All_Squash' | 'Root_Id_Squash';
export type GaneshaProtocol = 3 | 4;
export type GaneshaTransport = 'TCP' | 'UDP';
export type GaneshaSecType = 'sys' | 'krb5' | 'krb5i' | 'krb5p' | 'none';

export interface GaneshaClientRule {
  /** Client specs: "*", IPs, CIDRs, host names, wildcards, @netgroups. */
  readonly clients: readonly string[];
  readonly accessType: GaneshaAccessType;
  readonly squash?: GaneshaSquash;
  readonly anonymousUid?: number;
  readonly anonymousGid?: number;
  /** Require a client source port below 1024 (exports(5) `secure`); unset: Ganesha's default (false). */
  readonly privilegedPort?: boolean;
}

export interface GaneshaExportSpec {
  /** "<namespace>/<name>" written in the marker comment. */
  readonly owner: string;
  readonly exportId: number;
  readonly path: string;
  /** NFSv4 pseudo-filesystem path; defaults to `path`. */
  readonly pseudo?: string;
  readonly clients: readonly GaneshaClientRule[];
  /** Access for clients matching no CLIENT block. Default "None" (deny). */
  readonly accessType?: GaneshaAccessType;
  /** Default "Root_Squash". */
  readonly squash?: GaneshaSquash;
  /** Default [3, 4]. */
  readonly protocols?: readonly GaneshaProtocol[];
  /** Default ["TCP", "UDP"]. */
  readonly transports?: readonly GaneshaTransport[];
  /** Default ["sys"]. */
  readonly secType?: readonly GaneshaSecType[];
  /** FSAL name. Default "VFS". */
  readonly fsal?: string;
  /** Further parameters of the FSAL block (CEPH: Filesystem, User_Id...), in order; values are quoted. */
  readonly fsalParams?: readonly (readonly [string, string])[];
}

export const GANESHA_MARKER_PREFIX = '# nfsctl:';
const OWNER_RE = /^[A-Za-z0-9._/-]+$/;
const MARKER_RE = /^#\s*nfsctl:([A-Za-z0-9._/-]+)(?:\s.*)?$/;
const ACCESS_TYPES = new Set<string>(['RW', 'RO', 'None', 'MDONLY', 'MDONLY_RO']);
const SQUASHES = new Set<string>(['Root_Squash', 'No_Root_Squash', 'All_Squash', 'Root_Id_Squash']);

/** Quote a value for a Ganesha config, or throw if it cannot be written safely. */
export function ganeshaQuote(value: string, what: string): string {
  if (value.length === 0) throw new UsageError(`Ganesha ${what} is empty`);
  if (/["\\$%`\u0000-\u001f\u007f]/.test(value)) {
    throw new UsageError(
      `Ganesha ${what} ${JSON.stringify(value)} contains a quote, backslash, "$", "%", "\`" or control character, which cannot be written safely into ganesha.conf`,
    );
  }
  return `"${value}"`;
}

function checkPath(value: string, what: string): string {
  if (!value.startsWith('/')) throw new UsageError(`Ganesha ${what} ${JSON.stringify(value)} must be an absolute path`);
  return ganeshaQuote(value, what);
}

function checkId(n: number, what: string, min: number, max: number): number {
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`Ganesha ${what} must be an integer ${min}-${max}, got ${n}`);
  return n;
}

function checkEnum<T extends string>(value: T, allowed: Set<string>, what: string): T {
  if (!allowed.has(value))
    throw new UsageError(`Ganesha ${what} must be one of ${[...allowed].join(', ')}, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Render one EXPORT block (preceded by its marker comment, ending with a
 * newline). Every value is validated; throws UsageError on anything unsafe.
 */
export function renderGaneshaExport(spec: GaneshaExportSpec): string {
  if (!OWNER_RE.test(spec.owner)) throw new UsageError(`invalid nfsctl owner ${JSON.stringify(spec.owner)}`);
  // 0 is reserved for the pseudo-fs root.
  const id = checkId(spec.exportId, 'Export_Id', 1, 65535);
  const path = checkPath(spec.path, 'Path');
  const pseudo = checkPath(spec.pseudo ?? spec.path, 'Pseudo');
  if (spec.clients.length === 0) throw new UsageError(`Ganesha export of ${spec.path} needs at least one CLIENT rule`);
  const protocols = spec.protocols ?? [3, 4];
  const transports = spec.transports ?? ['TCP', 'UDP'];
  const secTypes = spec.secType ?? ['sys'];
  const fsal = spec.fsal ?? 'VFS';
  if (protocols.length === 0 || protocols.some((p) => p !== 3 && p !== 4))
    throw new UsageError('Ganesha Protocols must be 3 and/or 4');
  if (transports.length === 0 || transports.some((t) => t !== 'TCP' && t !== 'UDP'))
    throw new UsageError('Ganesha Transports must be TCP and/or UDP');
  if (secTypes.length === 0 || secTypes.some((s) => !['sys', 'krb5', 'krb5i', 'krb5p', 'none'].includes(s))) {
    throw new UsageError('Ganesha SecType must be a list of sys, krb5, krb5i, krb5p, none');
  }
  if (!/^[A-Za-z0-9_]+$/.test(fsal)) throw new UsageError(`invalid Ganesha FSAL name ${JSON.stringify(fsal)}`);
  const fsalParams = (spec.fsalParams ?? []).map(([k, val]) => {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(k) || /^name$/i.test(k))
      throw new UsageError(`invalid Ganesha FSAL parameter ${JSON.stringify(k)}`);
    return `        ${k} = ${ganeshaQuote(val, `FSAL ${k}`)};`;
  });

  const lines = [
    `${GANESHA_MARKER_PREFIX}${spec.owner}`,
    'EXPORT {',
    `    Export_Id = ${id};`,
    `    Path = ${path};`,
    `    Pseudo = ${pseudo};`,
    `    Protocols = ${protocols.join(', ')};`,
    `    Transports = ${transports.join(', ')};`,
    `    SecType = ${secTypes.join(', ')};`,
    `    Access_Type = ${checkEnum(spec.accessType ?? 'None', ACCESS_TYPES, 'Access_Type')};`,
    `    Squash = ${checkEnum(spec.squash ?? 'Root_Squash', SQUASHES, 'Squash')};`,
    '    FSAL {',
    `        Name = ${fsal};`,
    ...fsalParams,
    '    }',
  ];
  for (const rule of spec.clients) {
    if (rule.clients.length === 0) throw new UsageError('Ganesha CLIENT rule has no clients');
    // Ganesha's lexer wants client tokens bare: a quoted "10.0.0.0/8" is rejected with
    // "Expected a client, got a double quoted string" (seen with 4.3). validateClientSpec
    // has already ruled out anything that could break the syntax.
    const clients = rule.clients.map((c) => {
      validateClientSpec(c);
      return c;
    });
    lines.push('    CLIENT {');
    lines.push(`        Clients = ${clients.join(', ')};`);
    lines.push(`        Access_Type = ${checkEnum(rule.accessType, ACCESS_TYPES, 'Access_Type')};`);
    if (rule.squash !== undefined) lines.push(`        Squash = ${checkEnum(rule.squash, SQUASHES, 'Squash')};`);
    if (rule.anonymousUid !== undefined)
      lines.push(`        Anonymous_Uid = ${checkId(rule.anonymousUid, 'Anonymous_Uid', -2147483648, 4294967295)};`);
    if (rule.anonymousGid !== undefined)
      lines.push(`        Anonymous_Gid = ${checkId(rule.anonymousGid, 'Anonymous_Gid', -2147483648, 4294967295)};`);
    if (rule.privilegedPort !== undefined)
      lines.push(`        PrivilegedPort = ${rule.privilegedPort ? 'true' : 'false'};`);
    lines.push('    }');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------
// Config parsing (just enough to find EXPORT blocks)
// ---------------------------------------------------------------------------

type TokKind = 'word' | 'string' | 'punct' | 'comment';
interface Tok {
  kind: TokKind;
  text: string; // string tokens: unquoted value
  start: number;
  end: number;
}

// Character classes for the tokenizer, by char code (a table: this runs once per character).
const C_WS = 1;
const C_PUNCT = 2;
const C_WORD_END = 4;
const CLASS = new Uint8Array(128);
for (const c of [32, 9, 10, 13, 11, 12]) CLASS[c] = C_WS | C_WORD_END;
for (const c of '{}=;,') CLASS[c.charCodeAt(0)] = C_PUNCT | C_WORD_END;
for (const c of '"\'#') CLASS[c.charCodeAt(0)] = C_WORD_END;
const classOf = (code: number): number => (code < 128 ? (CLASS[code] as number) : 0);

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (classOf(c) & C_WS) {
      i++;
      continue;
    }
    const start = i;
    if (c === 35 /* # */) {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? n : nl;
      const text = src.slice(start, i);
      toks.push({ kind: 'comment', text: text.endsWith('\r') ? text.slice(0, -1) : text, start, end: i });
      continue;
    }
    if (c === 34 /* " */ || c === 39 /* ' */) {
      let value = '';
      let piece = i + 1;
      i++;
      for (;;) {
        if (i >= n) throw new OutputParseError(`unterminated string starting at offset ${start} in Ganesha config`);
        const d = src.charCodeAt(i);
        if (d === c) {
          value += src.slice(piece, i);
          i++;
          break;
        }
        if (d === 92 /* \\ */ && c === 34 && i + 1 < n) {
          // Backslash escapes the next character inside double quotes.
          value += src.slice(piece, i) + src.charAt(i + 1);
          i += 2;
          piece = i;
          continue;
        }
        i++;
      }
      toks.push({ kind: 'string', text: value, start, end: i });
      continue;
    }
    if (classOf(c) & C_PUNCT) {
      i++;
      toks.push({ kind: 'punct', text: src[start] as string, start, end: i });
      continue;
    }
    while (i < n && !(classOf(src.charCodeAt(i)) & C_WORD_END)) i++;
    toks.push({ kind: 'word', text: src.slice(start, i), start, end: i });
  }
  return toks;
}

export interface GaneshaExportBlock {
  readonly exportId: number | null;
  readonly path: string | null;
  readonly pseudo: string | null;
  /** Owner from the marker comment directly above, or null for a foreign block. */
  readonly owner: string | null;
  /** 1-based line of the EXPORT keyword. */
  readonly line: number;
  /**
   * Text span to cut when removing or replacing the block: from the start of
   * the marker line (or the EXPORT line) to just past the closing "}" and the
   * rest of its line.
   */
  readonly start: number;
  readonly end: number;
}

/** Ganesha numbers follow C syntax: decimal, 0x hex, 0 octal. */
function parseGaneshaInt(text: string): number | null {
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[0-7]+$/.test(text)) return parseInt(text.slice(1), 8);
  if (/^\d+$/.test(text)) return Number(text);
  return null;
}

function lineStart(src: string, pos: number): number {
  return src.lastIndexOf('\n', pos - 1) + 1;
}

/**
 * List the top-level EXPORT blocks of a Ganesha config (names and keys are
 * case-insensitive). %include directives are not followed: callers read the
 * included files themselves. Throws OutputParseError on unbalanced braces or
 * unterminated strings, since editing such a file would be guesswork.
 */
export function parseGaneshaExports(src: string): GaneshaExportBlock[] {
  const toks = tokenize(src);
  const newlines: number[] = [];
  for (let p = src.indexOf('\n'); p >= 0; p = src.indexOf('\n', p + 1)) newlines.push(p);
  const lineOf = (pos: number): number => {
    // 1 + number of newlines before pos (binary search keeps this linear overall).
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((newlines[mid] as number) < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const blocks: GaneshaExportBlock[] = [];
  let depth = 0;
  let current: {
    exportId: number | null;
    path: string | null;
    pseudo: string | null;
    owner: string | null;
    line: number;
    start: number;
  } | null = null;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k] as Tok;
    if (t.kind === 'comment') continue;
    if (t.kind === 'punct' && t.text === '{') {
      if (depth === 0) {
        const nameIdx = prevNonComment(toks, k);
        const nameTok = toks[nameIdx];
        if (nameTok && nameTok.kind === 'word' && nameTok.text.toUpperCase() === 'EXPORT') {
          const marker = markerAbove(src, toks, nameIdx);
          current = {
            exportId: null,
            path: null,
            pseudo: null,
            owner: marker?.owner ?? null,
            line: lineOf(nameTok.start),
            start: marker ? lineStart(src, marker.start) : lineStart(src, nameTok.start),
          };
        }
      }
      depth++;
      continue;
    }
    if (t.kind === 'punct' && t.text === '}') {
      depth--;
      if (depth < 0) throw new OutputParseError(`unbalanced "}" at line ${lineOf(t.start)} of Ganesha config`);
      if (depth === 0 && current) {
        let end = t.end;
        const nl = src.indexOf('\n', end);
        const rest = nl < 0 ? src.slice(end) : src.slice(end, nl);
        if (rest.trim() === '') end = nl < 0 ? src.length : nl + 1;
        blocks.push({ ...current, end });
        current = null;
      }
      continue;
    }
    // "Key = value" directly inside an EXPORT block.
    if (depth === 1 && current && t.kind === 'word' && toks[k + 1]?.text === '=' && toks[k + 1]?.kind === 'punct') {
      const v = toks[k + 2];
      if (!v || (v.kind !== 'word' && v.kind !== 'string')) continue;
      const key = t.text.toLowerCase();
      if (key === 'export_id')
        current.exportId = v.kind === 'word' ? parseGaneshaInt(v.text) : parseGaneshaInt(v.text.trim());
      else if (key === 'path') current.path = v.text;
      else if (key === 'pseudo') current.pseudo = v.text;
    }
  }
  if (depth !== 0) throw new OutputParseError('unbalanced "{" in Ganesha config (missing "}")');
  return blocks;
}

function prevNonComment(toks: readonly Tok[], k: number): number {
  for (let j = k - 1; j >= 0; j--) {
    if ((toks[j] as Tok).kind !== 'comment') return j;
  }
  return -1;
}

/** The nfsctl marker comment on the line directly above `nameTok`, if any. */
function markerAbove(src: string, toks: readonly Tok[], idx: number): { owner: string; start: number } | null {
  const nameTok = toks[idx] as Tok;
  const prev = toks[idx - 1];
  if (!prev || prev.kind !== 'comment') return null;
  const between = src.slice(prev.end, nameTok.start);
  // Exactly one line break, only blanks otherwise; and the comment must start its own line.
  if ((between.match(/\n/g) ?? []).length !== 1 || between.trim() !== '') return null;
  if (src.slice(lineStart(src, prev.start), prev.start).trim() !== '') return null;
  const m = MARKER_RE.exec(prev.text);
  return m && m[1] ? { owner: m[1], start: prev.start } : null;
}

/** Replace (or with `replacement` = "" remove) a block found by parseGaneshaExports. */
export function spliceGaneshaBlock(src: string, block: GaneshaExportBlock, replacement: string): string {
  return src.slice(0, block.start) + replacement + src.slice(block.end);
}

// ---------------------------------------------------------------------------
// dbus-send --print-reply ... org.ganesha.nfsd.exportmgr.ShowExports
// ---------------------------------------------------------------------------

type DbusValue =
  | { type: string; value: string | number | boolean }
  | { type: 'array' | 'struct' | 'dict'; items: DbusValue[] };

function isContainer(v: DbusValue): v is { type: 'array' | 'struct' | 'dict'; items: DbusValue[] } {
  return 'items' in v;
}

/** Parse dbus-send's --print-reply text into values (basic types and nested containers). */
export function parseDbusPrintReply(text: string): DbusValue[] {
  const root: DbusValue[] = [];
  const stack: DbusValue[][] = [root];
  const lines = text.split('\n');
  for (const rawLine of lines) {
    const line = rawLine.trim();
    if (line === '') continue;
    if (/^(method return|signal|method call)\b/.test(line)) continue;
    if (/^Error\b/.test(line)) throw new OutputParseError(`D-Bus call failed: ${line}`);
    const top = stack[stack.length - 1] as DbusValue[];
    let m: RegExpExecArray | null;
    if (/^array \[$/.test(line) || /^struct \{$/.test(line) || /^dict entry\($/.test(line)) {
      const type = line.startsWith('array') ? 'array' : line.startsWith('struct') ? 'struct' : 'dict';
      const c: DbusValue = { type, items: [] };
      top.push(c);
      stack.push(c.items);
      continue;
    }
    if (line === ']' || line === '}' || line === ')') {
      if (stack.length <= 1) throw new OutputParseError(`unbalanced "${line}" in dbus-send output`);
      stack.pop();
      continue;
    }
    if (/^array \[\s*\]$/.test(line)) {
      top.push({ type: 'array', items: [] });
      continue;
    }
    if ((m = /^(?:variant\s+)?string "(.*)"$/.exec(line))) {
      top.push({ type: 'string', value: m[1] ?? '' });
      continue;
    }
    if ((m = /^(?:variant\s+)?(byte|int16|uint16|int32|uint32|int64|uint64|double)\s+(-?[\d.eE+]+)$/.exec(line))) {
      top.push({ type: m[1] ?? 'number', value: Number(m[2]) });
      continue;
    }
    if ((m = /^(?:variant\s+)?boolean (true|false)$/.exec(line))) {
      top.push({ type: 'boolean', value: m[1] === 'true' });
      continue;
    }
    if ((m = /^(?:variant\s+)?object path "(.*)"$/.exec(line))) {
      top.push({ type: 'object path', value: m[1] ?? '' });
      continue;
    }
    throw new OutputParseError(`unrecognised dbus-send output line: ${excerpt(line)}`);
  }
  if (stack.length !== 1) throw new OutputParseError('truncated dbus-send output (unclosed container)');
  return root;
}

export interface GaneshaLiveExport {
  readonly exportId: number;
  /**
   * The path Ganesha reports: the Pseudo path for NFSv4 exports, or the full
   * Path when Mount_Path_Pseudo is off (it differs by Ganesha version and
   * config), so callers should match it against both Path and Pseudo.
   */
  readonly path: string;
}

/**
 * Parse the reply of
 *   dbus-send --system --print-reply --dest=org.ganesha.nfsd /org/ganesha/nfsd/ExportMgr org.ganesha.nfsd.exportmgr.ShowExports
 * which is a timestamp struct followed by an array of per-export structs
 * whose first two members are the export id (uint16 in 3.x and later, int32
 * before) and the path.
 */
export function parseShowExports(text: string): GaneshaLiveExport[] {
  const values = parseDbusPrintReply(text);
  const array = values.find((v): v is { type: 'array'; items: DbusValue[] } => isContainer(v) && v.type === 'array');
  if (!array) {
    throw new OutputParseError(`ShowExports reply has no export array: ${excerpt(text)}`);
  }
  return array.items.map((item, i) => {
    if (!isContainer(item) || item.type !== 'struct')
      throw new OutputParseError(`ShowExports entry ${i} is not a struct`);
    const [id, path] = item.items;
    if (
      !id ||
      isContainer(id) ||
      typeof id.value !== 'number' ||
      !path ||
      isContainer(path) ||
      path.type !== 'string'
    ) {
      throw new OutputParseError(`ShowExports entry ${i} does not start with (id, path)`);
    }
    return { exportId: id.value, path: String(path.value) };
  });
}
