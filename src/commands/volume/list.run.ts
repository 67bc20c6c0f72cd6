// volume list / show: both hosts merged, drift called out.
import type { Context } from '../../cli/context.js';
import { movePromise, rpoText } from '../../ha/promise.js';
import { readVolumeSyncs, volumeRpoSeconds } from '../../ha/sync-state.js';
import { parseVolumeRef } from '../../core/names.js';
import { formatSize } from '../../core/sizes.js';
import { PreconditionError } from '../../core/errors.js';
import { findVolume, ROLES } from '../../volume/plans.js';
import type { HostVolumeState, VolumeView } from '../../volume/state.js';
import { loadPairState } from './common.js';
import { writeCompletionCacheSafe } from './cache.js';
import { backendNamed } from '../../volume/backend/registry.js';

export function volumeJson(v: VolumeView) {
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
    fsid: v.identity.fsid,
    hosts: v.hosts,
    state: v.intent ?? 'active',
    drift: v.drift,
  };
}

function hostCell(h: HostVolumeState): string {
  if (!h.reachable) return 'unreachable';
  if (!h.present) return h.served ? 'MISSING+exp' : 'missing';
  return [h.mounted ? 'mnt' : '', h.served ? 'exp' : h.configured ? 'cfg' : ''].filter(Boolean).join('+') || 'present';
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export async function runList(ctx: Context): Promise<void> {
  const state = await loadPairState(ctx);
  await writeCompletionCacheSafe(ctx, state.views.map((v) => v.id));
  const unreachable = ROLES.filter((r) => !state.inv[r].reachable);
  if (ctx.opts.json) {
    ctx.out.json({ vip: ctx.config.vip, vipHolder: state.vipHolder, unreachable: unreachable.map((r) => ({ host: r, error: state.inv[r].error })), volumes: state.views.map(volumeJson) });
    return;
  }
  for (const r of unreachable) ctx.out.warn(`${r} is unreachable: ${state.inv[r].error}`);
  for (const [name, c] of Object.entries(state.cluster ?? {})) if (c?.error) ctx.out.warn(`cannot list ${backendNamed(name).noun}s: ${c.error}`);
  if (state.views.length === 0) {
    ctx.out.info('no volumes');
    return;
  }
  const c = ctx.out.color;
  const rows = [['VOLUME', 'BACKEND', 'SIZE', 'USED', 'PRIMARY', 'BACKUP', 'DRIFT']];
  for (const v of state.views) {
    const used = v.hosts.primary.usedBytes ?? v.hosts.backup.usedBytes;
    rows.push([v.id, v.backend, formatSize(v.sizeBytes), used === null ? '-' : formatSize(used), hostCell(v.hosts.primary), hostCell(v.hosts.backup), v.drift.length ? `${v.drift.length}: ${v.drift[0]}` : v.intent ? `- (${v.intent} on purpose)` : '-']);
  }
  const text = table(rows).split('\n');
  ctx.out.line(c.bold(text[0]!));
  text.slice(1).forEach((line, i) => ctx.out.line(state.views[i]!.drift.length ? c.yellow(line) : line));
  const drifted = state.views.filter((v) => v.drift.length > 0).length;
  ctx.out.info(`${state.views.length} volume${state.views.length === 1 ? '' : 's'}${drifted ? `, ${drifted} with drift (see \`nfsctl volume show <volume>\`)` : ''}; VIP ${ctx.config.vip} on ${state.vipHolder ?? 'NO SINGLE HOST'}`);
}

export async function runShow(ctx: Context, target: string): Promise<void> {
  const ref = parseVolumeRef(target);
  const state = await loadPairState(ctx);
  const v = findVolume(state, ref);
  if (!v) throw new PreconditionError(`${target} does not exist on either host`, { hint: 'see `nfsctl volume list`' });
  const promise = movePromise(v.backend);
  const recs = promise.kind === 'copy' ? await Promise.all(ROLES.map((r) => readVolumeSyncs(ctx.host(r), ctx.config.state.stateDir).catch(() => ({})))) : [];
  const rpo = promise.kind === 'copy' ? volumeRpoSeconds(v.id, recs) : null;
  if (ctx.opts.json) return ctx.out.json({ ...volumeJson(v), vipMove: { kind: promise.kind, planned: promise.planned, openFiles: promise.openFiles, crash: promise.crash }, rpoSeconds: rpo });
  const c = ctx.out.color;
  const lines = [
    `${c.bold(v.id)}  ${v.backend}, ${formatSize(v.sizeBytes)}`,
    `path:     ${v.path}   (mount ${ctx.config.vip}:${v.path})`,
    `created:  ${v.createdAt} by ${v.createdBy}`,
    `labels:   ${Object.entries(v.labels).map(([k, val]) => `${k}=${val}`).join(', ') || '-'}`,
    `fsid:     ${v.identity.fsid}   export id: ${v.identity.exportId}`,
    `state:    ${v.intent ? `${v.intent} (chosen by the operator: not drift; \`nfsctl volume export ${v.id}\` serves it again)` : 'active'}`,
  ];
  for (const r of ROLES) {
    const h = v.hosts[r];
    lines.push(
      `${r.padEnd(8)}  ${!h.reachable ? 'unreachable' : `${h.present ? 'present' : 'MISSING'}, ${h.sizeBytes === null ? '?' : formatSize(h.sizeBytes)}${h.usedBytes === null ? '' : ` (${formatSize(h.usedBytes)} used)`}, ${h.mounted ? 'mounted' : 'not mounted'}, ${h.served ? 'served' : h.configured ? 'configured, NOT served' : 'not exported'}${h.clients.length ? ` to ${h.clients.join(' ')}` : ''}`}`,
    );
  }
  lines.push(`drift:    ${v.drift.length ? c.yellow(v.drift.join('; ')) : 'none'}`);
  lines.push(`VIP move: ${promise.kind === 'copy' ? 'rsync copy' : `shared ${backendNamed(v.backend).noun}`}: ${promise.planned}`);
  lines.push(`          open files: ${promise.openFiles}`);
  lines.push(`          crash: ${promise.crash}${promise.kind === 'copy' ? `; ${rpoText(rpo)}` : ''}`);
  ctx.out.line(lines.join('\n'));
}
