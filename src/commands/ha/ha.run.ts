// ha notify (the keepalived hook) and ha install (wire it into keepalived.conf).
import type { Context } from '../../cli/context.js';
import type { PairRole } from '../../config/schema.js';
import { NfsctlError, PreconditionError, UsageError } from '../../core/errors.js';
import {
  forOurInstance,
  freshnessOnTransition,
  notifyLockPath,
  notifyRecordPath,
  parseNotifyArgs,
  planNotify,
  type NotifyArgs,
  type NotifyRecord,
} from '../../ha/notify.js';
import { withFileLock } from '../../host/flock.js';
import { instanceBlock, parseKeepalivedConf } from '../../ha/status.js';
import { trackFilePath, withFreshnessTrack } from '../../ha/freshness.js';
import { simpleDiff } from '../../core/line-diff.js';
import { checkPlainPath } from '../../core/plain-path.js';
import { keepalivedScript } from '../../core/keepalived-conf.js';
import { isOurWrapper, notifyWrapperPath, notifyWrapperScript } from '../../ha/notify-wrapper.js';
import { hookProgram } from '../../ha/drbd-move.js';
import { newPlanId, type Plan, type Step } from '../../plan/plan.js';
import { PlanFailedError } from '../../plan/runner.js';
import { interrupts } from '../../plan/interrupt.js';
import { runPlan } from '../../plan/reporter.js';

export async function runNotify(
  ctx: Context,
  type: string,
  name: string,
  state: string,
  priority: string | undefined,
  o: { json?: boolean; planned?: boolean },
): Promise<void> {
  const a = parseNotifyArgs(type, name, state, priority);
  const role = ctx.config.this;
  if (!role) throw new UsageError('ha notify runs on a storage host: the config needs `this: primary|backup`');
  if (!forOurInstance(ctx.config, a)) {
    // not ours: nothing read, nothing changed, the last transition record left alone
    const msg = `${role}: ${a.type} ${a.name} -> ${a.state}: not nfsctl's vrrp_instance (${ctx.config.keepalived.instance}): nothing done`;
    if (o.json) ctx.out.json({ ...a, host: role, ignored: true, message: msg });
    else ctx.out.line(msg);
    return;
  }
  // Letting go (BACKUP, FAULT, STOP) runs to its end once started: cut half-way by SIGTERM
  // (keepalived ends the notify scripts still running when it stops; systemd's stop signals
  // the whole unit), a DRBD volume would stay Primary and mounted while the VIP leaves, and the
  // new holder could not promote it. SIGKILL still ends it. The run keepalived starts at its own
  // stop is signalled before node has even started (it resets signal dispositions): the
  // wrapper `ha install` writes keeps that one out of reach (ha/notify-wrapper.ts).
  const unignore =
    a.state === 'MASTER'
      ? () => undefined
      : interrupts.ignore(
          'SIGTERM',
          `ha notify ${a.state} finishes handing the volumes over (unexport, unmount, demote) first`,
        );
  try {
    // one notify at a time on this host (keepalived may fire BACKUP and MASTER back to back)
    await withFileLock(notifyLockPath(ctx.config), ctx.config.timeouts.command, () => notifyLocked(ctx, role, a, o));
  } finally {
    unignore();
  }
}

async function notifyLocked(
  ctx: Context,
  role: PairRole,
  a: NotifyArgs,
  o: { json?: boolean; planned?: boolean },
): Promise<void> {
  const host = ctx.host(role);
  // data freshness first: a stale host refuses MASTER (and marks itself stale) before anything
  // is exported. A planned move (switchover/failback run us) checked and records it itself.
  const fresh: Awaited<ReturnType<typeof freshnessOnTransition>> = o.planned
    ? { refused: null, notes: [] }
    : await freshnessOnTransition(
        ctx.config,
        role,
        { primary: ctx.host('primary'), backup: ctx.host('backup') },
        a,
      ).catch((e: Error) => ({ refused: null, notes: [`freshness record: ${e.message}`] }));
  const { plan, wouldDo, refused } = fresh.refused
    ? { plan: { id: '', title: '', phases: [] }, wouldDo: [], refused: [] as string[] }
    : await planNotify(ctx.config, role, host, a, {
        lockRecovery: !o.planned,
        planned: o.planned ?? false,
        // the RBD pool the freshness check read (none when it did not run or failed)
        ...(fresh.cluster ? { cluster: fresh.cluster } : {}),
      });
  const rec: NotifyRecord = {
    ...a,
    ...(o.planned ? { planned: true } : {}),
    time: new Date().toISOString(),
    host: role,
    done: [],
    wouldDo,
    // a DRBD side that may not be promoted (not UpToDate...) is not served: an error, recorded
    errors: fresh.refused ? [fresh.refused] : [...refused],
  };
  for (const n of fresh.notes) ctx.out.warn(n);
  // keepalived's hook: no terminal, nobody to ask
  const apply = {
    dryRun: false,
    yes: true,
    json: o.json ?? false,
    interactive: false,
    confirm: { kind: 'yesno' as const, message: '' },
  };
  try {
    if (plan.phases.length) {
      const runner = await ctx.runner();
      const report = await runner.run(plan, apply);
      rec.done = report.steps.filter((s) => s.status === 'done').map((s) => s.title);
    }
  } catch (err) {
    rec.errors.push((err as Error).message);
    if (err instanceof PlanFailedError)
      rec.done = err.report.steps.filter((s) => s.status === 'done').map((s) => s.title);
    // MASTER failed part-way: the hold goes anyway. Clients of what did not come up get
    // errors rather than waiting for good, and the VIP holder's other volumes are answered.
    const rel = plan.phases.flatMap((p) => p.steps).find((s) => s.id === `${role}:vip-release`);
    if (rel && !rec.done.includes(rel.title))
      await (
        await ctx.runner()
      )
        .run(
          {
            id: newPlanId(),
            title: `keepalived ${a.name} -> ${a.state} on ${role}: release`,
            phases: [{ title: 'release', steps: [rel] }],
          },
          apply,
        )
        .then(() => rec.done.push(rel.title))
        .catch((e: Error) => rec.errors.push(`releasing the hold: ${e.message}`));
  }
  await host
    .writeFileAtomic(notifyRecordPath(ctx.config), JSON.stringify(rec) + '\n')
    .catch((e: Error) => rec.errors.push(`record: ${e.message}`));
  if (o.json) ctx.out.json(rec);
  else {
    ctx.out.line(`${role}: ${a.name} -> ${a.state}: ${rec.done.length ? rec.done.join('; ') : 'nothing to do'}`);
    if (wouldDo.length) ctx.out.line(`not done (krbd off, backends.rbd.map: false): ${wouldDo.join('; ')}`);
  }
  if (rec.errors.length) throw new NfsctlError(`ha notify: ${rec.errors.join('; ')}`);
}

/** keepalived.conf with our notify line in the instance block (null: already there). */
export function withNotify(text: string, instance: string, line: string, replace: boolean): string | null {
  const b = instanceBlock(text, instance);
  if (!b)
    throw new PreconditionError(`no vrrp_instance ${instance} in keepalived.conf`, {
      hint: 'check keepalived.instance in the nfsctl config',
    });
  const cur = parseKeepalivedConf(text, instance);
  const want = line.replace(/^notify\s+/, '').replace(/^"(.*)"$/, '$1');
  if (cur.notify === want) return null;
  const body = text.slice(b.start, b.end);
  if (cur.notify !== null) {
    if (!replace)
      throw new PreconditionError(
        `vrrp_instance ${instance} already has a notify script (${cur.notify}); keepalived runs only one`,
        { hint: 'call it from yours, or re-run with --replace' },
      );
    return text.slice(0, b.start) + body.replace(/^(\s*)notify\s+.*$/m, `$1${line}`) + text.slice(b.end);
  }
  const indent = /\n([ \t]+)\S/.exec(body)?.[1] ?? '    ';
  return text.slice(0, b.start) + body.replace(/\s*$/, '') + `\n${indent}${line}\n` + text.slice(b.end);
}

export async function runInstall(
  ctx: Context,
  o: { nfsctlPath?: string; host?: PairRole; replace?: boolean; dryRun?: boolean; yes?: boolean; json?: boolean },
): Promise<void> {
  const roles: PairRole[] = o.host ? [o.host] : ['primary', 'backup'];
  const path = ctx.config.keepalived.config;
  // Checked before any host is read: the path ends up in keepalived.conf, run as root.
  const program = checkPlainPath(o.nfsctlPath ?? '/usr/local/sbin/nfsctl', '--nfsctl-path');
  // keepalived runs a shell of ours, which runs nfsctl (notify-wrapper.ts: why); the program
  // is held to what keepalived.conf itself could carry too (it did before the wrapper)
  keepalivedScript([program], '--nfsctl-path');
  const wrapper = notifyWrapperPath(ctx.config);
  const script = notifyWrapperScript(program);
  const line = `notify ${keepalivedScript([wrapper], 'keepalived.config')}`;
  const steps: Step[] = [];
  const notes: string[] = [];
  // everything read and checked on both hosts before any step is planned
  const reads: { r: PairRole; before: string; old: string | null }[] = [];
  for (const r of roles) {
    const before = await ctx.host(r).readFile(path);
    if (before === null) throw new PreconditionError(`${r}: ${path} does not exist`);
    const old = await ctx.host(r).readFile(wrapper);
    if (old !== null && !isOurWrapper(old))
      throw new PreconditionError(`${r}: ${wrapper} exists and is not nfsctl's notify wrapper: nothing was changed`, {
        hint: 'move it away, then run ha install again',
      });
    reads.push({ r, before, old });
  }
  for (const { r, before, old } of reads) {
    if (old !== script) {
      notes.push(
        `${r}:${wrapper} (${old === null ? 'new' : 'rewritten'}):`,
        ...script
          .trimEnd()
          .split('\n')
          .map((l) => `+ ${l}`),
      );
      steps.push({
        id: `${r}:notify-wrapper`,
        host: r,
        title: `write ${wrapper} (runs ${program} ha notify in a session of its own, out of reach of keepalived's signals at its stop)`,
        action: { kind: 'write', path: wrapper, content: script, mode: 0o755, summary: `${program} ha notify "$@"` },
        ...(old === null
          ? { undo: null, noUndoReason: 'unused until keepalived.conf names it' }
          : {
              undo: {
                title: `restore ${wrapper}`,
                action: { kind: 'write', path: wrapper, content: old, mode: 0o755 },
              },
            }),
      });
    }
    // an older install's `notify "<program> ha notify"` is ours: replaced without --replace
    const cur = parseKeepalivedConf(before, ctx.config.keepalived.instance).notify ?? '';
    const withHook = withNotify(
      before,
      ctx.config.keepalived.instance,
      line,
      (o.replace ?? false) ||
        (hookProgram(before, ctx.config.keepalived.instance) !== null && /\bha notify$/.test(cur)),
    );
    // the freshness track_file (a stale host stays in FAULT): a separate, small edit
    const after =
      withFreshnessTrack(withHook ?? before, ctx.config.keepalived.instance, trackFilePath(ctx.config)) ?? withHook;
    if ((await ctx.host(r).readFile(trackFilePath(ctx.config))) === null) {
      steps.push({
        id: `${r}:track-file`,
        host: r,
        title: `create ${trackFilePath(ctx.config)} ("0": fresh)`,
        action: { kind: 'write', path: trackFilePath(ctx.config), content: '0\n' },
        undo: null,
        noUndoReason: 'harmless: keepalived reads it only once the config tracks it',
      });
    }
    if (after === null) {
      notes.push(`${r}: already installed`);
      continue;
    }
    notes.push(`diff ${r}:${path}:`, ...simpleDiff(before, after));
    steps.push({
      id: `${r}:keepalived-conf`,
      host: r,
      title: `add the notify hook and the freshness track_file to ${path}`,
      action: { kind: 'write', path, content: after, backup: true, summary: line },
      undo: { title: `restore ${path}`, action: { kind: 'write', path, content: before } },
    });
  }
  if (!o.json) ctx.out.info(notes.join('\n'));
  if (steps.length === 0) {
    ctx.out.line('the notify hook is already installed');
    return;
  }
  notes.push(
    'keepalived reads it at its next reload (e.g. systemctl reload keepalived): nfsctl does not restart keepalived, which could move the VIP',
  );
  const plan: Plan = {
    id: newPlanId(),
    title: 'install the keepalived notify hook',
    notes,
    phases: [{ title: 'edit keepalived.conf', steps }],
  };
  await ctx.withPairLock('ha install', async () => {
    await runPlan(ctx, plan, o, `Edit ${path} on ${onHosts(steps).join(' and ')}?`);
  });
  if (!o.dryRun)
    ctx.out.line(
      `installed the notify hook on ${onHosts(steps).join(', ')} (takes effect at keepalived's next reload)`,
    );
}

/** ha lint: read-only checks of what a takeover depends on, on both hosts. */
export async function runLint(ctx: Context, o: { verbose?: boolean; json?: boolean }): Promise<void> {
  const { lintPair } = await import('../../ha/lint.js');
  const { worst } = await import('../../health/check.js');
  const { renderFindings } = await import('../../health/render.js');
  const findings = await lintPair(ctx.config, { primary: ctx.host('primary'), backup: ctx.host('backup') });
  const verdict = worst(findings);
  if (o.json) ctx.out.json({ lint: verdict, checkedAt: new Date().toISOString(), findings });
  else {
    ctx.out.line(renderFindings(findings, ctx.out.color, o.verbose));
    ctx.out.line(`ha lint: ${verdict.toUpperCase()}`);
  }
  if (verdict !== 'ok') throw new NfsctlError('', { exitCode: 1 });
}

/** The hosts steps run on, each once (a host has several: the wrapper, keepalived.conf, ...). */
function onHosts(steps: { host: string }[]): string[] {
  return [...new Set(steps.map((s) => s.host))];
}
