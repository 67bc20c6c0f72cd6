// Kubernetes label selectors as kubectl parses them (`-l`): requirements joined by commas,
// each one of `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k`
// (does not exist). Keys and values follow the label rules (src/core/k8s-labels.ts). As in
// Kubernetes, `k!=v` and `k notin (...)` also match objects without the key.
import { UsageError } from './errors.js';
import { checkLabelKey, checkLabelValue } from './k8s-labels.js';

export type Requirement =
  | { key: string; op: 'eq' | 'neq'; values: [string] }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists'; values: [] };

function bad(selector: string, why: string): never {
  throw new UsageError(
    `-l ${JSON.stringify(selector)}: ${why} (expected e.g. tier=gold, tier!=gold, "tier in (gold,silver)", tier, !tier; comma-separated)`,
  );
}

/** Split on the commas that are not inside a parenthesised value set. */
function splitTop(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) bad(selector, 'a ")" without its "("');
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (depth !== 0) bad(selector, 'a "(" without its ")"');
  parts.push(cur);
  return parts.map((p) => p.trim());
}

export function parseLabelSelector(selector: string): Requirement[] {
  if (selector.trim() === '') bad(selector, 'empty selector');
  const out: Requirement[] = [];
  const check = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      return bad(selector, (err as Error).message);
    }
  };
  for (const part of splitTop(selector)) {
    if (part === '') bad(selector, 'an empty requirement');
    let m: RegExpExecArray | null;
    if ((m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part))) {
      const key = check(() => checkLabelKey(m![1]!));
      const values = m[3]!.split(',').map((x) => x.trim());
      if (values.length === 1 && values[0] === '') bad(selector, `${part}: an empty value set`);
      for (const v of values) check(() => checkLabelValue(key, v));
      out.push({ key, op: m[2] as 'in' | 'notin', values });
    } else if ((m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(part))) {
      const key = check(() => checkLabelKey(m![1]!));
      const value = check(() => checkLabelValue(key, m![3]!));
      out.push({ key, op: m[2] === '!=' ? 'neq' : 'eq', values: [value] });
    } else if ((m = /^!\s*([^\s=!(),]+)$/.exec(part))) {
      out.push({ key: check(() => checkLabelKey(m![1]!)), op: 'notexists', values: [] });
    } else if ((m = /^([^\s=!(),]+)$/.exec(part))) {
      out.push({ key: check(() => checkLabelKey(m![1]!)), op: 'exists', values: [] });
    } else {
      bad(selector, `cannot read ${JSON.stringify(part)}`);
    }
  }
  return out;
}

export function matchesSelector(labels: Record<string, string>, reqs: readonly Requirement[]): boolean {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels[r.key]! : undefined;
    switch (r.op) {
      case 'eq':
        return v === r.values[0];
      case 'neq':
        return v !== r.values[0];
      case 'in':
        return v !== undefined && r.values.includes(v);
      case 'notin':
        return v === undefined || !r.values.includes(v);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}
