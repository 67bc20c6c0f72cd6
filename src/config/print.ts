// The effective configuration as `config check` prints it: the same shape and spellings the
// file takes, so the output can be saved and fed back (durations as "15m", not 900000).
import type { ZodTypeAny } from 'zod';
import { configSchema, DURATION_DESCRIPTION, type Config } from './schema.js';
import { formatDuration } from '../core/numbers.js';

type Def = { typeName?: string; innerType?: ZodTypeAny; schema?: ZodTypeAny; type?: ZodTypeAny; description?: string };

/** Strip defaults/optionals/effects; say whether a duration transform was on the way. */
function unwrap(s: ZodTypeAny): { base: ZodTypeAny; duration: boolean } {
  let duration = false;
  for (;;) {
    const d = s._def as Def;
    if (d.description === DURATION_DESCRIPTION) duration = true;
    if ((d.typeName === 'ZodDefault' || d.typeName === 'ZodOptional' || d.typeName === 'ZodNullable') && d.innerType)
      s = d.innerType;
    else if (d.typeName === 'ZodEffects' && d.schema) s = d.schema;
    else return { base: s, duration };
  }
}

function toFileForm(value: unknown, schema: ZodTypeAny): unknown {
  if (value === undefined || value === null) return value;
  const { base, duration } = unwrap(schema);
  if (duration && typeof value === 'number') return formatDuration(value);
  const d = base._def as Def;
  if (d.typeName === 'ZodObject' && typeof value === 'object' && !Array.isArray(value)) {
    const shape = (base as unknown as { shape: Record<string, ZodTypeAny> }).shape;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      out[k] = shape[k] ? toFileForm(v, shape[k]!) : v;
    }
    return out;
  }
  if (d.typeName === 'ZodArray' && Array.isArray(value) && d.type) return value.map((x) => toFileForm(x, d.type!));
  return value;
}

/** The config as a plain object in the file's own form (a valid config when written back as YAML). */
export function effectiveConfig(config: Config): Record<string, unknown> {
  return toFileForm(config, configSchema) as Record<string, unknown>;
}
