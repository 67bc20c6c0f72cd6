// The one function that turns an argv array into a command line for a remote POSIX shell.
// SSH has no argv: the server hands one string to the user's shell, so every argument is
// quoted here and nowhere else.

const SAFE = /^[A-Za-z0-9_\/.,:=@%+-]+$/;

/** Quote one argument for a POSIX shell (sh, dash, bash). */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) {
    // A NUL cannot be carried through a shell command line at all; refuse rather than truncate.
    throw new Error('argument contains a NUL byte and cannot be passed to a remote shell');
  }
  if (arg !== '' && SAFE.test(arg)) return arg;
  // Inside single quotes nothing is special except the single quote itself, which is
  // closed, escaped, and reopened: it's -> 'it'\''s'. Newlines, $(), backticks and
  // non-ASCII bytes are all literal inside single quotes.
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quote a whole argv for a POSIX shell. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty argv');
  return argv.map(quoteArg).join(' ');
}
