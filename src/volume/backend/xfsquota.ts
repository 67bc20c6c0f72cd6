// XFS project quotas: one directory per volume on one XFS filesystem (mounted with prjquota),
// its size a project's hard limit, on each host (mirrored: rsync copies the root filesystem).
// Metadata: one JSON record per volume in <root>/.nfsctl/meta.
import { xfsQuotaUsage } from '../../core/usage.js';
import { z } from 'zod';
import type { Step } from '../../plan/plan.js';
import { dataRoot } from '../../config/checked.js';
import { VolumeMetaSchema, type VolumeMeta } from '../../core/lvm-json.js';
import { formatSize } from '../../core/sizes.js';
import {
  catDirArgv,
  parseXfsProjectReport,
  splitCat,
  xfsMetaPath,
  XFS_META_DIR,
  type HostInventory,
} from '../inventory.js';
import type { VolumeIdentity } from '../identity.js';
import { metaNeedle, removeOwnedDirArgv } from '../delete-guard.js';
import { nfsPvSource, type VolumeBackend } from './contract.js';
import { BACKEND_META_NAMES } from '../../core/backend-names.js';
import { metaWithSize, mkdirStep, roomStatus } from './steps.js';

const section = z
  .object({
    root: dataRoot,
    /** false on kernels without XFS quota support (the netns lab): sizes are recorded, not enforced. */
    quota: z.boolean().default(true),
  })
  .strict();

function safeJson(t: string): unknown {
  try {
    return JSON.parse(t);
  } catch {
    return null;
  }
}

/** Metadata records by "namespace/name", built once per inventory. */
const indexes = new WeakMap<HostInventory, Map<string, VolumeMeta>>();
function recordOf(inv: HostInventory, v: VolumeIdentity): VolumeMeta | undefined {
  let ix = indexes.get(inv);
  if (!ix) {
    ix = new Map();
    for (const m of inv.xfs?.metas ?? [])
      if (!ix.has(`${m.namespace}/${m.name}`)) ix.set(`${m.namespace}/${m.name}`, m);
    indexes.set(inv, ix);
  }
  return ix.get(`${v.ref.namespace}/${v.ref.name}`);
}

function sameVolume(m: { namespace: string; name: string } | null | undefined, v: VolumeIdentity): boolean {
  return m !== null && m !== undefined && m.namespace === v.ref.namespace && m.name === v.ref.name;
}

export const xfsquotaBackend: VolumeBackend<'xfsquota', typeof section> = {
  name: 'xfsquota',
  metaName: BACKEND_META_NAMES.xfsquota,
  noun: 'XFS project',
  placement: 'mirrored',
  configSchema: section,
  configDocs: {
    'backends.xfsquota': 'XFS project quotas: one directory per volume on one shared XFS filesystem.',
    'backends.xfsquota.root': 'Mount point of the XFS filesystem (mounted with prjquota). The same rules as nfs.root.',
    'backends.xfsquota.quota':
      'Enforce sizes with project quotas. false on kernels without XFS quota support (test labs): sizes are recorded, not enforced.',
  },
  configPathKeys: ['backends.xfsquota.root'],
  dataRoots: (config) => (config.backends.xfsquota ? [config.backends.xfsquota.root] : []),
  configWarnings: (c) =>
    c.backends.xfsquota && !c.backends.xfsquota.quota
      ? [{ path: ['backends', 'xfsquota', 'quota'], message: 'quota: false: volume sizes are recorded, not enforced' }]
      : [],

  makesFilesystem: () => false,
  mountedDevice: () => null,
  inRootFilesystem: true,
  describe: (_config, v) => `directory ${v.path} with XFS project ${v.projectId}`,
  metaRecord: (config) => `record in ${config.backends.xfsquota?.root ?? config.nfs.root}/${XFS_META_DIR}`,
  nameProblem: () => null,

  readHost(config, inv, read) {
    const xfs = config.backends.xfsquota!;
    const xfsInv: NonNullable<HostInventory['xfs']> = { projects: new Map(), metas: [], sizeBytes: 0, freeBytes: 0 };
    inv.xfs = xfsInv;
    read(['xfs_quota', '-x', '-c', 'report -p -n -N -b -i', xfs.root], (r) => {
      if (r.exitCode === 0) xfsInv.projects = parseXfsProjectReport(r.stdout);
    });
    read(['df', '-B1', '--output=size,avail', xfs.root], (r) => {
      const [size = '0', avail = '0'] = r.stdout.trim().split('\n')[1]?.trim().split(/\s+/) ?? [];
      xfsInv.sizeBytes = Number(size);
      xfsInv.freeBytes = Number(avail);
    });
    read(catDirArgv(`${xfs.root}/${XFS_META_DIR}`, '.json', 'nfsctl-meta'), (r) => {
      xfsInv.metas = [...splitCat(r.stdout).values()].flatMap((t) => {
        const p = VolumeMetaSchema.safeParse(safeJson(t));
        return p.success ? [p.data] : [];
      });
    });
  },
  readCluster: () => null,
  hostMetas: (inv) => inv.xfs?.metas ?? [],
  metaOnHost: (inv, v) => recordOf(inv, v),
  storageState(config, inv, v) {
    const p = inv.xfs?.projects.get(v.projectId);
    if (config.backends.xfsquota?.quota === false) {
      // no quota support: the directory and its metadata record are all there is
      return { present: inv.dirs.has(v.path), sizeBytes: recordOf(inv, v)?.size ?? null, usedBytes: null };
    }
    return {
      present: inv.dirs.has(v.path) && p !== undefined,
      sizeBytes: p && p.hardBytes > 0 ? p.hardBytes : null,
      usedBytes: p?.usedBytes ?? null,
    };
  },
  usage(config, inv, v) {
    if (config.backends.xfsquota?.quota === false) return null;
    const p = inv.xfs?.projects.get(v.projectId);
    if (!p) return null;
    return xfsQuotaUsage({
      id: p.id,
      usedBytes: p.usedBytes,
      softBytes: p.softBytes ?? 0,
      hardBytes: p.hardBytes,
      inodesUsed: p.inodesUsed ?? null,
      inodesSoft: null,
      inodesHard: p.inodesHard ?? null,
    });
  },
  owns: (state, role, v) => state.inv[role].xfs?.metas.some((m) => sameVolume(m, v)) ?? false,
  leftover: (state, v) => (['primary', 'backup'] as const).some((r) => state.inv[r].xfs?.projects.has(v.projectId)),
  foreignProblems: () => [],
  room(config, state, extra) {
    const short: string[] = [];
    for (const r of ['primary', 'backup'] as const) {
      const x = state.inv[r].xfs;
      if (!x) short.push(`${r}: ${config.backends.xfsquota!.root} is not readable as an XFS quota root`);
      else if (x.freeBytes < extra)
        short.push(
          `${r}: ${config.backends.xfsquota!.root} has ${formatSize(x.freeBytes)} free, needs ${formatSize(extra)}`,
        );
    }
    return short;
  },
  available: async () => null,

  createSteps(config, role, _inv, v, size, meta) {
    const root = config.backends.xfsquota!.root;
    const metaPath = xfsMetaPath(root, v.project);
    return [
      mkdirStep(role, v),
      {
        id: `${role}:project`,
        host: role,
        title: `make ${v.path} XFS project ${v.projectId}`,
        action: { kind: 'run', argv: ['xfs_quota', '-x', '-c', `project -s -p ${v.path} ${v.projectId}`, root] },
        undo: {
          title: `clear project ${v.projectId} from ${v.path}`,
          action: { kind: 'run', argv: ['xfs_quota', '-x', '-c', `project -C -p ${v.path} ${v.projectId}`, root] },
        },
      },
      ...(config.backends.xfsquota!.quota
        ? [
            {
              id: `${role}:limit`,
              host: role,
              title: `limit project ${v.projectId} to ${size} bytes (hard)`,
              action: {
                kind: 'run' as const,
                argv: ['xfs_quota', '-x', '-c', `limit -p bhard=${size} ${v.projectId}`, root],
              },
              undo: {
                title: `drop the limit of project ${v.projectId}`,
                action: {
                  kind: 'run' as const,
                  argv: ['xfs_quota', '-x', '-c', `limit -p bhard=0 ${v.projectId}`, root],
                },
              },
            },
          ]
        : []),
      {
        id: `${role}:meta`,
        host: role,
        title: `record the volume's metadata in ${metaPath}`,
        action: { kind: 'write', path: metaPath, content: JSON.stringify(meta) + '\n', mode: 0o644 },
        undo: { title: `remove ${metaPath}`, action: { kind: 'run', argv: ['rm', '-f', '--', metaPath] } },
      },
    ];
  },
  resizeSteps(config, role, _inv, v, size, oldSize) {
    const root = config.backends.xfsquota!.root;
    if (!config.backends.xfsquota!.quota) return []; // nothing enforces the size: only the record changes
    return [
      {
        id: `${role}:limit`,
        host: role,
        title: `raise the hard limit of project ${v.projectId} to ${size} bytes`,
        action: { kind: 'run', argv: ['xfs_quota', '-x', '-c', `limit -p bhard=${size} ${v.projectId}`, root] },
        undo: {
          title: `restore the limit (${oldSize} bytes)`,
          action: { kind: 'run', argv: ['xfs_quota', '-x', '-c', `limit -p bhard=${oldSize} ${v.projectId}`, root] },
        },
      },
    ];
  },
  recordSizeSteps: (config, _state, view, size) =>
    (['primary', 'backup'] as const).map((role) => ({
      id: `${role}:meta`,
      host: role,
      title: 'record the new size',
      action: {
        kind: 'write' as const,
        path: xfsMetaPath(config.backends.xfsquota!.root, view.identity.project),
        content: JSON.stringify(metaWithSize('xfs', view, size)) + '\n',
      },
      undo: null,
    })),
  removeSteps(config, role, inv, v) {
    const root = config.backends.xfsquota!.root;
    const metaPath = xfsMetaPath(root, v.project);
    const steps: Step[] = [];
    // only what is still there: re-running finishes a half-deleted volume without noise
    if (config.backends.xfsquota!.quota && inv.xfs?.projects.has(v.projectId)) {
      steps.push({
        id: `${role}:limit`,
        host: role,
        title: `drop the limit of project ${v.projectId}`,
        action: { kind: 'run', argv: ['xfs_quota', '-x', '-c', `limit -p bhard=0 ${v.projectId}`, root] },
        undo: null,
        noUndoReason: 'follows the data removal',
      });
    }
    if (inv.dirs.has(v.path)) {
      steps.push({
        id: `${role}:rm-data`,
        host: role,
        title: `delete ${v.path} and everything in it (data is destroyed)`,
        action: {
          kind: 'run',
          argv: removeOwnedDirArgv(
            config.nfs.root,
            v.path,
            metaPath,
            metaNeedle(v.ref.namespace, v.ref.name),
            v.projectId,
          ),
          timeoutMs: 600_000,
          summary: `rm -rf --one-file-system -- ${v.path} (after checking it is nfsctl's: ${metaPath}, XFS project ${v.projectId})`,
        },
        undo: null,
        noUndoReason: 'deleted files cannot be restored',
      });
    }
    if (inv.xfs?.metas.some((m) => m.namespace === v.ref.namespace && m.name === v.ref.name)) {
      steps.push({
        id: `${role}:meta`,
        host: role,
        title: 'remove its metadata record',
        action: { kind: 'run', argv: ['rm', '-f', '--', metaPath] },
        undo: null,
        noUndoReason: 'follows the data removal',
      });
    }
    return steps;
  },
  metaWrites(config, state, view) {
    const path = xfsMetaPath(config.backends.xfsquota!.root, view.identity.project);
    return (['primary', 'backup'] as const).flatMap((role) => {
      const meta = state.inv[role].xfs?.metas.find((m) => m.namespace === view.namespace && m.name === view.name);
      if (!meta) return [];
      return [
        {
          role,
          meta,
          write: (next) => ({
            action: { kind: 'write' as const, path, content: JSON.stringify(next) + '\n' },
            undo: {
              title: 'restore the metadata record',
              action: { kind: 'write' as const, path, content: JSON.stringify(meta) + '\n' },
            },
          }),
        },
      ];
    });
  },

  pvSource: nfsPvSource,
  ganeshaFsal: () => null,
  movePromise: null,
  health: {
    id: 'xfsquota',
    title: 'XFS quota root ready',
    host: async () => [],
    room(config, i) {
      if (!i.xfs) return [];
      const { pct, status } = roomStatus(i.xfs.freeBytes, i.xfs.sizeBytes);
      return [
        {
          id: 'xfs-free',
          host: i.role,
          status,
          title: `${config.backends.xfsquota!.root} has room`,
          evidence: `${formatSize(i.xfs.freeBytes)} free of ${formatSize(i.xfs.sizeBytes)} (${pct.toFixed(0)}%)`,
        },
      ];
    },
    pairRoom: () => [],
  },
  troubleshoot: {
    backend: async () => null,
    async inPlace(config, role, host, v, t) {
      const df = await host.run(['df', '-B1', '--output=size,target', v.path], { timeoutMs: t });
      const size = Number(df.stdout.trim().split('\n')[1]?.trim().split(/\s+/)[0] ?? 0);
      if (df.exitCode !== 0)
        return {
          id: 'mounted',
          status: 'critical',
          title: `${v.path} present`,
          evidence: df.stderr.trim(),
          fix: `check ${config.backends.xfsquota!.root} is mounted with prjquota on ${role}`,
        };
      return {
        id: 'mounted',
        status: 'ok',
        title: `${v.path} present`,
        evidence: config.backends.xfsquota!.quota
          ? `df shows ${size} bytes (the project quota)`
          : `present (no quota support on this host: df shows the whole filesystem, ${size} bytes)`,
      };
    },
  },
  followVip: () => ({ steps: [], recordedOnly: [], why: '' }),
};
