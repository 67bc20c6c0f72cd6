// config init: discover, draft, validate with the same schema `config check` uses, show,
// then write through the plan runner (diff, confirmation, backup of the old file).
import type { GlobalOptions } from '../../cli/context.js';
import { Context } from '../../cli/context.js';
import { Output } from '../../cli/output.js';
import { configPath, parseConfig } from '../../config/load.js';
import { discover, renderDraft, type InitFlags } from '../../config/discover.js';
import { UsageError } from '../../core/errors.js';
import { LocalHost } from '../../host/local.js';
import type { Host } from '../../host/host.js';
import { newPlanId } from '../../plan/plan.js';

export interface InitOptions extends InitFlags {
  dryRun?: boolean;
  yes?: boolean;
}

/** A line diff good enough to review a config change: removed lines "-", added "+". */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const inB = new Set(b);
  const inA = new Set(a);
  return [...a.filter((l) => !inB.has(l)).map((l) => `- ${l}`), ...b.filter((l) => !inA.has(l)).map((l) => `+ ${l}`)];
}

export async function runInit(
  g: GlobalOptions,
  o: InitOptions,
  host: Host = new LocalHost('local'),
  out = new Output({ ...(g.color === false ? { color: false } : {}) }),
): Promise<void> {
  const target = configPath(g.config);
  const draft = await discover(host, o);
  for (const n of draft.notes) out.warn(n);
  const missing = Object.entries(draft.missing);
  if (missing.length) {
    throw new UsageError(`config init could not discover ${missing.map(([k]) => k).join(', ')}; nothing was written`, {
      hint: `give ${missing.map(([, f]) => f).join(' ')}`,
    });
  }
  const text = renderDraft(draft);
  const config = parseConfig(text, target); // the same validation as `config check`: a bad value is exit 2 here
  for (const [k, src] of Object.entries(draft.sources)) out.info(`  ${k.padEnd(24)} ${src}`);
  if (o.dryRun) {
    out.line(text.trimEnd());
    return;
  }
  const before = await host.readFile(target);
  if (before === text) {
    out.info(`${target} already says exactly this: unchanged`);
    return;
  }
  const role = config.this ?? 'primary';
  const ctx = new Context(target, config, g, { [role]: host }, out);
  const plan = {
    id: newPlanId(),
    title: `${before === null ? 'write' : 'replace'} ${target}`,
    notes:
      before === null
        ? [
            `new file ${target}:`,
            ...text
              .trimEnd()
              .split('\n')
              .map((l) => `  ${l}`),
          ]
        : [`changes to ${target} (the old file is kept as a backup):`, ...lineDiff(before, text).map((l) => `  ${l}`)],
    phases: [
      {
        title: 'write the config',
        steps: [
          {
            id: `${role}:config`,
            host: role,
            title: `write ${target}`,
            action: { kind: 'write' as const, path: target, content: text, backup: before !== null, mode: 0o644 },
            undo:
              before === null
                ? { title: `remove ${target}`, action: { kind: 'run' as const, argv: ['rm', '-f', '--', target] } }
                : { title: `restore ${target}`, action: { kind: 'write' as const, path: target, content: before } },
          },
        ],
      },
    ],
  };
  await (
    await ctx.runner()
  ).run(plan, {
    dryRun: false,
    yes: o.yes ?? false,
    json: false,
    interactive: ctx.interactive,
    confirm: { kind: 'yesno', message: `${before === null ? 'Write' : 'Replace'} ${target}?` },
  });
  out.info(`wrote ${target}; next: \`nfsctl config check\`, then \`nfsctl volume list\``);
}
