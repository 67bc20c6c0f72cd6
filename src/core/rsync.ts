// Parsers for rsync's own reports: `--itemize-changes` lines and the `--stats` block. Pure:
// no I/O, so the sync and failback logic can be tested on captured output.
//
// Itemized lines look like `YXcstpoguax path`: Y is the update type (`<` sent, `>` received,
// `c` created locally, `h` hard link, `.` attributes only, `*` a message such as
// `*deleting`), X the file type (f file, d dir, L symlink, D device, S special).

export type ItemOp = 'send' | 'receive' | 'create' | 'hardlink' | 'attrs' | 'delete' | 'message';

export interface ItemizedChange {
  op: ItemOp;
  /** f d L D S, or '' for messages. */
  type: string;
  /** The 11-character code (e.g. ">f+++++++++"), or "*deleting". */
  code: string;
  path: string;
  /** True when the item is new on the receiver (all '+' in the attribute columns). */
  isNew: boolean;
}

export interface RsyncStats {
  files: number | null;
  createdFiles: number | null;
  deletedFiles: number | null;
  transferredFiles: number | null;
  totalFileSize: number | null;
  transferredFileSize: number | null;
  literalData: number | null;
  bytesSent: number | null;
  bytesReceived: number | null;
  dryRun: boolean;
}

const ITEM = /^([<>ch.*])([fdLDS ])([^\s]{9,10})\s(.+)$/;
const DELETING = /^\*deleting\s+(.+)$/;

/** One itemized line, or null when the line is something else (stats, warnings, blanks). */
export function parseItemLine(line: string): ItemizedChange | null {
  const d = DELETING.exec(line);
  if (d) return { op: 'delete', type: d[1]!.endsWith('/') ? 'd' : 'f', code: '*deleting', path: d[1]!, isNew: false };
  const m = ITEM.exec(line);
  if (!m) return null;
  const [, y, x, rest, path] = m as unknown as [string, string, string, string, string];
  const op: ItemOp =
    y === '<'
      ? 'send'
      : y === '>'
        ? 'receive'
        : y === 'c'
          ? 'create'
          : y === 'h'
            ? 'hardlink'
            : y === '.'
              ? 'attrs'
              : 'message';
  return { op, type: x.trim(), code: `${y}${x}${rest}`, path, isNew: /^\++$/.test(rest) };
}

export function parseItemized(text: string): ItemizedChange[] {
  const out: ItemizedChange[] = [];
  for (const line of text.split('\n')) {
    const c = parseItemLine(line.replace(/\r$/, ''));
    if (c) out.push(c);
  }
  return out;
}

/** "1,234,567" / "1.234.567" / "1234567" / "12.34K" (human-readable) -> number. */
export function parseRsyncNumber(s: string): number | null {
  const t = s.trim();
  const h = /^([\d.,]+)([KMGTP])$/i.exec(t);
  if (h) {
    const n = Number(h[1]!.replace(/,/g, ''));
    const exp = 'KMGTP'.indexOf(h[2]!.toUpperCase()) + 1;
    return Number.isFinite(n) ? Math.round(n * 1024 ** exp) : null;
  }
  const digits = t.replace(/[,.](?=\d{3}(\D|$))/g, '');
  if (!/^\d+$/.test(digits)) return null;
  return Number(digits);
}

function statLine(text: string, label: string): number | null {
  const re = new RegExp(`^${label.replace(/[()]/g, '\\$&')}:\\s*([\\d.,]+[KMGTP]?)`, 'mi');
  const m = re.exec(text);
  return m ? parseRsyncNumber(m[1]!) : null;
}

export function parseStats(text: string): RsyncStats {
  return {
    files: statLine(text, 'Number of files'),
    createdFiles: statLine(text, 'Number of created files'),
    deletedFiles: statLine(text, 'Number of deleted files'),
    transferredFiles: statLine(text, 'Number of regular files transferred'),
    totalFileSize: statLine(text, 'Total file size'),
    transferredFileSize: statLine(text, 'Total transferred file size'),
    literalData: statLine(text, 'Literal data'),
    bytesSent: statLine(text, 'Total bytes sent'),
    bytesReceived: statLine(text, 'Total bytes received'),
    dryRun: /\(DRY RUN\)\s*$/m.test(text),
  };
}

export interface RsyncReport {
  changes: ItemizedChange[];
  deletions: string[];
  /** Files that would be (or were) transferred: new or changed regular files. */
  transfers: string[];
  stats: RsyncStats;
}

export function parseRsyncOutput(stdout: string): RsyncReport {
  const changes = parseItemized(stdout);
  return {
    changes,
    deletions: changes.filter((c) => c.op === 'delete').map((c) => c.path),
    transfers: changes.filter((c) => (c.op === 'receive' || c.op === 'send') && c.type === 'f').map((c) => c.path),
    stats: parseStats(stdout),
  };
}

/** rsync's exit codes that mean "done" for a live tree (24: files vanished while scanning). */
export function rsyncExitMeaning(code: number): { ok: boolean; text: string } {
  const known: Record<number, string> = {
    0: 'ok',
    1: 'syntax or usage error',
    2: 'protocol incompatibility',
    3: 'errors selecting input/output files, dirs',
    5: 'error starting client-server protocol',
    10: 'error in socket I/O',
    11: 'error in file I/O',
    12: 'error in rsync protocol data stream',
    20: 'received SIGUSR1 or SIGINT (killed)',
    23: 'partial transfer due to error',
    24: 'partial transfer: some source files vanished',
    25: 'the --max-delete limit stopped deletions',
    30: 'timeout in data send/receive',
    35: 'timeout waiting for daemon connection',
    124: 'timed out',
    137: 'killed',
    143: 'terminated',
  };
  return { ok: code === 0 || code === 24, text: known[code] ?? `exit ${code}` };
}
