// Export and unexport steps for the two NFS server kinds. Kernel: nfsctl's own exports file,
// replaced atomically, then `exportfs -ra` and a check that the export is really live.
// Ganesha: one EXPORT block per volume in its own file, applied at runtime over dbus
// (AddExport/RemoveExport), no restart; an include list keeps restarts consistent.
import type { Config } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { Step } from '../plan/plan.js';
import { CommandFailedError, runChecked } from '../host/host.js';
import { parseExports, serializeExports, upsertExport, removeExport, findExports, validateClientSpec, type ExportClient } from '../core/exports-file.js';
import { ganeshaQuote, renderGaneshaExport, type GaneshaClientRule } from '../core/ganesha.js';
import { checkNfsctlExportOptions, ganeshaPermissions, type NfsServerKind } from '../core/export-options.js';
import { NfsctlError } from '../core/errors.js';
import type { HostInventory } from './inventory.js';
import { ganeshaDbus, parseServed, servedArgv } from './inventory.js';
import type { VolumeIdentity } from './identity.js';

export interface ExportSpec {
  clients: string[];
  options: string[];
}

/**
 * Validate clients and options before anything is planned: never a broken exports file, no
 * fsid (derived), and with Ganesha only options its EXPORT block can represent.
 */
export function checkExportSpec(spec: ExportSpec, server: NfsServerKind): void {
  for (const c of spec.clients) validateClientSpec(c);
  checkNfsctlExportOptions(spec.options, server);
}

/** Kernel options for a volume: configured/requested options plus its stable fsid. */
export function kernelOptions(v: VolumeIdentity, options: string[]): string[] {
  // an adopted volume keeps the fsid its line had (or none): clients' file handles depend on it
  if (v.adopted) return [...options.filter((o) => !o.startsWith('fsid=')), ...(v.adopted.fsid ? [`fsid=${v.adopted.fsid}`] : [])];
  return [...options.filter((o) => !o.startsWith('fsid=')), `fsid=${v.fsid}`];
}

export const INCLUDE_FILE = 'exports.conf';

export function ganeshaFile(config: Config, v: VolumeIdentity): string {
  return `${config.nfs.ganeshaExportsDir}/${v.project}.conf`;
}

export function ganeshaBlock(v: VolumeIdentity, spec: ExportSpec): string {
  const p = ganeshaPermissions(spec.options);
  const rule: GaneshaClientRule = {
    clients: spec.clients,
    accessType: p.accessType,
    squash: p.squash,
    ...(p.anonymousUid !== undefined ? { anonymousUid: p.anonymousUid } : {}),
    ...(p.anonymousGid !== undefined ? { anonymousGid: p.anonymousGid } : {}),
    ...(p.privilegedPort !== undefined ? { privilegedPort: p.privilegedPort } : {}),
  };
  return renderGaneshaExport({ owner: v.id, exportId: v.exportId, path: v.path, pseudo: v.path, clients: [rule], ...(p.secType ? { secType: p.secType } : {}) });
}

function includeList(config: Config, files: Iterable<string>): string {
  const names = [...new Set(files)].filter((f) => f !== INCLUDE_FILE && f.endsWith('.conf')).sort();
  return `# Managed by nfsctl: one %include per volume export. Do not edit.\n${names.map((n) => `%include ${ganeshaQuote(`${config.nfs.ganeshaExportsDir}/${n}`, '%include path')}`).join('\n')}\n`;
}

async function verifyServed(config: Config, host: Host, path: string, want: boolean): Promise<void> {
  const served = parseServed(config, (await runChecked(host, servedArgv(config))).stdout).map((e) => e.path);
  if (served.includes(path) !== want) {
    throw new NfsctlError(`${host.name}: the NFS server ${want ? 'does not serve' : 'still serves'} ${path} after the change (served: ${served.join(', ') || 'nothing'})`);
  }
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

/** Steps that make `v` exported on one host (idempotent: an existing export is updated). */
export function exportSteps(config: Config, role: string, inv: HostInventory, v: VolumeIdentity, spec: ExportSpec): Step[] {
  if (config.nfs.server === 'kernel') {
    const before = inv.exportsText;
    const clients: ExportClient[] = spec.clients.map((host) => ({ host, options: kernelOptions(v, spec.options) }));
    const after = serializeExports(upsertExport(parseExports(before ?? ''), v.path, clients, v.id));
    const restore = before === null ? { kind: 'run' as const, argv: ['rm', '-f', '--', config.nfs.exportsFile] } : { kind: 'write' as const, path: config.nfs.exportsFile, content: before };
    return [
      {
        id: `${role}:exports-file`,
        host: role,
        title: `add ${v.path} to ${config.nfs.exportsFile}`,
        action: { kind: 'write', path: config.nfs.exportsFile, content: after, backup: true, summary: `${v.path} ${clients.map((c) => `${c.host}(${c.options.join(',')})`).join(' ')}` },
        undo: { title: `restore ${config.nfs.exportsFile}`, action: restore },
      },
      exportfsStep(config, role, v, true),
    ];
  }
  const file = ganeshaFile(config, v);
  const fileName = file.slice(config.nfs.ganeshaExportsDir.length + 1);
  const beforeFile = inv.ganeshaFiles.get(fileName) ?? null;
  const beforeInclude = inv.ganeshaFiles.get(INCLUDE_FILE) ?? null;
  const live = inv.served.some((e) => e.path === v.path);
  const exportIdArg = `string:EXPORT(Export_Id=${v.exportId})`;
  return [
    {
      id: `${role}:ganesha-file`,
      host: role,
      title: `write the EXPORT block for ${v.path} (Export_Id ${v.exportId})`,
      action: { kind: 'write', path: file, content: ganeshaBlock(v, spec), backup: beforeFile !== null, summary: `Export_Id ${v.exportId}, clients ${spec.clients.join(' ')}` },
      undo: { title: `restore ${file}`, action: beforeFile === null ? { kind: 'run', argv: ['rm', '-f', '--', file] } : { kind: 'write', path: file, content: beforeFile } },
    },
    {
      id: `${role}:ganesha-include`,
      host: role,
      title: `list it in ${config.nfs.ganeshaExportsDir}/${INCLUDE_FILE} (read at ganesha start)`,
      action: { kind: 'write', path: `${config.nfs.ganeshaExportsDir}/${INCLUDE_FILE}`, content: includeList(config, [...inv.ganeshaFiles.keys(), fileName]) },
      undo: {
        title: 'restore the include list',
        action: beforeInclude === null ? { kind: 'run', argv: ['rm', '-f', '--', `${config.nfs.ganeshaExportsDir}/${INCLUDE_FILE}`] } : { kind: 'write', path: `${config.nfs.ganeshaExportsDir}/${INCLUDE_FILE}`, content: beforeInclude },
      },
    },
    {
      id: `${role}:ganesha-dbus`,
      host: role,
      title: `${live ? 'update' : 'add'} the export in the running ganesha (dbus ${live ? 'UpdateExport' : 'AddExport'})`,
      action: {
        kind: 'fn',
        describe: ganeshaDbus(live ? 'UpdateExport' : 'AddExport', `string:${file}`, exportIdArg).join(' '),
        fn: async (h) => {
          const r = await h.run(ganeshaDbus(live ? 'UpdateExport' : 'AddExport', `string:${file}`, exportIdArg));
          if (r.exitCode !== 0) throw new CommandFailedError(r);
          await verifyServed(config, h, v.path, true);
        },
      },
      undo: live ? null : { title: 'remove it from the running ganesha', action: { kind: 'run', argv: ganeshaDbus('RemoveExport', `uint16:${v.exportId}`) } },
      ...(live ? { noUndoReason: 'the previous export definition is restored by the file undo; ganesha keeps the updated one until restart' } : {}),
    },
  ];
}

/** Steps that stop exporting `v` on one host; nothing when it is not exported there. */
export function unexportSteps(config: Config, role: string, inv: HostInventory, v: VolumeIdentity): Step[] {
  if (config.nfs.server === 'kernel') {
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
        undo: { title: `restore ${config.nfs.exportsFile}`, action: { kind: 'write', path: config.nfs.exportsFile, content: before } },
      },
      exportfsStep(config, role, v, false),
    ];
  }
  const file = ganeshaFile(config, v);
  const fileName = file.slice(config.nfs.ganeshaExportsDir.length + 1);
  const beforeFile = inv.ganeshaFiles.get(fileName) ?? null;
  const live = inv.served.find((e) => e.path === v.path);
  // Remove it under the id ganesha serves it with: an export added by hand or by an older
  // tool may carry another Export_Id than the one nfsctl derives from the volume name.
  const liveId = live?.exportId ?? v.exportId;
  const steps: Step[] = [];
  if (live) {
    steps.push({
      id: `${role}:ganesha-dbus`,
      host: role,
      title: `remove the export from the running ganesha (dbus RemoveExport ${liveId})`,
      action: {
        kind: 'fn',
        describe: ganeshaDbus('RemoveExport', `uint16:${liveId}`).join(' '),
        fn: async (h) => {
          const r = await h.run(ganeshaDbus('RemoveExport', `uint16:${liveId}`));
          if (r.exitCode !== 0) throw new CommandFailedError(r);
          await verifyServed(config, h, v.path, false);
        },
      },
      undo: beforeFile === null ? null : { title: 'add it back', action: { kind: 'run', argv: ganeshaDbus('AddExport', `string:${file}`, `string:EXPORT(Export_Id=${v.exportId})`) } },
    });
  }
  if (beforeFile !== null) {
    const beforeInclude = inv.ganeshaFiles.get(INCLUDE_FILE) ?? '';
    steps.push(
      {
        id: `${role}:ganesha-include`,
        host: role,
        title: 'drop it from the include list',
        action: { kind: 'write', path: `${config.nfs.ganeshaExportsDir}/${INCLUDE_FILE}`, content: includeList(config, [...inv.ganeshaFiles.keys()].filter((f) => f !== fileName)) },
        undo: { title: 'restore the include list', action: { kind: 'write', path: `${config.nfs.ganeshaExportsDir}/${INCLUDE_FILE}`, content: beforeInclude } },
      },
      {
        id: `${role}:ganesha-file`,
        host: role,
        title: `remove ${file}`,
        action: { kind: 'run', argv: ['rm', '-f', '--', file] },
        undo: { title: `restore ${file}`, action: { kind: 'write', path: file, content: beforeFile } },
      },
    );
  }
  return steps;
}
