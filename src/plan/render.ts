// How a plan looks to the operator (human) and to scripts (--json).
import type { ChalkInstance } from 'chalk';
import { describeAction, type Plan, type Action } from './plan.js';

function actionJson(a: Action): Record<string, unknown> {
  switch (a.kind) {
    case 'run':
      return { kind: 'run', argv: a.argv };
    case 'write':
      return { kind: 'write', path: a.path, backup: a.backup ?? false, content: a.content };
    case 'fn':
      return { kind: 'fn', describe: a.describe };
  }
}

export function planToJson(plan: Plan): Record<string, unknown> {
  return {
    id: plan.id,
    title: plan.title,
    notes: plan.notes ?? [],
    summary: plan.summary ?? [],
    phases: plan.phases.map((ph) => ({
      title: ph.title,
      steps: ph.steps.map((s) => ({
        id: s.id,
        host: s.host,
        title: s.title,
        action: actionJson(s.action),
        precondition: s.precondition?.title ?? null,
        undo: s.undo ? { title: s.undo.title, action: actionJson(s.undo.action) } : null,
        ...(s.noUndoReason ? { noUndoReason: s.noUndoReason } : {}),
      })),
    })),
  };
}

export function renderPlan(plan: Plan, c: ChalkInstance): string {
  const lines: string[] = [c.bold(`Plan ${plan.id}: ${plan.title}`)];
  for (const note of plan.notes ?? []) lines.push(`  ${c.yellow('!')} ${note}`);
  let n = 0;
  plan.phases.forEach((ph, i) => {
    const hosts = [...new Set(ph.steps.map((s) => s.host))];
    lines.push(
      c.bold(`${i + 1}. ${ph.title}`) + (hosts.length > 1 ? c.dim(`  (${hosts.join(' and ')} in parallel)`) : ''),
    );
    for (const s of ph.steps) {
      n++;
      lines.push(`   ${String(n).padStart(2)}. [${c.cyan(s.host)}] ${s.title}`);
      lines.push(c.dim(`       $ ${describeAction(s.action)}`));
      if (s.precondition) lines.push(c.dim(`       only if: ${s.precondition.title}`));
      if (s.undo) lines.push(c.dim(`       undo: ${s.undo.title}`));
      else if (s.noUndoReason) lines.push(c.dim(`       no undo: ${s.noUndoReason}`));
    }
  });
  // the last lines above the prompt: what it amounts to
  const steps = plan.phases.flatMap((ph) => ph.steps);
  const hosts = [...new Set(steps.map((s) => s.host))];
  const noUndo = steps.filter((s) => !s.undo).length;
  lines.push(c.bold('Summary:'));
  for (const s of plan.summary ?? []) lines.push(`  ${/^(DESTROYS|FORCED)/.test(s) ? c.red(s) : s}`);
  lines.push(
    `  ${steps.length} step(s) on ${hosts.map((h) => `${h} (${steps.filter((s) => s.host === h).length})`).join(' and ')}; ${noUndo === 0 ? 'all can be undone on failure' : `${noUndo} cannot be undone`}`,
  );
  return lines.join('\n');
}
