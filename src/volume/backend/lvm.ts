// LVM: one logical volume per volume, with its own XFS filesystem mounted at the volume's
// path, on each host (mirrored: rsync keeps the copies in step). Metadata: the LV's tags.
import { dfUsage } from '../../core/usage.js';
import { z } from 'zod';
import type { Config, PairRole } from '../../config/schema.js';
import type { Step } from '../../plan/plan.js';
import * as cv from '../../core/config-values.js';
import { checked } from '../../config/checked.js';
import {
  decodeMetaTags,
  encodeMetaTags,
  isMetaTag,
  NFSCTL_TAG,
  parseLvsJson,
  parseVgsJson,
  planTagUpdate,
  type LvmLv,
  type VolumeMeta,
  type VolumeMetaInput,
} from '../../core/lvm-json.js';
import { derivedNamesProblem } from '../../core/names.js';
import { formatSize, roundUpTo } from '../../core/sizes.js';
import { lvmArgs, type HostInventory } from '../inventory.js';
import type { VolumeIdentity } from '../identity.js';
import { removeOwnedLvArgv } from '../delete-guard.js';
import { nfsPvSource, type MetaWrite, type VolumeBackend } from './contract.js';
import { BACKEND_META_NAMES } from '../../core/backend-names.js';
import { fstabStep, growfsStep, mkdirStep, rmdirStep, roomStatus } from './steps.js';

const section = z
  .object({
    vg: checked(cv.lvmVgProblem),
    mkfsArgs: z.array(checked(cv.argvElementProblem)).default([]),
    /** Lab only: hosts without device-mapper keep LVs inactive; no mkfs/mount. */
    metadataOnly: z.boolean().default(false),
    /** How new lvm volumes are kept on the backup: rsync copies (the lvm backend) or DRBD (the drbd backend). */
    replication: z.enum(['rsync', 'drbd']).default('rsync'),
  })
  .strict();

function lvDevice(config: Config, v: VolumeIdentity): string {
  return `/dev/${config.backends.lvm!.vg}/${v.lv}`;
}

/** LVs by name, built once per inventory (volume list looks up every volume on both hosts). */
const indexes = new WeakMap<HostInventory, Map<string, LvmLv>>();
function lvNamed(inv: HostInventory, name: string): LvmLv | undefined {
  let ix = indexes.get(inv);
  if (!ix) {
    ix = new Map();
    for (const l of inv.lvs) if (!ix.has(l.name)) ix.set(l.name, l);
    indexes.set(inv, ix);
  }
  return ix.get(name);
}

function sameVolume(m: { namespace: string; name: string } | null | undefined, v: VolumeIdentity): boolean {
  return m !== null && m !== undefined && m.namespace === v.ref.namespace && m.name === v.ref.name;
}

/** A metadata rewrite in an LV's tags (lvchange --deltag/--addtag), undone by the reverse tag update: lvm's and drbd's records. */
export function lvTagMetaWrite(config: Config, vg: string, role: PairRole, lv: LvmLv, meta: VolumeMeta): MetaWrite {
  const argv = (a: string[], d: string[]) => [
    'lvchange',
    ...lvmArgs(config),
    ...d.flatMap((t) => ['--deltag', t]),
    ...a.flatMap((t) => ['--addtag', t]),
    `${vg}/${lv.name}`,
  ];
  return {
    role,
    meta,
    write(next: VolumeMetaInput) {
      const { add, remove } = planTagUpdate(lv.tags, next);
      const back = planTagUpdate([...lv.tags.filter((t) => !remove.includes(t)), ...add], meta);
      return {
        action: { kind: 'run' as const, argv: argv(add, remove) },
        undo: {
          title: 'restore the LV tags',
          action: { kind: 'run' as const, argv: argv(back.add, back.remove) },
        },
      };
    },
  };
}

/** An lvs/vgs report of `vg` in JSON with sizes in bytes, no suffix: the one shape nfsctl parses. */
function lvmReportArgv(config: Config, command: 'lvs' | 'vgs', fields: string, vg: string): string[] {
  return [command, ...lvmArgs(config), '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', fields, vg];
}

/** Every LV of `vg` with what nfsctl reads of it (JSON, bytes): the inventory's and the unmanaged scan's one lvs. */
export function lvsArgv(config: Config, vg: string): string[] {
  return lvmReportArgv(config, 'lvs', 'lv_name,vg_name,lv_size,lv_tags,lv_attr,lv_path,lv_uuid', vg);
}

/** The VG's size, free space and extent size (JSON, bytes). */
export function vgsArgv(config: Config, vg: string): string[] {
  return lvmReportArgv(config, 'vgs', 'vg_name,vg_size,vg_free,vg_extent_size', vg);
}

export const lvmBackend: VolumeBackend<'lvm', typeof section> = {
  name: 'lvm',
  metaName: BACKEND_META_NAMES.lvm,
  noun: 'LV',
  placement: 'mirrored',
  configSchema: section,
  configDocs: {
    'backends.lvm': 'LVM: one logical volume (with its own filesystem) per volume.',
    'backends.lvm.vg':
      "Volume group to create logical volumes in (LVM's rules: letters, digits, + _ . -; not starting with -; not . or ..).",
    'backends.lvm.mkfsArgs': 'Extra arguments for mkfs.',
    'backends.lvm.metadataOnly':
      'Test labs only: keep logical volumes inactive and skip mkfs and mount (hosts without device-mapper).',
    'backends.lvm.replication':
      'How `volume create --backend lvm` keeps the backup copy when --replication is not given: rsync (a copy per host, synced by `nfsctl sync`) or drbd (DRBD replicates every write synchronously; the drbd backend, see backends.drbd).',
  },
  configPathKeys: [],
  dataRoots: () => [],
  configWarnings: (c) =>
    c.backends.lvm?.metadataOnly
      ? [
          {
            path: ['backends', 'lvm', 'metadataOnly'],
            message: 'metadataOnly: test labs only: logical volumes stay inactive and get no filesystem',
          },
        ]
      : [],

  makesFilesystem: (config) => !config.backends.lvm?.metadataOnly,
  mountedDevice: (config, v) => (config.backends.lvm && !config.backends.lvm.metadataOnly ? lvDevice(config, v) : null),
  inRootFilesystem: false,
  describe: (config, v) => `LV ${config.backends.lvm!.vg}/${v.lv}`,
  metaRecord: () => 'LV tags',
  nameProblem: (config, v) =>
    config.backends.lvm ? derivedNamesProblem(v.id, v.path, { vg: config.backends.lvm.vg, name: v.lv }) : null,

  readHost(config, inv, read) {
    const lvm = config.backends.lvm!;
    read(lvsArgv(config, lvm.vg), (r) => {
      if (r.exitCode === 0) inv.lvs = parseLvsJson(r.stdout).filter((lv) => lv.tags.includes(NFSCTL_TAG));
      else inv.error = `lvs: ${r.stderr.trim()}`;
    });
    read(vgsArgv(config, lvm.vg), (r) => {
      if (r.exitCode === 0) inv.vg = parseVgsJson(r.stdout)[0];
    });
  },
  readCluster: () => null,
  *hostMetas(inv) {
    for (const lv of inv.lvs) {
      const m = decodeMetaTags(lv.tags);
      if (m && m.backend === BACKEND_META_NAMES.lvm) yield m; // a drbd volume's LV may share the VG
    }
  },
  metaOnHost(inv, v) {
    const lv = lvNamed(inv, v.lv);
    return lv ? decodeMetaTags(lv.tags) : undefined;
  },
  storageState(_config, inv, v) {
    const lv = lvNamed(inv, v.lv);
    return { present: lv !== undefined, sizeBytes: lv?.size ?? null, usedBytes: null };
  },
  usage: (_config, inv, v) => {
    const e = inv.df?.get(v.path);
    return e ? dfUsage(e) : null;
  },
  owns(state, role, v) {
    const lv = state.inv[role].lvs.find((l) => l.name === v.lv);
    if (!lv) return false;
    try {
      const m = decodeMetaTags(lv.tags);
      return m?.backend === BACKEND_META_NAMES.lvm && sameVolume(m, v);
    } catch {
      return false; // corrupt tags prove nothing
    }
  },
  leftover: (state, v) => (['primary', 'backup'] as const).some((r) => state.inv[r].lvs.some((l) => l.name === v.lv)),
  foreignProblems: (config, state, role, v) =>
    state.inv[role].lvs.some((l) => l.name === v.lv)
      ? [`logical volume ${config.backends.lvm?.vg}/${v.lv} carries the metadata of another volume (or corrupt tags)`]
      : [],
  room(config, state, extra) {
    const short: string[] = [];
    for (const r of ['primary', 'backup'] as const) {
      const vg = state.inv[r].vg;
      if (!vg) {
        short.push(`${r}: volume group ${config.backends.lvm!.vg} not found`);
        continue;
      }
      const need = roundUpTo(extra, vg.extentSize);
      if (vg.free < need) short.push(`${r}: ${vg.name} has ${formatSize(vg.free)} free, needs ${formatSize(need)}`);
    }
    return short;
  },
  available: async () => null,

  createSteps(config, role, inv, v, size, meta) {
    const lvm = config.backends.lvm!;
    const dev = lvDevice(config, v);
    const tags = encodeMetaTags(meta).flatMap((t) => ['--addtag', t]);
    const steps: Step[] = [
      {
        id: `${role}:lvcreate`,
        host: role,
        title: `create logical volume ${lvm.vg}/${v.lv} (${size} bytes)`,
        action: {
          kind: 'run',
          argv: [
            'lvcreate',
            ...lvmArgs(config),
            '--yes',
            ...(lvm.metadataOnly ? ['--activate', 'n', '--zero', 'n'] : ['--wipesignatures', 'y']),
            '--name',
            v.lv,
            '--size',
            `${size}b`,
            ...tags,
            lvm.vg,
          ],
        },
        undo: {
          title: `remove ${lvm.vg}/${v.lv}`,
          action: { kind: 'run', argv: ['lvremove', ...lvmArgs(config), '--yes', `${lvm.vg}/${v.lv}`] },
        },
      },
    ];
    if (!lvm.metadataOnly) {
      steps.push({
        id: `${role}:mkfs`,
        host: role,
        title: `make an XFS filesystem on ${dev}`,
        action: { kind: 'run', argv: ['mkfs.xfs', '-q', ...lvm.mkfsArgs, dev], timeoutMs: 300_000 },
        undo: null,
        noUndoReason: 'removing the logical volume discards it',
      });
    }
    steps.push(mkdirStep(role, v));
    if (!lvm.metadataOnly) {
      steps.push(
        {
          id: `${role}:mount`,
          host: role,
          title: `mount ${dev} at ${v.path}`,
          action: { kind: 'run', argv: ['mount', '-t', 'xfs', dev, v.path] },
          undo: { title: `unmount ${v.path}`, action: { kind: 'run', argv: ['umount', v.path] } },
        },
        fstabStep(role, inv, v, dev),
      );
    }
    return steps;
  },
  resizeSteps(config, role, inv, v, size) {
    const lvm = config.backends.lvm!;
    const steps: Step[] = [
      {
        id: `${role}:lvextend`,
        host: role,
        title: `extend ${lvm.vg}/${v.lv} to ${size} bytes`,
        action: { kind: 'run', argv: ['lvextend', ...lvmArgs(config), '--size', `${size}b`, `${lvm.vg}/${v.lv}`] },
        undo: null,
        noUndoReason: 'shrinking a logical volume under XFS would destroy it',
      },
    ];
    const lv = inv.lvs.find((l) => l.name === v.lv);
    if (lv) {
      const { add, remove } = planTagUpdate(lv.tags, { ...(decodeMetaTags(lv.tags) ?? {}), size } as VolumeMetaInput);
      if (add.length + remove.length > 0) {
        steps.push({
          id: `${role}:lvtags`,
          host: role,
          title: 'record the new size in the LV tags',
          action: {
            kind: 'run',
            argv: [
              'lvchange',
              ...lvmArgs(config),
              ...remove.flatMap((t) => ['--deltag', t]),
              ...add.flatMap((t) => ['--addtag', t]),
              `${lvm.vg}/${v.lv}`,
            ],
          },
          undo: null,
        });
      }
    }
    if (!lvm.metadataOnly) steps.push(growfsStep(role, v));
    return steps;
  },
  recordSizeSteps: () => [], // the resize steps rewrite the LV tags on each copy
  removeSteps(config, role, inv, v) {
    const lvm = config.backends.lvm!;
    const steps: Step[] = [];
    const lv = inv.lvs.find((l) => l.name === v.lv);
    if (lv) {
      steps.push({
        id: `${role}:lvremove`,
        host: role,
        title: `remove logical volume ${lvm.vg}/${v.lv} (data is destroyed)`,
        action: {
          kind: 'run',
          argv: removeOwnedLvArgv(
            `${lvm.vg}/${v.lv}`,
            lv.tags.filter((t) => t === NFSCTL_TAG || isMetaTag(t)),
            lvmArgs(config),
          ),
          summary: `lvremove --yes ${lvm.vg}/${v.lv} (after checking it carries nfsctl's tags for ${v.id})`,
        },
        undo: null,
        noUndoReason: 'a removed logical volume cannot be restored',
      });
    }
    if (inv.dirs.has(v.path)) steps.push(rmdirStep(config, role, v));
    return steps;
  },
  metaWrites(config, state, view) {
    const lvm = config.backends.lvm!;
    return (['primary', 'backup'] as const).flatMap((role) => {
      const lv = state.inv[role].lvs.find((l) => l.name === view.identity.lv);
      const meta: VolumeMeta | null = lv ? decodeMetaTags(lv.tags) : null;
      if (!lv || !meta) return [];
      return [lvTagMetaWrite(config, lvm.vg, role, lv, meta)];
    });
  },

  pvSource: nfsPvSource,
  ganeshaFsal: () => null,
  movePromise: null,
  health: {
    id: 'lvm',
    title: 'LVM ready',
    host: async () => [],
    room(_config, i) {
      if (!i.vg) return [];
      const { pct, status } = roomStatus(i.vg.free, i.vg.size);
      return [
        {
          id: 'vg-free',
          host: i.role,
          status,
          title: `volume group ${i.vg.name} has room`,
          evidence: `${formatSize(i.vg.free)} free of ${formatSize(i.vg.size)} (${pct.toFixed(0)}%)`,
        },
      ];
    },
    pairRoom: (_config, p, b) =>
      p?.vg && b?.vg && p.vg.size !== b.vg.size
        ? [
            {
              id: 'vg-match',
              host: null,
              status: 'warn',
              title: 'both hosts have equal room',
              evidence: `primary ${formatSize(p.vg.size)}, backup ${formatSize(b.vg.size)}: a mirrored pair needs equal volume groups`,
            },
          ]
        : [],
  },
  troubleshoot: {
    backend: async () => null,
    inPlace: async () => null,
  },
  followVip: () => ({ steps: [], recordedOnly: [], why: '' }),
};
