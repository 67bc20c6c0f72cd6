// Taking one discovered line out of a crontab, and putting it back. Cron reads a crontab line
// by line: a line whose first non-blank character is `#` is a comment, whatever follows it
// (a `%`, quotes, a CR of a CRLF file). So a line is turned off by prefixing `#` and a marker
// comment above it, and every other byte of the file stays as it was. Only a line that is
// EXACTLY the discovered one (byte for byte, CR included), present exactly once, is touched:
// anything else (the line edited since, a second copy, only a similar line) is refused.
import { NfsctlError } from './errors.js';
import { parseCronRsync, type CronRsync } from './discover-parse.js';

/** The comment nfsctl puts above the line it turned off (found again by the undo). */
export const CRON_OFF_MARKER =
  '# nfsctl: the old rsync pull below is off; nfsctl sync runs from /etc/cron.d/nfsctl-sync instead (volume adopt --replace-cron)';

interface Line {
  text: string;
  eol: string;
}

/** Lines with their own end ("\n" or "" for a last line without one); a CR stays in the text. */
function lines(text: string): Line[] {
  const out: Line[] = [];
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) {
      out.push({ text: text.slice(at), eol: '' });
      break;
    }
    out.push({ text: text.slice(at, nl), eol: '\n' });
    at = nl + 1;
  }
  return out;
}

export interface CronPullLine extends CronRsync {
  /** The line exactly as it is in the file (without its "\n"; a CR of a CRLF file stays). */
  raw: string;
  /** 1-based line number where it was found. */
  lineNo: number;
}

/** Every line of a crontab that runs rsync, with its exact text. */
export function cronRsyncLines(text: string, systemWide: boolean): CronPullLine[] {
  const out: CronPullLine[] = [];
  lines(text).forEach((l, i) => {
    const p = parseCronRsync(l.text, systemWide);
    if (p.length === 1) out.push({ ...p[0]!, raw: l.text, lineNo: i + 1 });
  });
  return out;
}

function checkRaw(raw: string): void {
  if (raw === '' || raw.includes('\n') || raw.includes('\0'))
    throw new NfsctlError(`internal: ${JSON.stringify(raw)} is not one crontab line`);
}

/** The crontab with exactly that line turned into a comment (marker above it); refused unless it is there exactly once. */
export function commentOutCronLine(text: string, raw: string, where: string): string {
  checkRaw(raw);
  const ls = lines(text);
  const at = ls.map((l, i) => (l.text === raw ? i : -1)).filter((i) => i >= 0);
  if (at.length !== 1)
    throw new NfsctlError(
      at.length === 0
        ? `${where}: the line ${JSON.stringify(raw)} is no longer there exactly as it was found; nothing was changed`
        : `${where}: the line ${JSON.stringify(raw)} is there ${at.length} times; nfsctl turns off only a line it can tell apart; nothing was changed`,
    );
  const i = at[0]!;
  const l = ls[i]!;
  // a CRLF file keeps its CRs; a last line without "\n" stays without one
  const cr = l.text.endsWith('\r') ? '\r' : '';
  const out = [...ls];
  out.splice(i, 1, { text: `${CRON_OFF_MARKER}${cr}`, eol: '\n' }, { text: `#${l.text}`, eol: l.eol });
  return out.map((x) => x.text + x.eol).join('');
}

/** The undo: the marker and the commented line become the original line again; refused unless that pair is there exactly once. */
export function restoreCronLine(text: string, raw: string, where: string): string {
  checkRaw(raw);
  const ls = lines(text);
  const cr = raw.endsWith('\r') ? '\r' : '';
  const at = ls
    .map((l, i) => (l.text === `${CRON_OFF_MARKER}${cr}` && ls[i + 1]?.text === `#${raw}` ? i : -1))
    .filter((i) => i >= 0);
  if (at.length !== 1)
    throw new NfsctlError(
      `${where}: the line nfsctl turned off is not there exactly as nfsctl left it (${at.length} found); put ${JSON.stringify(raw)} back by hand`,
    );
  const i = at[0]!;
  const out = [...ls];
  out.splice(i, 2, { text: raw, eol: ls[i + 1]!.eol });
  return out.map((x) => x.text + x.eol).join('');
}
