// Data freshness on the pair (the rules are in src/core/freshness.ts): each host records in
// <stateDir>/freshness/record.json when it served clients and which sync it last received
// data from; <stateDir>/freshness/stale holds "1" while the host is stale and "0" otherwise.
// keepalived tracks that file (`ha install` adds a track_file with weight 0), so a stale
// host stays in FAULT and never takes the VIP, however keepalived was started.
//
// Written by: the keepalived notify hook (MASTER: serving, and the primary is marked stale
// when the backup takes over; BACKUP/FAULT/STOP: stopped serving), switchover and failback
// (the VIP moved), and every sync (the destination received the source's generation).
import type { Config, PairRole } from '../config/schema.js';
import { peerOf } from '../core/roles.js';
import type { Host } from '../host/host.js';
import { PreconditionError } from '../core/errors.js';
import type { RsyncReport } from '../core/rsync.js';
import {
  compareFreshness,
  clearStale,
  markStale,
  maySyncFrom,
  mayServe,
  parseRecord,
  receivedSync,
  startServing,
  stopServing,
  type FreshnessRecord,
  type FreshnessVerdict,
} from '../core/freshness.js';
import { instanceBlock } from './status.js';
import { serviceCommand } from './services.js';

export const TRACK_NAME = 'nfsctl_fresh';

export function freshnessRecordPath(config: Config): string {
  return `${config.state.stateDir}/freshness/record.json`;
}

/** The file keepalived tracks: "1" while this host is stale, "0" otherwise. */
export function trackFilePath(config: Config): string {
  return `${config.state.stateDir}/freshness/stale`;
}

export async function readFreshness(config: Config, host: Host): Promise<FreshnessRecord | null> {
  return parseRecord(await host.readFile(freshnessRecordPath(config)), host.name as PairRole);
}

/** Record and track file; the track file first, so a stale marker reaches keepalived at once. */
export async function writeFreshness(config: Config, host: Host, rec: FreshnessRecord): Promise<void> {
  await host.writeFileAtomic(trackFilePath(config), rec.stale ? '1\n' : '0\n');
  await host.writeFileAtomic(freshnessRecordPath(config), JSON.stringify(rec) + '\n');
}

export interface PairFreshness {
  records: Record<PairRole, FreshnessRecord | null>;
  /** Hosts whose record could not be read (unreachable): the verdict is then 'unknown'. */
  errors: Partial<Record<PairRole, string>>;
  verdict: FreshnessVerdict;
}

export async function pairFreshness(config: Config, hosts: Record<PairRole, Host>): Promise<PairFreshness> {
  const errors: Partial<Record<PairRole, string>> = {};
  const read = (r: PairRole) =>
    readFreshness(config, hosts[r]).catch((e: Error) => {
      errors[r] = e.message;
      return null;
    });
  const [p, b] = await Promise.all([read('primary'), read('backup')]);
  const verdict = Object.keys(errors).length
    ? {
        newest: 'unknown' as const,
        older: null,
        reason: `cannot read the freshness record of ${Object.entries(errors)
          .map(([r, e]) => `${r} (${e})`)
          .join(', ')}`,
      }
    : compareFreshness(p, b);
  return { records: { primary: p, backup: b }, errors, verdict };
}

/**
 * `role` serves clients now (it holds the VIP): a new data generation. When the backup takes
 * over, the primary (which preempts: it would take the VIP back) is marked stale, on the
 * primary itself when it answers. Best effort on the peer; returns what it could not do.
 */
export async function noteServing(
  config: Config,
  hosts: Record<PairRole, Host>,
  role: PairRole,
  now = new Date().toISOString(),
): Promise<string[]> {
  const peerRole = peerOf(role);
  const problems: string[] = [];
  const [own, peerRec] = await Promise.all([
    readFreshness(config, hosts[role]),
    readFreshness(config, hosts[peerRole]).catch((e: Error) => (problems.push(`${peerRole}: ${e.message}`), null)),
  ]);
  await writeFreshness(config, hosts[role], startServing(own, peerRec, role, now));
  if (problems.length === 0) {
    let p = stopServing(peerRec, peerRole, now);
    if (role === 'backup') p = markStale(p, peerRole, `the backup took over and serves clients since ${now}`, now);
    if (p !== peerRec && (peerRec !== null || p.stale))
      await writeFreshness(config, hosts[peerRole], p).catch((e: Error) => problems.push(`${peerRole}: ${e.message}`));
  }
  return problems;
}

/** `role` stopped serving (BACKUP, FAULT, STOP). */
export async function noteStopped(
  config: Config,
  host: Host,
  role: PairRole,
  now = new Date().toISOString(),
): Promise<void> {
  const own = await readFreshness(config, host);
  const next = stopServing(own, role, now);
  if (next !== own) await writeFreshness(config, host, next);
}

/** `dest` received a complete sync from `source` (the stale marker stays: failback clears it). */
export async function noteReceived(
  config: Config,
  hosts: Record<PairRole, Host>,
  source: PairRole,
  dest: PairRole,
  startedAt: number,
  final: boolean,
): Promise<void> {
  const now = new Date().toISOString();
  const [src, own] = await Promise.all([readFreshness(config, hosts[source]), readFreshness(config, hosts[dest])]);
  await writeFreshness(
    config,
    hosts[dest],
    receivedSync(
      own,
      dest,
      {
        source,
        generation: src?.generation ?? 0,
        by: src?.generationBy ?? null,
        startedAt: new Date(startedAt).toISOString(),
        finishedAt: now,
        final,
      },
      now,
    ),
  );
}

/**
 * Failback, after the final sync and its verification: the primary holds the backup's
 * generation in full, so its stale marker goes (and keepalived may put the VIP there).
 */
export async function clearStaleAfterFinalSync(
  config: Config,
  hosts: Record<PairRole, Host>,
  to: PairRole,
  from: PairRole,
): Promise<void> {
  const [own, src] = await Promise.all([readFreshness(config, hosts[to]), readFreshness(config, hosts[from])]);
  if (
    !own?.received ||
    own.received.source !== from ||
    !own.received.final ||
    own.received.generation < (src?.generation ?? 0)
  ) {
    throw new PreconditionError(
      `${to} has no complete copy of ${from}'s current data (last data: ${own?.received ? `${own.received.source} generation ${own.received.generation}${own.received.final ? '' : ', not final'}` : 'none'}; ${from} is at generation ${src?.generation ?? 0}): refusing to let it serve`,
    );
  }
  if (own.stale) await writeFreshness(config, hosts[to], clearStale(own, to, new Date().toISOString()));
}

/** Mark `role` stale (its peer serves clients again). */
export async function markHostStale(config: Config, host: Host, role: PairRole, reason: string): Promise<void> {
  const now = new Date().toISOString();
  await writeFreshness(
    config,
    host,
    markStale(stopServing(await readFreshness(config, host), role, now), role, reason, now),
  );
}

/** Throws (exit 4) unless `role`'s data is at least as new as its peer's. */
export async function assertMayServe(
  config: Config,
  hosts: Record<PairRole, Host>,
  role: PairRole,
  what: string,
): Promise<void> {
  const f = await pairFreshness(config, hosts);
  const why = mayServe(role, f.verdict);
  if (why)
    throw new PreconditionError(`refusing to ${what}: ${why}`, {
      hint:
        role === 'primary'
          ? "nfsctl failback (it syncs the backup's data first, then moves the VIP)"
          : "nfsctl switchover (it syncs the primary's data first)",
    });
}

/** What a sync `source` -> `dest` would destroy on `dest`: deletions, and existing files it would overwrite. */
export function wouldLose(rep: RsyncReport): string[] {
  return [
    ...rep.deletions.map((d) => `*deleting ${d}`),
    ...rep.changes.filter((c) => c.op === 'receive' && !c.isNew && c.type === 'f').map((c) => `overwrite ${c.path}`),
  ];
}

/**
 * Refuse (exit 4) a sync onto a destination that served clients more recently than the
 * source's data, naming what it would lose. No override: the way is failback/switchover.
 */
export async function checkSyncFreshness(
  config: Config,
  hosts: Record<PairRole, Host>,
  source: PairRole,
  dest: PairRole,
  preview: RsyncReport | null,
): Promise<void> {
  const f = await pairFreshness(config, hosts);
  const why = maySyncFrom(source, dest, f.verdict, f.records);
  if (!why) return;
  const lose = preview ? wouldLose(preview) : [];
  const shown = lose.slice(0, 50);
  const list = lose.length
    ? `\nit would lose on ${dest}:\n  ${shown.join('\n  ')}${lose.length > shown.length ? `\n  ... and ${lose.length - shown.length} more` : ''}`
    : preview
      ? `\n(the preview shows nothing deleted or overwritten now, but ${dest}'s copy is the newer one)`
      : '';
  throw new PreconditionError(`refusing to sync ${source} -> ${dest}: ${why}${list}`, {
    hint:
      source === 'primary'
        ? `the VIP belongs on ${dest}: on the primary \`${serviceCommand(config, 'stop', 'keepalived')}\` (the VIP goes back to the backup), then \`nfsctl failback\` brings the backup's data home`
        : `bring ${dest}'s data over first: nfsctl switchover`,
  });
}

/**
 * The keepalived.conf track_file that keeps a stale host in FAULT: a top-level
 * `track_file nfsctl_fresh { file "<path>" weight 0 }` and `track_file { nfsctl_fresh }` in the
 * vrrp_instance (weight 0: any non-zero value is a failure). Null when already there.
 * `file` must be an absolute path of safe characters (it ends up in a quoted keepalived string).
 */
export function withFreshnessTrack(text: string, instance: string, file: string): string | null {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(file))
    throw new PreconditionError(
      `track file path ${JSON.stringify(file)}: only A-Za-z0-9._/- allowed in keepalived.conf`,
    );
  const b = instanceBlock(text, instance);
  if (!b)
    throw new PreconditionError(`no vrrp_instance ${instance} in keepalived.conf`, {
      hint: 'check keepalived.instance in the nfsctl config',
    });
  const hasDef = new RegExp(`^\\s*(vrrp_)?track_file\\s+${TRACK_NAME}\\s*\\{`, 'm').test(text);
  const body = text.slice(b.start, b.end);
  const hasUse = new RegExp(`^\\s*track_file\\s*\\{[^}]*\\b${TRACK_NAME}\\b`, 'm').test(body);
  if (hasDef && hasUse) return null;
  let out = text;
  if (!hasUse) {
    const indent = /\n([ \t]+)\S/.exec(body)?.[1] ?? '    ';
    out =
      out.slice(0, b.start) +
      body.replace(/\s*$/, '') +
      `\n${indent}# nfsctl: FAULT while this host's data is older than its peer's\n${indent}track_file {\n${indent}    ${TRACK_NAME}\n${indent}}\n` +
      out.slice(b.end);
  }
  if (!hasDef) {
    const at = new RegExp(`^\\s*vrrp_instance\\s+`, 'm').exec(out)!.index;
    const def = `# nfsctl: "1" in this file while this host is stale (nfsctl failback clears it)\ntrack_file ${TRACK_NAME} {\n    file "${file}"\n    weight 0\n    init_file 0\n}\n`;
    out = out.slice(0, at).replace(/\n*$/, at > 0 ? '\n' : '') + def + out.slice(at).replace(/^\n+/, '');
  }
  return out;
}
