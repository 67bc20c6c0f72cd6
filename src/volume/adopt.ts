// `volume adopt`: take over volumes the old provisioning service made (an untagged LV
// mounted under the NFS root, an fstab entry, an export line) without any client noticing.
// What clients see stays exactly as it was: the same path, the same clients and options, the
// same fsid or none (file handles of mounted clients depend on it). Only nfsctl's metadata
// is added (LV tags) and the fstab/export lines become nfsctl's (a marker; an export line
// moves to nfsctl's exports file unchanged). Every check runs before the plan exists: a
// volume that differs between the hosts is refused with the differences.
import { lvmBackend } from './backend/lvm.js';
import { exporterOf } from './nfs-server/registry.js';
import type { Config, PairRole } from '../config/schema.js';
import type { Plan, Step } from '../plan/plan.js';
import { newPlanId } from '../plan/plan.js';
import { CommandFailedError, runChecked } from '../host/host.js';
import { NfsctlError } from '../core/errors.js';
import { encodeMetaTags, type VolumeMetaInput } from '../core/lvm-json.js';
import {
  normalizeExportPath,
  parseExports,
  renderExportLine,
  serializeExports,
  upsertExport,
  type ExportClient,
  type ExportEntry,
} from '../core/exports-file.js';
import { FSTAB_MARKER_PREFIX, parseFstab, type FstabEntry } from '../core/fstab.js';
import { formatVolumeRef, volumePath, type VolumeRef } from '../core/names.js';
import { formatSize } from '../core/sizes.js';
import { parseExportfsV, type ServedExport } from '../core/exportfs-v.js';
import { lvmArgs } from './inventory.js';
import type { PairState } from './plans.js';
import { findVolume, ROLES } from './plans.js';
import type { ForeignReads, UnmanagedVolume } from './unmanaged.js';

export interface AdoptTarget {
  ref: VolumeRef;
  path: string;
  /** How the name was decided (given, mapping file, PV list, the only possible split). */
  source: string;
}

export interface AdoptRefusal {
  path: string;
  id: string | null;
  reasons: string[];
}

export interface Adoptable {
  target: AdoptTarget;
  u: UnmanagedVolume;
  /** The export line's clients (with their effective options) and fsid, the same on both hosts. */
  clients: ExportClient[];
  fsid: string | null;
  sizeBytes: number;
}

function clientsOf(e: ExportEntry): ExportClient[] {
  return e.clients.map((c) => ({
    host: c.host === '' ? '*' : c.host,
    options: c.options.length ? [...c.options] : [...e.defaultOptions],
  }));
}

function fsidOf(clients: ExportClient[]): string | null {
  const all = [
    ...new Set(clients.flatMap((c) => c.options.filter((o) => o.startsWith('fsid=')).map((o) => o.slice(5)))),
  ];
  return all.length === 1 ? all[0]! : all.length === 0 ? null : all.join(',');
}

/** Check one target against what both hosts have; every problem is named, nothing runs. */
export function checkAdoptable(
  config: Config,
  state: PairState,
  unmanaged: readonly UnmanagedVolume[],
  target: AdoptTarget,
): Adoptable | AdoptRefusal {
  const id = formatVolumeRef(target.ref);
  const refuse = (...reasons: string[]): AdoptRefusal => ({ path: target.path, id, reasons });
  const down = ROLES.filter((r) => !state.inv[r].reachable);
  if (down.length) return refuse(...down.map((r) => `${r} is unreachable (${state.inv[r].error})`));
  if (findVolume(state, target.ref)) return refuse(`${id} is already an nfsctl volume`);
  const managed = state.views.find((v) => v.path === target.path);
  if (managed) return refuse(`${target.path} is already nfsctl's volume ${managed.id}`);
  const u = unmanaged.find((x) => x.path === target.path);
  if (!u) return refuse(`nothing at ${target.path} on either host (no directory, mount or export line)`);
  if (u.differences.length) return refuse(...u.differences);
  if (u.kind !== 'lv')
    return refuse(
      `no logical volume of ${config.backends.lvm?.vg ?? '(no backends.lvm)'} is mounted at ${target.path}: only LV-backed volumes can be adopted (a plain directory or an export line alone is not a volume nfsctl can take over)`,
    );
  if (!exporterOf(config).readsExportsFile)
    return refuse(
      `adopting needs an NFS server that reads the old export lines (nfs.server: kernel); this config uses ${config.nfs.server}`,
    );
  const p = u.hosts.primary.exports[0]!;
  const clients = clientsOf(p.entry);
  const fsid = fsidOf(clients);
  if (fsid?.includes(',')) return refuse(`the export line gives its clients different fsids (${fsid})`);
  // the owned line must mean exactly what the old one means
  try {
    renderExportLine(target.path, clients, id);
  } catch (err) {
    return refuse(`the export line cannot be taken over as it is: ${(err as Error).message}`);
  }
  return { target, u, clients, fsid, sizeBytes: u.hosts.primary.lv!.size };
}

export function isRefusal(x: Adoptable | AdoptRefusal): x is AdoptRefusal {
  return 'reasons' in x;
}

/** fstab text with the nfsctl marker put on the line above each given mount point's entry (the entry itself unchanged). */
export function markFstab(text: string, marks: Map<string, string>): string {
  const f = parseFstab(text);
  let out = '';
  for (const e of f.entries as FstabEntry[]) {
    if (e.kind === 'mount' && e.owner === null) {
      const owner = marks.get(e.file.length > 1 ? e.file.replace(/\/+$/, '') : e.file);
      if (owner) out += `${FSTAB_MARKER_PREFIX}${owner}${f.eol}`;
    }
    out += e.raw;
  }
  // self-check: each marked entry now parses as owned by its volume
  const back = parseFstab(out);
  for (const [file, owner] of marks) {
    if (!back.entries.some((e) => e.kind === 'mount' && e.file.replace(/\/+$/, '') === file && e.owner === owner))
      throw new Error(`internal: the fstab entry for ${file} did not become nfsctl's`);
  }
  return out;
}

function sameServed(before: ServedExport | undefined, after: ServedExport | undefined): boolean {
  const sig = (s: ServedExport | undefined) =>
    s
      ? s.clients
          .map((c) => `${c.host}(${[...c.options].sort().join(',')})`)
          .sort()
          .join(' ')
      : '';
  return sig(before) === sig(after);
}

/** The steps on one host: tags per volume, one fstab write, the exports files, exportfs -ra with a check that nothing served changed. */
function hostSteps(
  config: Config,
  state: PairState,
  foreign: ForeignReads,
  role: PairRole,
  items: Adoptable[],
  createdBy: string,
  now: Date,
): { tags: Step[]; fstab: Step[]; exports: Step[] } {
  const inv = state.inv[role];
  const vg = config.backends.lvm!.vg;
  const tags: Step[] = items.map((a) => {
    const id = formatVolumeRef(a.target.ref);
    const lv = a.u.hosts[role].lv!;
    const meta: VolumeMetaInput & { adopted: object } = {
      v: 1,
      namespace: a.target.ref.namespace,
      name: a.target.ref.name,
      labels: {},
      createdAt: now.toISOString(),
      createdBy,
      backend: lvmBackend.metaName,
      size: a.sizeBytes,
      adopted: {
        at: now.toISOString(),
        lv: lv.name,
        path: a.target.path,
        fsid: a.fsid,
        exportsFile: a.u.hosts[role].exports[0]!.file,
      },
    };
    const t = encodeMetaTags(meta);
    return {
      id: `${role}:lvtags:${id}`,
      host: role,
      title: `record nfsctl's metadata for ${id} on ${vg}/${lv.name} (LV tags; the LV keeps its name)`,
      action: {
        kind: 'run',
        argv: ['lvchange', ...lvmArgs(config), ...t.flatMap((x) => ['--addtag', x]), `${vg}/${lv.name}`],
        summary: `lvchange --addtag nfsctl --addtag nfsctl.meta… ${vg}/${lv.name}`,
      },
      undo: {
        title: `remove the tags from ${vg}/${lv.name}`,
        action: {
          kind: 'run',
          argv: ['lvchange', ...lvmArgs(config), ...t.flatMap((x) => ['--deltag', x]), `${vg}/${lv.name}`],
        },
      },
    };
  });
  const fstab: Step[] = [];
  const marks = new Map(
    items
      .filter((a) => a.u.hosts[role].fstab.length > 0)
      .map((a) => [a.target.path, formatVolumeRef(a.target.ref)] as [string, string]),
  );
  if (marks.size > 0 && inv.fstabText !== null) {
    const before = inv.fstabText;
    fstab.push({
      id: `${role}:fstab`,
      host: role,
      title: `mark the /etc/fstab entr${marks.size === 1 ? 'y' : 'ies'} of ${[...marks.keys()].join(', ')} as nfsctl's (a "${FSTAB_MARKER_PREFIX}…" line above; the entries unchanged)`,
      action: { kind: 'write', path: '/etc/fstab', content: markFstab(before, marks), backup: true },
      undo: { title: 'restore /etc/fstab', action: { kind: 'write', path: '/etc/fstab', content: before } },
    });
  }
  // exports: each old line leaves its file and reappears, with the same clients and options, in nfsctl's
  const own = config.nfs.exportsFile;
  const texts = new Map<string, string | null>([[own, inv.exportsText]]);
  for (const [f, t] of foreign.exportFiles) if (f !== own) texts.set(f, t);
  const after = new Map<string, string>();
  const get = (f: string) => after.get(f) ?? texts.get(f) ?? '';
  for (const a of items) {
    const src = a.u.hosts[role].exports[0]!;
    const id = formatVolumeRef(a.target.ref);
    const f = parseExports(get(src.file));
    // match by text and path: line numbers shift as earlier lines of the same file go
    let dropped = false;
    const kept = f.entries.filter((e) => {
      if (
        dropped ||
        e.kind !== 'export' ||
        e.owner !== null ||
        e.raw !== src.entry.raw ||
        normalizeExportPath(e.path) !== a.target.path
      )
        return true;
      dropped = true;
      return false;
    });
    if (!dropped) throw new Error(`internal: the export line of ${a.target.path} was not found again in ${src.file}`);
    after.set(src.file, kept.map((e) => e.raw).join(''));
    after.set(own, serializeExports(upsertExport(parseExports(get(own)), a.target.path, a.clients, id)));
  }
  const exports: Step[] = [];
  // nfsctl's file first: interrupted in between, the line is in both files (exportfs merges
  // identical lines), never in neither
  for (const [file, content] of [...after].sort(([a], [b]) => (a === own ? -1 : b === own ? 1 : 0))) {
    const before = texts.get(file) ?? null;
    exports.push({
      id: `${role}:exports:${file}`,
      host: role,
      title:
        file === own
          ? `write the export line${items.length === 1 ? '' : 's'} into ${own}, as nfsctl's, with the same clients, options and fsid`
          : `take the old line${items.length === 1 ? '' : 's'} out of ${file}`,
      action: { kind: 'write', path: file, content, backup: before !== null },
      undo: {
        title: `restore ${file}`,
        action:
          before === null
            ? { kind: 'run', argv: ['rm', '-f', '--', file] }
            : { kind: 'write', path: file, content: before },
      },
    });
  }
  const paths = items.map((a) => a.target.path);
  const servedBefore = new Map(inv.served.map((s) => [s.path, s] as [string, ServedExport]));
  exports.push({
    id: `${role}:exportfs`,
    host: role,
    title: `apply (exportfs -ra) and check the kernel serves ${paths.join(', ')} exactly as before`,
    action: {
      kind: 'fn',
      describe: 'exportfs -ra && exportfs -v (same clients and options as before)',
      fn: async (h) => {
        const r = await h.run(['exportfs', '-ra']);
        if (r.exitCode !== 0) throw new CommandFailedError(r);
        const now = parseExportfsV((await runChecked(h, ['exportfs', '-v'])).stdout);
        const changed = paths.filter(
          (p) =>
            !sameServed(
              servedBefore.get(p),
              now.find((s) => s.path === p),
            ),
        );
        if (changed.length)
          throw new NfsctlError(
            `${h.name}: the kernel now serves ${changed.join(', ')} differently than before the adoption; restoring the old lines`,
          );
      },
    },
    undo: { title: 're-apply the restored exports (exportfs -ra)', action: { kind: 'run', argv: ['exportfs', '-ra'] } },
  });
  return { tags, fstab, exports };
}

export function planAdopt(
  config: Config,
  state: PairState,
  foreign: Record<PairRole, ForeignReads>,
  items: Adoptable[],
  createdBy: string,
  now = new Date(),
): Plan {
  const per = ROLES.map((r) => hostSteps(config, state, foreign[r], r, items, createdBy, now));
  const noFsid = items.filter((a) => a.fsid === null);
  const notes = [
    ...items.map(
      (a) =>
        `${formatVolumeRef(a.target.ref)}: ${a.target.path} (LV ${config.backends.lvm!.vg}/${a.u.hosts.primary.lv!.name}, ${formatSize(a.sizeBytes)}; name from ${a.target.source}); exported to ${a.clients.map((c) => `${c.host}(${c.options.join(',')})`).join(' ')}`,
    ),
    'nothing is renamed, moved, remounted or re-exported with other options: clients see the same export',
    ...(noFsid.length
      ? [
          `${noFsid.map((a) => a.target.path).join(', ')}: the old line has no fsid=, and it stays without one (the file handles of mounted clients depend on it). ` +
            `A stable fsid (the same on both hosts) would change every file handle: it needs all clients to remount, so adopt never sets one`,
        ]
      : []),
  ];
  const pathHint =
    items.length === 1 &&
    items[0]!.target.path !== volumePath(config.nfs.pathTemplate, config.nfs.root, items[0]!.target.ref)
      ? ` (its path differs from nfs.pathTemplate; nfsctl keeps the recorded one)`
      : '';
  return {
    id: newPlanId(),
    title: `adopt ${items.map((a) => formatVolumeRef(a.target.ref)).join(', ')}${pathHint}`,
    phases: [
      { title: "record nfsctl's metadata on both hosts", steps: per.flatMap((p) => p.tags) },
      { title: "mark the fstab entries as nfsctl's", steps: per.flatMap((p) => p.fstab) },
      {
        title: "make the export lines nfsctl's (same path, clients, options, fsid)",
        steps: per.flatMap((p) => p.exports),
      },
    ].filter((p) => p.steps.length > 0),
    notes,
    cleanupHint: 'undo ran; `nfsctl volume list` shows what is managed now',
  };
}
