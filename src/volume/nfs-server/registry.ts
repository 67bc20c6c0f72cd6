// Every NFS server kind nfsctl drives (`nfs.server`): one line per kind. Adding one = one file
// in this directory implementing Exporter (contract.ts) + one line here.
import type { Config } from '../../config/schema.js';
import type { AnyExporter, Exporter } from './contract.js';
import { kernelExporter } from './kernel.js';
import { ganeshaExporter } from './ganesha.js';
import { NFS_SERVER_KINDS, type NfsServerKind } from '../../core/export-options.js';

export const EXPORTER_LIST = [kernelExporter, ganeshaExporter] as const;
// every entry is a complete Exporter (each file also declares its object as one)
const checked: readonly Exporter[] = EXPORTER_LIST;
void checked;

export type NfsServerName = (typeof EXPORTER_LIST)[number]['name'];
// the CLI's list of kinds (src/core/export-options.ts) and the registry must agree, both ways
const kindsAreNames: readonly NfsServerName[] = NFS_SERVER_KINDS;
const namesAreKinds: readonly NfsServerKind[] = EXPORTER_LIST.map((e) => e.name);
void kindsAreNames;
void namesAreKinds;

/** The names, for the config schema's enum. */
export function exporterNames(): [NfsServerName, ...NfsServerName[]] {
  return EXPORTER_LIST.map((e) => e.name) as [NfsServerName, ...NfsServerName[]];
}

const byName = new Map<string, AnyExporter>(EXPORTER_LIST.map((e) => [e.name, e]));

/** The exporter of this config's `nfs.server`. */
export function exporterOf(config: Pick<Config, 'nfs'>): AnyExporter {
  return exporterNamed(config.nfs.server);
}

export function exporterNamed(name: string): AnyExporter {
  const e = byName.get(name);
  if (!e) throw new Error(`unknown NFS server kind ${JSON.stringify(name)}`);
  return e;
}
