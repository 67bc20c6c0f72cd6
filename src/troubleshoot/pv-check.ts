// `troubleshoot-mount --pv FILE`: the PersistentVolume the pod uses, as `kubectl get pv -o
// json|yaml` prints it, checked against the volume: its NFS server must be the VIP (not a
// storage host's own address, which a failover leaves behind) and its path the volume's.
import { parse as parseYaml } from 'yaml';
import type { Finding } from '../health/check.js';
import { UsageError } from '../core/errors.js';

export interface PvNfs {
  name: string;
  server: string;
  path: string;
  mountOptions: string[];
}

interface PvObject {
  kind?: unknown;
  metadata?: { name?: unknown };
  spec?: { nfs?: { server?: unknown; path?: unknown }; mountOptions?: unknown };
  items?: unknown;
}

/** Parse the file's text (JSON is YAML): one PersistentVolume, or a List of them. Throws UsageError. */
export function parsePvDocument(text: string, file: string): PvNfs[] {
  let doc: PvObject;
  try {
    doc = parseYaml(text) as PvObject;
  } catch (err) {
    throw new UsageError(`--pv ${file}: not JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const objs: PvObject[] =
    doc && typeof doc === 'object' && Array.isArray(doc.items) ? (doc.items as PvObject[]) : [doc];
  const pvs = objs.filter((o) => o && typeof o === 'object' && o.kind === 'PersistentVolume');
  if (pvs.length === 0)
    throw new UsageError(
      `--pv ${file}: no PersistentVolume in it (expected the output of kubectl get pv <name> -o yaml)`,
    );
  return pvs.map((o) => {
    const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '?';
    const nfs = o.spec?.nfs;
    if (!nfs || typeof nfs.server !== 'string' || typeof nfs.path !== 'string')
      throw new UsageError(`--pv ${file}: PersistentVolume ${name} has no spec.nfs.server/path (not an NFS PV)`);
    return {
      name,
      server: nfs.server,
      path: nfs.path,
      mountOptions: Array.isArray(o.spec?.mountOptions) ? (o.spec!.mountOptions as unknown[]).map(String) : [],
    };
  });
}

/** Pick the PV of this volume (by path, then name) from what the file held. */
export function pickPv(pvs: PvNfs[], path: string, name: string): PvNfs {
  return pvs.find((p) => p.path.replace(/\/+$/, '') === path) ?? pvs.find((p) => p.name === name) ?? pvs[0]!;
}

/** The finding: ok, or critical naming what differs. */
export function pvFinding(
  pv: PvNfs,
  want: { vip: string; path: string; volume: string; hostAddresses: Record<string, string> },
): Finding {
  const problems: string[] = [];
  if (pv.server !== want.vip) {
    const role = Object.entries(want.hostAddresses).find(([, a]) => a === pv.server)?.[0];
    problems.push(
      role
        ? `spec.nfs.server is ${pv.server}, the ${role}'s own address, not the VIP ${want.vip}: it breaks when the VIP moves`
        : `spec.nfs.server is ${pv.server}, not the VIP ${want.vip}`,
    );
  }
  if (pv.path.replace(/\/+$/, '') !== want.path)
    problems.push(`spec.nfs.path is ${pv.path}, not the volume's ${want.path}`);
  const vers = pv.mountOptions.find((o) => /^(nfs)?vers=/.test(o));
  const udp = pv.mountOptions.some((o) => o === 'udp' || o === 'proto=udp');
  if (udp) problems.push(`mountOptions ask for UDP (${pv.mountOptions.join(',')}), which current kernels refuse`);
  const title = `PersistentVolume ${pv.name} points at ${want.volume}`;
  if (problems.length === 0)
    return {
      id: 'pv',
      host: null,
      status: 'ok',
      title,
      evidence: `${pv.server}:${pv.path}${vers ? ` (${vers})` : ''}`,
    };
  return {
    id: 'pv',
    host: null,
    status: 'critical',
    title,
    evidence: problems.join('; '),
    fix: `nfsctl troubleshoot-mount ${want.volume}  # without --pv: prints the PersistentVolume that works; recreate ${pv.name} from it (a PV's nfs source cannot be changed in place)`,
  };
}
