// The grammar of a script string in keepalived.conf (`notify "<script>"`): keepalived reads
// the file line by line, ends a line at `#` or `!` (comments), treats `{` and `}` as block
// tokens, substitutes `$NAME`/`${NAME}` definitions, and takes a double-quoted string as one
// token; the script string is then split on whitespace into the program and its arguments,
// which keepalived runs directly (no shell). No escape inside the string is portable across
// keepalived versions, so every word is checked against a charset none of those rules
// touches, and anything else is refused rather than escaped.
import { UsageError } from './errors.js';

const WORD = /^[A-Za-z0-9._+/:=@,-]+$/;

/** One word of a keepalived script string, or a UsageError naming what breaks it. */
export function keepalivedWord(word: string, what: string): string {
  if (WORD.test(word)) return word;
  const why =
    word === ''
      ? 'is empty'
      : /[\s]/.test(word)
        ? 'contains whitespace (keepalived splits the script on it)'
        : /["']/.test(word)
          ? 'contains a quote (it would end the script string)'
          : /[{}]/.test(word)
            ? 'contains "{" or "}" (keepalived block syntax)'
            : /[#!]/.test(word)
              ? 'contains "#" or "!" (keepalived starts a comment there)'
              : /[$]/.test(word)
                ? 'contains "$" (keepalived substitutes definitions)'
                : 'contains a character other than letters, digits and "._+/:=@,-"';
  throw new UsageError(`${what}: ${JSON.stringify(word)} cannot be written into keepalived.conf: it ${why}`);
}

/** A program and its arguments as a keepalived script string, double quotes included. */
export function keepalivedScript(argv: readonly string[], what: string): string {
  if (argv.length === 0) throw new Error('empty argv');
  return `"${argv.map((w) => keepalivedWord(w, what)).join(' ')}"`;
}

/**
 * Read a script string back the way keepalived does (for tests and for comparing with
 * what is installed): strip the surrounding double quotes, split on whitespace.
 */
export function splitKeepalivedScript(value: string): string[] {
  const v = value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  return v.split(/\s+/).filter(Boolean);
}
