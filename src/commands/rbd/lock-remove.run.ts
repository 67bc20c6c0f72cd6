// rbd lock remove: remove one advisory lock after explaining what Ceph will do to its
// holder, as a one-step plan through the runner (--dry-run, typed confirmation, audit). Exit codes: 2 malformed arguments or no confirmation possible; 4 missing pool or
// image, no locks, no such lock, or the lock looks live (without --force); 130 cancelled.
import type { Context } from '../../cli/context.js';
import { PreconditionError, UsageError } from '../../core/errors.js';
import { newPlanId, type Plan, type Step } from '../../plan/plan.js';
import { runPlan, type PlanFlags } from '../../plan/reporter.js';
import { parseImageSpec, specString, validateLockId, validateLocker } from '../../rbd/validate.js';
import { judge, readLocks, readWatchers, type LockRow } from '../../rbd/locks.js';
import { Blocklist, breakLockPolicy } from '../../rbd/blocklist.js';
import { renderBlocklist, renderLockRows, wrap } from '../../rbd/render.js';
import { addressHost, parseRbdLockHeader } from '../../core/ceph-json.js';
import { makeProber, openCeph, type CephCliOptions } from './common.js';
import { quoteArg } from '../../host/quote.js';

export interface LockRemoveOptions extends CephCliOptions, PlanFlags {
  force?: boolean;
  blocklist?: boolean;
  nodeCheck?: boolean;
}

function duration(s: number): string {
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

export async function runLockRemove(
  ctx: Context,
  target: string,
  lockId: string | undefined,
  locker: string | undefined,
  o: LockRemoveOptions,
): Promise<void> {
  // --- validate everything before running anything (exit 2)
  const spec = parseImageSpec(target);
  if ((lockId === undefined) !== (locker === undefined))
    throw new UsageError('give both <lock-id> and <locker> (as `nfsctl rbd lock list` shows them), or neither');
  if (lockId !== undefined) validateLockId(lockId);
  if (locker !== undefined) validateLocker(locker);
  const ceph = await openCeph(ctx, o);
  await ceph.checkFiles();
  const name = specString(spec);

  // --- what is there
  const locks = await readLocks(ceph, spec);
  if (locks.length === 0)
    throw new PreconditionError(`${name} has no locks: nothing to remove`, { hint: `nfsctl rbd lock list ${name}` });
  const listing = () => locks.map((l) => `  ${l.id}  ${l.locker}  ${l.address}`).join('\n');
  let lock = locks[0]!;
  if (lockId === undefined) {
    if (locks.length > 1) {
      throw new UsageError(`${name} has ${locks.length} locks; say which one (lock id and locker):\n${listing()}`, {
        hint: `nfsctl rbd lock remove ${name} <lock-id> <locker>`,
      });
    }
  } else {
    const found = locks.find((l) => l.id === lockId && l.locker === locker);
    if (!found)
      throw new PreconditionError(`${name} has no lock "${lockId}" held by ${locker}; its locks:\n${listing()}`, {
        hint: `nfsctl rbd lock list ${name}`,
      });
    lock = found;
  }
  const [watchers, headerText] = await Promise.all([readWatchers(ceph, spec), ceph.rbd(['lock', 'ls', '--', name])]);
  let header: { type: 'exclusive' | 'shared' | null; tag: string | null } = { type: null, tag: null };
  try {
    if (headerText.exitCode === 0) header = parseRbdLockHeader(headerText.stdout);
  } catch {
    /* type stays unknown */
  }
  const [row] = (await judge(spec, [lock], watchers, header, makeProber(ctx, o.nodeCheck))) as [LockRow];
  for (const l of renderLockRows([row])) ctx.out.info(l);
  if (row.verdict === 'live' && !o.force) {
    throw new PreconditionError(
      `the lock on ${name} looks live: ${row.reason}. Removing it would let a second client write to an image that is in use`,
      {
        hint: `stop the client first, or if you are sure: nfsctl rbd lock remove ${quoteArg(name)} ${quoteArg(lock.id)} ${quoteArg(lock.locker)} --force`,
      },
    );
  }
  if (row.verdict === 'live') ctx.out.warn(`--force: removing a lock whose holder still watches the image`);
  if (row.verdict === 'unknown') ctx.out.warn(`cannot tell whether this lock is stale: ${row.reason}`);

  // --- explain the fencing
  const policy = await breakLockPolicy(ceph);
  const blocklist = o.blocklist !== false && policy.blocklistOnBreak;
  ctx.out.info('');
  if (blocklist) {
    const text =
      `Removing a lock makes Ceph blocklist the locker's address (rbd_blocklist_on_break_lock, on by default): ` +
      `${lock.address} (${lock.locker}) will be fenced from every OSD for ${duration(policy.expireSeconds)} (${policy.expireSeconds} s, from ${policy.source}). ` +
      `That client instance can no longer read or write any image; if it is a krbd client, every image mapped through it on ${addressHost(lock.address)} gets I/O errors. ` +
      `Lift it early with \`nfsctl rbd blocklist remove ${lock.address}\`; --no-blocklist does not fence at all.`;
    for (const l of wrap(text, 80, '  ')) ctx.out.info(l);
  } else {
    ctx.out.info(
      o.blocklist === false
        ? `--no-blocklist: the lock is removed without blocklisting ${lock.address} (rbd_blocklist_on_break_lock=false for this call); if that client is alive it can keep writing.`
        : `The cluster has rbd_blocklist_on_break_lock=false: ${lock.address} will not be blocklisted.`,
    );
  }

  // --- the plan: one step, checked again right before it runs
  const rmArgs = [
    ...(o.blocklist === false ? ['--rbd_blocklist_on_break_lock=false'] : []),
    'lock',
    'rm',
    '--',
    name,
    lock.id,
    lock.locker,
  ];
  const host = ceph.host.name;
  const step: Step = {
    id: `${host}:rbd-lock-rm`,
    host,
    title: `remove lock "${lock.id}" (${lock.locker} ${lock.address}) from ${name}${blocklist ? ', blocklisting the locker' : ''}`,
    action: { kind: 'run', argv: ceph.rbdArgv(rmArgs) },
    precondition: {
      title: 'the lock is still the one shown',
      check: async (h) => {
        const now = await readLocks(ceph.via(h), spec);
        return now.some((l) => l.id === lock.id && l.locker === lock.locker && l.address === lock.address)
          ? null
          : `the lock is no longer there as shown (now: ${now.length === 0 ? 'no locks' : now.map((l) => `${l.id} ${l.locker} ${l.address}`).join(', ')}); run \`nfsctl rbd lock list ${name}\` and decide again`;
      },
    },
    undo: null,
    noUndoReason: 'a removed lock (and the blocklisting) is not undone',
  };
  const plan: Plan = {
    id: newPlanId(),
    title: `remove the RBD lock "${lock.id}" from ${name}`,
    phases: [{ title: 'remove the lock', steps: [step] }],
    summary: [
      `verdict: ${row.verdict} (${row.reason})`,
      ...(row.verdict === 'live' ? ['FORCED: its holder still watches the image'] : []),
      blocklist
        ? `fences ${lock.address} (${lock.locker}) from every OSD for ${duration(policy.expireSeconds)}`
        : `${lock.address} is not blocklisted`,
    ],
    audit: [
      {
        event: 'rbd-lock-remove',
        host,
        detail: `${name} lock ${lock.id} ${lock.locker} ${lock.address}: verdict ${row.verdict} (${row.reason}); ${blocklist ? 'locker blocklisted' : 'no blocklist'}${o.force ? '; --force' : ''}`,
      },
    ],
  };
  const again = `nfsctl rbd lock remove ${quoteArg(name)} ${quoteArg(lock.id)} ${quoteArg(lock.locker)}${o.force ? ' --force' : ''}${o.blocklist === false ? ' --no-blocklist' : ''}`;
  await runPlan(
    ctx,
    plan,
    o,
    { kind: 'type', message: `Remove lock "${lock.id}" (${lock.locker}) from ${name}?`, expected: spec.image },
    { noTerminalHint: `${again} --yes   (or see it first: ${again} --dry-run)` },
  );
  if (o.dryRun) return;
  ctx.out.line(`removed lock "${lock.id}" (${lock.locker}) from ${name}`);

  // --- show the result
  const [after, afterWatchers] = await Promise.all([readLocks(ceph, spec), readWatchers(ceph, spec)]);
  ctx.out.line(
    `locks now: ${after.length === 0 ? 'none' : after.map((l) => `${l.id} (${l.locker} ${l.address})`).join(', ')}`,
  );
  ctx.out.line(
    `watchers now: ${afterWatchers.length === 0 ? 'none' : afterWatchers.map((w) => `${w.client} ${w.address}`).join(', ')}`,
  );
  try {
    const { entries } = await new Blocklist(ceph).list();
    const mine = entries.filter((e) => e.addr === lock.address);
    if (mine.length > 0) for (const l of renderBlocklist(mine)) ctx.out.line(`blocklist: ${l}`);
    else ctx.out.line(`blocklist: ${lock.address} is not blocklisted`);
  } catch (err) {
    ctx.out.warn(`could not read the blocklist: ${(err as Error).message}`);
  }
}
