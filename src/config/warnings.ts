// Settings that are valid but risky: `config check` warns about them (exit 0 all the
// same). Errors are for values nfsctl cannot use safely; warnings for choices an
// operator may make on purpose, and should make knowingly.
import type { Config } from './schema.js';
import { validateClientSpec } from '../core/exports-file.js';
import { configuredBackends } from '../volume/backend/registry.js';

export interface ConfigWarning {
  /** The key the warning is about (as in the file: nfs.options, nfs.clients.0). */
  path: (string | number)[];
  message: string;
}

/** True when the client spec names more than one host: *, a wildcard, a netgroup, a network wider than /32 (/128). */
export function isWideClient(spec: string): boolean {
  let kind;
  try {
    kind = validateClientSpec(spec);
  } catch {
    return false;
  }
  if (kind === 'anyone' || kind === 'wildcard' || kind === 'netgroup') return true;
  const mask = spec.slice(spec.indexOf('/') + 1);
  if (kind === 'ipv4-network') return mask.includes('.') ? mask !== '255.255.255.255' : Number(mask) < 32;
  if (kind === 'ipv6-network') return Number(mask) < 128;
  return false;
}

export function configWarnings(c: Config): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  const opts = c.nfs.options;
  const optIndex = (name: string) => opts.findIndex((o) => o === name || o.startsWith(`${name}=`));
  const wide = c.nfs.clients.map((s, i) => ({ s, i })).filter(({ s }) => isWideClient(s));
  const nrs = optIndex('no_root_squash');
  if (nrs >= 0 && wide.length > 0) {
    out.push({
      path: ['nfs', 'options', nrs],
      message: `no_root_squash is exported to ${wide.map(({ s }) => s).join(', ')}: root on any of those machines is root on the volumes (can read every file and chown anything). Needed when pods run as root and chown their data; otherwise use root_squash, or list only the Kubernetes nodes`,
    });
  }
  const ins = optIndex('insecure');
  if (ins >= 0) {
    out.push({
      path: ['nfs', 'options', ins],
      message:
        'insecure: clients may connect from ports above 1023, so any unprivileged user on a client machine can speak NFS as any uid',
    });
  }
  for (const name of ['no_auth_nlm', 'insecure_locks']) {
    const i = optIndex(name);
    if (i >= 0) out.push({ path: ['nfs', 'options', i], message: `${name}: lock requests are not authenticated` });
  }
  const anyone = c.nfs.clients.indexOf('*');
  if (anyone >= 0 && optIndex('rw') >= 0) {
    out.push({
      path: ['nfs', 'clients', anyone],
      message:
        'clients "*": every machine that can reach the VIP may mount the volumes read-write; list the Kubernetes node network instead (e.g. 10.0.1.0/24)',
    });
  }
  for (const b of configuredBackends(c)) out.push(...b.configWarnings(c));
  return out;
}
