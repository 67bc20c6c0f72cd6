// volume adopt: validate the inputs, lock the pair, read both hosts, check each volume, plan, run.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Context } from '../../cli/context.js';
import { PreconditionError, UsageError } from '../../core/errors.js';
import {
  claimsByPath,
  parsePvList,
  parseMappingFile,
  pvsForServers,
  resolveName,
  templateSeparator,
} from '../../core/adopt-names.js';
import { formatVolumeRef, parseVolumeRef, volumePath } from '../../core/names.js';
import { operatorName } from '../../state/audit.js';
import {
  checkAdoptable,
  isRefusal,
  planAdopt,
  type Adoptable,
  type AdoptRefusal,
  type AdoptTarget,
} from '../../volume/adopt.js';
import { findUnmanaged, readForeignPair } from '../../volume/unmanaged.js';
import { cronConversionSteps, pullWhere, readOldPulls } from '../../volume/adopt-cron.js';
import { SYNC_TIMER_PATH } from '../../ha/sync-timer.js';
import { newPlanId, type Plan } from '../../plan/plan.js';
import { loadPairState } from './common.js';

export interface AdoptOptions {
  path?: string;
  all?: boolean;
  pvs?: string;
  map?: string;
  replaceCron?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

function readInput(file: string, what: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

export async function runAdopt(ctx: Context, target: string | undefined, o: AdoptOptions): Promise<void> {
  // every input is checked before a host is contacted
  if (o.all && target) throw new UsageError('give a volume or --all, not both');
  if (!o.all && !target) throw new UsageError('which volume? give <namespace/name> [--path DIR], or --all');
  if (o.all && o.path) throw new UsageError('--path names one volume; it does not go with --all');
  if (o.pvs === '-' && o.map === '-') throw new UsageError('only one of --pvs and --map can read stdin');
  const config = ctx.config;
  const root = config.nfs.root.replace(/\/+$/, '');
  const ref = target ? parseVolumeRef(target) : null;
  let path: string | null = null;
  if (ref) {
    path = o.path ?? volumePath(config.nfs.pathTemplate, config.nfs.root, ref);
    const norm = path.replace(/\/+$/, '');
    const rest = norm.startsWith(`${root}/`) ? norm.slice(root.length + 1) : '';
    if (!/^[A-Za-z0-9._+@-]+$/.test(rest) || rest === '.' || rest === '..')
      throw new UsageError(
        `--path ${JSON.stringify(path)}: expected a directory directly under ${root} (e.g. ${root}/team-adata)`,
      );
    path = norm;
  }
  const mapping = o.map ? parseMappingFile(readInput(o.map, 'the mapping file'), o.map) : undefined;
  const servers = [config.vip, config.hosts.primary.address, config.hosts.backup.address];
  const claims = o.pvs
    ? claimsByPath(pvsForServers(parsePvList(readInput(o.pvs, 'the PV list'), o.pvs), servers))
    : undefined;
  const sep = templateSeparator(config.nfs.pathTemplate);

  await ctx.withPairLock(`volume adopt ${target ?? '--all'}`, async () => {
    const hosts = { primary: ctx.host('primary'), backup: ctx.host('backup') };
    const [state, foreign, pullsP, pullsB] = await Promise.all([
      loadPairState(ctx),
      readForeignPair(config, hosts),
      readOldPulls(config, 'primary', hosts.primary).catch((e: Error) => e),
      readOldPulls(config, 'backup', hosts.backup).catch((e: Error) => e),
    ]);
    const cronErrors = [pullsP, pullsB].filter((x): x is Error => x instanceof Error);
    if (o.replaceCron && cronErrors.length)
      throw new PreconditionError(
        `--replace-cron: cannot read the crontabs (${cronErrors.map((e) => e.message).join('; ')}); nothing was adopted, nothing was changed`,
      );
    const pulls = [pullsP, pullsB].flatMap((x) => (x instanceof Error ? [] : x));
    const unmanaged = findUnmanaged(config, state.inv, foreign, state.views);
    const refusals: AdoptRefusal[] = [];
    const targets: AdoptTarget[] = [];
    if (ref && path) targets.push({ ref, path, source: 'the command line' });
    else {
      for (const u of unmanaged) {
        // the old service used "{namespace}{name}": try that split when the template has another shape
        const sources = {
          ...(mapping ? { mapping } : {}),
          ...(claims ? { pvs: claims.map, pvConflicts: claims.conflicts } : {}),
        };
        let r = resolveName(u.path, u.dir, sep ?? '', sources);
        if (!r.ok && r.candidates.length === 0 && sep !== '') r = resolveName(u.path, u.dir, '', sources);
        if (!r.ok) {
          refusals.push({
            path: u.path,
            id: null,
            reasons: [
              `ambiguous name: ${r.reason}`,
              ...(r.candidates.length
                ? [
                    'name it with --pvs FILE (kubectl get pv -o json), --map FILE, or `nfsctl volume adopt <namespace/name> --path ' +
                      u.path +
                      '`',
                  ]
                : []),
            ],
          });
          continue;
        }
        targets.push({
          ref: r.ref,
          path: u.path,
          source:
            r.source === 'pv' ? 'the PV list' : r.source === 'mapping' ? 'the mapping file' : 'the only possible split',
        });
      }
    }
    const seen = new Map<string, string>();
    const items: Adoptable[] = [];
    for (const t of targets) {
      const id = formatVolumeRef(t.ref);
      const other = seen.get(id);
      if (other) {
        refusals.push({ path: t.path, id, reasons: [`${id} would also be the name of ${other}`] });
        continue;
      }
      seen.set(id, t.path);
      const c = checkAdoptable(config, state, unmanaged, t);
      if (isRefusal(c)) refusals.push(c);
      else items.push(c);
    }
    const refusedText = refusals
      .map((r) => `${r.path}${r.id ? ` (${r.id})` : ''}: not adopted:\n    ${r.reasons.join('\n    ')}`)
      .join('\n  ');
    // the old pull is turned off only when nfsctl's sync carries everything it copied
    let cron: ReturnType<typeof cronConversionSteps> | null = null;
    if (o.replaceCron) {
      if (pulls.length === 0)
        throw new PreconditionError(
          `--replace-cron: no rsync line pulling into ${root} (or from the module ${config.rsync.module}) in /etc/crontab, /etc/cron.d/* or root's crontab on either host; nothing was adopted, nothing was changed`,
          { hint: 'leave out --replace-cron; `nfsctl sync install-timer` installs the sync timer by itself' },
        );
      const adoptedPaths = new Set(items.map((a) => a.target.path));
      const left = unmanaged.filter(
        (u) =>
          !adoptedPaths.has(u.path) &&
          (u.kind === 'lv' || u.hosts.primary.exports.length > 0 || u.hosts.backup.exports.length > 0),
      );
      if (left.length)
        throw new PreconditionError(
          `--replace-cron: the old pull still copies ${left.map((u) => u.path).join(', ')}, which ${left.length === 1 ? 'is' : 'are'} not adopted (nfsctl sync does not copy what it does not manage); nothing was adopted, nothing was changed${refusals.length ? `:\n  ${refusedText}` : ''}`,
          { hint: 'adopt them first (or leave out --replace-cron and turn the old line off later)' },
        );
      cron = cronConversionSteps(config, pulls, {
        role: 'backup',
        before: await hosts.backup.readFile(SYNC_TIMER_PATH),
      });
    }
    if (items.length === 0 && !cron) {
      if (o.json) ctx.out.json({ adopted: [], refused: refusals });
      throw new PreconditionError(
        refusals.length
          ? `nothing was adopted, nothing was changed:\n  ${refusedText}`
          : `no unmanaged volumes under ${root}: nothing to adopt`,
        { hint: 'see `nfsctl volume list` (unmanaged volumes are listed below the managed ones)' },
      );
    }
    // one plan either way: the volumes (if any), then the old pull turned off and the timer installed
    const cronOnly = items.length === 0;
    if (refusals.length && !o.json && !cronOnly) ctx.out.warn(`left as they are:\n  ${refusedText}`);
    const plan: Plan = cronOnly
      ? {
          id: newPlanId(),
          title: "turn off the old rsync pull and install nfsctl's sync timer",
          notes: ['every unmanaged volume the old pull copied is adopted already'],
          phases: [],
        }
      : planAdopt(config, state, foreign, items, `${operatorName()}@${hostname()}`);
    if (cron) {
      plan.notes = [...(plan.notes ?? []), ...cron.notes];
      plan.phases.push(
        ...[
          { title: 'turn off the old rsync pull', steps: cron.off },
          { title: "install nfsctl's sync timer", steps: cron.timer },
        ].filter((p) => p.steps.length > 0),
      );
    } else if (pulls.length)
      plan.notes = [
        ...(plan.notes ?? []),
        ...pulls.map(
          (p) =>
            `the old rsync pull at ${pullWhere(p)} still runs; it and nfsctl sync must not both run: --replace-cron turns it off and installs nfsctl's sync timer (once every volume it copies is adopted)`,
        ),
      ];
    const report = await (
      await ctx.runner()
    ).run(plan, {
      dryRun: o.dryRun ?? false,
      yes: o.yes ?? false,
      json: o.json ?? false,
      interactive: ctx.interactive,
      confirm: {
        kind: 'yesno',
        message: cronOnly
          ? `Turn off the old rsync pull and install nfsctl's sync timer?`
          : `Adopt ${items.length} volume${items.length === 1 ? '' : 's'} on both hosts?`,
      },
    });
    if (o.dryRun) return;
    const adopted = items.map((a) => ({
      id: formatVolumeRef(a.target.ref),
      path: a.target.path,
      lv: a.u.hosts.primary.lv!.name,
      sizeBytes: a.sizeBytes,
      fsid: a.fsid,
      nameFrom: a.target.source,
    }));
    const turnedOff = cron ? pulls.map((p) => ({ host: p.role, file: p.file, line: p.lineNo, raw: p.raw })) : [];
    if (o.json) ctx.out.json({ adopted, refused: cronOnly ? [] : refusals, cron: turnedOff, planId: report.planId });
    else {
      for (const a of adopted)
        ctx.out.line(`adopted ${a.id}: ${a.path} (LV ${a.lv}${a.fsid ? `, fsid=${a.fsid}` : ', no fsid, as before'})`);
      if (cron) for (const p of pulls) ctx.out.line(`turned off the old rsync pull at ${pullWhere(p)}`);
    }
    if (cronOnly) return;
    if (refusals.length)
      throw new PreconditionError(
        `${refusals.length} volume${refusals.length === 1 ? ' was' : 's were'} not adopted (see above)`,
      );
  });
}
