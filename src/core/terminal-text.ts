// Text for the operator's terminal: no control character from the input reaches it raw (an
// ESC sequence can recolour, move the cursor or retitle the terminal; a newline or CR can
// forge a line that looks like nfsctl's own). Control characters are escaped the way
// JSON/JavaScript write them (\n, \r, \t, \x1b, \u202e).

// C0 controls, DEL, C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Every control character escaped, newlines included. */
export function escapeControls(s: string): string {
  return s.replace(CONTROL, escapeOne);
}

/**
 * A message for the terminal. The message's own line breaks stay; every other control
 * character is escaped, and so is every control character (newlines included) inside any
 * of `inputs` (the command line's arguments, and their `=`-separated parts) where the
 * message repeats them.
 */
export function safeMessage(text: string, inputs: readonly string[] = []): string {
  let out = text;
  const pieces = new Set<string>();
  for (const arg of inputs) {
    CONTROL.lastIndex = 0;
    if (!CONTROL.test(arg)) continue;
    pieces.add(arg);
    for (const part of arg.split('=')) {
      CONTROL.lastIndex = 0;
      if (CONTROL.test(part)) pieces.add(part);
    }
  }
  // Longest first, so a whole argument is replaced before a part of it.
  for (const p of [...pieces].sort((a, b) => b.length - a.length)) out = out.split(p).join(escapeControls(p));
  return out.replace(CONTROL_BUT_NEWLINE, escapeOne);
}
