// The grammar of rsync's `-e` (remote shell) value. rsync does not hand it to a shell: it
// splits the string itself (main.c do_cmd) on spaces, where a single- or double-quoted
// stretch keeps its spaces, and inside quotes a doubled quote character stands for one
// literal quote; there is no backslash escape. It then executes the words directly and
// appends its own arguments (`-l user host rsync --server ...`), so a `--` at the end of the
// -e value would turn those into a host name: none is added here.
// Each word is written in single quotes (doubling any single quote), so whatever it holds
// reaches ssh as exactly one argument.

/** One word for rsync's -e splitter. */
export function rsyncEWord(word: string): string {
  if (word.includes('\0')) throw new Error('a NUL byte cannot be passed in rsync -e');
  if (word !== '' && /^[A-Za-z0-9_/.,:=@+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, "''")}'`;
}

/** An argv (ssh and its options) as one rsync -e value. */
export function rsyncRemoteShell(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty argv');
  return argv.map(rsyncEWord).join(' ');
}

/** rsync's own splitting of a -e value (the algorithm of main.c do_cmd), for tests and checks. */
export function splitRsyncRemoteShell(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    if (value[i] === ' ') {
      i++;
      continue;
    }
    let word = '';
    let quote = '';
    while (i < value.length && (value[i] !== ' ' || quote)) {
      const c = value[i]!;
      if (c === "'" || c === '"') {
        if (!quote) {
          quote = c;
          i++;
          continue;
        }
        if (c === quote) {
          if (value[i + 1] !== quote) {
            quote = '';
            i++;
            continue;
          }
          i++; // a doubled quote: one literal quote character
        }
      }
      word += value[i];
      i++;
    }
    if (quote) throw new Error(`missing trailing ${quote} in remote-shell command`);
    out.push(word);
  }
  return out;
}
