// The kernel NFS server: nfsctl's own exports file (nfs.exportsFile), replaced atomically,
// then `exportfs -ra` and a check that the export is really live (`exportfs -v`). Each export
// carries the fsid nfsctl derives from the volume's name, the same on both hosts.
import type { Config } from '../../config/schema.js';
import type { Step } from '../../plan/plan.js';
import { CommandFailedError, fileContent } from '../../host/host.js';
import { readFileArgv } from '../../host/atomic-write.js';
import {
  parseExports,
  serializeExports,
  upsertExport,
  removeExport,
  findExports,
  normalizeExportPath,
  validateClientSpec,
  type ExportClient,
  type ExportEntry,
} from '../../core/exports-file.js';
import { parseExportfsV } from '../../core/exportfs-v.js';
import { checkNfsctlExportOptions } from '../../core/export-options.js';
import { UsageError } from '../../core/errors.js';
import type { HostInventory } from '../inventory.js';
import type { VolumeIdentity } from '../identity.js';
import type { Exporter } from './contract.js';
import { verifyServed } from './common.js';

/**
 * Kernel options for a volume: configured/requested options plus its stable fsid, and `mp`
 * where it is to be served only while mounted (ExportSpec.onlyWhenMounted).
 */
export function kernelOptions(v: VolumeIdentity, options: string[], onlyWhenMounted = false): string[] {
  const own = options.filter((o) => !o.startsWith('fsid='));
  const mp = onlyWhenMounted && !own.some((o) => o === 'mp' || o.startsWith('mp=') || o.startsWith('mountpoint'));
  // an adopted volume keeps the fsid its line had (or none): clients' file handles depend on it
  const fsid = v.adopted ? (v.adopted.fsid ? [`fsid=${v.adopted.fsid}`] : []) : [`fsid=${v.fsid}`];
  return [...own, ...(mp ? ['mp'] : []), ...fsid];
}

/** Export lines by normalised path, built once per inventory. */
const indexes = new WeakMap<HostInventory, Map<string, ExportEntry[]>>();
function linesFor(inv: HostInventory, path: string): ExportEntry[] {
  let ix = indexes.get(inv);
  if (!ix) {
    ix = new Map();
    for (const e of inv.exports?.entries ?? []) {
      if (e.kind !== 'export') continue;
      const key = normalizeExportPath(e.path);
      ix.set(key, [...(ix.get(key) ?? []), e]);
    }
    indexes.set(inv, ix);
  }
  return ix.get(normalizeExportPath(path)) ?? [];
}

/** `exportfs -ra`, then check the path is (or is no longer) served: the kernel's own view. */
function exportfsStep(config: Config, role: string, v: VolumeIdentity, want: boolean): Step {
  return {
    id: `${role}:exportfs`,
    host: role,
    title: `apply exports (exportfs -ra) and check ${v.path} is ${want ? 'served' : 'no longer served'}`,
    action: {
      kind: 'fn',
      describe: 'exportfs -ra && exportfs -v',
      fn: async (h) => {
        const r = await h.run(['exportfs', '-ra']);
        if (r.exitCode !== 0) throw new CommandFailedError(r);
        await verifyServed(config, h, v.path, want);
      },
    },
    undo: { title: 're-apply the restored exports (exportfs -ra)', action: { kind: 'run', argv: ['exportfs', '-ra'] } },
  };
}

export const kernelExporter: Exporter<'kernel'> = {
  name: 'kernel',
  servedBy: 'the kernel NFS server (exportfs -v)',
  configLocation: (config) => config.nfs.exportsFile,
  checkSpec(spec) {
    for (const c of spec.clients) validateClientSpec(c);
    checkNfsctlExportOptions(spec.options, 'kernel');
  },
  servesFsal: false,

  readHost(config, inv, read) {
    read(readFileArgv(config.nfs.exportsFile), (r) => {
      const t = fileContent(r, config.nfs.exportsFile);
      inv.exportsText = t;
      inv.exports = parseExports(t ?? '');
    });
    read(['exportfs', '-v'], (r) => {
      if (r.exitCode === 0) inv.served = parseExportfsV(r.stdout);
      else inv.servedError = r.stderr.trim() || `exportfs -v exit ${r.exitCode}`;
    });
  },
  servedArgv: () => ['exportfs', '-v'],
  parseServed: (stdout) => parseExportfsV(stdout),
  exportState(_config, inv, v) {
    const lines = linesFor(inv, v.path);
    const opts = lines.flatMap((l) => l.clients.map((c) => (c.options.length ? c.options : l.defaultOptions)));
    return {
      configured: lines.length > 0,
      clients: lines.flatMap((l) => l.clients.map((c) => c.host)),
      readOnly: opts.length > 0 && opts.every((o) => o.includes('ro')),
    };
  },

  exportSteps(config, role, inv, v, spec, fsal) {
    if (fsal)
      throw new UsageError(
        `${v.id}: its storage is served through the ganesha FSAL ${fsal.name}, which the kernel NFS server cannot do; set nfs.server: ganesha`,
      );
    const before = inv.exportsText;
    const clients: ExportClient[] = spec.clients.map((host) => ({
      host,
      options: kernelOptions(v, spec.options, spec.onlyWhenMounted),
    }));
    const after = serializeExports(upsertExport(parseExports(before ?? ''), v.path, clients, v.id));
    const restore =
      before === null
        ? { kind: 'run' as const, argv: ['rm', '-f', '--', config.nfs.exportsFile] }
        : { kind: 'write' as const, path: config.nfs.exportsFile, content: before };
    return [
      {
        id: `${role}:exports-file`,
        host: role,
        title: `add ${v.path} to ${config.nfs.exportsFile}`,
        action: {
          kind: 'write',
          path: config.nfs.exportsFile,
          content: after,
          backup: true,
          summary: `${v.path} ${clients.map((c) => `${c.host}(${c.options.join(',')})`).join(' ')}`,
        },
        undo: { title: `restore ${config.nfs.exportsFile}`, action: restore },
      },
      exportfsStep(config, role, v, true),
    ];
  },
  unexportSteps(config, role, inv, v) {
    const before = inv.exportsText;
    if (before === null) return [];
    const parsed = parseExports(before);
    if (findExports(parsed, v.path).length === 0) return [];
    const after = serializeExports(removeExport(parsed, v.path, v.id));
    return [
      {
        id: `${role}:exports-file`,
        host: role,
        title: `remove ${v.path} from ${config.nfs.exportsFile}`,
        action: { kind: 'write', path: config.nfs.exportsFile, content: after, backup: true },
        undo: {
          title: `restore ${config.nfs.exportsFile}`,
          action: { kind: 'write', path: config.nfs.exportsFile, content: before },
        },
      },
      exportfsStep(config, role, v, false),
    ];
  },

  // the exports file is the whole truth: one re-read serves everything configured
  serveArgvs: () => [['exportfs', '-ra']],
  unserveArgvs: (_config, v, clients) => clients.map((c) => ['exportfs', '-u', `${c}:${v.path}`]),

  // its export caches pin an unexported mount until they expire: flush them
  releaseArgv: ['exportfs', '-f'],
  // exportfs -u made kernel nfsd answer ESTALE during the freeze (vm tier); stopping it is a stall
  freezeStopsServer: true,
  readsExportsFile: true,
  usesNfsConf: true,
  nlmViaStatd: true,
  fsidInExports: true,
  async activeClients(host, v) {
    const rmtab = await host.readFile('/var/lib/nfs/rmtab').catch(() => null);
    if (rmtab === null) return [];
    // rmtab lines: client:path:0x<count>
    return rmtab
      .split('\n')
      .map((l) => l.split(':'))
      .filter((f) => f[1] === v.path && f[2] !== '0x00000000')
      .map((f) => f[0]!);
  },
};
