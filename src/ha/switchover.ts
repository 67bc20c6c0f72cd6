// Switchover: the planned move primary -> backup (maintenance), the mirror image of failback
// (see handover.ts for the order of things). What only switchover does: the backup's NFS
// server is started if it is down, and after the final copy is verified the primary's
// keepalived is disabled at boot and stopped, so the VIP goes to the backup; the primary is
// then marked stale until `nfsctl failback` brings the VIP back when the maintenance is done.
import { runChecked } from '../host/host.js';
import type { Phase, Step } from '../plan/plan.js';
import { clientsHeld, recordServing } from './drbd-move.js';
import { serviceArgv, serviceCommand } from './services.js';
import { waitVip } from './freeze.js';
import { assertMayServe } from './freshness.js';
import { svc, vipConnectionsStep, type HandoverDirection, type HandoverInput } from './handover-steps.js';

/** 1. the backup's NFS server up (harmless without the VIP). */
function prepare(x: HandoverInput): Phase[] {
  const { config, facts: f } = x;
  if (f.nfsRunning.backup) return [];
  return [
    {
      title: 'preflight: NFS on the backup',
      steps: [
        {
          id: 'backup:nfs-start',
          host: 'backup',
          title: 'start the NFS server on the backup',
          action: svc(config, 'start', 'nfs'),
          undo: null,
          noUndoReason: 'harmless without the VIP',
        },
      ],
    },
  ];
}

/** 4. disable and stop keepalived on the primary; wait until the backup alone holds the VIP. */
function moveVip(x: HandoverInput, exportsStep: Step): Phase[] {
  const { config, hosts, opts: o, run } = x;
  const vipTimeout = o.vipTimeoutMs ?? 60_000;
  return [
    { title: 'move the VIP to backup', steps: [exportsStep, vipConnectionsStep(x, 'backup', 'before')] },
    {
      title: 'hand the VIP over',
      steps: [
        {
          id: 'primary:keepalived-disable',
          host: 'primary',
          title: 'disable keepalived at boot on the primary (maintenance: it must not take the VIP back on reboot)',
          action: svc(config, 'disable', 'keepalived'),
          undo: { title: 'enable it again', action: svc(config, 'enable', 'keepalived') },
        },
        {
          id: 'backup:vip-move',
          host: 'primary',
          title: `stop keepalived on the primary and wait until the backup alone holds the VIP (up to ${vipTimeout / 1000} s)`,
          action: {
            kind: 'fn',
            describe: `${serviceCommand(config, 'stop', 'keepalived')}; poll ip addr on both hosts`,
            fn: async (h) => {
              await runChecked(h, serviceArgv(config, 'stop', 'keepalived'), { timeoutMs: 30_000 });
              run.vipSettleMs = await waitVip(config, hosts, 'backup', vipTimeout);
              // clients held on the new holder (DRBD volumes) write there only once released
              if (!clientsHeld(x)) await recordServing(x);
            },
          },
          undo: {
            title: 'start keepalived on the primary again (the VIP comes back)',
            action: {
              kind: 'fn',
              describe: serviceCommand(config, 'start', 'keepalived') + ' (unless the primary is stale)',
              fn: async (h) => {
                await assertMayServe(config, hosts, 'primary', 'start keepalived on the primary again');
                await runChecked(h, serviceArgv(config, 'start', 'keepalived'));
              },
            },
          },
        },
      ],
    },
  ];
}

export const switchover: HandoverDirection = { kind: 'switchover', from: 'primary', to: 'backup', prepare, moveVip };
