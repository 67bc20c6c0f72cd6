// The Prometheus text exposition format (version 0.0.4), written by hand: one HELP and one
// TYPE line per family, then its samples. Label values are escaped as the format requires
// (backslash, double quote and line feed: `\\`, `\"`, `\n`); HELP text escapes backslash and
// line feed. Label names are checked against [a-zA-Z_][a-zA-Z0-9_]*, so a name built from
// outside data (a Kubernetes label key) is sanitised before it gets here. Pure.

export type MetricType = 'gauge' | 'counter' | 'untyped';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const NEEDS_ESCAPE = /[\\"\n]/;

export function escapeLabelValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A Kubernetes label key (`example.com/tier`) as a Prometheus label name (`label_example_com_tier`). */
export function sanitizeLabelName(key: string, prefix = 'label_'): string {
  const s = (prefix + key).replace(/[^a-zA-Z0-9_]/g, '_');
  return LABEL_NAME.test(s) ? s : `_${s}`;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const checkedNames = new Set<string>();
function labelText(labels: Record<string, string> | undefined): string {
  if (!labels) return '';
  let out = '';
  for (const k in labels) {
    if (!checkedNames.has(k)) {
      if (!LABEL_NAME.test(k) || k.startsWith('__'))
        throw new Error(`invalid Prometheus label name ${JSON.stringify(k)}`);
      checkedNames.add(k);
    }
    out += `${out ? ',' : ''}${k}="${escapeLabelValue(labels[k]!)}"`;
  }
  return out ? `{${out}}` : '';
}

/** One exposition document. Families without samples are left out (promtool flags them). */
export function renderExposition(families: readonly Family[]): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new Error(`invalid Prometheus metric name ${JSON.stringify(f.name)}`);
    if (seen.has(f.name)) throw new Error(`metric family ${f.name} given twice`);
    seen.add(f.name);
    if (f.samples.length === 0) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    const series = new Set<string>();
    for (const s of f.samples) {
      const l = labelText(s.labels);
      if (series.has(l)) continue; // a duplicate series is invalid exposition: the first one wins
      series.add(l);
      lines.push(`${f.name}${l} ${formatValue(s.value)}`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
