// The record of the last sync, kept on the host that received the data (normally the
// backup), read by `status` and `health`. One small JSON file, replaced atomically.
import type { Host } from '../host/host.js';

export interface SyncRecord {
  /** When the sync finished (ISO-8601). */
  time: string;
  ok: boolean;
  /** e.g. "primary->backup" */
  direction: string;
  source: string;
  destination: string;
  bytes: number;
  files?: number;
  deleted?: number;
  durationMs: number;
  error?: string;
  /** The volumes this sync copied (per-volume units; the root unit's xfsquota volumes too). */
  volumes?: string[];
  /** Volumes left out with --skip-unready, each with the reason. */
  skipped?: string[];
}

export function syncRecordPath(stateDir: string, which: 'last' | 'last-ok'): string {
  return `${stateDir}/sync/${which}.json`;
}

export async function readSyncRecord(
  host: Host,
  stateDir: string,
  which: 'last' | 'last-ok',
): Promise<SyncRecord | null> {
  const text = await host.readFile(syncRecordPath(stateDir, which));
  if (!text) return null;
  try {
    return JSON.parse(text) as SyncRecord;
  } catch {
    return null;
  }
}

export async function writeSyncRecord(host: Host, stateDir: string, rec: SyncRecord): Promise<void> {
  const text = JSON.stringify(rec) + '\n';
  // two independent files: written side by side (each write is atomic on its own)
  await Promise.all([
    host.writeFileAtomic(syncRecordPath(stateDir, 'last'), text),
    rec.ok ? host.writeFileAtomic(syncRecordPath(stateDir, 'last-ok'), text) : undefined,
  ]);
  // per volume: the time of its last good copy (a sync that skipped others still copied these)
  if (rec.error === undefined && rec.volumes?.length) {
    const prev = await readVolumeSyncs(host, stateDir);
    for (const id of rec.volumes) prev[id] = rec.time;
    await host.writeFileAtomic(volumeSyncsPath(stateDir), JSON.stringify(prev) + '\n');
  }
}

export function volumeSyncsPath(stateDir: string): string {
  return `${stateDir}/sync/volumes.json`;
}

/** Volume id -> ISO time of its last good sync into this host. */
export async function readVolumeSyncs(host: Host, stateDir: string): Promise<Record<string, string>> {
  const text = await host.readFile(volumeSyncsPath(stateDir)).catch(() => null);
  if (!text) return {};
  try {
    const o = JSON.parse(text) as unknown;
    return o && typeof o === 'object' && !Array.isArray(o)
      ? Object.fromEntries(
          Object.entries(o as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'),
        )
      : {};
  } catch {
    return {};
  }
}

/** A volume's RPO in seconds: the age of its newest good sync on either host (null: never). */
export function volumeRpoSeconds(id: string, records: Record<string, string>[], now = Date.now()): number | null {
  const times = records
    .map((r) => r[id])
    .filter((t): t is string => typeof t === 'string')
    .map((t) => Date.parse(t))
    .filter((t) => Number.isFinite(t));
  return times.length ? Math.max(0, Math.round((now - Math.max(...times)) / 1000)) : null;
}
