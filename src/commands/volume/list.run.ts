// volume list / show: both hosts merged, drift called out.
import type { Context } from '../../cli/context.js';
import { clientState, movePromise, rpoText } from '../../ha/promise.js';
import { readVolumeSyncs, volumeRpoSeconds } from '../../ha/sync-state.js';
import { parseVolumeRef } from '../../core/names.js';
import { formatSize } from '../../core/sizes.js';
import { PreconditionError } from '../../core/errors.js';
import { findVolume, ROLES } from '../../volume/plans.js';
import type { HostVolumeState, VolumeView } from '../../volume/state.js';
import { loadPairState, loadPairStateWithForeign } from './common.js';
import { writeCompletionCacheSafe } from './cache.js';
import { backendNamed } from '../../volume/backend/registry.js';
import { isReadOnlyModel, parsePvModel } from '../../volume/pv-model.js';
import { persistentVolume } from '../../volume/pv.js';
import { UsageError } from '../../core/errors.js';
import { validateNamespace } from '../../core/names.js';
import { parseLabelSelector } from '../../core/label-selector.js';
import { parsePercent } from '../../core/usage.js';
import { queryVolumes, SORT_KEYS, type ListQuery, type SortKey } from '../../volume/query.js';
import { volumeUsage, type VolumeUsage } from '../../volume/usage.js';
import type { PairRole } from '../../config/schema.js';
import { printUnmanaged, unmanagedJson, unmanagedOf } from './unmanaged.render.js';

export interface ListOptions {
  namespace?: string;
  selector?: string;
  sort?: string;
  over?: string;
  output?: string;
}

/** Every flag checked before any host is asked. */
export function listQuery(o: ListOptions): ListQuery {
  const q: ListQuery = {};
  if (o.namespace !== undefined) {
    try {
      validateNamespace(o.namespace);
    } catch (err) {
      throw new UsageError(`namespace ${JSON.stringify(o.namespace)}: ${(err as Error).message}`);
    }
    q.namespace = o.namespace;
  }
  if (o.selector !== undefined) q.selector = parseLabelSelector(o.selector);
  if (o.sort !== undefined) {
    if (!(SORT_KEYS as readonly string[]).includes(o.sort))
      throw new UsageError(`--sort ${JSON.stringify(o.sort)}: expected one of ${SORT_KEYS.join(', ')}`);
    q.sort = o.sort as SortKey;
  }
  if (o.over !== undefined) {
    const p = parsePercent(o.over);
    if (p === null)
      throw new UsageError(`--over ${JSON.stringify(o.over)}: expected a percentage from 0 to 100, e.g. 80% or 80`);
    q.overPercent = p;
  }
  return q;
}

function usageJson(u: VolumeUsage | null) {
  return u
    ? {
        usedBytes: u.usedBytes,
        capacityBytes: u.capacityBytes,
        percent: u.percent,
        inodesUsed: u.inodesUsed,
        inodesTotal: u.inodesTotal,
        host: u.host,
        source: u.source,
      }
    : null;
}

export function volumeJson(v: VolumeView, vipHolder: PairRole | null = null) {
  return {
    id: v.id,
    namespace: v.namespace,
    name: v.name,
    backend: v.backend,
    sizeBytes: v.sizeBytes,
    path: v.path,
    labels: v.labels,
    createdAt: v.createdAt,
    createdBy: v.createdBy,
    fsid: v.identity.adopted ? v.identity.adopted.fsid : v.identity.fsid,
    ...(v.identity.adopted ? { adopted: v.identity.adopted } : {}),
    hosts: v.hosts,
    state: v.intent ?? 'active',
    drift: v.drift,
    usage: usageJson(volumeUsage(v.hosts, vipHolder)),
  };
}

function pct(u: VolumeUsage | null): string {
  return u ? `${Math.round(u.percent)}%` : '-';
}

function hostCell(h: HostVolumeState): string {
  if (!h.reachable) return 'unreachable';
  if (!h.present) return h.served ? 'MISSING+exp' : 'missing';
  return [h.mounted ? 'mnt' : '', h.served ? 'exp' : h.configured ? 'cfg' : ''].filter(Boolean).join('+') || 'present';
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export async function runList(ctx: Context, o: ListOptions = {}): Promise<void> {
  const query = listQuery(o);
  const json = ctx.opts.json || o.output === 'json';
  const wide = o.output === 'wide';
  const { state, foreign } = await loadPairStateWithForeign(ctx);
  const unmanaged = unmanagedOf(ctx, state, foreign);
  await writeCompletionCacheSafe(
    ctx,
    state.views.map((v) => v.id),
  );
  const unreachable = ROLES.filter((r) => !state.inv[r].reachable);
  const { rows, unknownUsage } = queryVolumes(state.views, state.vipHolder, query);
  if (json) {
    ctx.out.json({
      vip: ctx.config.vip,
      vipHolder: state.vipHolder,
      unreachable: unreachable.map((r) => ({ host: r, error: state.inv[r].error })),
      volumes: rows.map((r) => volumeJson(r.view, state.vipHolder)),
      ...(query.overPercent !== undefined ? { unknownUsage } : {}),
      unmanaged: unmanaged.map(unmanagedJson),
    });
    return;
  }
  for (const r of unreachable) ctx.out.warn(`${r} is unreachable: ${state.inv[r].error}`);
  for (const [name, c] of Object.entries(state.cluster ?? {}))
    if (c?.error) ctx.out.warn(`cannot list ${backendNamed(name).noun}s: ${c.error}`);
  const filtered = query.namespace !== undefined || query.selector !== undefined || query.overPercent !== undefined;
  const unknownNote = unknownUsage
    ? `; ${unknownUsage} volume${unknownUsage === 1 ? '' : 's'} whose use is unknown left out`
    : '';
  if (rows.length === 0) {
    ctx.out.info(
      state.views.length === 0
        ? 'no volumes managed by nfsctl'
        : `no volumes match (${state.views.length} on the pair)${unknownNote}`,
    );
    if (!filtered) printUnmanaged(ctx, unmanaged);
    return;
  }
  const c = ctx.out.color;
  const header = [
    'VOLUME',
    'BACKEND',
    'SIZE',
    'USED',
    'USE%',
    ...(wide ? ['INODES', 'FROM'] : []),
    'PRIMARY',
    'BACKUP',
    ...(wide ? ['LABELS', 'PATH'] : []),
    'DRIFT',
  ];
  const table_ = [header];
  const t = {
    warnPercent: ctx.config.health.usageWarnPercent,
    criticalPercent: ctx.config.health.usageCriticalPercent,
  };
  for (const { view: v, usage } of rows) {
    table_.push([
      v.id,
      v.backend,
      formatSize(v.sizeBytes),
      usage ? formatSize(usage.usedBytes) : '-',
      pct(usage),
      ...(wide
        ? [
            usage && usage.inodesUsed !== null
              ? `${usage.inodesUsed}${usage.inodesTotal ? `/${usage.inodesTotal}` : ''}`
              : '-',
            usage ? `${usage.source}@${usage.host}` : '-',
          ]
        : []),
      hostCell(v.hosts.primary),
      hostCell(v.hosts.backup),
      ...(wide
        ? [
            Object.entries(v.labels)
              .map(([k, val]) => `${k}=${val}`)
              .join(',') || '-',
            v.path,
          ]
        : []),
      v.drift.length ? `${v.drift.length}: ${v.drift[0]}` : v.intent ? `- (${v.intent} on purpose)` : '-',
    ]);
  }
  const text = table(table_).split('\n');
  ctx.out.line(c.bold(text[0]!));
  text.slice(1).forEach((line, i) => {
    const r = rows[i]!;
    const full =
      r.usage && r.usage.percent >= t.criticalPercent
        ? 'critical'
        : r.usage && r.usage.percent >= t.warnPercent
          ? 'warn'
          : null;
    ctx.out.line(full === 'critical' ? c.red(line) : r.view.drift.length || full ? c.yellow(line) : line);
  });
  const drifted = rows.filter((r) => r.view.drift.length > 0).length;
  const shown = filtered
    ? `${rows.length} of ${state.views.length} volumes`
    : `${rows.length} volume${rows.length === 1 ? '' : 's'}`;
  ctx.out.info(
    `${shown}${drifted ? `, ${drifted} with drift (see \`nfsctl volume show <volume>\`)` : ''}${unknownNote}; VIP ${ctx.config.vip} on ${state.vipHolder ?? 'NO SINGLE HOST'}`,
  );
  if (!filtered) printUnmanaged(ctx, unmanaged);
}

export interface ShowOptions {
  output?: 'pv-yaml' | 'pv-json';
  accessMode?: string[];
  reclaimPolicy?: string;
  claim?: string | boolean;
  storageClass?: string;
}

export async function runShow(ctx: Context, target: string, o: ShowOptions = {}): Promise<void> {
  const ref = parseVolumeRef(target);
  // the PV model flags are checked before any host is asked, as with volume create
  const pvFlags =
    o.accessMode || o.reclaimPolicy !== undefined || o.claim !== undefined || o.storageClass !== undefined;
  if (pvFlags && !o.output)
    throw new UsageError(
      '--access-mode, --reclaim-policy, --claim/--no-claim and --storage-class shape the PV: give --output pv-yaml or pv-json',
    );
  const modelFlags = {
    ...(o.reclaimPolicy !== undefined ? { reclaimPolicy: o.reclaimPolicy } : {}),
    ...(typeof o.claim === 'string' ? { claim: o.claim } : {}),
    noClaim: o.claim === false,
    ...(o.storageClass !== undefined ? { storageClass: o.storageClass } : {}),
  };
  const given = o.output
    ? parsePvModel(ref, { ...(o.accessMode ? { accessMode: o.accessMode } : {}), ...modelFlags })
    : null;
  const state = await loadPairState(ctx);
  const v = findVolume(state, ref);
  if (!v) throw new PreconditionError(`${target} does not exist on either host`, { hint: 'see `nfsctl volume list`' });
  if (o.output && given) {
    // a read-only export (on every host that has it) is a ROX volume unless asked otherwise; a
    // read-write mode on it is refused: the PV would promise writes the export refuses
    const configured = ROLES.map((r) => v.hosts[r]).filter((h) => h.reachable && h.configured);
    const readOnly = configured.length > 0 && configured.every((h) => h.readOnly === true);
    const model = o.accessMode ? given : parsePvModel(ref, { accessMode: [readOnly ? 'ROX' : 'RWX'], ...modelFlags });
    if (readOnly && !isReadOnlyModel(model))
      throw new UsageError(
        `${v.id} is exported read-only: --access-mode ${o.accessMode!.join(', ')} promises writes it refuses; use --access-mode ROX (or leave it out)`,
      );
    const pv = persistentVolume(ctx.config, v.identity, v.sizeBytes, v.labels, {
      ...model,
      source: backendNamed(v.backend).pvSource(ctx.config, v.identity),
      readOnly: isReadOnlyModel(model),
    });
    if (o.output === 'pv-json') return ctx.out.json(pv);
    const { stringify } = await import('../../cli/yaml-out.js');
    return ctx.out.line(stringify(pv).trimEnd());
  }
  const promise = movePromise(v.backend);
  const recs =
    promise.kind === 'copy'
      ? await Promise.all(ROLES.map((r) => readVolumeSyncs(ctx.host(r), ctx.config.state.stateDir).catch(() => ({}))))
      : [];
  const rpo = promise.kind === 'copy' ? volumeRpoSeconds(v.id, recs) : null;
  if (ctx.opts.json)
    return ctx.out.json({
      ...volumeJson(v, state.vipHolder),
      vipMove: {
        kind: promise.kind,
        planned: promise.planned,
        openFiles: promise.openFiles,
        crash: promise.crash,
        clientState: clientState(ctx.config, v.backend),
      },
      rpoSeconds: rpo,
    });
  const c = ctx.out.color;
  const lines = [
    `${c.bold(v.id)}  ${v.backend}, ${formatSize(v.sizeBytes)}`,
    `path:     ${v.path}   (mount ${ctx.config.vip}:${v.path})`,
    `created:  ${v.createdAt} by ${v.createdBy}`,
    `labels:   ${
      Object.entries(v.labels)
        .map(([k, val]) => `${k}=${val}`)
        .join(', ') || '-'
    }`,
    `fsid:     ${v.identity.adopted ? (v.identity.adopted.fsid ?? 'none (kept from before adoption: file handles depend on the device)') : v.identity.fsid}   export id: ${v.identity.exportId}`,
    `usage:    ${usageLine(volumeUsage(v.hosts, state.vipHolder))}`,
    `state:    ${v.intent ? `${v.intent} (chosen by the operator: not drift; \`nfsctl volume export ${v.id}\` serves it again)` : 'active'}`,
  ];
  for (const r of ROLES) {
    const h = v.hosts[r];
    lines.push(
      `${r.padEnd(8)}  ${!h.reachable ? 'unreachable' : `${h.present ? 'present' : 'MISSING'}, ${h.sizeBytes === null ? '?' : formatSize(h.sizeBytes)}${h.usage ? ` (${formatSize(h.usage.usedBytes)} used of ${formatSize(h.usage.capacityBytes)}${h.usage.inodesUsed !== null ? `, ${h.usage.inodesUsed} inodes` : ''}, ${h.usage.source})` : h.usedBytes === null ? '' : ` (${formatSize(h.usedBytes)} used)`}, ${h.mounted ? 'mounted' : 'not mounted'}, ${h.served ? 'served' : h.configured ? 'configured, NOT served' : 'not exported'}${h.clients.length ? ` to ${h.clients.join(' ')}` : ''}`}`,
    );
  }
  lines.push(`drift:    ${v.drift.length ? c.yellow(v.drift.join('; ')) : 'none'}`);
  lines.push(
    `VIP move: ${promise.kind === 'copy' ? 'rsync copy' : `shared ${backendNamed(v.backend).noun}`}: ${promise.planned}`,
  );
  lines.push(`          open files: ${promise.openFiles}`);
  lines.push(`          crash: ${promise.crash}${promise.kind === 'copy' ? `; ${rpoText(rpo)}` : ''}`);
  const cs = clientState(ctx.config, v.backend);
  lines.push(`          NFSv3 locks: ${cs.nfsv3}`);
  lines.push(`          NFSv4 state: ${cs.nfsv4}`);
  ctx.out.line(lines.join('\n'));
}

function usageLine(u: VolumeUsage | null): string {
  if (!u) return 'unknown (no host can tell: an LV that is not mounted, or xfsquota without quotas)';
  return `${formatSize(u.usedBytes)} of ${formatSize(u.capacityBytes)} (${u.percent}%)${u.inodesUsed !== null ? `, ${u.inodesUsed}${u.inodesTotal ? ` of ${u.inodesTotal}` : ''} inodes` : ''}; from ${u.source} on ${u.host}`;
}
