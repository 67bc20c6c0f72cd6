// Every volume backend nfsctl knows: one line per backend. Adding a backend = one file in this
// directory implementing VolumeBackend (contract.ts) + one line here + its name in
// src/core/backend-names.ts (which the CLI and the metadata parser read without loading the
// backends); its config section, docs and behaviour all come from that object.
import type { z } from 'zod';
import type { Config } from '../../config/schema.js';
import type { AnyVolumeBackend, VolumeBackend } from './contract.js';
import { BACKEND_META_NAMES, type BackendName } from '../../core/backend-names.js';
import { lvmBackend } from './lvm.js';
import { rbdBackend } from './rbd.js';
import { xfsquotaBackend } from './xfsquota.js';
import { cephfsBackend } from './cephfs.js';
import { drbdBackend } from './drbd.js';

/** In the order help, lists and the config reference show them. */
export const BACKEND_LIST = [
  lvmBackend,
  rbdBackend,
  xfsquotaBackend,
  cephfsBackend,
  drbdBackend,
] as const satisfies readonly VolumeBackend[];

type Listed = (typeof BACKEND_LIST)[number];
/** A backend's name ("lvm", "rbd", ...). */
export type Backend = Listed['name'];

// The list of names and the implementations agree, both ways (a compile error otherwise),
// and each writes the metadata value the names list gives it.
type Unlisted = Exclude<BackendName, Backend>;
type Unnamed = Exclude<Backend, BackendName>;
const agree: [Unlisted, Unnamed] extends [never, never]
  ? true
  : { unimplemented: Unlisted; missingFromBackendNames: Unnamed } = true;
void agree;
for (const b of BACKEND_LIST)
  if (b.metaName !== BACKEND_META_NAMES[b.name])
    throw new Error(
      `backend ${b.name}: metaName ${b.metaName} is not ${BACKEND_META_NAMES[b.name]} (src/core/backend-names.ts)`,
    );

/** The names, for the config schema's enum and the CLI's choices. */
export function backendNames(): [Backend, ...Backend[]] {
  return BACKEND_LIST.map((b) => b.name) as [Backend, ...Backend[]];
}

/** `backends.<name>` sections of the config schema, each optional. */
export function backendSections(): { [B in Listed as B['name']]: z.ZodOptional<B['configSchema']> } {
  return Object.fromEntries(BACKEND_LIST.map((b) => [b.name, b.configSchema.optional()])) as never;
}

const byName = new Map<string, AnyVolumeBackend>(BACKEND_LIST.map((b) => [b.name, b]));
const byMeta = new Map<string, AnyVolumeBackend>(BACKEND_LIST.map((b) => [b.metaName, b]));

/** The backend called `name` (a programming error when there is none: names are validated by the schema and the CLI). */
export function backendNamed(name: string): AnyVolumeBackend {
  const b = byName.get(name);
  if (!b) throw new Error(`unknown backend ${JSON.stringify(name)}`);
  return b;
}

/** The backend a metadata record names (its `backend` field), or undefined. */
export function backendOfMeta(metaName: string): AnyVolumeBackend | undefined {
  return byMeta.get(metaName);
}

/**
 * The backends' sections after parsing, with the section of every backend another section
 * implies (`impliedBy`) filled with its defaults when absent (backends.lvm.replication: drbd
 * implies backends.drbd).
 */
export function withImpliedSections<S extends Record<string, unknown>>(sections: S): S {
  let out = sections;
  for (const b of BACKEND_LIST)
    if (out[b.name] === undefined && (b as AnyVolumeBackend).impliedBy?.(sections))
      out = { ...out, [b.name]: b.configSchema.parse({}) };
  return out;
}

/** The backends with a section in this config, in registry order. */
export function configuredBackends(config: Config): AnyVolumeBackend[] {
  const sections = config.backends as unknown as Record<string, unknown>;
  return BACKEND_LIST.filter((b) => sections[b.name] !== undefined);
}
