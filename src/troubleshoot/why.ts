// Why a trial mount or write failed: the facts nfsctl can read (the export's options as
// configured on the serving host, the client's identity, the volume root's owner and mode,
// space, inodes and the project quota) turned into the first cause that explains the
// failure, with its fix. Pure functions here; the commands that gather the facts are in
// why-facts.ts. When no fact explains the failure, the caller shows the raw error and says so.
import { formatSize } from '../core/sizes.js';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { ExportClient, ExportsFile } from '../core/exports-file.js';
import { findExports, validateClientSpec } from '../core/exports-file.js';

export interface Cause {
  id: string;
  title: string;
  evidence: string;
  fix: string;
}

/** What the serving host's export config says about one volume's export. */
export interface ExportAccess {
  clients: string[];
  readOnly: boolean;
  squash: 'root' | 'all' | 'none';
  anonUid: number;
  anonGid: number;
  /** NFS versions offered (Ganesha Protocols); undefined: the server's default (kernel). */
  protocols?: number[];
  /** The same as exports(5) options (for a re-export command in a fix). */
  options: string[];
  /** Where the options were read, for the evidence. */
  source: string;
}

/** The kernel's default anonymous id (exports(5)); Ganesha's is -2, i.e. 4294967294. */
export const KERNEL_ANON = 65534;
export const GANESHA_ANON = 4294967294;

function fromOptions(
  opts: readonly string[],
  anonDefault: number,
): Omit<ExportAccess, 'clients' | 'source' | 'options'> {
  const val = (k: string) => opts.find((o) => o.startsWith(`${k}=`))?.slice(k.length + 1);
  const num = (s: string | undefined) =>
    s !== undefined && /^-?\d+$/.test(s) ? (Number(s) < 0 ? 2 ** 32 + Number(s) : Number(s)) : anonDefault;
  return {
    readOnly: opts.includes('ro'),
    squash: opts.includes('all_squash') ? 'all' : opts.includes('no_root_squash') ? 'none' : 'root',
    anonUid: num(val('anonuid')),
    anonGid: num(val('anongid')),
  };
}

/** The kernel exports file: the options of the entry for `path` (the client that matches `addr` first). */
export function kernelExportAccess(file: ExportsFile | null, path: string, addr: string | null): ExportAccess | null {
  if (!file) return null;
  const entries = findExports(file, path);
  if (entries.length === 0) return null;
  const all: ExportClient[] = entries.flatMap((e) =>
    e.clients.map((c) => ({ host: c.host, options: c.options.length ? c.options : e.defaultOptions })),
  );
  const hit = (addr !== null ? all.find((c) => clientMatches(c.host, addr) === true) : undefined) ?? all[0];
  if (!hit) return null;
  return {
    clients: all.map((c) => c.host || '*'),
    ...fromOptions(hit.options, KERNEL_ANON),
    options: hit.options.filter((o) => !o.startsWith('fsid=')),
    source: `exports line for ${path}: ${hit.host || '*'}(${hit.options.join(',')})`,
  };
}

/** One Ganesha EXPORT block (nfsctl's own file): CLIENT values win over the EXPORT's own. */
export function ganeshaExportAccess(text: string | null | undefined): ExportAccess | null {
  if (!text || !/\bEXPORT\s*\{/i.test(text)) return null;
  const clientBlock = /\bCLIENT\s*\{([^}]*)\}/i.exec(text)?.[1] ?? '';
  const outer = text.replace(/\bCLIENT\s*\{[^}]*\}/gi, '').replace(/\bFSAL\s*\{[^}]*\}/gi, '');
  const key = (src: string, k: string) => new RegExp(`\\b${k}\\s*=\\s*([^;]*);`, 'i').exec(src)?.[1]?.trim();
  const get = (k: string) => key(clientBlock, k) ?? key(outer, k);
  const access = (get('Access_Type') ?? 'None').toUpperCase();
  const squash = (get('Squash') ?? 'Root_Squash').toLowerCase().replace(/_/g, '');
  const id = (k: string) => {
    const s = get(k);
    return s !== undefined && /^-?\d+$/.test(s) ? (Number(s) < 0 ? 2 ** 32 + Number(s) : Number(s)) : GANESHA_ANON;
  };
  const clients = (key(clientBlock, 'Clients') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const protocols = (key(outer, 'Protocols') ?? '3, 4')
    .split(',')
    .map((p) => Number(p.trim().replace(/^nfsv?/i, '')))
    .filter((n) => n > 0);
  const readOnly = access === 'RO' || access === 'MDONLY_RO' || access === 'NONE';
  const sq =
    squash === 'allsquash' || squash === 'all'
      ? 'all'
      : squash === 'norootsquash' || squash === 'none' || squash === 'noidsquash'
        ? 'none'
        : 'root';
  const anonUid = id('Anonymous_Uid');
  const anonGid = id('Anonymous_Gid');
  const options = [
    readOnly ? 'ro' : 'rw',
    'sync',
    sq === 'all' ? 'all_squash' : sq === 'none' ? 'no_root_squash' : 'root_squash',
    'no_subtree_check',
    ...(anonUid !== GANESHA_ANON ? [`anonuid=${anonUid}`] : []),
    ...(anonGid !== GANESHA_ANON ? [`anongid=${anonGid}`] : []),
  ];
  return {
    clients,
    readOnly,
    squash: sq,
    anonUid,
    anonGid,
    protocols,
    options,
    source: `Ganesha EXPORT block (Access_Type = ${get('Access_Type') ?? 'None'}, Squash = ${get('Squash') ?? 'Root_Squash'})`,
  };
}

/** Whether an export client spec covers `addr`: true/false, or null when nfsctl cannot tell (netgroup, hostname: see resolved). */
export function clientMatches(spec: string, addr: string, resolved?: Map<string, string[]>): boolean | null {
  if (spec === '' || spec === '*') return true;
  let kind: string;
  try {
    kind = validateClientSpec(spec);
  } catch {
    return null;
  }
  const fam = isIPv6(addr) ? 'ipv6' : 'ipv4';
  switch (kind) {
    case 'anyone':
      return true;
    case 'ipv4':
    case 'ipv6':
      return spec === addr;
    case 'ipv4-network':
    case 'ipv6-network': {
      const [net = '', mask = ''] = spec.split('/');
      const bl = new BlockList();
      const prefix = isIPv4(mask)
        ? mask.split('.').reduce((n, o) => n + (Number(o).toString(2).match(/1/g)?.length ?? 0), 0)
        : Number(mask);
      try {
        bl.addSubnet(net, prefix, kind === 'ipv6-network' ? 'ipv6' : 'ipv4');
        return bl.check(addr, fam);
      } catch {
        return null;
      }
    }
    case 'hostname': {
      const addrs = resolved?.get(spec);
      return addrs === undefined ? null : addrs.includes(addr);
    }
    default:
      return null;
  }
}

export interface WriteFacts {
  volume: string;
  path: string;
  holder: string;
  /** The failed step's own words (nfs-cp / sh), for matching and for the evidence. */
  error: string;
  access: ExportAccess | null;
  client: { uid: number; gid: number } | null;
  root: { uid: number; gid: number; mode: number } | null;
  /** df of the volume root: room left, and the filesystem holding it (type and mount point) when df said. */
  space: { availBytes: number; availInodes: number | null; fstype?: string; mount?: string } | null;
  /** A quota of the volume's own (an XFS project quota, a CephFS subvolume quota); `source`: where it was read. */
  quota: { usedBytes: number; hardBytes: number; source?: string } | null;
  /** The export's options now (for the re-export command in a fix). */
  options: string[];
  /** nfs.clients: a re-export keeps the export's clients when they differ from it. */
  defaultClients?: readonly string[];
}

/** The id the NFS server acts as for a client with this uid/gid. */
export function effectiveIdentity(
  a: ExportAccess | null,
  c: { uid: number; gid: number },
): { uid: number; gid: number; squashed: boolean } {
  if (a && (a.squash === 'all' || (a.squash === 'root' && c.uid === 0)))
    return { uid: a.anonUid, gid: a.anonGid, squashed: true };
  return { uid: c.uid, gid: c.gid, squashed: false };
}

/** Can uid:gid create a file in a directory with this owner and mode (no ACLs, no supplementary groups)? */
export function canCreate(id: { uid: number; gid: number }, dir: { uid: number; gid: number; mode: number }): boolean {
  if (id.uid === 0) return true;
  const bits = id.uid === dir.uid ? (dir.mode >> 6) & 7 : id.gid === dir.gid ? (dir.mode >> 3) & 7 : dir.mode & 7;
  return (bits & 3) === 3;
}

/** Below this, a filesystem counts as full (XFS keeps a few blocks; a probe needs one). */
export const FULL_BYTES = 64 * 1024;

/** A --size value (M or G) twice `bytes`, for a resize to paste. */
export function twice(bytes: number): string {
  const MiB = 2 ** 20;
  const m = Math.ceil((2 * bytes) / MiB);
  return m >= 1024 && m % 1024 === 0 ? `${m / 1024}G` : `${m}M`;
}

/** Below this, no inodes are left (XFS counts a few free in allocated chunks it cannot use; it allocates 64 at a time). */
export const FULL_INODES = 64;

const oct = (m: number) => `0${(m & 0o7777).toString(8)}`;

/**
 * `nfsctl volume export` with the export's options changed by `change`, and its clients (or
 * `clients`) when they are not the default: pasted, it changes only what the fix is about
 * (without --clients/--options the command puts back nfs.clients and nfs.options).
 */
export function reexport(
  f: { volume: string; options: string[]; access: ExportAccess | null; defaultClients?: readonly string[] | undefined },
  change: (o: string[]) => string[] = (o) => o,
  clients?: string[],
): string {
  const now = clients ?? f.access?.clients;
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const keep =
    now && now.length > 0 && !(f.defaultClients && same(now, f.defaultClients)) ? ` --clients ${now.join(',')}` : '';
  return `nfsctl volume export ${f.volume}${keep} --options ${change(f.options).join(',')}`;
}

/** Every cause the facts show, most specific first; the failed step's words pick among them. */
export function writeCauses(f: WriteFacts): Cause[] {
  const out: Cause[] = [];
  if (f.access?.readOnly) {
    out.push({
      id: 'export-ro',
      title: `the export of ${f.path} is read-only`,
      evidence: `${f.access.source} on ${f.holder}`,
      fix: reexport(f, (o) => ['rw', ...o.filter((x) => x !== 'ro' && x !== 'rw')]),
    });
  }
  if (f.client && f.root) {
    const eff = effectiveIdentity(f.access, f.client);
    if (!canCreate(eff, f.root)) {
      const how = eff.squashed
        ? `the client writes as ${f.client.uid}:${f.client.gid}, which ${f.access!.squash === 'all' ? 'all_squash' : 'root_squash'} maps to ${eff.uid}:${eff.gid}`
        : `the client writes as ${eff.uid}:${eff.gid} (not squashed)`;
      const squashFix =
        eff.squashed && f.access!.squash === 'root'
          ? `; or, if the clients' root must write as root, ${reexport(f, (o) => [...o.filter((x) => x !== 'root_squash' && x !== 'all_squash'), 'no_root_squash'])}`
          : '';
      out.push({
        id: 'write-permission',
        title: `${eff.uid}:${eff.gid} may not create files in ${f.path}`,
        evidence: `${how}; ${f.path} on ${f.holder} is owned by ${f.root.uid}:${f.root.gid} with mode ${oct(f.root.mode)}`,
        fix: `on ${f.holder} (and the other host, for a mirrored copy): chown ${eff.uid}:${eff.gid} -- ${f.path}  # the identity the clients write as; or chmod g+rwx/o+rwx as fits${squashFix}`,
      });
    }
  }
  if (f.quota && f.quota.hardBytes > 0 && f.quota.usedBytes + FULL_BYTES > f.quota.hardBytes) {
    out.push({
      id: 'write-quota',
      title: `${f.volume} is at its quota`,
      evidence: `${f.quota.source ?? 'XFS project quota'} on ${f.holder}: ${f.quota.usedBytes} of ${f.quota.hardBytes} bytes used`,
      fix: `free space in the volume, or grow it: nfsctl volume resize ${f.volume} --size ${twice(f.quota.hardBytes)}  # twice its size now; any size above ${formatSize(f.quota.hardBytes)} will do`,
    });
  }
  if (f.space && f.space.availBytes < FULL_BYTES && !out.some((c) => c.id === 'write-quota')) {
    out.push({
      id: 'write-space',
      title: `no space left in ${f.path}`,
      evidence: `df on ${f.holder}: ${f.space.availBytes} bytes available`,
      fix: `free space in the volume, or grow it: nfsctl volume resize ${f.volume} --size <bigger>`,
    });
  }
  if (f.space && f.space.availInodes !== null && f.space.availInodes < FULL_INODES) {
    const fs = f.space.mount ?? f.path;
    const which = f.space.mount
      ? ` in the ${f.space.fstype ?? ''}${f.space.fstype ? ' ' : ''}filesystem at ${f.space.mount}${f.space.mount !== f.path ? ` that holds ${f.path}` : ''}`
      : '';
    out.push({
      id: 'write-inodes',
      title: `no inodes left in ${f.path}`,
      evidence: `df -i on ${f.holder}: ${f.space.availInodes} inodes available${which}`,
      fix: `on ${f.holder}: du --inodes -x -d 2 -- ${fs} | sort -n | tail  # the directories with the most files; remove those not needed${f.space.fstype === 'xfs' ? `; or let XFS use more of its space for inodes: xfs_growfs -m <percent, more than the imaxpct xfs_info ${fs} shows> ${fs}` : ''}`,
    });
  }
  return out;
}

const WORDS: [RegExp, string[]][] = [
  [/read-only|EROFS|NFS3ERR_ROFS|ERR_ROFS/i, ['export-ro']],
  [
    /permission denied|EACCES|NFS3ERR_ACCES|ERR_ACCESS|EPERM|NFS3ERR_PERM|not permitted/i,
    ['write-permission', 'export-ro'],
  ],
  [/quota|EDQUOT|NFS3ERR_DQUOT/i, ['write-quota', 'write-space']],
  [/no space|ENOSPC|NFS3ERR_NOSPC/i, ['write-space', 'write-quota', 'write-inodes']],
];

/** The first cause that explains a failed trial write, or null (then: the raw error). */
export function explainWrite(f: WriteFacts): Cause | null {
  const causes = writeCauses(f);
  for (const [re, ids] of WORDS) {
    if (!re.test(f.error)) continue;
    for (const id of ids) {
      const c = causes.find((x) => x.id === id);
      if (c) return c;
    }
  }
  return causes[0] ?? null;
}

export interface MountFacts {
  volume: string;
  path: string;
  holder: string;
  node: string;
  error: string;
  access: ExportAccess | null;
  /** The node's source address towards the VIP (what the server sees), or null when unknown. */
  nodeAddr: string | null;
  /** Hostname client specs resolved on the serving host. */
  resolved: Map<string, string[]>;
  /** NFS version the trial asked for. */
  version: number;
  /** The export's options now and nfs.clients (for a re-export command in a fix). */
  options?: string[];
  defaultClients?: readonly string[];
}

const reexportMount = (f: MountFacts, clients?: string[]) =>
  reexport({ ...f, options: f.options ?? f.access?.options ?? [] }, undefined, clients);

/** The first cause that explains a failed trial mount, or null. */
export function explainMount(f: MountFacts): Cause | null {
  const a = f.access;
  if (a && f.nodeAddr) {
    const verdicts = a.clients.map((c) => ({ c, m: clientMatches(c, f.nodeAddr!, f.resolved) }));
    if (verdicts.length > 0 && verdicts.every((v) => v.m === false)) {
      const names = verdicts.filter((v) => f.resolved.has(v.c));
      const dns = names.length
        ? `; on ${f.holder} ${names.map((v) => `${v.c} resolves to ${f.resolved.get(v.c)!.join(' ') || 'nothing'}`).join(', ')}`
        : '';
      return {
        id: 'export-clients',
        title: `${f.node} (${f.nodeAddr}) is not among the export's clients`,
        evidence: `the export of ${f.path} on ${f.holder} allows ${a.clients.join(' ')}; ${f.node} reaches the VIP from ${f.nodeAddr}${dns}`,
        fix: names.length
          ? `fix the name's resolution on ${f.holder} (/etc/hosts or DNS) so it gives ${f.nodeAddr}, or export to the address: ${reexportMount(f, [...a.clients, f.nodeAddr])}`
          : reexportMount(f, [...a.clients, f.nodeAddr]),
      };
    }
  }
  if (a?.protocols && !a.protocols.includes(f.version)) {
    return {
      id: 'nfs-version',
      title: `NFSv${f.version} is not offered for ${f.path}`,
      evidence: `${f.holder}: the export offers NFS ${a.protocols.map((p) => `v${p}`).join(', ')}; clients mount with vers=${f.version}`,
      fix: `${reexportMount(f)}  # writes nfsctl's export again, which offers NFS v3 and v4 (Protocols = 3, 4); or mount with nfsvers=${a.protocols[0]} (the PV's mountOptions)`,
    };
  }
  if (/version.*not supported|protocol not supported|EPROTONOSUPPORT|PROG_MISMATCH|program version/i.test(f.error)) {
    return {
      id: 'nfs-version',
      title: `the NFS version or transport is not offered`,
      evidence: f.error,
      fix: `mount with vers=3,proto=tcp (NFS over UDP is disabled in current kernels); check the server's versions (rpcinfo -p ${f.holder})`,
    };
  }
  return null;
}

/** mount(8)'s words when the node has no /sbin/mount.nfs. */
export const MISSING_HELPER = /mount\.<type> helper|bad option; for several filesystems|wrong fs type, bad option/i;
