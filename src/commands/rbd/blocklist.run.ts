// rbd blocklist list|remove: the OSD blocklist ("blacklist" on clusters older than Pacific).
// remove: exit 2 malformed address or no confirmation possible; 4 not blocklisted.
import type { Context } from '../../cli/context.js';
import { CancelledError, PreconditionError, UsageError } from '../../core/errors.js';
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

export async function runBlocklistRemove(ctx: Context, address: string, o: CephCliOptions & { yes?: boolean }): Promise<void> {
  validateBlocklistAddress(address);
  if (!o.yes && !ctx.interactive) throw new UsageError('refusing to lift a blocklist entry without confirmation: no terminal to ask on', { hint: `nfsctl rbd blocklist remove ${address} --yes` });
  const ceph = await openCeph(ctx, o);
  await ceph.checkFiles();
  const bl = new Blocklist(ceph);
  const { entries } = await bl.list();
  const entry = entries.find((e) => e.addr === address);
  if (!entry) throw new PreconditionError(`${address} is not on the blocklist`, { hint: 'nfsctl rbd blocklist list' });
  for (const l of renderBlocklist([entry])) ctx.out.info(l);
  ctx.out.info(`Lifting it lets that client instance talk to the OSDs again: only do this once it is gone or must resume.`);
  if (!o.yes) {
    const { inquirerPrompter } = await import('../../cli/prompt.js');
    if (!(await (await inquirerPrompter()).confirm(`Remove ${address} from the blocklist?`))) throw new CancelledError();
  }
  await ctx.audit.checkWritable();
  const r = await bl.remove(entry);
  await ctx.audit.append({ host: ceph.host.name, argv: r.argv, exitCode: r.exitCode, durationMs: r.durationMs, event: 'rbd-blocklist-remove', detail: `${entry.kind} ${entry.addr} (until ${entry.until})` });
  const { entries: now } = await bl.list();
  ctx.out.line(`removed ${address} from the blocklist (${now.length} entr${now.length === 1 ? 'y' : 'ies'} left)`);
}
