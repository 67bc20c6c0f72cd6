// The sync timer's cron file (/etc/cron.d/nfsctl-sync): what `sync install-timer` writes and what
// `volume adopt --replace-cron` installs in place of the old rsync pull. One place for both.
import { cronCommand, cronSchedule } from '../core/cron.js';
import { checkPlainPath } from '../core/plain-path.js';

export const SYNC_TIMER_PATH = '/etc/cron.d/nfsctl-sync';
export const DEFAULT_NFSCTL_PATH = '/usr/local/sbin/nfsctl';

/** The cron line running `nfsctl sync --yes` every `intervalMs` (UsageError when cron cannot). */
export function cronLine(intervalMs: number, nfsctlPath: string, what = '--interval'): string {
  const when = cronSchedule(intervalMs, what);
  const program = checkPlainPath(nfsctlPath, '--nfsctl-path');
  return `${when} root ${cronCommand([program, 'sync', '--yes', '--json'])} >> /var/log/nfsctl/sync.log 2>&1`;
}

/** The whole cron file around that line. */
export function syncTimerContent(line: string): string {
  return `# Managed by nfsctl (nfsctl sync install-timer): the periodic backup pull.\n# nfsctl sync works out the direction itself (into the host without the VIP).\nSHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n${line}\n`;
}
