// Shared helpers of the benchmarks: timing, the lab, and the section registry that
// bench/run.mjs turns into stdout and bench/RESULTS.md.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const NS = process.env.NFSLAB_NS ?? 'nfslab-bench';
export const sections = [];

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export function time(fn) {
  const t = process.hrtime.bigint();
  const r = fn();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, r };
}
export function timeCmd(argv, opts = {}) {
  return time(() => spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 256 << 20, ...opts }));
}
export function say(line) {
  process.stdout.write(line + '\n');
}
export function section(title, rows, notes = []) {
  sections.push({ title, rows, notes });
  say(`\n## ${title}`);
  for (const r of rows) say(`  ${r.join(' | ')}`);
  for (const n of notes) say(`  ${n}`);
}

// ---- the lab ----------------------------------------------------------------------------
export const lab = (args, opts = {}) =>
  spawnSync('bash', [join(ROOT, 'lab/lab.sh'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NFSLAB_NS: NS },
    maxBuffer: 256 << 20,
    ...opts,
  });
export const labExec = (host, argv, opts = {}) => lab(['exec', host, '--', ...argv], opts);
export const nfsctl = (args, opts) => labExec('primary', ['nfsctl', ...args], opts);

export function labUp() {
  const s = lab(['status']);
  if (s.status === 0) return false;
  lab(['down', '--netns-only']);
  const up = lab(['up']);
  if (up.status !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
  return true;
}
