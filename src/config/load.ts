// Loads and validates the config. Errors point at file:line:column and the key, because the
// person reading them is editing YAML on a storage node at 3 a.m.
import { open } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode, isAlias, isMap, isScalar, isSeq, type Document } from 'yaml';
import type { ZodIssue, ZodTypeAny } from 'zod';
import { configSchema, type Config } from './schema.js';
import { configWarnings, type ConfigWarning } from './warnings.js';
import { UsageError } from '../core/errors.js';
import { closestKey } from '../core/config-values.js';
import { escapeControls, intProblem, quoteValue } from '../core/numbers.js';

export const DEFAULT_CONFIG_PATH = '/etc/nfsctl/config.yaml';
/** A config is a few kilobytes; anything this large is a mistake (or an attack on the parser). */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** Aliases (`*name`) a config may use; a "billion laughs" document needs many more. */
export const MAX_CONFIG_ALIASES = 50;

export interface LoadedConfig {
  path: string;
  config: Config;
}

/** A warning positioned in the file (line/column 0 when the value is a default). */
export interface PositionedWarning extends ConfigWarning {
  key: string;
  line: number;
  column: number;
}

/** --config beats NFSCTL_CONFIG beats the default path. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.NFSCTL_CONFIG ?? DEFAULT_CONFIG_PATH;
}

async function readCapped(path: string): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read config ${escapeControls(path)}: ${code === 'ENOENT' ? 'no such file' : escapeControls((err as Error).message)}`,
      {
        hint: 'write one (see `man nfsctl`, section CONFIGURATION), or point at it with --config FILE or NFSCTL_CONFIG',
      },
    );
  }
  try {
    // Read at most one byte more than allowed (a pipe or /dev/zero has no size to stat).
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got > MAX_CONFIG_BYTES)
        throw new UsageError(
          `config ${escapeControls(path)} is larger than ${MAX_CONFIG_BYTES / 1024} KiB: not an nfsctl config`,
        );
    }
    return buf.subarray(0, got).toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read config ${escapeControls(path)}: ${escapeControls((err as Error).message)}`);
  } finally {
    await fh.close();
  }
}

export async function loadConfig(path: string): Promise<LoadedConfig> {
  const text = await readCapped(path);
  return { path, config: parseConfig(text, path) };
}

/** The config and its warnings (insecure or lab-only settings), for `config check`. */
export async function loadConfigWithWarnings(path: string): Promise<LoadedConfig & { warnings: PositionedWarning[] }> {
  const text = await readCapped(path);
  return { path, ...parseConfigDetailed(text, path) };
}

export function parseConfig(text: string, path = '<config>'): Config {
  return parseConfigDetailed(text, path).config;
}

type Doc = Document.Parsed;
type Where = { line: number; col: number };

export function parseConfigDetailed(
  text: string,
  path = '<config>',
): { config: Config; warnings: PositionedWarning[] } {
  const file = escapeControls(path);
  if (text.length > MAX_CONFIG_BYTES)
    throw new UsageError(`config ${file} is larger than ${MAX_CONFIG_BYTES / 1024} KiB: not an nfsctl config`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    const dup =
      e.code === 'DUPLICATE_KEY'
        ? ` (${quoteValue((/^[^:\n]*/.exec(text.slice(e.pos[0]))?.[0] ?? '').trim())} appears twice)`
        : '';
    throw new UsageError(
      `${file}:${pos.line}:${pos.col}: invalid YAML: ${escapeControls(e.message.split('\n')[0]!)}${dup}`,
    );
  }
  const at = (offset: number): Where => lineCounter.linePos(offset);
  // Numbers are written in decimal digits (0x16, 1e3, 022, -1 are refused), and aliases are few.
  const scan = scanNodes(doc, at);
  const problems: { where: Where | null; text: string }[] = scan.problems;
  if (scan.aliases > MAX_CONFIG_ALIASES) {
    throw new UsageError(
      `${file}:${scan.firstAlias!.line}:${scan.firstAlias!.col}: the config uses ${scan.aliases} aliases (at most ${MAX_CONFIG_ALIASES}): refusing a document built to expand`,
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new UsageError(`${file}: invalid YAML: ${escapeControls((err as Error).message)}`);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...formatIssue(issue, doc, at));
  }
  if (problems.length > 0) {
    problems.sort((a, b) => (a.where?.line ?? 0) - (b.where?.line ?? 0) || (a.where?.col ?? 0) - (b.where?.col ?? 0));
    const lines = problems.map((p) => `${file}:${p.where ? `${p.where.line}:${p.where.col}` : '1:1'}: ${p.text}`);
    const messages = lines.slice(0, 10);
    const more = lines.length > 10 ? `\n(${lines.length - 10} more problem${lines.length - 10 > 1 ? 's' : ''})` : '';
    throw new UsageError(`invalid config:\n${messages.join('\n')}${more}`, {
      hint: `fix ${file}, then run \`nfsctl config check\``,
    });
  }
  const config = result.data!;
  const warnings = configWarnings(config).map((w) => {
    const where = nodePos(doc, w.path, at, false);
    return {
      ...w,
      key: w.path.join('.'),
      line: where?.line ?? 0,
      column: where?.col ?? 0,
      message: escapeControls(w.message),
    };
  });
  return { config, warnings };
}

/** Walk the document: numeric scalars must be plain decimal; count aliases. */
function scanNodes(doc: Doc, at: (o: number) => Where) {
  const problems: { where: Where | null; text: string }[] = [];
  let aliases = 0;
  let firstAlias: Where | null = null;
  const walk = (node: unknown, keys: (string | number)[]) => {
    if (isAlias(node)) {
      aliases++;
      if (!firstAlias && node.range) firstAlias = at(node.range[0]);
      return;
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (isAlias(pair.key)) walk(pair.key, keys);
        walk(pair.value, [...keys, k]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...keys, i]));
    } else if (isScalar(node) && typeof node.value === 'number') {
      const src = node.source ?? String(node.value);
      if (intProblem(src) !== null) {
        problems.push({
          where: node.range ? at(node.range[0]) : null,
          text: `${escapeControls(keys.join('.') || '(top level)')}: numbers are written in plain decimal digits (no sign, exponent, fraction, leading zero or 0x/0o prefix), got ${quoteValue(src)}`,
        });
      }
    }
  };
  walk(doc.contents, []);
  return { problems, aliases, firstAlias: firstAlias as Where | null };
}

/** Where the node at `keys` starts, or (nearest = true) where its nearest existing ancestor does. */
function nodePos(doc: Doc, keys: readonly PropertyKey[], at: (o: number) => Where, nearest = true): Where | null {
  for (let n = keys.length; n >= (nearest ? 0 : keys.length); n--) {
    const node = doc.getIn(keys.slice(0, n) as (string | number)[], true);
    if (isNode(node) && node.range) return at(node.range[0]);
  }
  return null;
}

/** The schema of the object at `keys` (for the keys it knows). */
function objectKeysAt(keys: readonly PropertyKey[]): string[] {
  let s: ZodTypeAny = configSchema;
  const unwrap = (x: ZodTypeAny): ZodTypeAny => {
    for (;;) {
      const d = x._def as { typeName?: string; innerType?: ZodTypeAny; schema?: ZodTypeAny; type?: ZodTypeAny };
      if ((d.typeName === 'ZodDefault' || d.typeName === 'ZodOptional' || d.typeName === 'ZodNullable') && d.innerType)
        x = d.innerType;
      else if (d.typeName === 'ZodEffects' && d.schema) x = d.schema;
      else return x;
    }
  };
  for (const k of keys) {
    s = unwrap(s);
    const d = s._def as { typeName?: string; type?: ZodTypeAny };
    if (d.typeName === 'ZodArray' && d.type) s = d.type;
    else if (d.typeName === 'ZodObject') {
      const next = (s as unknown as { shape: Record<string, ZodTypeAny> }).shape[String(k)];
      if (!next) return [];
      s = next;
    } else return [];
  }
  s = unwrap(s);
  return (s._def as { typeName?: string }).typeName === 'ZodObject'
    ? Object.keys((s as unknown as { shape: Record<string, ZodTypeAny> }).shape)
    : [];
}

function formatIssue(issue: ZodIssue, doc: Doc, at: (o: number) => Where): { where: Where | null; text: string }[] {
  const keyOf = (p: readonly PropertyKey[]) => escapeControls(p.map(String).join('.')) || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    // One line per unknown key, at the key itself, with the known key it is closest to.
    const parent = doc.getIn(issue.path, true);
    const known = objectKeysAt(issue.path);
    return issue.keys.map((k) => {
      let where: Where | null = null;
      const map = issue.path.length === 0 ? doc.contents : parent;
      if (isMap(map)) {
        const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === k);
        if (pair && isNode(pair.key) && pair.key.range) where = at(pair.key.range[0]);
      }
      where ??= nodePos(doc, issue.path, at);
      const near = closestKey(k, known);
      const full = keyOf([...issue.path, k]);
      const suggestion = near
        ? `; did you mean ${quoteValue(near)}?`
        : known.length
          ? ` (known here: ${known.join(', ')})`
          : '';
      return { where, text: `${full}: unknown key ${quoteValue(k)}${suggestion}` };
    });
  }
  let message = escapeControls(issue.message);
  if (issue.code === 'invalid_type' && issue.received === 'undefined') message = 'required key is missing';
  return [{ where: nodePos(doc, issue.path, at), text: `${keyOf(issue.path)}: ${message}` }];
}
