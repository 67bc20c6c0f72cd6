// The export options nfsctl accepts (from --options and nfs.options), for both NFS servers:
// one function that says whether a list is acceptable for the configured server, and one
// that turns it into what an NFS-Ganesha EXPORT block can say. Nothing is dropped silently:
// an option is either honoured or refused (exit 2, naming it).
import { UsageError } from './errors.js';
import { validateExportOptions } from './exports-file.js';
import type { GaneshaSecType, GaneshaSquash } from './ganesha.js';

export type NfsServerKind = 'kernel' | 'ganesha';
/** The server kinds' names, for the CLI's choices without loading the exporters (the registry checks they agree). */
export const NFS_SERVER_KINDS: readonly NfsServerKind[] = ['kernel', 'ganesha'];

/** What an exports(5) option list means in a Ganesha EXPORT/CLIENT block. */
export interface GaneshaPermissions {
  accessType: 'RW' | 'RO';
  squash: GaneshaSquash;
  anonymousUid?: number;
  anonymousGid?: number;
  /** From sec=a:b (EXPORT SecType); undefined keeps nfsctl's default (sys). */
  secType?: GaneshaSecType[];
  /** insecure -> false, secure -> true; undefined keeps Ganesha's default (false). */
  privilegedPort?: boolean;
}

/** Options that already describe what Ganesha does: accepted, nothing to write. */
const GANESHA_NATIVE: Record<string, string> = {
  sync: 'Ganesha acknowledges writes with the stability the client asked for',
  no_subtree_check: 'Ganesha does no subtree checking',
  no_all_squash: 'the absence of all_squash',
};

const FSID_WHY =
  "nfsctl derives each volume's fsid (and Ganesha Export_Id) from its name, identical on both hosts, so that file handles stay valid when the VIP moves; a fixed fsid would be shared by every volume given it";

/**
 * Check an option list for nfsctl: exports(5) syntax and consistency, no fsid (derived),
 * and with Ganesha only what its EXPORT block can represent. Throws UsageError.
 */
export function checkNfsctlExportOptions(options: readonly string[], server: NfsServerKind): void {
  validateExportOptions(options);
  const fsid = options.find((o) => o.startsWith('fsid='));
  if (fsid !== undefined) throw new UsageError(`export option "${fsid}" is not accepted: ${FSID_WHY}; remove it`);
  if (server === 'ganesha') ganeshaPermissions(options);
}

/** The Ganesha form of a (valid) option list; refuses what Ganesha cannot represent. */
export function ganeshaPermissions(options: readonly string[]): GaneshaPermissions {
  const has = (o: string) => options.includes(o);
  const p: GaneshaPermissions = {
    accessType: has('ro') ? 'RO' : 'RW',
    squash: has('all_squash') ? 'All_Squash' : has('no_root_squash') ? 'No_Root_Squash' : 'Root_Squash',
  };
  for (const raw of options) {
    const eq = raw.indexOf('=');
    const name = eq < 0 ? raw : raw.slice(0, eq);
    const value = eq < 0 ? '' : raw.slice(eq + 1);
    switch (name) {
      case 'rw':
      case 'ro':
      case 'root_squash':
      case 'no_root_squash':
      case 'all_squash':
        break;
      case 'anonuid':
        p.anonymousUid = Number(value);
        break;
      case 'anongid':
        p.anonymousGid = Number(value);
        break;
      case 'sec':
        p.secType = value.split(':') as GaneshaSecType[];
        break;
      case 'insecure':
        p.privilegedPort = false;
        break;
      case 'secure':
        p.privilegedPort = true;
        break;
      default:
        if (name in GANESHA_NATIVE) break;
        throw new UsageError(
          `export option "${raw}" cannot be represented in an NFS-Ganesha EXPORT block (nfs.server: ganesha), and nfsctl does not drop options silently; remove it. ` +
            'Ganesha takes: rw, ro, root_squash, no_root_squash, all_squash, anonuid=, anongid=, sec=, secure, insecure, and (already its behaviour) sync, no_subtree_check, no_all_squash',
        );
    }
  }
  return p;
}
