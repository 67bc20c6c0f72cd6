// Building blocks of the config schema, shared by src/config/schema.ts and the backends'
// own sections (src/volume/backend/*.ts). No import of the schema itself: the schema imports
// the backend registry, so the backends must not import it back at runtime.
import { z } from 'zod';
import * as v from '../core/config-values.js';

/** A string checked by one of the validators of src/core/config-values.ts. */
export const checked = (problem: (s: string) => string | null, typeError?: string) =>
  z.string(typeError ? { invalid_type_error: typeError } : {}).superRefine((s, ctx) => {
    const p = problem(s);
    if (p) ctx.addIssue({ code: z.ZodIssueCode.custom, message: p });
  });

export const absPath = checked(v.safePathProblem);
export const dataRoot = checked(v.dataRootProblem);
