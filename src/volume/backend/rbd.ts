// Ceph RBD: one image per volume in a pool both hosts reach (shared storage, one copy). The
// image is mapped, formatted and mounted only on the VIP holder, and follows the VIP
// (keepalived's notify maps it on the new holder). Metadata: the image's `nfsctl.meta`.
import { dfUsage, rbdDuUsage } from '../../core/usage.js';
import { z } from 'zod';
import type { Config } from '../../config/schema.js';
import { peerOf } from '../../core/roles.js';
import type { Host } from '../../host/host.js';
import type { Step } from '../../plan/plan.js';
import * as cv from '../../core/config-values.js';
import { absPath, checked } from '../../config/checked.js';
import { VolumeMetaSchema, type VolumeMeta } from '../../core/lvm-json.js';
import { parseCephHealth, parseRbdListLong, type RbdListEntry } from '../../core/ceph-json.js';
import { RBD_IMAGE_NAME_MAX } from '../../core/names.js';
import { formatSize } from '../../core/sizes.js';
import { mapLimit } from '../../core/concurrency.js';
import type { Finding } from '../../health/check.js';
import type { MovePromise } from '../../ha/promise.js';
import { rbdArgs, type RbdInventory } from '../inventory.js';
import type { VolumeIdentity } from '../identity.js';
import { metaNeedle, removeOwnedImageArgv } from '../delete-guard.js';
import { parseRbdDu } from '../../core/usage.js';
import { nfsPvSource, type ClusterInventory, type VolumeBackend } from './contract.js';
import { BACKEND_META_NAMES } from '../../core/backend-names.js';
import { growfsStep, metaWithSize, MIB, mkdirStep, rmdirStep, standbyHoldStep } from './steps.js';
import { unmountStep } from '../unmount.js';
import {
  fencePeerStep,
  mapMountStep,
  mapOptionProblem,
  unmapArgv,
  unmountUnmapArgv,
  withMappedArgv,
} from './rbd-map.js';

const section = z
  .object({
    pool: checked((s) => cv.cephNameProblem(s, 'a Ceph pool name')),
    cephConf: absPath.default('/etc/ceph/ceph.conf'),
    id: checked((s) => cv.cephNameProblem(s, 'a Ceph client id')).default('admin'),
    keyring: absPath.optional(),
    /** Map/mkfs/mount images on the VIP holder (false where krbd is unavailable, e.g. the netns lab). */
    map: z.boolean().default(true),
    /** krbd options for rbd map/unmap (`-o`), e.g. noudev on hosts without udev. */
    mapOptions: z.array(checked(mapOptionProblem)).default([]),
  })
  .strict();

const SHARED: MovePromise = {
  kind: 'shared',
  short:
    'shared RBD image: the new VIP holder maps and mounts the same filesystem; open files survive and nothing acknowledged is lost (shown with a kernel client on the vm tier)',
  planned: 'the new VIP holder maps and mounts the same image: the same inodes, so file handles stay valid',
  openFiles: 'open files survive the move (the same filesystem; shown with a kernel NFSv3 client on the vm tier)',
  crash: 'nothing acknowledged is lost (one copy, in Ceph)',
};

function safeJson(t: string): unknown {
  try {
    return JSON.parse(t);
  } catch {
    return null;
  }
}

/** RBD images are shared by the pair: list them once, with metadata, bounded parallelism. */
export async function rbdInventory(config: Config, host: Host): Promise<RbdInventory> {
  const r = config.backends.rbd!;
  const ls = await host.run(['rbd', ...rbdArgs(config), 'ls', '-l', '--format', 'json', '--pool', r.pool]);
  if (ls.exitCode !== 0) return { images: [], metas: new Map(), error: ls.stderr.trim() };
  const images = parseRbdListLong(ls.stdout).filter((i) => i.image.startsWith('pv.') && !i.snapshot);
  const metas = new Map<string, VolumeMeta>();
  // `rbd ls -l` cannot show image metadata: one `image-meta get` per nfsctl image.
  await mapLimit(images, 8, async (img) => {
    const m = await host.run(['rbd', ...rbdArgs(config), 'image-meta', 'get', `${r.pool}/${img.image}`, 'nfsctl.meta']);
    if (m.exitCode !== 0) return;
    const p = VolumeMetaSchema.safeParse(safeJson(m.stdout.trim()));
    if (p.success) metas.set(img.image, p.data);
  });
  const out: RbdInventory = { images, metas };
  if (!r.map && images.length > 0) {
    // unmapped images have no filesystem to df: the pool's own accounting (one command)
    const du = await host.run(rbdUsageArgv(config));
    if (du.exitCode === 0) out.du = parseRbdDu(du.stdout);
  }
  return out;
}

/** `rbd du` of the whole pool, JSON (without fast-diff it reads each image's object map). */
export function rbdUsageArgv(config: Config): string[] {
  return ['rbd', ...rbdArgs(config), 'du', '--format', 'json', '--pool', config.backends.rbd!.pool];
}

const indexes = new WeakMap<RbdInventory, Map<string, RbdListEntry>>();
function imageNamed(rbd: RbdInventory | undefined, image: string): RbdListEntry | undefined {
  if (!rbd) return undefined;
  let ix = indexes.get(rbd);
  if (!ix) {
    ix = new Map();
    for (const i of rbd.images ?? []) if (!ix.has(i.image)) ix.set(i.image, i);
    indexes.set(rbd, ix);
  }
  return ix.get(image);
}
const pool = (c: ClusterInventory | undefined) => c as RbdInventory | undefined;
const spec = (config: Config, v: VolumeIdentity) => `${config.backends.rbd!.pool}/${v.image}`;

function sameVolume(m: { namespace: string; name: string } | null | undefined, v: VolumeIdentity): boolean {
  return m !== null && m !== undefined && m.namespace === v.ref.namespace && m.name === v.ref.name;
}

export const rbdBackend: VolumeBackend<'rbd', typeof section> = {
  name: 'rbd',
  metaName: BACKEND_META_NAMES.rbd,
  noun: 'RBD image',
  placement: 'shared-vip',
  configSchema: section,
  configDocs: {
    'backends.rbd': 'Ceph RBD: one RBD image per volume, mapped on the active host.',
    'backends.rbd.pool': 'Ceph pool of the images (letters, digits, _ . -; not starting with -).',
    'backends.rbd.cephConf': 'ceph.conf to use.',
    'backends.rbd.id': 'Ceph client id (without the client. prefix; letters, digits, _ . -).',
    'backends.rbd.keyring': 'Keyring file, when not the default for the client id.',
    'backends.rbd.map':
      'Map, format and mount images on the host holding the VIP. false where the kernel RBD client is unavailable (test labs).',
    'backends.rbd.mapOptions':
      'krbd options given to rbd map and unmap (-o), e.g. [noudev] on hosts without udev (rbd map would wait for it). Devices are found through /sys/bus/rbd, so no udev link is needed.',
  },
  configPathKeys: ['backends.rbd.keyring'],
  dataRoots: () => [],
  configWarnings: (c) =>
    c.backends.rbd && !c.backends.rbd.map
      ? [
          {
            path: ['backends', 'rbd', 'map'],
            message: 'map: false: RBD images are not mapped or mounted (test labs without krbd)',
          },
        ]
      : [],

  makesFilesystem: (config) => config.backends.rbd?.map === true,
  mountedDevice: (config, v) => (config.backends.rbd?.map ? `/dev/rbd/${spec(config, v)}` : null),
  inRootFilesystem: false,
  describe: (config, v) => `RBD image ${spec(config, v)}`,
  metaRecord: () => 'RBD image-meta',
  nameProblem: (_config, v) =>
    v.image.length > RBD_IMAGE_NAME_MAX
      ? `${v.id}: RBD image name is ${v.image.length} characters; at most ${RBD_IMAGE_NAME_MAX}`
      : null,

  readHost: () => {},
  readCluster: (config, host) => rbdInventory(config, host),
  hostMetas: () => [],
  metaOnHost: () => undefined,
  storageState(_config, _inv, v, cluster) {
    const img = imageNamed(pool(cluster), v.image);
    return { present: img !== undefined, sizeBytes: img?.size ?? null, usedBytes: null };
  },
  usage(_config, inv, v, cluster) {
    const e = inv.df?.get(v.path);
    if (e) return dfUsage(e); // mapped and mounted here: the filesystem's own numbers
    const du = pool(cluster)?.du?.get(v.image);
    return du ? rbdDuUsage(du) : null;
  },
  owns: (state, _role, v) => sameVolume(state.cluster?.rbd?.metas.get(v.image), v),
  leftover: (state, v) => pool(state.cluster?.rbd)?.images?.some((i) => i.image === v.image) ?? false,
  foreignProblems: (config, state, role, v) =>
    role === 'primary' && pool(state.cluster?.rbd)?.images?.some((i) => i.image === v.image)
      ? [`RBD image ${config.backends.rbd?.pool}/${v.image} has no nfsctl metadata for ${v.id}`]
      : [],
  room: (config, _state, extra, avail) =>
    avail !== undefined && avail !== null && avail < extra
      ? [`pool ${config.backends.rbd!.pool} has ${formatSize(avail)} available, needs ${formatSize(extra)}`]
      : [],
  /** Bytes the pool can still take (ceph df max_avail), or null when Ceph cannot tell. */
  async available(config, host) {
    const r = config.backends.rbd;
    if (!r) return null;
    const res = await host.run(['ceph', ...rbdArgs(config), 'df', '--format', 'json']);
    if (res.exitCode !== 0) return null;
    try {
      const doc = JSON.parse(res.stdout) as { pools?: { name: string; stats?: { max_avail?: number } }[] };
      return doc.pools?.find((p) => p.name === r.pool)?.stats?.max_avail ?? null;
    } catch {
      return null;
    }
  },

  createSteps(config, role, _inv, v, size, meta, opts) {
    const r = config.backends.rbd!;
    const s = spec(config, v);
    const steps: Step[] = [];
    if (opts.createShared) {
      steps.push(
        {
          id: `${role}:rbd-create`,
          host: role,
          title: `create RBD image ${s} (layering only, like the Kubernetes rbd plugin)`,
          action: {
            kind: 'run',
            argv: [
              'rbd',
              ...rbdArgs(config),
              'create',
              '--size',
              `${Math.ceil(size / MIB)}M`,
              '--image-feature',
              'layering',
              s,
            ],
          },
          undo: {
            title: `remove ${s}`,
            action: { kind: 'run', argv: ['rbd', ...rbdArgs(config), 'rm', '--no-progress', s] },
          },
        },
        {
          id: `${role}:rbd-meta`,
          host: role,
          title: `record the volume's metadata on ${s}`,
          action: {
            kind: 'run',
            argv: ['rbd', ...rbdArgs(config), 'image-meta', 'set', s, 'nfsctl.meta', JSON.stringify(meta)],
          },
          undo: null,
          noUndoReason: 'removing the image removes its metadata',
        },
      );
      return steps;
    }
    if (opts.active && r.map) {
      steps.push({
        id: `${role}:rbd-map`,
        host: role,
        title: `map ${s}, make XFS on it and mount it at ${v.path}`,
        action: {
          kind: 'run',
          // one step: the device name only exists on the host that mapped it
          argv: withMappedArgv(
            config,
            v.image,
            v.path,
            'mkfs.xfs -q "$dev"; mkdir -p -m 0777 -- "$path"; mount -t xfs "$dev" "$path"',
          ),
          timeoutMs: 300_000,
          summary: `rbd map ${s}; mkfs.xfs -q <its /dev/rbdN>; mkdir -p ${v.path}; mount -t xfs <it> ${v.path}`,
        },
        undo: {
          title: `unmount and unmap ${s}`,
          action: {
            kind: 'run',
            argv: unmountUnmapArgv(config, v.image, v.path),
          },
        },
      });
      steps.push(standbyHoldStep(config, peerOf(role)));
    } else {
      steps.push(mkdirStep(role, v));
    }
    return steps;
  },
  resizeSteps(config, role, _inv, v, size, _oldSize, opts) {
    const s = spec(config, v);
    const steps: Step[] = [];
    if (opts.resizeShared) {
      steps.push({
        id: `${role}:rbd-resize`,
        host: role,
        title: `grow ${s} to ${Math.ceil(size / MIB)} MiB`,
        action: {
          kind: 'run',
          argv: ['rbd', ...rbdArgs(config), 'resize', '--no-progress', '--size', `${Math.ceil(size / MIB)}M`, s],
        },
        undo: null,
        noUndoReason: 'shrinking an image under XFS would destroy it',
      });
    }
    if (opts.active && config.backends.rbd!.map) steps.push(growfsStep(role, v));
    return steps;
  },
  recordSizeSteps: (config, _state, view, size, holder) => [
    {
      id: `${holder}:rbd-meta`,
      host: holder,
      title: 'record the new size',
      action: {
        kind: 'run',
        argv: [
          'rbd',
          ...rbdArgs(config),
          'image-meta',
          'set',
          spec(config, view.identity),
          'nfsctl.meta',
          JSON.stringify(metaWithSize('rbd', view, size)),
        ],
      },
      undo: null,
    },
  ],
  // unmapped on every host, before the image goes (a mapping is a watcher: rbd rm refuses it;
  // planDelete puts the host that removes the image last) or when it is retired
  releaseSteps(config, role, v) {
    if (!config.backends.rbd?.map) return [];
    return [
      {
        id: `${role}:unmap`,
        host: role,
        title: `unmap ${spec(config, v)} here (if mapped)`,
        action: { kind: 'run', argv: unmapArgv(config, v.image), okExitCodes: [0, 22] },
        undo: null,
        noUndoReason: 'the image is mapped again where the VIP is by the next notify MASTER',
      },
    ];
  },
  removeSteps(config, role, inv, v, opts) {
    const steps: Step[] = [...rbdBackend.releaseSteps!(config, role, v)];
    if (inv.dirs.has(v.path)) steps.push(rmdirStep(config, role, v));
    if (opts.removeShared) {
      const s = spec(config, v);
      steps.push({
        id: `${role}:rbd-rm`,
        host: role,
        title: `remove RBD image ${s} (data is destroyed)`,
        action: {
          kind: 'run',
          argv: removeOwnedImageArgv(s, metaNeedle(v.ref.namespace, v.ref.name), rbdArgs(config)),
          timeoutMs: 600_000,
          summary: `rbd rm ${s} (after checking its nfsctl.meta names ${v.id})`,
        },
        undo: null,
        noUndoReason: 'a removed image cannot be restored',
      });
    }
    return steps;
  },
  metaWrites(config, state, view) {
    const meta = state.cluster?.rbd?.metas.get(view.identity.image);
    if (!config.backends.rbd || !meta) return [];
    const set = (m: unknown) => [
      'rbd',
      ...rbdArgs(config),
      'image-meta',
      'set',
      spec(config, view.identity),
      'nfsctl.meta',
      JSON.stringify(m),
    ];
    return [
      {
        role: state.vipHolder ?? 'primary',
        meta,
        write: (next) => ({
          action: { kind: 'run', argv: set(next) },
          undo: { title: 'restore the image metadata', action: { kind: 'run', argv: set(meta) } },
        }),
      },
    ];
  },

  pvSource: nfsPvSource,
  ganeshaFsal: () => null,
  movePromise: SHARED,
  health: {
    id: 'rbd',
    title: 'RBD client ready',
    async host(config, role, host) {
      const r = config.backends.rbd;
      if (!r) return [];
      const out: Finding[] = [];
      // What services (keepalived's notify hook, kubelet) find on their PATH, not our shell's.
      const [health, tools] = await Promise.all([
        host.run(['ceph', ...rbdArgs(config), 'health', '--format', 'json']),
        host.run([
          'env',
          '-i',
          'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
          'sh',
          '-c',
          'command -v rbd; [ -d /sys/module/rbd ] && echo module-loaded; grep -rqsw rbd /etc/modules /etc/modules-load.d && echo module-at-boot; [ -r "$1" ] && echo keyring-readable',
          'nfsctl-rbd',
          r.keyring ?? '/etc/ceph/ceph.client.admin.keyring',
        ]),
      ]);
      if (health.exitCode !== 0)
        out.push({
          id: 'ceph-health',
          host: role,
          status: 'critical',
          title: 'Ceph cluster reachable',
          evidence: health.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${health.exitCode}`,
          fix: `check ${r.cephConf} and the monitors`,
        });
      else {
        const h = parseCephHealth(health.stdout);
        out.push({
          id: 'ceph-health',
          host: role,
          status: h.status === 'HEALTH_OK' ? 'ok' : h.status === 'HEALTH_WARN' ? 'warn' : 'critical',
          title: 'Ceph healthy',
          evidence: `${h.status}${
            Object.keys(h.checks).length
              ? ': ' +
                Object.entries(h.checks)
                  .map(([code, c]) => `${code}: ${c.message}`)
                  .join('; ')
              : ''
          }`,
        });
      }
      const has = (s: string) => tools.stdout.includes(s);
      out.push({
        id: 'rbd-path',
        host: role,
        status: tools.stdout.includes('/rbd') ? 'ok' : 'critical',
        title: 'rbd on the services PATH',
        evidence: tools.stdout.split('\n')[0] || 'not found in /usr/sbin:/usr/bin:/sbin:/bin',
        ...(has('/rbd') ? {} : { fix: 'apt-get install ceph-common' }),
      });
      if (r.map) {
        out.push({
          id: 'rbd-module',
          host: role,
          status: has('module-loaded') ? 'ok' : 'critical',
          title: 'rbd kernel module loaded',
          evidence: has('module-loaded') ? '/sys/module/rbd present' : '/sys/module/rbd missing',
          ...(has('module-loaded') ? {} : { fix: 'modprobe rbd' }),
        });
        out.push({
          id: 'rbd-boot',
          host: role,
          status: has('module-at-boot') ? 'ok' : 'warn',
          title: 'rbd module loaded at boot',
          evidence: has('module-at-boot')
            ? 'listed in /etc/modules(-load.d)'
            : 'not in /etc/modules or /etc/modules-load.d',
          ...(has('module-at-boot') ? {} : { fix: 'echo rbd > /etc/modules-load.d/rbd.conf' }),
        });
      }
      out.push({
        id: 'rbd-keyring',
        host: role,
        status: has('keyring-readable') ? 'ok' : 'critical',
        title: 'Ceph keyring readable',
        evidence: r.keyring ?? '/etc/ceph/ceph.client.admin.keyring',
        ...(has('keyring-readable') ? {} : { fix: `install the keyring for client.${r.id}` }),
      });
      return out;
    },
    room: () => [],
    pairRoom: () => [],
  },
  troubleshoot: {
    async backend(config, host, t) {
      const h = await host.run(['ceph', ...rbdArgs(config), 'health', '--format', 'json'], { timeoutMs: t });
      const status =
        h.exitCode === 0 ? parseCephHealth(h.stdout).status : `unreachable: ${h.stderr.trim().split('\n').pop()}`;
      if (status !== 'HEALTH_OK' && status !== 'HEALTH_WARN')
        return {
          id: 'backend',
          status: 'critical',
          title: 'Ceph healthy',
          evidence: status,
          fix: 'ceph health detail',
        };
      return { id: 'backend', status: 'ok', title: 'Ceph healthy', evidence: status };
    },
    inPlace: async () => null,
  },
  followVip(config, role, inv, views, gained, serve) {
    const rbd = config.backends.rbd;
    const why = 'krbd is off (backends.rbd.map: false)';
    const wouldDo: string[] = [];
    if (!rbd) return { steps: [], recordedOnly: wouldDo, why };
    const steps: Step[] = [];
    const mounted = new Set(inv.mounts.map((m) => m.target));
    if (gained) {
      if (views.length) {
        const fence = fencePeerStep(
          config,
          role,
          views.map((v) => v.identity.image),
        );
        if (rbd.map) steps.push(fence);
        else wouldDo.push(fence.title);
      }
      for (const v of views) {
        const image = `${rbd.pool}/${v.identity.image}`;
        if (rbd.map) {
          if (!mounted.has(v.path)) steps.push(mapMountStep(config, role, v.identity, v.path, `${role}:map:${v.id}`));
        } else {
          wouldDo.push(`rbd map ${image}`, `mount /dev/rbdN ${v.path}`);
        }
        const s = serve(v);
        if (s) steps.push(s);
      }
    } else {
      for (const v of views) {
        const image = `${rbd.pool}/${v.identity.image}`;
        const s = serve(v);
        if (s) steps.push(s);
        if (rbd.map) {
          if (mounted.has(v.path)) steps.push(unmountStep(config, role, `${role}:umount:${v.id}`, v.path, null));
          steps.push({
            id: `${role}:unmap:${v.id}`,
            host: role,
            title: `unmap ${image}`,
            action: { kind: 'run', argv: unmapArgv(config, v.identity.image), okExitCodes: [0, 22] },
            undo: null,
          });
        } else {
          wouldDo.push(`umount ${v.path}`, `rbd unmap ${image}`);
        }
      }
    }
    return { steps, recordedOnly: wouldDo, why };
  },
};
