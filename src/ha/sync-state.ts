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

export async function readSyncRecord(host: Host, stateDir: string, which: 'last' | 'last-ok'): Promise<SyncRecord | null> {
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
  await Promise.all([host.writeFileAtomic(syncRecordPath(stateDir, 'last'), text), rec.ok ? host.writeFileAtomic(syncRecordPath(stateDir, 'last-ok'), text) : undefined]);
}
