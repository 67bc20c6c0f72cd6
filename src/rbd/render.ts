// Human output for `nfsctl rbd ...`: fits 80 columns (one header line per lock, details
// indented below it), wraps nothing the operator must copy (ids and addresses stay whole).
import type { BlocklistEntry } from '../core/ceph-json.js';
import type { LockRow, ScanResult } from './locks.js';

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Word-wrap `text` to `width` columns; continuation lines get `indent`. Long words stay whole. */
export function wrap(text: string, width = 80, indent = ''): string[] {
  const lines: string[] = [];
  const lead = /^ */.exec(text)![0];
  let cur = lead;
  for (const word of text.slice(lead.length).split(' ')) {
    if (cur.trim() !== '' && cur.length + 1 + word.length > width) {
      lines.push(cur);
      cur = indent + word;
    } else cur = cur.trim() === '' ? cur + word : `${cur} ${word}`;
  }
  if (cur.trim() !== '') lines.push(cur);
  return lines;
}

export function renderLockRows(rows: readonly LockRow[]): string[] {
  const out: string[] = [];
  const w1 = Math.min(30, Math.max(5, ...rows.map((r) => `${r.pool}/${r.image}`.length)));
  const w2 = Math.min(30, Math.max(7, ...rows.map((r) => r.lockId.length)));
  const w3 = Math.max(6, ...rows.map((r) => r.locker.length));
  out.push(`${pad('IMAGE', w1)}  ${pad('LOCK ID', w2)}  ${pad('LOCKER', w3)}  VERDICT`);
  for (const r of rows) {
    out.push(`${pad(`${r.pool}/${r.image}`, w1)}  ${pad(r.lockId, w2)}  ${pad(r.locker, w3)}  ${r.verdict}`);
    const type = r.lockType === null ? 'type ?' : r.lockType + (r.lockTag ? ` (tag ${r.lockTag})` : '');
    out.push(`    address ${r.address}, ${type}${r.node !== null ? `, node ${r.node}` : ''}`);
    out.push(
      ...wrap(
        `    watchers: ${r.watchers.length === 0 ? 'none' : r.watchers.map((w) => `${w.client} ${w.address}`).join(', ')}`,
        80,
        '      ',
      ),
    );
    out.push(...wrap(`    why: ${r.reason}`, 80, '      '));
  }
  return out;
}

export function renderScan(s: ScanResult): string[] {
  const out: string[] = [];
  const counts = { stale: 0, live: 0, unknown: 0 };
  for (const l of s.locks) counts[l.verdict]++;
  if (s.locks.length > 0) out.push(...renderLockRows(s.locks), '');
  out.push(
    `${s.locks.length} lock${s.locks.length === 1 ? '' : 's'} on ${s.imagesScanned} image${s.imagesScanned === 1 ? '' : 's'} in ${s.pools.join(', ') || '(no pools)'}` +
      (s.locks.length > 0 ? `: ${counts.stale} stale, ${counts.live} live, ${counts.unknown} unknown` : ''),
  );
  for (const e of s.errors) out.push(`error: ${e.pool}${e.image ? `/${e.image}` : ''}: ${e.message}`);
  return out;
}

export function renderBlocklist(entries: readonly BlocklistEntry[]): string[] {
  if (entries.length === 0) return ['no blocklist entries'];
  const w = Math.max(7, ...entries.map((e) => e.addr.length));
  return [
    `${pad('ADDRESS', w)}  KIND   UNTIL`,
    ...entries.map((e) => `${pad(e.addr, w)}  ${pad(e.kind, 5)}  ${e.until}`),
  ];
}
