// A planned move of the DRBD volumes (switchover, failback), driven by the plan itself. The
// keepalived notify hook does the same on its own for a crash, but on a planned move waiting
// for it is not enough: on a loaded host (the vm tier under TCG) keepalived's run of it
// started promoting minutes after the VIP moved, and clients that reached the new holder
// before it served got ESTALE. The order follows Pacemaker's NFS recipes (the IP comes last
// on start and goes first on stop), with keepalived putting the VIP on the new holder early:
//   1. hold (before the VIP moves): on `to`, NFS traffic to the VIP is dropped (vip-hold.ts),
//      so clients that reach `to` first retransmit instead of being told their handles are
//      stale;
//   2. the VIP moves (switchover.ts / failback.ts; `from` no longer answers);
//   3. `from` lets go: the notify hook run there now for the state keepalived reaches (STOP
//      on a switchover, BACKUP on a failback): unexport, unmount, demote;
//   4. `to` serves: the hook run there for MASTER (promote, mount, export), then checked;
//   5. release: the hold is removed and the clients' retransmissions are answered.
// `from` is the standby afterwards and holds from then on (the hook does it on BACKUP/STOP): a
// crash that lands the VIP there finds clients waiting for the hook's MASTER run, not ESTALE.
// The hook is run with --planned: only the volumes that follow the VIP (the handover records
// freshness and runs the NFSv3 lock recovery itself), and under each host's notify lock, so
// keepalived's own run of the hook, before or after, finds nothing left to do.
import type { Config, PairRole } from '../config/schema.js';
import { runChecked, type Host } from '../host/host.js';
import { PreconditionError } from '../core/errors.js';
import { checkPlainPath } from '../core/plain-path.js';
import { splitKeepalivedScript } from '../core/keepalived-conf.js';
import type { Phase, Step } from '../plan/plan.js';
import { parseKeepalivedConf } from './status.js';
import { isNotifyWrapper, wrapperProgram } from './notify-wrapper.js';
import { holdAvailableArgv, holdDescribe, holdProgram, hold, release, releaseDescribe } from './vip-hold.js';
import { peer, waitServing, ROLES } from './drbd-pair.js';
import type { HandoverInput } from './handover-steps.js';
import { noteServing } from './freshness.js';

/** How long one run of the hook may take (it may first wait for keepalived's run of it: the notify lock). */
const HOOK_TIMEOUT_MS = 300_000;
/** After the hook on `to` returned: how long to wait until it is seen serving. */
const SERVE_CHECK_MS = 30_000;

/**
 * The hook's program as keepalived runs it on that host, from the notify line `ha install`
 * wrote: its wrapper (`notify "<dir>/nfsctl-notify"`), or an older install's `notify
 * "<program> ha notify"`; null when there is none, or it is not nfsctl's.
 */
export function hookProgram(keepalivedConf: string | null, instance: string): string | null {
  if (keepalivedConf === null) return null;
  const notify = parseKeepalivedConf(keepalivedConf, instance).notify;
  if (notify === null) return null;
  const words = splitKeepalivedScript(notify);
  const ours =
    (words.length === 1 && isNotifyWrapper(words[0]!)) ||
    (words.length === 3 && words[1] === 'ha' && words[2] === 'notify');
  if (!ours) return null;
  try {
    return checkPlainPath(words[0]!, 'the notify hook');
  } catch {
    return null;
  }
}

/** The argv of the hook for `state`, run as keepalived would with --planned. */
export function hookArgv(program: string, instance: string, state: 'MASTER' | 'BACKUP' | 'STOP'): string[] {
  return [
    ...(isNotifyWrapper(program) ? [program] : [program, 'ha', 'notify']),
    'INSTANCE',
    instance,
    state,
    '--planned',
  ];
}

/**
 * Read-only, in preflight when there are DRBD volumes: both hosts have nfsctl's notify hook
 * (a crash has nobody else to promote, and the plan runs it), and `to` can hold NFS traffic.
 * Returns the hook program per host; throws PreconditionError (nothing changed) otherwise.
 */
export async function drbdMovePreflight(
  config: Config,
  hosts: Record<PairRole, Host>,
  to: PairRole,
): Promise<Record<PairRole, string>> {
  const out: Partial<Record<PairRole, string>> = {};
  const missing: string[] = [];
  for (const r of ROLES) {
    const conf = await hosts[r].readFile(config.keepalived.config);
    const p = hookProgram(conf, config.keepalived.instance);
    // a wrapper named like ours is run only when it is ours (its mark and the nfsctl it runs)
    const wrapper = p && isNotifyWrapper(p) ? { text: await hosts[r].readFile(p) } : null;
    if (wrapper && (wrapper.text === null || wrapperProgram(wrapper.text) === null))
      missing.push(`${r}: ${p} ${wrapper.text === null ? 'is missing' : "is not nfsctl's notify wrapper"}`);
    else if (p) out[r] = p;
    else
      missing.push(
        `${r}: ${conf === null ? `${config.keepalived.config} is missing` : `vrrp_instance ${config.keepalived.instance} has no notify "<nfsctl> ha notify"`}`,
      );
  }
  if (missing.length)
    throw new PreconditionError(
      `the DRBD volumes follow the VIP through nfsctl's keepalived notify hook, which is not installed; nothing was changed:\n  ${missing.join('\n  ')}`,
      { hint: 'nfsctl ha install --yes (then reload keepalived on both hosts)' },
    );
  for (const r of [to, peer(to)]) {
    const has = await hosts[r].run(holdAvailableArgv(config.vip), { timeoutMs: 15_000 });
    if (has.exitCode !== 0)
      throw new PreconditionError(
        `${holdProgram(config.vip)} is not installed on ${r}: nfsctl holds NFS traffic to the VIP on the host that is about to serve the DRBD volumes until it does (without it, clients that reach it first are told their file handles are stale), and on the standby; nothing was changed`,
        { hint: `install it on ${r} (Debian: apt-get install iptables)` },
      );
  }
  return out as Record<PairRole, string>;
}

/** Are clients held on the new holder until it serves (there are DRBD volumes)? */
export function clientsHeld(x: HandoverInput): boolean {
  return (x.facts.drbd ?? []).length > 0;
}

/**
 * The freshness record: `to` serves clients from now on (its data is the newer generation).
 * Taken when clients can write there: at the VIP move, or at the release when they were held.
 */
export async function recordServing(x: HandoverInput): Promise<void> {
  for (const p of await noteServing(x.config, x.hosts, x.facts.to).catch((e: Error) => [e.message]))
    x.run.warnings.push(`freshness record: ${p}`);
}

const hookStep = (
  x: HandoverInput,
  role: PairRole,
  state: 'MASTER' | 'BACKUP' | 'STOP',
): Extract<Step['action'], { kind: 'fn' }> => {
  const { config, facts: f } = x;
  const argv = hookArgv(f.drbdHooks![role], config.keepalived.instance, state);
  return {
    kind: 'fn',
    describe: argv.join(' '),
    fn: async (h) => void (await runChecked(h, argv, { timeoutMs: HOOK_TIMEOUT_MS })),
  };
};

/** Before the VIP moves: hold NFS traffic to the VIP on `to`. Empty without DRBD volumes. */
export function drbdHoldPhase(x: HandoverInput): Phase[] {
  const { config, facts: f } = x;
  if (!(f.drbd ?? []).length) return [];
  return [
    {
      title: `hold NFS clients on ${f.to} until it serves the DRBD volumes`,
      steps: [
        {
          id: `${f.to}:vip-hold`,
          host: f.to,
          title: `drop NFS traffic to the VIP on ${f.to} (port 2049; clients retransmit, no ESTALE) until it serves`,
          action: {
            kind: 'fn',
            describe: holdDescribe(config.vip),
            fn: async (h) => hold(h, config.vip),
          },
          // the standby's steady state (the notify hook holds there on BACKUP/FAULT/STOP): a
          // crash that lands the VIP here later finds clients waiting for the hook, not ESTALE
          undo: null,
          noUndoReason: 'the standby keeps holding (the state the notify hook keeps it in)',
        },
      ],
    },
  ];
}

/** After the VIP moved: `from` lets go, `to` serves, the hold is released. Empty without DRBD volumes. */
export function drbdMovePhase(x: HandoverInput): Phase[] {
  const { config, hosts, facts: f, run } = x;
  const dvs = f.drbd ?? [];
  if (!dvs.length) return [];
  const { from, to } = f;
  // keepalived's state on `from` after the move: stopped (switchover) or preempted (failback)
  const leaves = x.opts.kind === 'switchover' ? 'STOP' : 'BACKUP';
  const ids = dvs.map((d) => d.id).join(', ');
  return [
    {
      title: `the DRBD volumes move to ${to} (${ids})`,
      steps: [
        {
          id: `${from}:drbd-leave`,
          host: from,
          title: `on ${from}: unexport, unmount and demote the DRBD volumes (the notify hook, ${leaves})`,
          action: hookStep(x, from, leaves),
          undo: {
            title: `serve them on ${from} again (the notify hook, MASTER) and release the hold there`,
            action: {
              kind: 'fn',
              describe: `${hookArgv(f.drbdHooks![from], config.keepalived.instance, 'MASTER').join(' ')}; ${releaseDescribe(config.vip)}`,
              fn: async (h, step) => {
                await hookStep(x, from, 'MASTER').fn(h, step);
                await release(h, config.vip);
              },
            },
          },
        },
        {
          id: `${to}:drbd-serve`,
          host: to,
          title: `on ${to}: promote, mount and export the DRBD volumes (the notify hook, MASTER), then check it serves each`,
          action: {
            kind: 'fn',
            describe: `${hookArgv(f.drbdHooks![to], config.keepalived.instance, 'MASTER').join(' ')}; read /proc/drbd, mounts, exports`,
            fn: async (h, step) => {
              const t0 = Date.now();
              try {
                await hookStep(x, to, 'MASTER').fn(h, step);
                await waitServing(config, to, hosts[to], dvs, {
                  timeoutMs: SERVE_CHECK_MS,
                  signal: step.signal,
                  progress: (t) => step.progress(t),
                });
              } catch (err) {
                // a half-done serve (promoted, not mounted) would keep `from` from promoting
                // again when the plan is undone: let go of it first (the step's undo does not
                // run for a step that failed)
                await hookStep(x, to, 'BACKUP')
                  .fn(h, step)
                  .catch((e: Error) => {
                    throw new Error(
                      `${(err as Error).message}; and letting go of it on ${to} failed too: ${e.message}`,
                    );
                  });
                throw err;
              }
              run.drbdServeMs = Date.now() - t0;
            },
          },
          undo: {
            title: `unexport, unmount and demote them on ${to} (the notify hook, BACKUP)`,
            action: hookStep(x, to, 'BACKUP'),
          },
        },
        {
          id: `${to}:vip-release`,
          host: to,
          title: `release the hold on ${to}: clients are answered again`,
          action: {
            kind: 'fn',
            describe: releaseDescribe(config.vip),
            fn: async (h) => {
              await release(h, config.vip);
              await recordServing(x);
            },
          },
          undo: null,
          noUndoReason: 'serving clients is the state to keep',
        },
      ],
    },
  ];
}
