// rbd blocklist list|remove: the OSD blocklist ("blacklist" on clusters older than Pacific).
// remove: a plan like any other change (--dry-run, confirmation, audit); exit 2 malformed
// address or no confirmation possible; 4 not blocklisted.
import type { Context } from '../../cli/context.js';
import { PreconditionError } from '../../core/errors.js';
import { newPlanId, type Plan } from '../../plan/plan.js';
import { runPlan, type PlanFlags } from '../../plan/reporter.js';
import { validateBlocklistAddress } from '../../rbd/validate.js';
import { Blocklist } from '../../rbd/blocklist.js';
import { renderBlocklist } from '../../rbd/render.js';
import { openCeph, type CephCliOptions } from './common.js';

/**
 * `nfsctl rbd blocklist list --json`:
 *   {"command": "blocklist" | "blacklist",
 *    "entries": [{"kind": "addr" | "range", "addr": "198.51.100.11:0/3181996668", "until": "2026-11-22T06:00:27.448267+0000"}]}
 */
export async function runBlocklistList(ctx: Context, o: CephCliOptions & { json?: boolean }): Promise<void> {
  const ceph = await openCeph(ctx, o);
  await ceph.checkFiles();
  const { entries, word } = await new Blocklist(ceph).list();
  if (o.json) ctx.out.json({ command: word, entries });
  else for (const l of renderBlocklist(entries)) ctx.out.line(l);
}

export interface BlocklistRemoveOptions extends CephCliOptions, PlanFlags {}

/** Lift one entry: a one-step plan through the runner (--dry-run, confirmation, audit). */
export async function runBlocklistRemove(ctx: Context, address: string, o: BlocklistRemoveOptions): Promise<void> {
  validateBlocklistAddress(address);
  const ceph = await openCeph(ctx, o);
  await ceph.checkFiles();
  const bl = new Blocklist(ceph);
  const { entries } = await bl.list();
  const entry = entries.find((e) => e.addr === address);
  if (!entry) throw new PreconditionError(`${address} is not on the blocklist`, { hint: 'nfsctl rbd blocklist list' });
  for (const l of renderBlocklist([entry])) ctx.out.info(l);
  ctx.out.info(
    `Lifting it lets that client instance talk to the OSDs again: only do this once it is gone or must resume.`,
  );
  const host = ceph.host.name;
  const plan: Plan = {
    id: newPlanId(),
    title: `lift the blocklist entry ${address}`,
    phases: [
      {
        title: 'unfence the client instance',
        steps: [
          {
            id: `${host}:blocklist-rm`,
            host,
            title: `remove ${entry.kind} ${entry.addr} from the OSD blocklist (until ${entry.until})`,
            action: { kind: 'run', argv: bl.removeArgv(entry) },
            undo: null,
            noUndoReason: 'a lifted entry is not put back (the client may have reconnected)',
          },
        ],
      },
    ],
    summary: [`${address} may talk to the OSDs again`],
    audit: [{ event: 'rbd-blocklist-remove', host, detail: `${entry.kind} ${entry.addr} (until ${entry.until})` }],
  };
  await runPlan(ctx, plan, o, `Remove ${address} from the blocklist?`, {
    noTerminalHint: `nfsctl rbd blocklist remove ${address} --yes`,
  });
  if (o.dryRun) return;
  const { entries: now } = await bl.list();
  ctx.out.line(`removed ${address} from the blocklist (${now.length} entr${now.length === 1 ? 'y' : 'ies'} left)`);
}
