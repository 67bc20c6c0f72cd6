// Check an example command line against the command tree: which command it runs, and
// whether every option and argument count is one that command accepts.
import type { Command, Option } from 'commander';

const OPERATORS = new Set(['|', '||', '&&', ';', '>', '>>', '<', '2>', '2>&1', '&']);

/** Shell-ish words: quotes respected, nothing expanded. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) words.push(cur);
      cur = '';
      has = false;
    } else cur += ch;
  }
  if (has || cur) words.push(cur);
  return words;
}

export interface Resolved {
  /** The command run: ['volume', 'create']. */
  path: string[];
  errors: string[];
}

function findOption(cmd: Command, flag: string): Option | 'help' | undefined {
  if (flag === '-h' || flag === '--help') return 'help';
  for (let c: Command | null = cmd; c; c = c.parent) {
    const o = c.options.find((x) => x.short === flag || x.long === flag);
    if (o) return o;
  }
  return undefined;
}

/** Resolve the first `nfsctl ...` command in an example (up to a pipe, redirect or `)`). */
export function resolveExample(program: Command, line: string): Resolved {
  const words = shellWords(line);
  const start = words.findIndex((w) => /(^|\()nfsctl$/.test(w));
  if (start < 0) return { path: [], errors: ['does not run nfsctl'] };
  const errors: string[] = [];
  let cmd = program;
  const path: string[] = [];
  let positional = 0;
  let onlyArgs = false;
  for (let i = start + 1; i < words.length; i++) {
    let w = words[i]!;
    if (OPERATORS.has(w) || w.startsWith('>') || w.startsWith('<')) break;
    const closes = w.endsWith(')') && !w.includes('(');
    if (closes) w = w.slice(0, -1);
    if (!onlyArgs && w === '--') onlyArgs = true;
    else if (!onlyArgs && w.startsWith('-') && w.length > 1) {
      const [flag, inline] = w.includes('=')
        ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]
        : [w, undefined];
      const o = findOption(cmd, flag!);
      if (!o) errors.push(`unknown option ${flag} for "nfsctl ${path.join(' ')}"`);
      else if (o !== 'help') {
        if (o.required && inline === undefined) i++;
        if (
          o.argChoices &&
          (inline ?? words[i]) !== undefined &&
          o.required &&
          !o.argChoices.includes((inline ?? words[i])!)
        )
          errors.push(`${flag}: "${inline ?? words[i]}" is not one of ${o.argChoices.join(', ')}`);
      }
    } else if (positional === 0 && !onlyArgs && cmd.commands.some((c) => c.name() === w || c.aliases().includes(w))) {
      cmd = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w))!;
      path.push(cmd.name());
    } else positional++;
    if (closes) break;
  }
  const args = cmd.registeredArguments;
  const min = args.filter((a) => a.required).length;
  const max = args.some((a) => a.variadic) ? Infinity : args.length;
  if (cmd.commands.length > 0 && positional > 0)
    errors.push(
      `"nfsctl ${path.join(' ')}" has no subcommand "${words.slice(start + 1).find((w) => !w.startsWith('-'))}"`,
    );
  else if (positional < min || positional > max)
    errors.push(
      `"nfsctl ${path.join(' ')}" takes ${min === max ? min : `${min} to ${max}`} arguments, the example gives ${positional}`,
    );
  return { path, errors };
}
