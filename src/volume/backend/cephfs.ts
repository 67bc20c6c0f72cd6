// CephFS: one subvolume per volume (the mgr volumes interface: `ceph fs subvolume create
// <fs> <name> --size`), its quota the volume's size. Shared storage like RBD, but served by
// both hosts at once: each host's NFS-Ganesha reads the subvolume itself through FSAL CEPH
// (libcephfs), so nothing is mounted, synced or moved when the VIP moves. Metadata: the
// subvolume's `nfsctl.meta` (`ceph fs subvolume metadata`). The kernel NFS server would need
// a kernel CephFS mount on each host: not supported (the config check refuses it).
import { z } from 'zod';
import type { Config, PairRole } from '../../config/schema.js';
import type { Host, RunResult } from '../../host/host.js';
import type { Step } from '../../plan/plan.js';
import * as cv from '../../core/config-values.js';
import { absPath, checked } from '../../config/checked.js';
import { VolumeMetaSchema, type VolumeMeta } from '../../core/lvm-json.js';
import { parseOsdBlocklist, type BlocklistEntry } from '../../core/ceph-json.js';
import {
  fsVerdict,
  parseFsMap,
  parseMdsSessions,
  parseSubvolumeInfo,
  parseSubvolumeList,
  parseSubvolumeMetadata,
  sessionsFor,
  type MdsSession,
  type SubvolumeInfo,
} from '../../core/cephfs-json.js';
import { serviceCommand } from '../../ha/services.js';
import { quoteArgv } from '../../host/quote.js';
import { RBD_IMAGE_NAME_MAX } from '../../core/names.js';
import { formatSize } from '../../core/sizes.js';
import type { Finding } from '../../health/check.js';
import type { MovePromise } from '../../ha/promise.js';
import type { VolumeIdentity } from '../identity.js';
import { GUARD_REFUSED_EXIT, metaNeedle } from '../delete-guard.js';
import { nfsPvSource, type ClusterInventory, type VolumeBackend } from './contract.js';
import { metaWithSize, roomStatus } from './steps.js';

const cephName = (what: string) => checked((s) => cv.cephNameProblem(s, what));

const section = z
  .object({
    /** The CephFS filesystem (a `ceph fs volume`). */
    fs: cephName('a CephFS filesystem name'),
    /** Subvolume group of nfsctl's subvolumes; none: Ceph's default group (_nogroup). */
    group: cephName('a subvolume group name').optional(),
    cephConf: absPath.default('/etc/ceph/ceph.conf'),
    id: cephName('a Ceph client id').default('admin'),
    keyring: absPath.optional(),
  })
  .strict();

type Section = z.output<typeof section>;
const META_KEY = 'nfsctl.meta';

/** What nfsctl reads of the filesystem once for the pair. */
export interface CephfsInventory extends ClusterInventory {
  /** nfsctl's subvolumes (named pv.*) in the group, with their info. */
  subvolumes: Map<string, SubvolumeInfo>;
}

const cfg = (config: Config): Section => config.backends.cephfs!;
export function cephfsArgs(config: Config): string[] {
  const c = cfg(config);
  return ['--conf', c.cephConf, '--id', c.id, ...(c.keyring ? ['--keyring', c.keyring] : [])];
}
const groupArgs = (config: Config): string[] => (cfg(config).group ? ['--group_name', cfg(config).group!] : []);
/** `ceph fs subvolume <verb...> <fs> <name> ... [--group_name g]` (verb: "info", "metadata set", ...). */
const subvolume = (config: Config, verb: string, name: string, ...rest: string[]): string[] => [
  'ceph',
  ...cephfsArgs(config),
  'fs',
  'subvolume',
  ...verb.split(' '),
  cfg(config).fs,
  name,
  ...rest,
  ...groupArgs(config),
];
const where = (config: Config, v: VolumeIdentity) =>
  `${cfg(config).fs}/${cfg(config).group ? `${cfg(config).group}/` : ''}${v.image}`;

function safeJson(t: string): unknown {
  try {
    return JSON.parse(t);
  } catch {
    return null;
  }
}

function sameVolume(m: { namespace: string; name: string } | null | undefined, v: VolumeIdentity): boolean {
  return m !== null && m !== undefined && m.namespace === v.ref.namespace && m.name === v.ref.name;
}

/** A ceph command line to paste on a storage host: with the conf, id and keyring nfsctl uses. */
const cephLine = (config: Config, ...args: string[]) => quoteArgv(['ceph', ...cephfsArgs(config), ...args]);

const tail = (r: RunResult) => r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`;

/** A subvolume listing slower than this makes nfsctl ask the FSMap whether an MDS is active. */
export const SLOW_LISTING_MS = 1500;

/** nfsctl's subvolumes, their info and metadata: one `ls`, then every info and metadata read in one batch. */
export async function cephfsInventory(config: Config, host: Host): Promise<CephfsInventory> {
  const out: CephfsInventory = { subvolumes: new Map(), metas: new Map() };
  // The mgr's volumes module waits for an MDS: with none active, `subvolume ls` hangs until the
  // command timeout. When the listing is slow, the FSMap (a monitor call) is asked, and when it
  // shows no active MDS the listing is cancelled: the subvolumes are unreadable, not absent.
  const stop = new AbortController();
  const lsRun = host
    .run(
      [
        'ceph',
        ...cephfsArgs(config),
        'fs',
        'subvolume',
        'ls',
        cfg(config).fs,
        ...groupArgs(config),
        '--format',
        'json',
      ],
      { signal: stop.signal },
    )
    .catch((err: Error) => err);
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), SLOW_LISTING_MS)));
  const first = await Promise.race([lsRun, slow]);
  clearTimeout(timer);
  if (first === 'slow') {
    const dump = await host.run(['ceph', ...cephfsArgs(config), 'fs', 'dump', '--format', 'json']).catch(() => null);
    let verdict: ReturnType<typeof fsVerdict> = null;
    try {
      verdict = dump?.exitCode === 0 ? fsVerdict(parseFsMap(dump.stdout), cfg(config).fs) : null;
    } catch {
      // an FSMap nfsctl cannot read: the listing decides
    }
    if (verdict && !verdict.ok) {
      stop.abort();
      await lsRun;
      return {
        ...out,
        error: `no active MDS for CephFS ${cfg(config).fs} (${verdict.summary}): its subvolumes cannot be read`,
      };
    }
  }
  const ls = await lsRun;
  if (ls instanceof Error) throw ls;
  // the group is made with the first volume (see createSteps): before that, no volumes yet
  if (ls.exitCode !== 0 && cfg(config).group && /ENOENT: subvolume group .* does not exist/.test(ls.stderr)) return out;
  if (ls.exitCode !== 0) return { ...out, error: `ceph fs subvolume ls: ${tail(ls)}` };
  const names = parseSubvolumeList(ls.stdout).filter((n) => n.startsWith('pv.'));
  if (names.length === 0) return out;
  const results = await host.runMany(
    names.flatMap((n) => [
      subvolume(config, 'info', n, '--format', 'json'),
      subvolume(config, 'metadata ls', n, '--format', 'json'),
    ]),
  );
  names.forEach((n, i) => {
    const info = results[2 * i];
    const meta = results[2 * i + 1];
    if (info?.exitCode === 0) out.subvolumes.set(n, parseSubvolumeInfo(info.stdout));
    if (meta?.exitCode === 0) {
      const p = VolumeMetaSchema.safeParse(safeJson(parseSubvolumeMetadata(meta.stdout)[META_KEY] ?? ''));
      if (p.success) out.metas.set(n, p.data);
    }
  });
  return out;
}

const inventoryOf = (c: ClusterInventory | undefined) => c as CephfsInventory | undefined;

/** The path ganesha exports for `v` (inside CephFS), when the subvolume exists. */
export function cephfsPath(cluster: ClusterInventory | undefined, v: VolumeIdentity): string | null {
  return inventoryOf(cluster)?.subvolumes.get(v.image)?.path ?? null;
}

// $1 fs, $2 name, $3 size, then "--", the ceph arguments, "--", the group arguments. `subvolume
// create` of an existing subvolume succeeds silently (and would adopt someone else's): refuse.
const CREATE = [
  'fs=$1 name=$2 size=$3; shift 3; ceph=""; while [ "$1" != -- ]; do ceph="$ceph $1"; shift; done; shift',
  `no() { printf 'nfsctl: refusing to create CephFS subvolume %s: %s; nothing was changed\\n' "$name" "$1" >&2; exit ${GUARD_REFUSED_EXIT}; }`,
  // shellcheck: $ceph holds only validated names and absolute paths (no spaces, no globs)
  'if ceph $ceph fs subvolume info "$fs" "$name" "$@" >/dev/null 2>&1; then no "it exists already"; fi',
  'exec ceph $ceph fs subvolume create "$fs" "$name" --size "$size" --mode 777 "$@"',
].join('\n');

// $1 fs, $2 name, $3 text its nfsctl.meta must contain, then the ceph arguments, "--", the group arguments.
const REMOVE = [
  'fs=$1 name=$2 want=$3; shift 3; ceph=""; while [ "$1" != -- ]; do ceph="$ceph $1"; shift; done; shift',
  `no() { printf 'nfsctl: refusing to remove CephFS subvolume %s: %s; nothing was changed\\n' "$name" "$1" >&2; exit ${GUARD_REFUSED_EXIT}; }`,
  `m=$(ceph $ceph fs subvolume metadata get "$fs" "$name" ${META_KEY} "$@" 2>/dev/null) || no "it has no nfsctl metadata (${META_KEY})"`,
  'case $m in *"$want"*) ;; *) no "its nfsctl metadata is not this volume\'s" ;; esac',
  'exec ceph $ceph fs subvolume rm "$fs" "$name" "$@"',
].join('\n');

const SHARED_BOTH: MovePromise = {
  kind: 'shared',
  short:
    'CephFS subvolume served by both hosts: a VIP move changes only which host answers; nothing is synced or remounted, nothing acknowledged is lost',
  planned:
    'both hosts already serve the same subvolume (ganesha FSAL CEPH): clients reconnect to the new VIP holder and find the same files',
  openFiles:
    'open files survive the move (the same filesystem, the same Export_Id on both hosts; shown with kernel NFSv3 and NFSv4.1 clients on the vm tier)',
  crash: 'nothing acknowledged is lost (one copy, in Ceph)',
};

export const cephfsBackend: VolumeBackend<'cephfs', typeof section> = {
  name: 'cephfs',
  metaName: 'cephfs',
  noun: 'CephFS subvolume',
  placement: 'shared-both',
  configSchema: section,
  configDocs: {
    'backends.cephfs':
      'CephFS: one subvolume per volume (ceph fs subvolume, its quota the size), served by both hosts at once through nfs-ganesha FSAL CEPH. Needs nfs.server: ganesha.',
    'backends.cephfs.fs': 'The CephFS filesystem (ceph fs volume) the subvolumes are made in.',
    'backends.cephfs.group':
      "Subvolume group of nfsctl's subvolumes (created if missing); unset: Ceph's default group.",
    'backends.cephfs.cephConf': 'ceph.conf nfsctl and ganesha use.',
    'backends.cephfs.id': 'Ceph client id (without client.) of nfsctl and of ganesha (FSAL CEPH User_Id).',
    'backends.cephfs.keyring':
      "Keyring of nfsctl's own ceph calls, when not the default; ganesha's libcephfs finds its key through ceph.conf (keyring =) or /etc/ceph/ceph.client.<id>.keyring.",
  },
  configPathKeys: ['backends.cephfs.keyring'],
  configWarnings: () => [],
  configProblems: (c) =>
    c.backends.cephfs && c.nfs.server === 'kernel'
      ? [
          {
            path: ['backends', 'cephfs'],
            message:
              'cephfs volumes are served by nfs-ganesha (FSAL CEPH): the kernel NFS server would need a kernel CephFS mount on each host, which nfsctl does not make; set nfs.server: ganesha',
          },
        ]
      : [],

  makesFilesystem: () => false,
  mountedDevice: () => null,
  inRootFilesystem: false,
  describe: (config, v) => `CephFS subvolume ${where(config, v)}`,
  metaRecord: () => `CephFS subvolume metadata (${META_KEY})`,
  nameProblem: (_config, v) =>
    v.image.length > RBD_IMAGE_NAME_MAX
      ? `${v.id}: subvolume name is ${v.image.length} characters; at most ${RBD_IMAGE_NAME_MAX}`
      : null,

  readHost: () => {},
  readCluster: (config, host) => cephfsInventory(config, host),
  hostMetas: () => [],
  metaOnHost: () => undefined,
  storageState(_config, _inv, v, cluster) {
    const s = inventoryOf(cluster)?.subvolumes.get(v.image);
    return { present: s !== undefined, sizeBytes: s?.quotaBytes ?? null, usedBytes: s?.usedBytes ?? null };
  },
  // the subvolume's own accounting (ceph's recursive byte count against its quota); the same from both hosts
  usage(_config, _inv, v, cluster) {
    const s = inventoryOf(cluster)?.subvolumes.get(v.image);
    return s && s.quotaBytes
      ? {
          usedBytes: s.usedBytes,
          capacityBytes: s.quotaBytes,
          inodesUsed: null,
          inodesTotal: null,
          source: 'subvolume info',
        }
      : null;
  },
  owns: (state, _role, v) => sameVolume(state.cluster?.cephfs?.metas.get(v.image), v),
  leftover: (state, v) => inventoryOf(state.cluster?.cephfs)?.subvolumes.has(v.image) ?? false,
  foreignProblems: (config, state, role, v) =>
    role === 'primary' &&
    inventoryOf(state.cluster?.cephfs)?.subvolumes.has(v.image) &&
    !sameVolume(state.cluster?.cephfs?.metas.get(v.image), v)
      ? [`CephFS subvolume ${where(config, v)} has no nfsctl metadata for ${v.id}`]
      : [],
  room: (config, _state, extra, avail) =>
    avail !== undefined && avail !== null && avail < extra
      ? [`the data pool of CephFS ${cfg(config).fs} has ${formatSize(avail)} available, needs ${formatSize(extra)}`]
      : [],
  /** Bytes the filesystem's first data pool can still take (ceph df max_avail), or null. */
  async available(config, host) {
    if (!config.backends.cephfs) return null;
    const [fs, df] = await host.runMany([
      ['ceph', ...cephfsArgs(config), 'fs', 'ls', '--format', 'json'],
      ['ceph', ...cephfsArgs(config), 'df', '--format', 'json'],
    ]);
    if (fs?.exitCode !== 0 || df?.exitCode !== 0) return null;
    const f = safeJson(fs.stdout) as { name: string; data_pools?: string[] }[] | null;
    const pool = f?.find((x) => x.name === cfg(config).fs)?.data_pools?.[0];
    const d = safeJson(df.stdout) as { pools?: { name: string; stats?: { max_avail?: number } }[] } | null;
    return d?.pools?.find((p) => p.name === pool)?.stats?.max_avail ?? null;
  },

  createSteps(config, role, _inv, v, size, meta, opts) {
    if (!opts.createShared) return [];
    const c = cfg(config);
    const steps: Step[] = [];
    if (c.group) {
      steps.push({
        id: `${role}:cephfs-group`,
        host: role,
        title: `make sure subvolume group ${c.fs}/${c.group} exists`,
        action: { kind: 'run', argv: ['ceph', ...cephfsArgs(config), 'fs', 'subvolumegroup', 'create', c.fs, c.group] },
        undo: null,
        noUndoReason: 'the group is shared by every volume (creating an existing one changes nothing)',
      });
    }
    steps.push(
      {
        id: `${role}:cephfs-create`,
        host: role,
        title: `create CephFS subvolume ${where(config, v)} with a quota of ${size} bytes`,
        action: {
          kind: 'run',
          argv: [
            'sh',
            '-c',
            CREATE,
            'nfsctl-cephfs-create',
            c.fs,
            v.image,
            String(size),
            ...cephfsArgs(config),
            '--',
            ...groupArgs(config),
          ],
          summary: `ceph fs subvolume create ${c.fs} ${v.image} --size ${size} --mode 777${c.group ? ` --group_name ${c.group}` : ''} (refused if it exists)`,
        },
        undo: { title: `remove ${where(config, v)}`, action: { kind: 'run', argv: subvolume(config, 'rm', v.image) } },
      },
      {
        id: `${role}:cephfs-meta`,
        host: role,
        title: `record the volume's metadata on ${where(config, v)}`,
        action: { kind: 'run', argv: subvolume(config, 'metadata set', v.image, META_KEY, JSON.stringify(meta)) },
        undo: null,
        noUndoReason: 'removing the subvolume removes its metadata',
      },
    );
    return steps;
  },
  resizeSteps(config, role, _inv, v, size, oldSize, opts) {
    if (!opts.resizeShared) return [];
    return [
      {
        id: `${role}:cephfs-resize`,
        host: role,
        title: `set the quota of ${where(config, v)} to ${size} bytes`,
        action: { kind: 'run', argv: subvolume(config, 'resize', v.image, String(size), '--no_shrink') },
        undo: {
          title: `restore its quota (${oldSize} bytes)`,
          action: { kind: 'run', argv: subvolume(config, 'resize', v.image, String(oldSize)) },
        },
      },
    ];
  },
  recordSizeSteps: (config, _state, view, size, holder) => [
    {
      id: `${holder}:cephfs-meta`,
      host: holder,
      title: 'record the new size',
      action: {
        kind: 'run',
        argv: subvolume(
          config,
          'metadata set',
          view.identity.image,
          META_KEY,
          JSON.stringify(metaWithSize('cephfs', view, size)),
        ),
      },
      undo: null,
    },
  ],
  removeSteps(config, role, _inv, v, opts) {
    if (!opts.removeShared) return [];
    const c = cfg(config);
    return [
      {
        id: `${role}:cephfs-rm`,
        host: role,
        title: `remove CephFS subvolume ${where(config, v)} (data is destroyed)`,
        action: {
          kind: 'run',
          argv: [
            'sh',
            '-c',
            REMOVE,
            'nfsctl-cephfs-rm',
            c.fs,
            v.image,
            metaNeedle(v.ref.namespace, v.ref.name),
            ...cephfsArgs(config),
            '--',
            ...groupArgs(config),
          ],
          timeoutMs: 600_000,
          summary: `ceph fs subvolume rm ${c.fs} ${v.image} (after checking its ${META_KEY} names ${v.id})`,
        },
        undo: null,
        noUndoReason: 'a removed subvolume cannot be restored',
      },
    ];
  },
  metaWrites(config, state, view) {
    const meta = state.cluster?.cephfs?.metas.get(view.identity.image);
    if (!config.backends.cephfs || !meta) return [];
    const set = (m: unknown) => subvolume(config, 'metadata set', view.identity.image, META_KEY, JSON.stringify(m));
    return [
      {
        role: state.vipHolder ?? 'primary',
        meta,
        write: (next) => ({
          action: { kind: 'run', argv: set(next) },
          undo: { title: 'restore the subvolume metadata', action: { kind: 'run', argv: set(meta) } },
        }),
      },
    ];
  },

  pvSource: nfsPvSource,
  // ganesha opens the subvolume itself (libcephfs): its Path is inside CephFS, clients mount the Pseudo (v.path)
  ganeshaFsal: (config, v, cluster) => {
    const path = cephfsPath(cluster, v);
    return {
      name: 'CEPH',
      params: [
        ['Filesystem', cfg(config).fs],
        ['User_Id', cfg(config).id],
      ],
      ...(path ? { path } : { pathArgv: subvolume(config, 'getpath', v.image) }),
    };
  },
  movePromise: SHARED_BOTH,
  health: {
    id: 'cephfs',
    title: 'CephFS served',
    async host(config, role, host) {
      const c = config.backends.cephfs;
      if (!c) return [];
      return cephfsFindings(config, role, host);
    },
    room: () => [],
    pairRoom: () => [],
  },
  troubleshoot: {
    async backend(config, host, t) {
      const r = await host.run(['ceph', ...cephfsArgs(config), 'fs', 'dump', '--format', 'json'], { timeoutMs: t });
      if (r.exitCode !== 0)
        return {
          id: 'backend',
          status: 'critical',
          title: 'CephFS served',
          evidence: `ceph unreachable: ${tail(r)}`,
          fix: `check ${cfg(config).cephConf} and the monitors`,
        };
      const v = fsVerdict(parseFsMap(r.stdout), cfg(config).fs);
      if (!v)
        return {
          id: 'backend',
          status: 'critical',
          title: 'CephFS served',
          evidence: `no filesystem ${cfg(config).fs}`,
          fix: `${cephLine(config, 'fs', 'ls')}  # the filesystems there are: backends.cephfs.fs must name one of them`,
        };
      return {
        id: 'backend',
        status: v.ok ? 'ok' : 'critical',
        title: 'CephFS served (an active MDS for every rank)',
        evidence: v.summary,
        ...(v.ok
          ? {}
          : {
              fix: `start an MDS daemon for ${cfg(config).fs} on its host (systemctl start ceph-mds@<id>); then check: ${cephLine(config, 'fs', 'status', cfg(config).fs)}`,
            }),
      };
    },
    async inPlace(config, role, host, v, t) {
      // both reads at once (each ceph call costs a second or more of the CLI's start-up)
      const [info, sessions] = await Promise.all([
        host.run(subvolume(config, 'info', v.image, '--format', 'json'), { timeoutMs: t }),
        ganeshaSessions(config, host, t).catch(() => null),
      ]);
      if (info.exitCode !== 0)
        return {
          id: 'in-place',
          status: 'critical',
          title: `CephFS subvolume ${where(config, v)}`,
          evidence: tail(info),
          fix: `${cephLine(config, 'fs', 'subvolume', 'ls', cfg(config).fs, ...groupArgs(config))}  # is ${v.image} there?`,
        };
      const s = parseSubvolumeInfo(info.stdout);
      const mine = sessions === null ? null : sessionsFor(sessions, config.hosts[role].address, s.path);
      const quota =
        s.quotaBytes === null ? 'no quota' : `quota ${formatSize(s.quotaBytes)}, ${formatSize(s.usedBytes)} used`;
      if (mine !== null && !mine.some((x) => x.state === 'open')) {
        return {
          id: 'in-place',
          status: 'critical',
          title: `ganesha on ${role} has a CephFS session for ${s.path}`,
          evidence: `${quota}; no open MDS session from ${config.hosts[role].address} for it${mine.length ? ` (${mine.map((x) => x.state).join(', ')})` : ''}: the export fails (evicted or blocklisted?)`,
          fix: `on ${role}: restart nfs-ganesha (its libcephfs client reconnects), then nfsctl health`,
        };
      }
      return {
        id: 'in-place',
        status: s.quotaBytes !== null && s.usedBytes >= s.quotaBytes ? 'warn' : 'ok',
        title: `CephFS subvolume ${where(config, v)}`,
        evidence: `${s.path}, ${quota}${mine ? `, ${mine.length} session(s) from ${role}` : ''}`,
      };
    },
    async removeProbes(config, host, v, cluster, prefix, t) {
      const path = cephfsPath(cluster, v);
      if (path === null) return `the path of ${where(config, v)} is unknown`;
      const c = cfg(config);
      const r = await host
        .run(['/usr/bin/python3', '-c', REMOVE_PROBES, c.cephConf, c.id, c.keyring ?? '', c.fs, path, prefix], {
          timeoutMs: t,
        })
        .catch((err: Error) => ({ exitCode: -1, stdout: '', stderr: err.message }));
      return r.exitCode === 0
        ? null
        : `libcephfs on the host: ${r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`}`;
    },
  },
  followVip: () => ({
    steps: [],
    recordedOnly: [],
    why: 'both hosts serve CephFS subvolumes: nothing follows the VIP',
  }),
};

// The trial mount's probe files in a subvolume, removed through libcephfs (the python3-cephfs
// binding: ceph-common, which gives the host its ceph command, depends on it). The mount's
// root is the subvolume; only names the trial writes (prefix, digits-digits) are removed.
// argv: conf, id, keyring ('' for the default), fs, subvolume path, prefix
const REMOVE_PROBES = [
  'import re, sys, cephfs',
  'conf, cid, keyring, fsname, path, prefix = sys.argv[1:7]',
  'fs = cephfs.LibCephFS(conffile=conf, auth_id=cid)',
  'if keyring: fs.conf_set("keyring", keyring)',
  'fs.mount(mount_root=path.encode(), filesystem_name=fsname.encode())',
  'probe = re.compile(re.escape(prefix) + r"[0-9]+-[0-9]+$")',
  'd = fs.opendir(b"/")',
  'names = []',
  'e = fs.readdir(d)',
  'while e:',
  '    n = e.d_name.decode("utf-8", "replace")',
  '    if probe.match(n): names.append(n)',
  '    e = fs.readdir(d)',
  'fs.closedir(d)',
  'for n in names: fs.unlink(("/" + n).encode())',
  'fs.shutdown()',
].join('\n');

/** `ceph tell mds.<fs>:0 client ls`: the rank-0 MDS's client sessions. */
const sessionsArgv = (config: Config) => [
  'ceph',
  ...cephfsArgs(config),
  'tell',
  `mds.${cfg(config).fs}:0`,
  'client',
  'ls',
  '--format',
  'json',
];

async function ganeshaSessions(config: Config, host: Host, timeoutMs?: number): Promise<MdsSession[] | null> {
  const ls = await host.run(sessionsArgv(config), timeoutMs ? { timeoutMs } : {});
  return ls.exitCode === 0 ? parseMdsSessions(ls.stdout) : null;
}

/** What health reads of the cluster once for the pair (both hosts' checks share it). */
interface ClusterView {
  inv: CephfsInventory;
  sessions: MdsSession[] | null;
  /** Read only when a session is missing (evicted clients are blocklisted). */
  blocklist: () => Promise<BlocklistEntry[] | null>;
}
const clusterViews = new WeakMap<Config, Promise<ClusterView>>();
function clusterView(config: Config, host: Host): Promise<ClusterView> {
  let p = clusterViews.get(config);
  if (!p) {
    let bl: Promise<BlocklistEntry[] | null> | undefined;
    const blocklist = () =>
      (bl ??= host
        .run(['ceph', ...cephfsArgs(config), 'osd', 'blocklist', 'ls', '--format', 'json'])
        .then((r) => (r.exitCode === 0 ? parseOsdBlocklist(r.stdout) : null)));
    p = Promise.all([cephfsInventory(config, host), ganeshaSessions(config, host)]).then(([inv, sessions]) => ({
      inv,
      sessions,
      blocklist,
    }));
    clusterViews.set(config, p);
  }
  return p;
}

/**
 * Health of CephFS as `role` sees it: the filesystem served (an active MDS per rank), FSAL
 * CEPH installed, and for every nfsctl subvolume an open MDS session of this host's ganesha
 * (an evicted one is blocklisted and its export answers SERVERFAULT until ganesha mounts it
 * again); the quota use once for the pair (in the primary's findings).
 */
async function cephfsFindings(config: Config, role: PairRole, host: Host): Promise<Finding[]> {
  const c = cfg(config);
  const out: Finding[] = [];
  const [mine, view] = await Promise.all([
    host.runMany([
      ['ceph', ...cephfsArgs(config), 'fs', 'dump', '--format', 'json'],
      [
        'sh',
        '-c',
        'for f in /usr/lib/*/ganesha/libfsalceph.so /usr/lib/ganesha/libfsalceph.so /usr/lib64/ganesha/libfsalceph.so; do [ -e "$f" ] && echo "$f" && exit 0; done; exit 1',
      ],
    ]),
    clusterView(config, host),
  ]);
  const [dump, fsal] = mine;
  out.push({
    id: 'cephfs-fsal',
    host: role,
    status: fsal?.exitCode === 0 ? 'ok' : 'critical',
    title: 'nfs-ganesha FSAL CEPH installed',
    evidence: fsal?.exitCode === 0 ? fsal.stdout.trim() : 'libfsalceph.so not found',
    ...(fsal?.exitCode === 0 ? {} : { fix: 'apt-get install nfs-ganesha-ceph' }),
  });
  if (!dump || dump.exitCode !== 0) {
    out.push({
      id: 'cephfs-mds',
      host: role,
      status: 'critical',
      title: 'Ceph cluster reachable',
      evidence: `ceph fs dump: ${dump ? tail(dump) : 'no answer'}`,
      fix: `check ${c.cephConf}, the keyring of client.${c.id} and the monitors`,
    });
    return out;
  }
  const verdict = fsVerdict(parseFsMap(dump.stdout), c.fs);
  out.push(
    verdict === null
      ? {
          id: 'cephfs-mds',
          host: role,
          status: 'critical',
          title: `CephFS ${c.fs} exists`,
          evidence: `no filesystem ${c.fs} in the FSMap`,
          fix: 'ceph fs ls',
        }
      : {
          id: 'cephfs-mds',
          host: role,
          status: verdict.ok ? 'ok' : 'critical',
          title: `CephFS ${c.fs} served (an active MDS for every rank)`,
          evidence: verdict.summary,
          ...(verdict.ok ? {} : { fix: 'ceph fs status; ceph health detail; start an MDS for it' }),
        },
  );
  if (!verdict?.ok) return out;
  const { inv, sessions, blocklist } = view;
  if (inv.error) {
    out.push({
      id: 'cephfs-subvolumes',
      host: role,
      status: 'critical',
      title: "nfsctl's CephFS subvolumes readable",
      evidence: inv.error,
      fix: `ceph mgr module ls (the volumes module); ceph fs subvolumegroup ls ${c.fs}`,
    });
    return out;
  }
  const addr = config.hosts[role].address;
  const volumes = [...inv.subvolumes].flatMap(([name, s]) => {
    const meta = inv.metas.get(name);
    return meta ? [{ id: `${meta.namespace}/${meta.name}`, s, meta }] : [];
  });
  let sessionsOk = 0;
  for (const { id, s, meta } of volumes) {
    if (role === 'primary') {
      if (s.quotaBytes !== null) {
        const { pct, status } = roomStatus(Math.max(0, s.quotaBytes - s.usedBytes), s.quotaBytes);
        out.push({
          id: `cephfs-quota:${id}`,
          host: null,
          status,
          title: `${id}: room under its CephFS quota`,
          evidence: `${formatSize(s.usedBytes)} of ${formatSize(s.quotaBytes)} used (${pct.toFixed(0)} % free)`,
          ...(status === 'ok' ? {} : { fix: `nfsctl volume resize ${id} --size <bigger>` }),
        });
      } else {
        out.push({
          id: `cephfs-quota:${id}`,
          host: null,
          status: 'warn',
          title: `${id}: has a CephFS quota`,
          evidence: `${s.path} has no quota: its size is not enforced`,
          fix: `nfsctl volume resize ${id} --size <size> (at least ${formatSize(meta.size)})`,
        });
      }
    }
    if (sessions === null) continue;
    const open = sessionsFor(sessions, addr, s.path).filter((x) => x.state === 'open');
    if (open.length > 0) sessionsOk++;
    else {
      const listed = ((await blocklist()) ?? []).filter((e) => e.kind === 'addr' && e.addr.startsWith(`${addr}:`));
      out.push({
        id: `cephfs-session:${id}`,
        host: role,
        status: 'critical',
        title: `${id}: ganesha on ${role} has a CephFS session`,
        evidence: `no open MDS session from ${addr} has ${s.path} as its root: ganesha there does not serve it, or was evicted${listed.length ? ` (${listed.length} blocklist entr${listed.length === 1 ? 'y' : 'ies'} for ${addr})` : ''}`,
        fix: `on ${role}: ${serviceCommand(config, 'restart', 'nfs')} (ganesha mounts its exports again)`,
      });
    }
  }
  out.push({
    id: 'cephfs-sessions',
    host: role,
    status: sessions === null ? 'warn' : sessionsOk === volumes.length ? 'ok' : 'critical',
    title: `ganesha on ${role} holds a CephFS session per volume`,
    evidence:
      sessions === null
        ? `the MDS client list (ceph tell mds.${c.fs}:0 client ls) could not be read`
        : `${sessionsOk} of ${volumes.length} volume(s) with an open MDS session from ${addr}`,
  });
  return out;
}
