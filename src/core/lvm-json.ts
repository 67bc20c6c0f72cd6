/**
 * LVM JSON reports and nfsctl's LV tag metadata.
 *
 * nfsctl runs
 *   lvs --reportformat json --units b --nosuffix -o lv_name,vg_name,lv_size,lv_tags,lv_attr,lv_path,lv_active[,lv_uuid]
 *   vgs --reportformat json --units b --nosuffix -o vg_name,vg_size,vg_free,vg_extent_size
 * and parses stdout only (LVM's warnings go to stderr). The report looks like
 *   {"report": [ {"lv": [ {"lv_name":"x", "lv_size":"1073741824", ...} ]} ]}
 * with every value a string. "--reportformat json_std" (LVM >= 2.03.17)
 * emits numbers as numbers and lv_tags as an array; both are accepted.
 *
 * Metadata lives in LV tags so it travels with the LV (vgexport/import,
 * backup restore) and needs no side database. LVM tags allow only
 * [A-Za-z0-9_+.-/=!:&#] and up to 1024 characters, so the metadata JSON is
 * base64url-encoded (whose alphabet is a subset) and split across tags
 *   nfsctl.meta.<index>.<count>=<chunk>
 * The bare tag "nfsctl" marks every managed LV, so `lvs @nfsctl` lists them
 * cheaply without decoding anything.
 */

import { z } from 'zod';

import { OutputParseError, UsageError, excerpt } from './errors.js';
import { BACKEND_META_VALUES } from './backend-names.js';

// ---------------------------------------------------------------------------
// Report parsing
// ---------------------------------------------------------------------------

export interface LvmLv {
  readonly name: string;
  readonly vg: string;
  /** Size in bytes. */
  readonly size: number;
  readonly tags: readonly string[];
  /** The 10-character lv_attr string, e.g. "-wi-ao----" ("" if not requested). */
  readonly attr: string;
  /** /dev/<vg>/<lv>, or null when LVM reports none (e.g. hidden LVs). */
  readonly path: string | null;
  readonly active: boolean;
  /** Device is open (mounted or in use): lv_attr position 6 is "o". */
  readonly open: boolean;
  readonly uuid: string | null;
}

export interface LvmVg {
  readonly name: string;
  readonly size: number;
  readonly free: number;
  readonly extentSize: number;
}

const scalar = z.union([z.string(), z.number()]);

const LvRecordSchema = z
  .object({
    lv_name: z.string().min(1),
    vg_name: z.string().min(1),
    lv_size: scalar.optional(),
    lv_tags: z.union([z.string(), z.array(z.string())]).optional(),
    lv_attr: z.string().optional(),
    lv_path: z.string().optional(),
    lv_active: scalar.optional(),
    lv_uuid: z.string().optional(),
  })
  .passthrough();

const VgRecordSchema = z
  .object({
    vg_name: z.string().min(1),
    vg_size: scalar,
    vg_free: scalar,
    vg_extent_size: scalar,
  })
  .passthrough();

const ReportSchema = z
  .object({
    report: z.array(z.record(z.unknown())),
  })
  .passthrough();

/**
 * Some LVM builds print "  WARNING: ..." lines on stdout ahead of the JSON
 * when stderr is not a terminal. Skip such lines, but nothing else: any other
 * junk means we are not looking at what we think we are.
 */
function jsonPart(stdout: string, what: string): string {
  const lines = stdout.split('\n');
  let i = 0;
  while (i < lines.length) {
    const t = (lines[i] ?? '').trim();
    if (t === '' || /^WARNING:/i.test(t)) {
      i++;
      continue;
    }
    break;
  }
  const rest = lines.slice(i).join('\n').trim();
  if (!rest.startsWith('{')) {
    throw new OutputParseError(`unexpected ${what} output (expected a JSON report): ${excerpt(stdout)}`);
  }
  return rest;
}

function parseReport(stdout: string, key: 'lv' | 'vg', what: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(jsonPart(stdout, what));
  } catch (err) {
    if (err instanceof OutputParseError) throw err;
    throw new OutputParseError(`${what} printed invalid JSON: ${(err as Error).message}`, { cause: err });
  }
  const report = ReportSchema.safeParse(doc);
  if (!report.success)
    throw new OutputParseError(`${what} JSON has no "report" array: ${excerpt(JSON.stringify(doc))}`);
  const out: unknown[] = [];
  for (const section of report.data.report) {
    const rows = section[key];
    if (rows === undefined) continue;
    if (!Array.isArray(rows)) throw new OutputParseError(`${what} JSON: "${key}" is not an array`);
    out.push(...rows);
  }
  return out;
}

/** Parse an LVM size field reported with --units b (with or without --nosuffix). */
export function parseLvmBytes(value: string | number, field: string): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    throw new OutputParseError(`LVM field ${field}=${value} is not a whole number of bytes`);
  }
  const m = /^(\d+)B?$/.exec(value.trim());
  if (!m) {
    throw new OutputParseError(
      `LVM field ${field}=${JSON.stringify(value)} is not in bytes (run with --units b --nosuffix)`,
    );
  }
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n)) throw new OutputParseError(`LVM field ${field}=${value} is too large`);
  return n;
}

/** Split lv_tags ("a,b,c" in json, an array in json_std). */
export function parseLvmTags(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.filter((t) => t.length > 0);
  return (value as string)
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

function isActive(lvActive: string | number | undefined, attr: string): boolean {
  if (lvActive !== undefined) {
    const v = String(lvActive).trim();
    // "active", "local exclusive", "remotely", ... or "1" with --binary; "" / "0" when inactive.
    return v !== '' && v !== '0';
  }
  return attr.charAt(4) === 'a';
}

/** Parse `lvs --reportformat json --units b --nosuffix -o ...` stdout. */
export function parseLvsJson(stdout: string): LvmLv[] {
  return parseReport(stdout, 'lv', 'lvs').map((row, i) => {
    const r = LvRecordSchema.safeParse(row);
    if (!r.success) {
      throw new OutputParseError(
        `lvs JSON row ${i}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
      );
    }
    const d = r.data;
    const attr = d.lv_attr ?? '';
    return {
      name: d.lv_name,
      vg: d.vg_name,
      size: d.lv_size === undefined ? 0 : parseLvmBytes(d.lv_size, 'lv_size'),
      tags: parseLvmTags(d.lv_tags),
      attr,
      path: d.lv_path ? d.lv_path : null,
      active: isActive(d.lv_active, attr),
      open: attr.charAt(5) === 'o',
      uuid: d.lv_uuid ? d.lv_uuid : null,
    };
  });
}

/** Parse `vgs --reportformat json --units b --nosuffix -o vg_name,vg_size,vg_free,vg_extent_size` stdout. */
export function parseVgsJson(stdout: string): LvmVg[] {
  return parseReport(stdout, 'vg', 'vgs').map((row, i) => {
    const r = VgRecordSchema.safeParse(row);
    if (!r.success) {
      throw new OutputParseError(
        `vgs JSON row ${i}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
      );
    }
    const d = r.data;
    return {
      name: d.vg_name,
      size: parseLvmBytes(d.vg_size, 'vg_size'),
      free: parseLvmBytes(d.vg_free, 'vg_free'),
      extentSize: parseLvmBytes(d.vg_extent_size, 'vg_extent_size'),
    };
  });
}

// ---------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------

export const LVM_TAG_MAX = 1024;
const LVM_TAG_RE = /^[A-Za-z0-9_+.\-/=!:&#]+$/;

/** The plain tag on every nfsctl LV (`lvs @nfsctl`). */
export const NFSCTL_TAG = 'nfsctl';
export const META_TAG_PREFIX = 'nfsctl.meta.';
const META_TAG_RE = /^nfsctl\.meta\.(\d+)\.(\d+)=([A-Za-z0-9_-]*)$/;
/** Base64 characters per tag: leaves room for "nfsctl.meta.<i>.<n>=" within 1024. */
const META_CHUNK = 1000;
/** Refuse metadata larger than this (LVM keeps all tags in the VG metadata area, 1 MiB by default). */
export const META_MAX_ENCODED = 16 * 1024;

/** Why `tag` is not a legal LVM tag, or null. */
export function lvmTagProblem(tag: string): string | null {
  if (tag.length === 0) return 'is empty';
  if (tag.length > LVM_TAG_MAX) return `is longer than ${LVM_TAG_MAX} characters`;
  if (tag.startsWith('-')) return 'starts with "-"';
  if (!LVM_TAG_RE.test(tag)) return 'contains characters outside [A-Za-z0-9_+.-/=!:&#]';
  return null;
}

export const VolumeMetaSchema = z
  .object({
    /** Format version of this record. */
    v: z.literal(1),
    namespace: z.string().min(1),
    name: z.string().min(1),
    labels: z.record(z.string()).default({}),
    /** ISO-8601 timestamp. */
    createdAt: z.string().min(1),
    /** Who ran the create (user@host). */
    createdBy: z.string(),
    backend: z.enum(BACKEND_META_VALUES),
    /** Requested size in bytes. */
    size: z.number().int().positive(),
    /** Ganesha Export_Id actually allocated, when exported through Ganesha. */
    exportId: z.number().int().min(0).max(65535).optional(),
  })
  // Keep fields written by newer nfsctl versions when rewriting the record.
  .passthrough();

export type VolumeMeta = z.infer<typeof VolumeMetaSchema>;
export type VolumeMetaInput = z.input<typeof VolumeMetaSchema>;

export function isMetaTag(tag: string): boolean {
  return tag.startsWith(META_TAG_PREFIX);
}

/**
 * Tags to put on an LV for `meta`: ["nfsctl", "nfsctl.meta.0.N=...", ...].
 * Throws UsageError if the metadata (mostly labels) is unreasonably large.
 */
export function encodeMetaTags(meta: VolumeMetaInput): string[] {
  const parsed = VolumeMetaSchema.safeParse(meta);
  if (!parsed.success) {
    throw new UsageError(
      `invalid volume metadata: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
    );
  }
  const encoded = Buffer.from(JSON.stringify(parsed.data), 'utf8').toString('base64url');
  if (encoded.length > META_MAX_ENCODED) {
    throw new UsageError(
      `volume metadata is too large to store in LVM tags (${encoded.length} > ${META_MAX_ENCODED} bytes encoded); use fewer or shorter labels`,
    );
  }
  const count = Math.max(1, Math.ceil(encoded.length / META_CHUNK));
  const tags = [NFSCTL_TAG];
  for (let i = 0; i < count; i++) {
    tags.push(`${META_TAG_PREFIX}${i}.${count}=${encoded.slice(i * META_CHUNK, (i + 1) * META_CHUNK)}`);
  }
  for (const t of tags) {
    const p = lvmTagProblem(t);
    if (p) throw new Error(`internal: generated LVM tag ${p}`);
  }
  return tags;
}

/**
 * Read nfsctl metadata back from an LV's tags. Returns null when the LV has
 * no metadata tags (not nfsctl's, or created by hand); throws OutputParseError
 * when tags are present but incomplete or corrupt, since guessing would be
 * worse than stopping.
 */
export function decodeMetaTags(tags: readonly string[]): VolumeMeta | null {
  const chunks = new Map<number, string>();
  let count: number | null = null;
  for (const tag of tags) {
    if (!isMetaTag(tag)) continue;
    const m = META_TAG_RE.exec(tag);
    if (!m) throw new OutputParseError(`malformed nfsctl metadata tag ${excerpt(tag, 60)}`);
    const index = Number(m[1]);
    const n = Number(m[2]);
    if (count !== null && n !== count)
      throw new OutputParseError('nfsctl metadata tags disagree on the chunk count (two generations mixed?)');
    count = n;
    if (index >= n) throw new OutputParseError(`nfsctl metadata tag index ${index} out of range 0..${n - 1}`);
    if (chunks.has(index) && chunks.get(index) !== m[3])
      throw new OutputParseError(`duplicate nfsctl metadata chunk ${index}`);
    chunks.set(index, m[3] ?? '');
  }
  if (count === null) return null;
  let encoded = '';
  for (let i = 0; i < count; i++) {
    const c = chunks.get(i);
    if (c === undefined) throw new OutputParseError(`nfsctl metadata chunk ${i} of ${count} is missing`);
    encoded += c;
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch (err) {
    throw new OutputParseError('nfsctl metadata tags do not decode to JSON', { cause: err });
  }
  const parsed = VolumeMetaSchema.safeParse(json);
  if (!parsed.success) {
    throw new OutputParseError(
      `nfsctl metadata is invalid: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/**
 * The lvchange --addtag/--deltag sets that turn `current` into the tags for
 * `meta`, leaving foreign tags alone and touching nothing when already equal.
 */
export function planTagUpdate(current: readonly string[], meta: VolumeMetaInput): { add: string[]; remove: string[] } {
  const desired = encodeMetaTags(meta);
  const have = new Set(current);
  const want = new Set(desired);
  return {
    add: desired.filter((t) => !have.has(t)),
    remove: current.filter((t) => isMetaTag(t) && !want.has(t)),
  };
}
