// The checklist as an operator reads it: problems first, each with its evidence and fix.
import type { ChalkInstance } from 'chalk';
import { RANK, type Finding, type Status } from './check.js';

const SYMBOL: Record<Status, string> = { ok: '✔', warn: '!', critical: '✖' };

/** `inOrder`: as given (a runbook chain, whose broken link comes last, right above the verdict); else problems first. */
export function renderFindings(findings: Finding[], c: ChalkInstance, verbose = false, inOrder = false): string {
  const colour = (s: Status) => (s === 'ok' ? c.green : s === 'warn' ? c.yellow : c.red);
  const sorted = inOrder ? findings : [...findings].sort((a, b) => RANK[b.status] - RANK[a.status]);
  const lines: string[] = [];
  for (const f of sorted) {
    if (f.status === 'ok' && !verbose) continue;
    lines.push(
      `${colour(f.status)(SYMBOL[f.status])} ${f.host ? c.cyan(`[${f.host}] `) : ''}${f.title}: ${f.evidence}`,
    );
    if (f.fix) lines.push(c.dim(`    fix: ${f.fix}`));
  }
  const ok = findings.filter((f) => f.status === 'ok').length;
  if (!verbose && ok > 0)
    lines.push(c.green(`✔ ${ok} other check${ok === 1 ? '' : 's'} ok`) + c.dim(' (--verbose lists them)'));
  return lines.join('\n');
}
