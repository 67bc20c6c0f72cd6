// NFSv3 lock recovery on the new VIP holder (kernel nfsd). NLM locks live in the lockd of the
// host that granted them; clients re-send them (reclaim) only when told that "the server"
// rebooted: an SM_NOTIFY from the server's statd. The clients talked to the VIP, so the new
// holder sends it under the VIP's name (`sm-notify -f -v <VIP>`) to every client in its notify
// list (<statd dir>/sm.bak). Who is in that list:
//   - planned moves (switchover, failback): the old holder's monitor list (<statd dir>/sm, one
//     file per client that took a lock through it) is copied into the new holder's sm.bak
//     while both answer, then sm-notify runs there;
//   - a crash (`ha notify` MASTER): only what the new holder has (its own sm and sm.bak:
//     clients that locked on it before, and the list a planned move left there); the dead
//     host's list cannot be read.
// Telling is half of it: a kernel lockd accepts a reclaim only during its grace period (from
// lockd's start), and nfsctl does not restart the NFS server at a move (the new holder served
// the mirrored volumes all along), so reclaims may be refused (promise.ts says so; not shown
// on a kernel).
// ganesha: nothing is run. Its NLM, grace and recovery records are its own (RecoveryBackend);
// whether it notifies NLM clients after a move is not checked by nfsctl.
import type { Config, PairRole } from '../config/schema.js';
import { runChecked, type Host } from '../host/host.js';
import { UsageError } from '../core/errors.js';
import { vipProblem } from '../core/config-values.js';
import { quoteValue } from '../core/numbers.js';
import { catDirArgv, splitCat } from '../volume/inventory.js';
import type { Step } from '../plan/plan.js';
import { exporterOf } from '../volume/nfs-server/registry.js';

/** Debian's statd state directory (nfs.conf [statd] state-directory-path unset). */
export const STATD_DIR = '/var/lib/nfs';

/** `sm-notify -f -v <VIP>`: the VIP checked again here, as it lands in an argv (no shell). */
export function smNotifyArgv(vip: string): string[] {
  const p = vipProblem(vip);
  if (p) throw new UsageError(`sm-notify -v: ${p}`);
  return ['sm-notify', '-f', '-v', vip];
}

/** Does this server kind get sm-notify from nfsctl? (kernel nfsd only; see the head comment) */
export function nlmRecoveryApplies(config: Config): boolean {
  return exporterOf(config).nlmViaStatd;
}

/** A statd monitor-list file name: a client's host name or address, never a path. */
export function statdNameOk(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$/.test(name) && !name.includes('..');
}

const HAS_SM_NOTIFY = ['sh', '-c', 'command -v sm-notify >/dev/null 2>&1'];

/**
 * Run sm-notify on `host` (it holds the VIP now). Returns what was done; skips, saying so,
 * where sm-notify is not installed (nfs-common absent). Throws when sm-notify fails.
 */
export async function sendSmNotify(config: Config, host: Host): Promise<string> {
  const argv = smNotifyArgv(config.vip);
  const has = await host.run(HAS_SM_NOTIFY, { timeoutMs: 15_000 });
  if (has.exitCode !== 0)
    return 'sm-notify is not installed (nfs-common): NFSv3 clients were not told to reclaim their locks';
  await runChecked(host, argv, { timeoutMs: 60_000 });
  return `sent SM_NOTIFY as ${config.vip} (sm-notify -f): NFSv3 clients in the notify list reclaim their locks`;
}

/** Copy `from`'s statd monitor list into `to`'s notify list (sm.bak). Returns the clients copied. */
export async function copyStatdList(from: Host, to: Host): Promise<string[]> {
  const r = await from.run(catDirArgv(`${STATD_DIR}/sm`, '', 'nfsctl-statd'), { timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new Error(`reading ${STATD_DIR}/sm: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  const copied: string[] = [];
  for (const [name, text] of splitCat(r.stdout)) {
    // a file name that is not a plain client name is left alone (it would be a path on `to`)
    if (!statdNameOk(name)) continue;
    await to.writeFileAtomic(`${STATD_DIR}/sm.bak/${name}`, text.endsWith('\n') ? text : `${text}\n`);
    copied.push(name);
  }
  return copied.sort();
}

/** What the lock-recovery steps print; `warn` collects what was skipped. */
export interface NlmSink {
  warn: (line: string) => void;
}

/**
 * The steps on the new VIP holder `to` after a planned move: the old holder's monitor list
 * copied, then sm-notify. Empty for ganesha. A copy that fails does not stop the notify (the
 * clients `to` already knows still reclaim).
 */
export function nlmRecoverySteps(
  config: Config,
  hosts: Record<PairRole, Host>,
  from: PairRole,
  to: PairRole,
  sink: NlmSink,
): Step[] {
  if (!nlmRecoveryApplies(config)) return [];
  const argv = smNotifyArgv(config.vip);
  return [
    {
      id: `${to}:statd-copy`,
      host: to,
      title: `copy ${from}'s statd monitor list (${STATD_DIR}/sm) into ${to}'s notify list (${STATD_DIR}/sm.bak)`,
      action: {
        kind: 'fn',
        describe: `read ${from}:${STATD_DIR}/sm/*; write ${to}:${STATD_DIR}/sm.bak/<client>`,
        fn: async (h) => {
          try {
            // an empty list is the usual case (no NFSv3 client holds a lock): nothing to say, and a
            // warning would make a clean switchover exit 1 ("finished with warnings")
            await copyStatdList(hosts[from], h);
          } catch (e) {
            sink.warn(`statd monitor list not copied from ${from}: ${(e as Error).message}`);
          }
        },
      },
      undo: null,
      noUndoReason: 'sm-notify empties the notify list itself',
    },
    {
      id: `${to}:sm-notify`,
      host: to,
      title: `tell NFSv3 clients to reclaim their locks: ${argv.map((a) => quoteValue(a)).join(' ')} on ${to}`,
      action: {
        kind: 'fn',
        describe: `${argv.join(' ')} (skipped where sm-notify is not installed)`,
        fn: async (h) => {
          const said = await sendSmNotify(config, h);
          if (said.startsWith('sm-notify is not installed')) sink.warn(`${to}: ${said}`);
        },
      },
      undo: null,
      noUndoReason: 'a notification cannot be taken back',
    },
  ];
}

/** The MASTER step of `ha notify` (a crash or a planned move): sm-notify with what this host has. */
export function nlmNotifyStep(config: Config, role: PairRole): Step | null {
  if (!nlmRecoveryApplies(config)) return null;
  const argv = smNotifyArgv(config.vip);
  return {
    id: `${role}:sm-notify`,
    host: role,
    title: `tell NFSv3 clients to reclaim their locks: ${argv.join(' ')} (the notify list this host has)`,
    action: {
      kind: 'fn',
      describe: `${argv.join(' ')} (skipped where sm-notify is not installed)`,
      fn: async (h) => {
        await sendSmNotify(config, h);
      },
    },
    undo: null,
    noUndoReason: 'a notification cannot be taken back',
  };
}
