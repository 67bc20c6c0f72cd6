// Failback: the VIP comes home to the primary after an outage, without losing what clients
// wrote to the backup meanwhile. The handover's order (handover.ts) with what only failback
// does: before anything is copied, the primary's keepalived is stopped and disabled at boot
// (no undo: the VIP must never go to its stale data), and only after the final copy is
// verified is it enabled and started again, its stale mark cleared; an undo of that stops
// it and marks it stale again.
import type { PairRole } from '../config/schema.js';
import { runChecked } from '../host/host.js';
import { NfsctlError } from '../core/errors.js';
import type { Phase, Step } from '../plan/plan.js';
import { clientsHeld, recordServing } from './drbd-move.js';
import { serviceArgv, serviceCommand } from './services.js';
import { vipState } from './vip.js';
import { waitVip } from './freeze.js';
import { assertMayServe, clearStaleAfterFinalSync, markHostStale, trackFilePath } from './freshness.js';
import { svc, vipConnectionsStep, type HandoverDirection, type HandoverInput } from './handover-steps.js';

const primary: PairRole = 'primary';

/** 1. keep the (stale) primary out of the VIP; its NFS server up (harmless without the VIP). */
function prepare(x: HandoverInput): Phase[] {
  const { config, facts: f } = x;
  const s: Step[] = [];
  if (f.keepalivedRunning.primary) {
    s.push({
      id: 'primary:keepalived-stop',
      host: primary,
      title: 'stop keepalived on the primary (it must not take the VIP before its data is current)',
      action: {
        kind: 'fn',
        describe: serviceCommand(config, 'stop', 'keepalived') + ', then check it is stopped and holds no VIP',
        fn: async (h) => {
          const r = await h.run(serviceArgv(config, 'stop', 'keepalived'), { timeoutMs: 30_000 });
          const st = await h.run(serviceArgv(config, 'status', 'keepalived'));
          if (st.exitCode === 0)
            throw new NfsctlError(
              `keepalived on the primary refused to stop (stop: exit ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}); it is still running`,
            );
          const v = await vipState(config, primary, h);
          if (v.holds)
            throw new NfsctlError(
              `the primary still holds the VIP ${config.vip} with keepalived stopped: remove it (ip addr del ${config.vip}/<prefix> dev ${config.keepalived.interface})`,
            );
        },
      },
      undo: null,
      noUndoReason:
        'keepalived stays stopped on the primary until failback completes (the VIP must not go to stale data)',
    });
  }
  if (f.keepalivedEnabled.primary) {
    s.push({
      id: 'primary:keepalived-disable',
      host: primary,
      title: 'disable keepalived at boot on the primary until failback ends',
      action: svc(config, 'disable', 'keepalived'),
      undo: null,
      noUndoReason: 'stays disabled until failback completes',
    });
  }
  if (!f.nfsRunning.primary) {
    s.push({
      id: 'primary:nfs-start',
      host: primary,
      title: 'start the NFS server on the primary (no VIP yet, so no client sees it)',
      action: svc(config, 'start', 'nfs'),
      undo: null,
      noUndoReason: 'harmless without the VIP',
    });
  }
  return [{ title: 'preflight: keep the primary out of the VIP', steps: s }];
}

/** 4. enable and start keepalived on the primary; wait until it alone holds the VIP. */
function moveVip(x: HandoverInput, exportsStep: Step): Phase[] {
  const { config, hosts, opts: o, run } = x;
  const vipTimeout = o.vipTimeoutMs ?? 60_000;
  return [
    {
      title: 'move the VIP to primary',
      steps: [
        exportsStep,
        vipConnectionsStep(x, primary, 'before'),
        {
          id: 'primary:keepalived-enable',
          host: primary,
          title: 'enable keepalived at boot on the primary again',
          action: svc(config, 'enable', 'keepalived'),
          undo: { title: 'disable it again', action: svc(config, 'disable', 'keepalived') },
        },
        {
          id: 'primary:vip-move',
          host: primary,
          title: `start keepalived on the primary and wait until it alone holds the VIP (up to ${vipTimeout / 1000} s)`,
          action: {
            kind: 'fn',
            describe: `${serviceCommand(config, 'start', 'keepalived')}; poll ip addr on both hosts`,
            fn: async (h) => {
              await clearStaleAfterFinalSync(config, hosts, 'primary', 'backup');
              await assertMayServe(config, hosts, 'primary', 'start keepalived on the primary');
              await runChecked(h, serviceArgv(config, 'start', 'keepalived'));
              run.vipSettleMs = await waitVip(config, hosts, 'primary', vipTimeout);
              // clients held on the new holder (DRBD volumes) write there only once released
              if (!clientsHeld(x)) await recordServing(x);
            },
          },
          undo: {
            title: 'stop keepalived on the primary (the VIP goes back to the backup) and mark it stale again',
            action: {
              kind: 'fn',
              describe: serviceCommand(config, 'stop', 'keepalived') + `; ${trackFilePath(config)} = 1`,
              fn: async (h) => {
                await runChecked(h, serviceArgv(config, 'stop', 'keepalived'));
                await markHostStale(config, h, primary, 'failback was undone: the backup serves clients again');
              },
            },
          },
        },
      ],
    },
  ];
}

export const failback: HandoverDirection = { kind: 'failback', from: 'backup', to: 'primary', prepare, moveVip };
