// DRBD over LVM: one logical volume per volume on each host (the same LV name as an lvm
// volume), a DRBD resource over the two (internal meta-data, protocol C: a write is
// acknowledged once it is on both disks), an XFS filesystem made once on /dev/drbd<minor>.
// Mounted and exported only where the VIP is; keepalived's notify hook promotes, mounts and
// exports on MASTER and unexports, unmounts and demotes on BACKUP/FAULT/STOP (followVip).
// Nothing syncs it with rsync: the blocks are the same on both hosts, so are the inodes, so
// NFS file handles stay valid across a move. Metadata: the LVs' tags (as lvm) with
// `backend: "drbd"` and `drbd: {resource, minor, port}`; the resource file
// `<resourceDir>/<resource>.res` carries nfsctl's mark on its first line and is the only one
// nfsctl ever overwrites or removes.
import { z } from 'zod';
import type { Config, PairRole } from '../../config/schema.js';
import { peerOf } from '../../core/roles.js';
import type { Step } from '../../plan/plan.js';
import * as cv from '../../core/config-values.js';
import { absPath, checked } from '../../config/checked.js';
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
import {
  allocateMinorPort,
  drbdConfUsage,
  drbdMark,
  drbdMarkedFor,
  drbdRateProblem,
  drbdResourceName,
  DRBD_MINOR_MAX,
  mayPromote,
  resyncingFromPeer,
  SYNC_TARGET_CSTATES,
  parseDrbdResource,
  parseProcDrbd,
  renderDrbdResource,
  type DrbdResourceSpec,
  type DrbdState,
} from '../../core/drbd.js';
import { PreconditionError } from '../../core/errors.js';
import { derivedNamesProblem } from '../../core/names.js';
import { formatSize, roundUpTo } from '../../core/sizes.js';
import { dfUsage } from '../../core/usage.js';
import { fileContent } from '../../host/host.js';
import { readFileArgv } from '../../host/atomic-write.js';
import type { Finding } from '../../health/check.js';
import type { MovePromise } from '../../ha/promise.js';
import { catDirArgv, lvmArgs, splitCat, type DrbdInventory, type HostInventory } from '../inventory.js';
import type { VolumeIdentity } from '../identity.js';
import { removeMarkedFileArgv, removeOwnedLvArgv } from '../delete-guard.js';
import { nfsPvSource, type BackendPairState, type VolumeBackend } from './contract.js';
import { BACKEND_META_NAMES } from '../../core/backend-names.js';
import { growfsStep, mkdirStep, rmdirStep, roomStatus, standbyHoldStep } from './steps.js';
import { lvTagMetaWrite, lvsArgv, vgsArgv } from './lvm.js';
import { unmountStep } from '../unmount.js';

const range = (def: { first: number; last: number }, min: number, max: number) =>
  z
    .object({ first: z.number().int().min(min).max(max), last: z.number().int().min(min).max(max) })
    .strict()
    .refine((r) => r.first <= r.last, { message: 'first must not be above last', path: ['last'] })
    .default(def);

const section = z
  .object({
    /** Volume group of the LVs under DRBD; default backends.lvm.vg. */
    vg: checked(cv.lvmVgProblem).optional(),
    resourceDir: absPath.default('/etc/drbd.d'),
    ports: range({ first: 7790, last: 7999 }, 1, 65535),
    minors: range({ first: 100, last: 999 }, 0, DRBD_MINOR_MAX),
    /**
     * c-min-rate of new resources. 0: client I/O never pre-empts a resync. Measured on the vm
     * tier with a writer at ~21 MB/s on the volume: DRBD's default (250K) held the resync at
     * ~0.33 MB/s (a 1 GiB resync ~50 min without redundancy), 0 gave ~9 MB/s with the
     * writer's rate unchanged (bench/RESULTS.md). YAML reads a bare 0 or 250 as a number:
     * drbd.conf's word is the same digits, so an integer is taken as its string.
     */
    resyncMinRate: z
      .preprocess((x) => (typeof x === 'number' && Number.isInteger(x) ? String(x) : x), checked(drbdRateProblem))
      .default('0'),
  })
  .strict();

type Section = z.output<typeof section>;
// A local copy, not config/schema's ROLES: schema imports the backend registry, which imports
// this file, so a runtime import of schema here is a cycle ("Cannot access 'BACKEND_LIST' before
// initialization" at start-up, seen when it was tried).
const ROLES = ['primary', 'backup'] as const;
/** How long create waits for the two sides to connect. */
const CONNECT_WAIT_S = 60;
/** How long MASTER retries `drbdadm primary` while the peer is still Primary (it demotes concurrently on a planned move). */
const PROMOTE_RETRY_S = 30;
/**
 * How long MASTER waits for a resync from the peer to finish before promoting. Bounded well
 * under keepalived's pace: the wait also ends as soon as the VIP leaves this host, so the
 * BACKUP transition that follows gets the notify lock at once.
 */
const RESYNC_WAIT_S = 120;

function sec(config: Config): Section {
  const d = (config.backends as { drbd?: Section }).drbd;
  if (!d) throw new Error('internal: backends.drbd is not configured');
  return d;
}
function vgOf(config: Config): string {
  const vg = sec(config).vg ?? config.backends.lvm?.vg;
  if (!vg) throw new Error('internal: backends.drbd has no volume group (config load refuses this)');
  return vg;
}
const lvDevice = (config: Config, v: VolumeIdentity) => `/dev/${vgOf(config)}/${v.lv}`;
export const drbdHostname = (config: Config, role: PairRole): string =>
  (config.hosts[role] as { hostname?: string }).hostname ?? role;

/** What a drbd volume's metadata records of its resource (both hosts agree through it). */
export interface DrbdRecord {
  resource: string;
  minor: number;
  port: number;
}
export function drbdRecordOf(meta: unknown): DrbdRecord | null {
  const d = (meta as { drbd?: Partial<DrbdRecord> } | null | undefined)?.drbd;
  if (!d || typeof d !== 'object') return null;
  if (typeof d.resource !== 'string' || !Number.isInteger(d.minor) || !Number.isInteger(d.port)) return null;
  return { resource: d.resource, minor: d.minor!, port: d.port! };
}

/** The resource spec of `v` with `rec`'s minor and port, as both hosts' files say it. */
export function resourceSpec(config: Config, v: VolumeIdentity, rec: DrbdRecord): DrbdResourceSpec {
  return {
    volumeId: v.id,
    resource: rec.resource,
    minor: rec.minor,
    port: rec.port,
    disk: lvDevice(config, v),
    resyncMinRate: sec(config).resyncMinRate,
    hosts: [
      { hostname: drbdHostname(config, 'primary'), address: config.hosts.primary.address },
      { hostname: drbdHostname(config, 'backup'), address: config.hosts.backup.address },
    ],
  };
}
const resourcePath = (config: Config, resource: string) => `${sec(config).resourceDir}/${resource}.res`;

/** nfsctl's LVs in the drbd VG, by name (built once per inventory). */
const lvIndexes = new WeakMap<DrbdInventory, Map<string, LvmLv>>();
function lvNamed(inv: HostInventory, name: string): LvmLv | undefined {
  const d = inv.drbd;
  if (!d) return undefined;
  let ix = lvIndexes.get(d);
  if (!ix) {
    ix = new Map();
    for (const l of d.lvs ?? []) if (!ix.has(l.name)) ix.set(l.name, l);
    lvIndexes.set(d, ix);
  }
  return ix.get(name);
}
function drbdMetaOf(lv: LvmLv | undefined): VolumeMeta | null {
  if (!lv) return null;
  try {
    const m = decodeMetaTags(lv.tags);
    return m?.backend === BACKEND_META_NAMES.drbd ? m : null;
  } catch {
    return null; // corrupt tags prove nothing
  }
}
function sameVolume(m: { namespace: string; name: string } | null | undefined, v: VolumeIdentity): boolean {
  return m !== null && m !== undefined && m.namespace === v.ref.namespace && m.name === v.ref.name;
}

/** nfsctl's resource file for volume `v` on this host (the mark names it), parsed. */
export function ownResource(inv: HostInventory, v: Pick<VolumeIdentity, 'id'>): DrbdResourceSpec | null {
  for (const text of inv.drbd?.files.values() ?? []) {
    if (drbdMarkedFor(text) !== v.id) continue;
    const spec = parseDrbdResource(text);
    if (spec) return spec;
  }
  return null;
}

/** This host's DRBD state of `v`'s resource (from its resource file and /proc/drbd), or null. */
export function drbdStateOf(inv: HostInventory, v: Pick<VolumeIdentity, 'id'>): DrbdState | null {
  const spec = ownResource(inv, v);
  return spec ? (inv.drbd?.states.get(spec.resource) ?? null) : null;
}

/** Join nfsctl's resource files with /proc/drbd (called once both are read). */
function fillDrbd(d: DrbdInventory, files: Map<string, string>): void {
  const proc = d.procText ? parseProcDrbd(d.procText) : new Map();
  const minors = new Set<number>(proc.keys());
  const ports = new Set<number>();
  const resources = new Set<string>();
  for (const [name, text] of files) {
    const u = drbdConfUsage(text);
    u.minors.forEach((m) => minors.add(m));
    u.ports.forEach((p) => ports.add(p));
    u.resources.forEach((r) => resources.add(r));
    const spec = drbdMarkedFor(text) !== null ? parseDrbdResource(text) : null;
    if (!spec) {
      d.foreign!.set(name, u.resources);
      continue;
    }
    d.files.set(spec.resource, text);
    const st = proc.get(spec.minor);
    d.states.set(spec.resource, {
      resource: spec.resource,
      ...(st ?? {
        minor: spec.minor,
        role: 'Unknown',
        peerRole: 'Unknown',
        cstate: 'Unconfigured',
        disk: 'Unconfigured',
        peerDisk: 'DUnknown',
        outOfSyncKiB: null,
        syncPercent: null,
        syncEtaSeconds: null,
      }),
    });
  }
  d.used = { minors: [...minors], ports: [...ports], resources: [...resources] };
}

const REPLICATED: MovePromise = {
  kind: 'shared',
  short:
    'DRBD (protocol C): both hosts hold the same blocks; the new VIP holder promotes and mounts them, so open files are meant to survive and nothing acknowledged is lost (shown only on the vm tier)',
  planned:
    'the old holder unexports, unmounts and demotes; the new one promotes, mounts the same filesystem and exports it: the same blocks, so the same inodes, and file handles stay valid',
  openFiles:
    'open files are meant to survive the move: the same filesystem, block for block (unit tests show the steps; the kernel proof is on the vm tier)',
  crash:
    'nothing acknowledged is lost while both sides were Connected and UpToDate (protocol C: a write is acknowledged once it is on both disks); a side that is not UpToDate is never promoted',
};

// the step scripts (argv, never a shell string with values in it)
const WAIT_CONNECTED = [
  'res=$1 max=$2 i=0',
  'while :; do',
  '  cs=$(drbdadm cstate "$res" 2>/dev/null) || cs=unknown',
  '  case $cs in Connected|SyncSource|SyncTarget|PausedSync*) exit 0 ;; esac',
  '  i=$((i + 1)); [ "$i" -ge "$max" ] && { printf "nfsctl: %s is %s after %s s, not Connected: is it up on the peer, and the port open?\\n" "$res" "$cs" "$max" >&2; exit 1; }',
  '  sleep 1',
  'done',
].join('\n');
const WAIT_RESYNCED = [
  'res=$1 max=$2 vip=$3 i=0 off=0',
  'while :; do',
  '  ds=$(drbdadm dstate "$res" 2>/dev/null) || ds=unknown',
  '  case $ds in UpToDate/*) exit 0 ;; esac',
  '  cs=$(drbdadm cstate "$res" 2>/dev/null) || cs=unknown',
  // a resync that just ended reads Connected before the disk reads UpToDate: only three
  // readings in a row without a resync are an end without UpToDate
  `  case $cs in ${SYNC_TARGET_CSTATES.join('|')}) off=0 ;; *) off=$((off + 1)); [ "$off" -ge 3 ] && { printf "nfsctl: %s stopped resyncing (%s, disk %s): a side that is not UpToDate is never promoted\\n" "$res" "$cs" "$ds" >&2; exit 1; } ;; esac`,
  '  ip -o addr show | grep -qF " $vip/" || { printf "nfsctl: the VIP %s left this host while %s resynced: not promoted\\n" "$vip" "$res" >&2; exit 1; }',
  '  i=$((i + 1)); [ "$i" -ge "$max" ] && { printf "nfsctl: the resync of %s did not finish in %s s (disk %s): not promoted; nfsctl health shows its progress\\n" "$res" "$max" "$ds" >&2; exit 1; }',
  '  sleep 1',
  'done',
].join('\n');
const PROMOTE = [
  'res=$1 max=$2 i=0',
  'while :; do',
  '  out=$(drbdadm primary "$res" 2>&1) && exit 0',
  '  i=$((i + 1)); [ "$i" -ge "$max" ] && { printf "nfsctl: drbdadm primary %s failed for %s s: %s\\n" "$res" "$max" "$out" >&2; exit 1; }',
  '  sleep 1',
  'done',
].join('\n');

function drbdadm(role: PairRole, id: string, title: string, args: string[], extra: Partial<Step> = {}): Step {
  return {
    id: `${role}:${id}`,
    host: role,
    title,
    action: { kind: 'run', argv: ['drbdadm', ...args] },
    undo: null,
    ...extra,
  };
}

export const drbdBackend: VolumeBackend<'drbd', typeof section> = {
  name: 'drbd',
  metaName: BACKEND_META_NAMES.drbd,
  noun: 'DRBD resource',
  placement: 'replicated',
  configSchema: section,
  configDocs: {
    'backends.drbd':
      'DRBD over LVM (`volume create --backend lvm --replication drbd`): one logical volume per volume on each host, replicated synchronously (protocol C) by a DRBD resource; mounted and exported only where the VIP is. Present, or implied with its defaults by backends.lvm.replication: drbd.',
    'backends.drbd.vg':
      'Volume group of the logical volumes under DRBD (the same name on both hosts). Default: backends.lvm.vg.',
    'backends.drbd.resourceDir':
      "Directory of the resource files nfsctl writes (<resource>.res, mode 0600, first line nfsctl's mark); drbd.conf must include it (Debian's does include /etc/drbd.d/*.res).",
    'backends.drbd.ports': 'TCP ports for the resources (one per volume, the lowest free on both hosts).',
    'backends.drbd.ports.first': 'Lowest port.',
    'backends.drbd.ports.last': 'Highest port.',
    'backends.drbd.minors': 'Device minors for the resources (/dev/drbd<minor>, the lowest free on both hosts).',
    'backends.drbd.minors.first': 'Lowest minor.',
    'backends.drbd.minors.last': 'Highest minor.',
    'backends.drbd.resyncMinRate':
      "c-min-rate of the resources nfsctl creates: 0 (the default) lets a resync run at full speed while clients write; DRBD's own default, 250K, lets client I/O hold a resync near 250 KiB/s, leaving the resynced side without redundancy for hours on a large volume. 0 or KiB/s with an optional K, M or G suffix. Existing resources keep the rate they were created with (change one with drbdadm disk-options --c-min-rate=... on both hosts).",
  },
  configPathKeys: [],
  dataRoots: () => [],
  configWarnings: () => [],
  configProblems(config) {
    const out: { path: (string | number)[]; message: string }[] = [];
    const d = sec(config);
    if (!d.vg && !config.backends.lvm?.vg)
      out.push({
        path: ['backends', 'drbd', 'vg'],
        message: 'DRBD needs a volume group: set backends.drbd.vg (or backends.lvm.vg)',
      });
    if (config.backends.lvm?.metadataOnly)
      out.push({
        path: ['backends', 'lvm', 'metadataOnly'],
        message:
          'metadataOnly keeps logical volumes inactive: DRBD cannot run on them (remove backends.drbd and replication: drbd, or metadataOnly)',
      });
    for (const r of ROLES)
      if (cv.ipFamily(config.hosts[r].address) === null)
        out.push({
          path: ['hosts', r, 'address'],
          message: `backends.drbd: DRBD connects the hosts by IP address, and ${JSON.stringify(config.hosts[r].address)} is a DNS name`,
        });
    if (drbdHostname(config, 'primary') === drbdHostname(config, 'backup'))
      out.push({
        path: ['hosts', 'backup', 'hostname'],
        message: 'both hosts have the same hostname: DRBD tells them apart by it',
      });
    const root = config.nfs.root;
    if (d.resourceDir === root || d.resourceDir.startsWith(`${root}/`))
      out.push({
        path: ['backends', 'drbd', 'resourceDir'],
        message: `${d.resourceDir} is inside the NFS root ${root}`,
      });
    return out;
  },
  impliedBy: (sections) => (sections.lvm as { replication?: string } | undefined)?.replication === 'drbd',
  allocate(config, state, v, meta) {
    const used = { minors: [] as number[], ports: [] as number[] };
    const resource = drbdResourceName(v.lv);
    for (const r of ROLES) {
      const d = state.inv[r].drbd;
      if (!d) throw new PreconditionError(`${r}: DRBD state was not read`, { hint: 'check with `nfsctl health`' });
      if (d.procText === null)
        throw new PreconditionError(`${r}: the drbd kernel module is not loaded (no /proc/drbd); nothing was changed`, {
          hint: 'modprobe drbd (and list it in /etc/modules-load.d), then check with `nfsctl health`',
        });
      used.minors.push(...(d.used?.minors ?? []));
      used.ports.push(...(d.used?.ports ?? []));
      if (d.used?.resources.includes(resource))
        throw new PreconditionError(
          `${r}: a DRBD resource named ${resource} is already defined (${resourcePath(config, resource)} or another file); nothing was changed`,
          {
            hint: 'nfsctl never overwrites a resource it did not write for this volume; remove it by hand if it is a leftover',
          },
        );
    }
    const d = sec(config);
    const got = allocateMinorPort(used, d);
    if (!got)
      throw new PreconditionError(
        `no DRBD minor in ${d.minors.first}-${d.minors.last} or no port in ${d.ports.first}-${d.ports.last} is free on both hosts; nothing was changed`,
        { hint: 'widen backends.drbd.minors / backends.drbd.ports' },
      );
    return { ...meta, drbd: { resource, minor: got.minor, port: got.port } } as VolumeMetaInput;
  },

  makesFilesystem: () => true,
  // the minor is in the volume's record, not derivable from its identity: no device to name here
  mountedDevice: () => null,
  inRootFilesystem: false,
  describe: (config, v) => `DRBD resource ${drbdResourceName(v.lv)} on LV ${vgOf(config)}/${v.lv}`,
  metaRecord: () => 'LV tags (backend drbd)',
  nameProblem: (config, v) =>
    derivedNamesProblem(v.id, v.path, {
      vg: (config.backends as { drbd?: Section }).drbd?.vg ?? config.backends.lvm?.vg ?? '',
      name: v.lv,
    }),

  readHost(config, inv, read) {
    const d: DrbdInventory = { states: new Map(), files: new Map(), foreign: new Map(), lvs: [] };
    inv.drbd = d;
    const vg = vgOf(config);
    read(lvsArgv(config, vg), (r) => {
      if (r.exitCode === 0) d.lvs = parseLvsJson(r.stdout).filter((lv) => lv.tags.includes(NFSCTL_TAG));
      else d.error = `lvs: ${r.stderr.trim()}`;
    });
    read(vgsArgv(config, vg), (r) => {
      if (r.exitCode === 0) {
        const g = parseVgsJson(r.stdout)[0];
        if (g) d.vg = g;
      }
    });
    read(readFileArgv('/proc/drbd'), (r) => {
      try {
        d.procText = fileContent(r, '/proc/drbd');
      } catch (e) {
        d.procText = null;
        d.error ??= `/proc/drbd: ${(e as Error).message}`;
      }
      if (d.procText === null) d.error ??= 'no /proc/drbd: the drbd kernel module is not loaded';
    });
    read(catDirArgv(sec(config).resourceDir, '.res', 'nfsctl-drbd'), (r) => {
      if (r.exitCode !== 0) d.error ??= `${sec(config).resourceDir}: ${r.stderr.trim()}`;
      fillDrbd(d, splitCat(r.exitCode === 0 ? r.stdout : ''));
    });
  },
  readCluster: () => null,
  *hostMetas(inv) {
    for (const lv of inv.drbd?.lvs ?? []) {
      const m = decodeMetaTags(lv.tags);
      if (m && m.backend === BACKEND_META_NAMES.drbd) yield m;
    }
  },
  metaOnHost(inv, v) {
    const lv = lvNamed(inv, v.lv);
    if (!lv) return undefined;
    const m = decodeMetaTags(lv.tags);
    return m && m.backend === BACKEND_META_NAMES.drbd ? m : m === null ? null : undefined;
  },
  storageState(_config, inv, v) {
    const lv = lvNamed(inv, v.lv);
    const mine = drbdMetaOf(lv) !== null;
    return { present: mine, sizeBytes: mine ? lv!.size : null, usedBytes: null };
  },
  usage: (_config, inv, v) => {
    const e = inv.df?.get(v.path);
    return e ? dfUsage(e) : null; // mounted only on the VIP holder
  },
  owns: (state, role, v) => sameVolume(drbdMetaOf(lvNamed(state.inv[role], v.lv)), v),
  leftover: (state, v) =>
    ROLES.some((r) => drbdMetaOf(lvNamed(state.inv[r], v.lv)) !== null || ownResource(state.inv[r], v) !== null),
  foreignProblems(config, state, role, v) {
    const inv = state.inv[role];
    const out: string[] = [];
    const lv = lvNamed(inv, v.lv);
    if (lv && !sameVolume(drbdMetaOf(lv), v))
      out.push(`logical volume ${vgOf(config)}/${v.lv} carries the metadata of another volume (or corrupt tags)`);
    const resource = drbdResourceName(v.lv);
    for (const [file, resources] of inv.drbd?.foreign ?? [])
      if (resources.includes(resource) || file === `${resource}.res`)
        out.push(
          `${sec(config).resourceDir}/${file} defines DRBD resource ${resource} without nfsctl's mark for ${v.id}`,
        );
    return out;
  },
  room(config, state, extra) {
    const short: string[] = [];
    for (const r of ROLES) {
      const vg = state.inv[r].drbd?.vg;
      if (!vg) {
        short.push(`${r}: volume group ${vgOf(config)} not found`);
        continue;
      }
      const need = roundUpTo(extra, vg.extentSize);
      if (vg.free < need) short.push(`${r}: ${vg.name} has ${formatSize(vg.free)} free, needs ${formatSize(need)}`);
    }
    return short;
  },
  available: async () => null,

  createSteps(config, role, inv, v, size, meta, opts) {
    const rec = drbdRecordOf(meta);
    if (!rec) throw new Error('internal: a drbd create needs its minor and port (allocate)');
    const res = rec.resource;
    const dev = `/dev/drbd${rec.minor}`;
    if (opts.createShared) {
      // phase 2, on the VIP holder only: both sides are up and the new disks are empty
      const mkfsArgs = config.backends.lvm?.mkfsArgs ?? [];
      return [
        {
          id: `${role}:drbd-connect`,
          host: role,
          title: `wait until ${res} is Connected to ${peerOf(role)} (at most ${CONNECT_WAIT_S} s)`,
          action: {
            kind: 'run',
            argv: ['sh', '-c', WAIT_CONNECTED, 'nfsctl-drbd-wait', res, String(CONNECT_WAIT_S)],
            timeoutMs: (CONNECT_WAIT_S + 30) * 1000,
            summary: `drbdadm cstate ${res} until Connected (at most ${CONNECT_WAIT_S} s)`,
          },
          undo: null,
        },
        drbdadm(
          role,
          'drbd-skip-sync',
          `mark both empty disks UpToDate without the initial sync (new-current-uuid --clear-bitmap)`,
          ['new-current-uuid', '--clear-bitmap', res],
          { noUndoReason: 'removing the volume discards the DRBD meta-data' },
        ),
        drbdadm(role, 'drbd-primary', `promote ${res} to Primary on ${role}`, ['primary', res], {
          undo: { title: `demote ${res}`, action: { kind: 'run', argv: ['drbdadm', 'secondary', res] } },
        }),
        {
          id: `${role}:mkfs`,
          host: role,
          title: `make an XFS filesystem on ${dev} (once, replicated to ${peerOf(role)})`,
          action: { kind: 'run', argv: ['mkfs.xfs', '-q', ...mkfsArgs, dev], timeoutMs: 300_000 },
          undo: null,
          noUndoReason: 'removing the volume discards it',
        },
        {
          id: `${role}:mount`,
          host: role,
          title: `mount ${dev} at ${v.path}`,
          action: { kind: 'run', argv: ['mount', '-t', 'xfs', dev, v.path] },
          undo: { title: `unmount ${v.path}`, action: { kind: 'run', argv: ['umount', v.path] } },
        },
        standbyHoldStep(config, peerOf(role)),
      ];
    }
    // phase 1, on each host: the LV, the resource file, the meta-data, the resource up
    const spec = resourceSpec(config, v, rec);
    const text = renderDrbdResource(spec); // validated: throws before anything runs
    const file = resourcePath(config, res);
    const mark = drbdMark(v.id);
    const tags = encodeMetaTags(meta).flatMap((t) => ['--addtag', t]);
    const vg = vgOf(config);
    if (
      inv.drbd?.files.has(res) &&
      inv.drbd.files.get(res) !== text &&
      drbdMarkedFor(inv.drbd.files.get(res)!) !== v.id
    )
      throw new PreconditionError(`${role}: ${file} belongs to another volume; nothing was changed`);
    return [
      {
        id: `${role}:lvcreate`,
        host: role,
        title: `create logical volume ${vg}/${v.lv} (${size} bytes)`,
        action: {
          kind: 'run',
          argv: [
            'lvcreate',
            ...lvmArgs(config),
            '--yes',
            '--wipesignatures',
            'y',
            '--name',
            v.lv,
            '--size',
            `${size}b`,
            ...tags,
            vg,
          ],
        },
        undo: {
          title: `remove ${vg}/${v.lv}`,
          action: { kind: 'run', argv: ['lvremove', ...lvmArgs(config), '--yes', `${vg}/${v.lv}`] },
        },
      },
      {
        id: `${role}:drbd-res`,
        host: role,
        title: `write the DRBD resource file ${file} (minor ${rec.minor}, port ${rec.port}, protocol C)`,
        action: { kind: 'write', path: file, content: text, mode: 0o600, summary: `resource ${res}, mode 0600` },
        precondition: {
          title: `${file} is absent or nfsctl's for ${v.id}`,
          async check(host) {
            const cur = await host.readFile(file);
            return cur === null || drbdMarkedFor(cur) === v.id
              ? null
              : `${file} exists without nfsctl's mark for ${v.id}: it is not nfsctl's to overwrite`;
          },
        },
        undo: {
          title: `remove ${file} (only with nfsctl's mark)`,
          action: {
            kind: 'run',
            argv: removeMarkedFileArgv(file, mark),
            summary: `rm ${file} (if marked for ${v.id})`,
          },
        },
      },
      drbdadm(
        role,
        'drbd-create-md',
        `write DRBD meta-data (internal) on ${vg}/${v.lv}`,
        ['create-md', '--force', res],
        {
          noUndoReason: 'removing the logical volume discards it',
        },
      ),
      drbdadm(role, 'drbd-up', `bring ${res} up (attach, connect to ${peerOf(role)})`, ['up', res], {
        undo: { title: `take ${res} down`, action: { kind: 'run', argv: ['drbdadm', 'down', res] } },
      }),
      mkdirStep(role, v),
    ];
  },
  resizeSteps(config, role, inv, v, size, _oldSize, opts) {
    const vg = vgOf(config);
    const steps: Step[] = [];
    if (!opts.resizeShared) {
      steps.push({
        id: `${role}:lvextend`,
        host: role,
        title: `extend ${vg}/${v.lv} to ${size} bytes`,
        action: { kind: 'run', argv: ['lvextend', ...lvmArgs(config), '--size', `${size}b`, `${vg}/${v.lv}`] },
        undo: null,
        noUndoReason: 'shrinking a logical volume under DRBD and XFS would destroy it',
      });
      const lv = lvNamed(inv, v.lv);
      const meta = drbdMetaOf(lv);
      if (lv && meta) {
        const { add, remove } = planTagUpdate(lv.tags, { ...meta, size } as VolumeMetaInput);
        if (add.length + remove.length > 0)
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
                `${vg}/${v.lv}`,
              ],
            },
            undo: null,
          });
      }
      return steps;
    }
    // on the VIP holder, after both LVs grew: DRBD takes the new size (both sides must be connected)
    const st = drbdStateOf(inv, v);
    if (!st || st.cstate !== 'Connected' || st.disk !== 'UpToDate' || st.peerDisk !== 'UpToDate')
      throw new PreconditionError(
        `cannot grow ${v.id}: DRBD must be Connected and UpToDate on both sides, and on ${role} it is ${
          st ? `${st.cstate} ${st.disk}/${st.peerDisk}` : 'not set up'
        }; nothing was changed`,
        { hint: 'wait for the resync (nfsctl status), then run the resize again' },
      );
    steps.push(
      drbdadm(role, 'drbd-resize', `grow ${st.resource} to the new size of both LVs`, ['resize', st.resource], {
        noUndoReason: 'DRBD cannot shrink under XFS',
      }),
    );
    if (opts.active) steps.push(growfsStep(role, v));
    return steps;
  },
  recordSizeSteps: () => [], // the resize steps rewrite the LV tags on each copy
  removeSteps(config, role, inv, v) {
    const vg = vgOf(config);
    const steps: Step[] = [];
    const spec = ownResource(inv, v);
    if (spec) {
      const st = inv.drbd?.states.get(spec.resource);
      if (st && st.cstate !== 'Unconfigured')
        steps.push(
          drbdadm(role, 'drbd-down', `take ${spec.resource} down on ${role}`, ['down', spec.resource], {
            noUndoReason: 'the volume is being destroyed',
          }),
        );
      const file = resourcePath(config, spec.resource);
      steps.push({
        id: `${role}:drbd-rm-res`,
        host: role,
        title: `remove the resource file ${file}`,
        action: {
          kind: 'run',
          argv: removeMarkedFileArgv(file, drbdMark(v.id)),
          summary: `rm ${file} (after checking its first line is nfsctl's mark for ${v.id})`,
        },
        undo: null,
        noUndoReason: 'the volume is being destroyed',
      });
    }
    const lv = lvNamed(inv, v.lv);
    if (lv && drbdMetaOf(lv))
      steps.push({
        id: `${role}:lvremove`,
        host: role,
        title: `remove logical volume ${vg}/${v.lv} (data is destroyed)`,
        action: {
          kind: 'run',
          argv: removeOwnedLvArgv(
            `${vg}/${v.lv}`,
            lv.tags.filter((t) => t === NFSCTL_TAG || isMetaTag(t)),
            lvmArgs(config),
          ),
          summary: `lvremove --yes ${vg}/${v.lv} (after checking it carries nfsctl's tags for ${v.id})`,
        },
        undo: null,
        noUndoReason: 'a removed logical volume cannot be restored',
      });
    if (inv.dirs.has(v.path)) steps.push(rmdirStep(config, role, v));
    return steps;
  },
  metaWrites(config, state, view) {
    const vg = vgOf(config);
    return ROLES.flatMap((role) => {
      const lv = lvNamed(state.inv[role], view.identity.lv);
      const meta = drbdMetaOf(lv);
      if (!lv || !meta) return [];
      return [lvTagMetaWrite(config, vg, role, lv, meta)];
    });
  },

  pvSource: nfsPvSource,
  ganeshaFsal: () => null,
  movePromise: REPLICATED,
  health: {
    id: 'drbd',
    title: 'DRBD ready',
    async host(config, role, host) {
      if (!(config.backends as { drbd?: Section }).drbd) return [];
      const dir = sec(config).resourceDir;
      // what keepalived's notify hook finds on its PATH, not our shell's
      const r = await host.run([
        'env',
        '-i',
        'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
        'sh',
        '-c',
        'command -v drbdadm; [ -r /proc/drbd ] && echo module-loaded; grep -rqsw drbd /etc/modules /etc/modules-load.d && echo module-at-boot; grep -qsF "$1/" /etc/drbd.conf && echo dir-included; head -n 1 /proc/drbd 2>/dev/null',
        'nfsctl-drbd',
        dir,
      ]);
      const has = (s: string) => r.stdout.split('\n').includes(s);
      const tool = r.stdout.split('\n').find((l) => l.endsWith('/drbdadm'));
      const version = r.stdout.split('\n').find((l) => l.startsWith('version:'));
      const out: Finding[] = [
        {
          id: 'drbd-utils',
          host: role,
          status: tool ? 'ok' : 'critical',
          title: 'drbdadm on the services PATH',
          evidence: tool ?? 'not found in /usr/sbin:/usr/bin:/sbin:/bin',
          ...(tool ? {} : { fix: 'apt-get install drbd-utils' }),
        },
        {
          id: 'drbd-module',
          host: role,
          status: has('module-loaded') ? 'ok' : 'critical',
          title: 'drbd kernel module loaded',
          evidence: has('module-loaded') ? (version ?? '/proc/drbd present') : '/proc/drbd missing',
          ...(has('module-loaded') ? {} : { fix: 'modprobe drbd' }),
        },
        {
          id: 'drbd-boot',
          host: role,
          status: has('module-at-boot') ? 'ok' : 'warn',
          title: 'drbd module loaded at boot',
          evidence: has('module-at-boot')
            ? 'listed in /etc/modules(-load.d)'
            : 'not in /etc/modules or /etc/modules-load.d',
          ...(has('module-at-boot') ? {} : { fix: 'echo drbd > /etc/modules-load.d/drbd.conf' }),
        },
        {
          id: 'drbd-include',
          host: role,
          status: has('dir-included') ? 'ok' : 'warn',
          title: `drbd.conf includes ${dir}`,
          evidence: has('dir-included') ? `/etc/drbd.conf names ${dir}/` : `/etc/drbd.conf does not name ${dir}/`,
          ...(has('dir-included') ? {} : { fix: `add \`include "${dir}/*.res";\` to /etc/drbd.conf` }),
        },
      ];
      return out;
    },
    room(config, i) {
      const vg = i.drbd?.vg;
      if (!vg || (config.backends.lvm && vg.name === config.backends.lvm.vg)) return []; // lvm's room finding covers it
      const { pct, status } = roomStatus(vg.free, vg.size);
      return [
        {
          id: 'drbd-vg-free',
          host: i.role,
          status,
          title: `volume group ${vg.name} has room`,
          evidence: `${formatSize(vg.free)} free of ${formatSize(vg.size)} (${pct.toFixed(0)}%)`,
        },
      ];
    },
    pairRoom: () => [],
  },
  troubleshoot: {
    backend: async () => null,
    inPlace: async () => null,
  },
  followVip(config, role, inv, views, gained, serve) {
    const steps: Step[] = [];
    const refused: string[] = [];
    if (!(config.backends as { drbd?: Section }).drbd) return { steps, recordedOnly: [], why: '' };
    const mounted = new Set(inv.mounts.map((m) => m.target));
    for (const v of views) {
      const spec = ownResource(inv, v);
      if (!spec) {
        refused.push(`${v.id}: no nfsctl resource file for it on ${role} (${sec(config).resourceDir})`);
        continue;
      }
      const res = spec.resource;
      const st = inv.drbd?.states.get(res);
      const dev = `/dev/drbd${spec.minor}`;
      if (gained) {
        if (st?.role !== 'Primary') {
          // the peer still Primary is no refusal: on a planned move it demotes concurrently (retried below)
          const why = st
            ? mayPromote({ ...st, peerRole: st.peerRole === 'Primary' ? 'Unknown' : st.peerRole })
            : 'its state was not read';
          if (why && !(st && resyncingFromPeer(st))) {
            refused.push(`${v.id}: not promoted on ${role}: ${why}`);
            continue;
          }
          // this side is the SyncTarget of an UpToDate peer: it is UpToDate once the resync
          // ends, so wait for that (bounded) instead of leaving the VIP here serving nothing
          if (why)
            steps.push({
              id: `${role}:drbd-resync-wait:${v.id}`,
              host: role,
              title: `wait for the resync of ${res} from the peer to finish (${st!.syncPercent ?? 0}% done; up to ${RESYNC_WAIT_S} s, while the VIP stays here)`,
              action: {
                kind: 'run',
                argv: ['sh', '-c', WAIT_RESYNCED, 'nfsctl-drbd-resync-wait', res, String(RESYNC_WAIT_S), config.vip],
                timeoutMs: (RESYNC_WAIT_S + 30) * 1000,
                summary: `until drbdadm dstate ${res} is UpToDate/* (up to ${RESYNC_WAIT_S} s)`,
              },
              undo: null,
              noUndoReason: 'a wait changes nothing',
            });
          steps.push({
            id: `${role}:drbd-primary:${v.id}`,
            host: role,
            title: `promote ${res} to Primary (retrying for up to ${PROMOTE_RETRY_S} s while the peer demotes)`,
            action: {
              kind: 'run',
              argv: ['sh', '-c', PROMOTE, 'nfsctl-drbd-promote', res, String(PROMOTE_RETRY_S)],
              timeoutMs: (PROMOTE_RETRY_S + 30) * 1000,
              summary: `drbdadm primary ${res} (retried for up to ${PROMOTE_RETRY_S} s)`,
            },
            undo: { title: `demote ${res}`, action: { kind: 'run', argv: ['drbdadm', 'secondary', res] } },
          });
        }
        if (!mounted.has(v.path)) {
          // a mount point lost with the root filesystem (restored, reinstalled) is made again:
          // an empty directory is no reason to fail a takeover
          if (!inv.dirs.has(v.path)) steps.push({ ...mkdirStep(role, v.identity), id: `${role}:mkdir:${v.id}` });
          steps.push({
            id: `${role}:mount:${v.id}`,
            host: role,
            title: `mount ${dev} at ${v.path}`,
            action: { kind: 'run', argv: ['mount', '-t', 'xfs', dev, v.path] },
            undo: { title: `unmount ${v.path}`, action: { kind: 'run', argv: ['umount', v.path] } },
          });
        }
        const s = serve(v);
        if (s) steps.push(s);
      } else {
        const s = serve(v);
        if (s) steps.push(s);
        if (mounted.has(v.path)) steps.push(unmountStep(config, role, `${role}:umount:${v.id}`, v.path, null));
        if (st && st.role !== 'Secondary' && st.cstate !== 'Unconfigured')
          steps.push(
            drbdadm(role, `drbd-secondary:${v.id}`, `demote ${res} to Secondary`, ['secondary', res], {
              noUndoReason: 'the next transition promotes',
            }),
          );
      }
    }
    return { steps, recordedOnly: [], why: '', refused };
  },
};

/** For tests and status: which host's state says what (by role). */
export function drbdPairStates(
  state: BackendPairState,
  v: Pick<VolumeIdentity, 'id'>,
): Record<PairRole, DrbdState | null> {
  return { primary: drbdStateOf(state.inv.primary, v), backup: drbdStateOf(state.inv.backup, v) };
}
export type { Section as DrbdSection };
