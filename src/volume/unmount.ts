// Unmounting a path an NFS server exported a moment ago. The kernel server's export caches
// (svc_export, svc_expkey) keep a reference to the mount after `exportfs -ra` drops its line,
// until they expire or are flushed, so a plain umount right after the unexport can fail
// "target is busy" (it did on the vm tier, in CI). The step retries for a bounded time and,
// after a failed try, asks the server to drop those caches (the exporter's releaseArgv: for
// the kernel `exportfs -f`, global but harmless: mountd answers the next lookup again).
import type { Config, PairRole } from '../config/schema.js';
import type { Step } from '../plan/plan.js';
import { exporterOf } from './nfs-server/registry.js';

/** How long an unmount is retried before the step fails (seconds). */
export const UNMOUNT_RETRY_S = 15;

/**
 * `sh -c UNMOUNT_SCRIPT nfsctl-umount <path> <seconds> [release argv...]`: umount, and on
 * failure run the release command, wait a second and try again, for up to <seconds> tries.
 */
export const UNMOUNT_SCRIPT = [
  'p=$1 max=$2 i=0',
  'shift 2',
  'while :; do',
  '  out=$(umount "$p" 2>&1) && exit 0',
  '  i=$((i + 1)); [ "$i" -ge "$max" ] && { printf "nfsctl: umount %s failed for %s s: %s\\n" "$p" "$max" "$out" >&2; exit 1; }',
  '  [ $# -gt 0 ] && "$@" >/dev/null 2>&1',
  '  sleep 1',
  'done',
].join('\n');

/** The argv of a retried unmount of `path` (exported for the vm tier's check on a real kernel). */
export function unmountArgv(path: string, release: readonly string[] | null): string[] {
  return ['sh', '-c', UNMOUNT_SCRIPT, 'nfsctl-umount', path, String(UNMOUNT_RETRY_S), ...(release ?? [])];
}

/** One plan step unmounting `path` on `role`, retried while the NFS server lets go of it. */
export function unmountStep(
  config: Config,
  role: PairRole,
  id: string,
  path: string,
  undo: Step['undo'],
  extra: Partial<Step> = {},
): Step {
  return {
    id,
    host: role,
    title: `unmount ${path}`,
    action: {
      kind: 'run',
      argv: unmountArgv(path, exporterOf(config).releaseArgv),
      timeoutMs: (UNMOUNT_RETRY_S + 30) * 1000,
      summary: `umount ${path} (retried for up to ${UNMOUNT_RETRY_S} s while the NFS server releases it)`,
    },
    undo,
    ...extra,
  };
}
