// NFS-Ganesha: one EXPORT block per volume in its own file under nfs.ganeshaExportsDir,
// applied at runtime over dbus (AddExport/RemoveExport/UpdateExport), no restart; an include
// list (exports.conf) keeps restarts consistent. The FSAL is VFS on the volume's local path,
// or the one the volume's backend supplies (CephFS: CEPH).
import type { Config } from '../../config/schema.js';
import type { Step } from '../../plan/plan.js';
import { CommandFailedError, runChecked } from '../../host/host.js';
import { NfsctlError } from '../../core/errors.js';
import { validateClientSpec } from '../../core/exports-file.js';
import {
  ganeshaQuote,
  parseGaneshaExports,
  parseShowExports,
  renderGaneshaExport,
  type GaneshaClientRule,
} from '../../core/ganesha.js';
import { checkNfsctlExportOptions, ganeshaPermissions } from '../../core/export-options.js';
import type { ServedExport } from '../../core/exportfs-v.js';
import { catDirArgv, ganeshaDbus, splitCat } from '../inventory.js';
import type { VolumeIdentity } from '../identity.js';
import type { Exporter, ExportSpec, GaneshaFsal } from './contract.js';
import { verifyServed } from './common.js';

export const INCLUDE_FILE = 'exports.conf';

export function ganeshaFile(config: Config, v: VolumeIdentity): string {
  return `${config.nfs.ganeshaExportsDir}/${v.project}.conf`;
}

export function ganeshaBlock(v: VolumeIdentity, spec: ExportSpec, fsal: GaneshaFsal | null = null): string {
  const p = ganeshaPermissions(spec.options);
  const rule: GaneshaClientRule = {
    clients: spec.clients,
    accessType: p.accessType,
    squash: p.squash,
    ...(p.anonymousUid !== undefined ? { anonymousUid: p.anonymousUid } : {}),
    ...(p.anonymousGid !== undefined ? { anonymousGid: p.anonymousGid } : {}),
    ...(p.privilegedPort !== undefined ? { privilegedPort: p.privilegedPort } : {}),
  };
  return renderGaneshaExport({
    owner: v.id,
    exportId: v.exportId,
    path: fsal?.path ?? v.path,
    pseudo: v.path,
    clients: [rule],
    ...(p.secType ? { secType: p.secType } : {}),
    ...(fsal ? { fsal: fsal.name, fsalParams: fsal.params } : {}),
  });
}

function includeList(config: Config, files: Iterable<string>): string {
  const names = [...new Set(files)].filter((f) => f !== INCLUDE_FILE && f.endsWith('.conf')).sort();
  return `# Managed by nfsctl: one %include per volume export. Do not edit.\n${names.map((n) => `%include ${ganeshaQuote(`${config.nfs.ganeshaExportsDir}/${n}`, '%include path')}`).join('\n')}\n`;
}

const fileNameOf = (config: Config, v: VolumeIdentity) =>
  ganeshaFile(config, v).slice(config.nfs.ganeshaExportsDir.length + 1);
const addExport = (config: Config, v: VolumeIdentity) =>
  ganeshaDbus('AddExport', `string:${ganeshaFile(config, v)}`, `string:EXPORT(Export_Id=${v.exportId})`);
const parseServed = (stdout: string): ServedExport[] =>
  parseShowExports(stdout).map((e) => ({ path: e.path, clients: [], exportId: e.exportId }));

/**
 * ShowExports names an export by its Path; an export whose FSAL is a backend's own (CephFS)
 * has its Path inside that FSAL, while clients and nfsctl know the volume by its Pseudo path.
 * Served exports whose Export_Id is one of nfsctl's EXPORT blocks with Path != Pseudo are
 * reported at that Pseudo.
 */
export function servedAsPseudo(served: ServedExport[], files: ReadonlyMap<string, string>): ServedExport[] {
  const pseudo = new Map<number, string>();
  for (const text of files.values()) {
    for (const b of parseGaneshaExports(text))
      if (b.owner !== null && b.exportId !== null && b.pseudo !== null && b.path !== b.pseudo)
        pseudo.set(b.exportId, b.pseudo);
  }
  return pseudo.size === 0
    ? served
    : served.map((e) =>
        e.exportId !== undefined && pseudo.has(e.exportId) ? { ...e, path: pseudo.get(e.exportId)! } : e,
      );
}

export const ganeshaExporter: Exporter<'ganesha'> = {
  name: 'ganesha',
  servedBy: 'nfs-ganesha (ShowExports)',
  configLocation: (config) => config.nfs.ganeshaExportsDir,
  checkSpec(spec) {
    for (const c of spec.clients) validateClientSpec(c);
    checkNfsctlExportOptions(spec.options, 'ganesha');
  },
  servesFsal: true,

  readHost(config, inv, read) {
    read(catDirArgv(config.nfs.ganeshaExportsDir, '.conf', 'nfsctl-ganesha'), (r) => {
      inv.ganeshaFiles = splitCat(r.stdout);
    });
    read(ganeshaDbus('ShowExports'), (r) => {
      // (the files are read first, in the same batch)
      if (r.exitCode === 0) inv.served = servedAsPseudo(parseServed(r.stdout), inv.ganeshaFiles);
      else inv.servedError = r.stderr.trim() || `ganesha ShowExports exit ${r.exitCode}`;
    });
  },
  servedArgv: () => ganeshaDbus('ShowExports'),
  parseServed,
  exportState(config, inv, v) {
    const text = inv.ganeshaFiles.get(fileNameOf(config, v)) ?? '';
    // configured = the file really holds an EXPORT block for this volume (not just exists);
    // with a backend's own FSAL the block's Path is inside that FSAL and its Pseudo is the volume's path
    const configured = parseGaneshaExports(text).some((b) => b.path === v.path || b.pseudo === v.path);
    const m = /Clients\s*=\s*([^;]+);/.exec(text);
    const access = [...text.matchAll(/Access_Type\s*=\s*(\w+)\s*;/g)].map((x) => x[1]).filter((a) => a !== 'None');
    return {
      configured,
      clients: m ? m[1]!.split(',').map((s) => s.trim().replace(/^"|"$/g, '')) : [],
      readOnly: access.length > 0 && access.every((a) => a === 'RO'),
    };
  },

  exportSteps(config, role, inv, v, spec, fsal) {
    const file = ganeshaFile(config, v);
    const fileName = fileNameOf(config, v);
    const beforeFile = inv.ganeshaFiles.get(fileName) ?? null;
    const beforeInclude = inv.ganeshaFiles.get(INCLUDE_FILE) ?? null;
    const live = inv.served.some((e) => e.path === v.path || e.path === fsal?.path);
    const exportIdArg = `string:EXPORT(Export_Id=${v.exportId})`;
    const summary = `Export_Id ${v.exportId}, clients ${spec.clients.join(' ')}`;
    // A Path that exists only once the storage does (a new CephFS subvolume) is read on the host when the block is written.
    const pathArgv = fsal && fsal.path === undefined ? fsal.pathArgv : undefined;
    const fileAction: Step['action'] = pathArgv
      ? {
          kind: 'fn',
          describe: `write ${file} (${summary}; FSAL ${fsal!.name}, its Path from \`${pathArgv.join(' ')}\`)${beforeFile !== null ? ', keeping a backup' : ''}`,
          fn: async (h) => {
            const path = (await runChecked(h, [...pathArgv])).stdout.trim();
            if (!path.startsWith('/') || /\s/.test(path))
              throw new NfsctlError(`${h.name}: \`${pathArgv.join(' ')}\` printed ${JSON.stringify(path)}, not a path`);
            await h.writeFileAtomic(file, ganeshaBlock(v, spec, { ...fsal!, path }), { backup: beforeFile !== null });
          },
        }
      : { kind: 'write', path: file, content: ganeshaBlock(v, spec, fsal), backup: beforeFile !== null, summary };
    return [
      {
        id: `${role}:ganesha-file`,
        host: role,
        title: `write the EXPORT block for ${v.path} (Export_Id ${v.exportId})`,
        action: fileAction,
        undo: {
          title: `restore ${file}`,
          action:
            beforeFile === null
              ? { kind: 'run', argv: ['rm', '-f', '--', file] }
              : { kind: 'write', path: file, content: beforeFile },
        },
      },
      {
        id: `${role}:ganesha-include`,
        host: role,
        title: `list it in ${config.nfs.ganeshaExportsDir}/${INCLUDE_FILE} (read at ganesha start)`,
        action: {
          kind: 'write',
          path: `${config.nfs.ganeshaExportsDir}/${INCLUDE_FILE}`,
          content: includeList(config, [...inv.ganeshaFiles.keys(), fileName]),
        },
        undo: {
          title: 'restore the include list',
          action:
            beforeInclude === null
              ? { kind: 'run', argv: ['rm', '-f', '--', `${config.nfs.ganeshaExportsDir}/${INCLUDE_FILE}`] }
              : { kind: 'write', path: `${config.nfs.ganeshaExportsDir}/${INCLUDE_FILE}`, content: beforeInclude },
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
            await verifyServed(config, h, v.path, true, v.exportId);
          },
        },
        undo: live
          ? null
          : {
              title: 'remove it from the running ganesha',
              action: { kind: 'run', argv: ganeshaDbus('RemoveExport', `uint16:${v.exportId}`) },
            },
        ...(live
          ? {
              noUndoReason:
                'the previous export definition is restored by the file undo; ganesha keeps the updated one until restart',
            }
          : {}),
      },
    ];
  },
  unexportSteps(config, role, inv, v) {
    const file = ganeshaFile(config, v);
    const fileName = fileNameOf(config, v);
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
            await verifyServed(config, h, v.path, false, liveId);
          },
        },
        undo:
          beforeFile === null ? null : { title: 'add it back', action: { kind: 'run', argv: addExport(config, v) } },
      });
    }
    if (beforeFile !== null) {
      const beforeInclude = inv.ganeshaFiles.get(INCLUDE_FILE) ?? '';
      steps.push(
        {
          id: `${role}:ganesha-include`,
          host: role,
          title: 'drop it from the include list',
          action: {
            kind: 'write',
            path: `${config.nfs.ganeshaExportsDir}/${INCLUDE_FILE}`,
            content: includeList(
              config,
              [...inv.ganeshaFiles.keys()].filter((f) => f !== fileName),
            ),
          },
          undo: {
            title: 'restore the include list',
            action: { kind: 'write', path: `${config.nfs.ganeshaExportsDir}/${INCLUDE_FILE}`, content: beforeInclude },
          },
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
  },

  serveArgvs: (config, vs) => vs.map((v) => addExport(config, v)),
  unserveArgvs: (_config, v, _clients, servedId) => [ganeshaDbus('RemoveExport', `uint16:${servedId ?? v.exportId}`)],

  // RemoveExport closes what the export held open: nothing more to flush (the retry still waits)
  releaseArgv: null,
  freezeStopsServer: false,
  readsExportsFile: false,
  usesNfsConf: false,
  // its NLM, grace and recovery records are its own (RecoveryBackend); nfsctl sends no sm-notify for it
  nlmViaStatd: false,
  fsidInExports: false,
  activeClients: async () => null, // ganesha keeps no per-export mount table nfsctl can read
};
