// The lines a file edit removes and adds, for the notes of a plan that rewrites a config file.
// Pure: no order, no context lines, just what goes and what comes.

export function simpleDiff(before: string | null, after: string): string[] {
  const a = (before ?? '').split('\n').filter((l, i, arr) => !(i === arr.length - 1 && l === ''));
  const b = after.split('\n').filter((l, i, arr) => !(i === arr.length - 1 && l === ''));
  const out: string[] = [];
  for (const l of a) if (!b.includes(l)) out.push(`- ${l}`);
  for (const l of b) if (!a.includes(l)) out.push(`+ ${l}`);
  return out;
}
