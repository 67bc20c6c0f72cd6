// The progress2 parser on rsync's own output, captured on this machine (rsync 3.2, Debian 12):
//   rsync -aHAX --delete --numeric-ids --itemize-changes --stats --info=progress2 --bwlimit=2000 src/ dst/ > out
// three-files: a 3 MB file, a 1 MB file and a small one, rate-limited so rsync printed
// several progress lines; incremental: 1,200 small files, a growing file list (ir-chk) and a deletion.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  CopyMeter,
  Progress2Stream,
  formatCopyProgress,
  formatEta,
  parseProgress2,
} from '../../../src/core/rsync-progress.js';
import { parseRsyncOutput } from '../../../src/core/rsync.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/rsync/${name}`, import.meta.url), 'utf8');

describe('parseProgress2', () => {
  it('a line while a file is under way: bytes, percent, rate (1024-based), time left', () => {
    expect(parseProgress2('      2,097,152  52%    1.96MB/s    0:00:00  ')).toEqual({
      bytes: 2_097_152,
      percent: 52,
      rate: Math.round(1.96 * 1024 ** 2),
      remaining: 0,
      transferred: null,
      toCheck: null,
    });
  });
  it('the line that ends a file: files done and what is left to check; its time is the elapsed one', () => {
    expect(parseProgress2('      3,000,000  74%    2.11MB/s    0:00:01 (xfr#1, to-chk=3/5)')).toMatchObject({
      bytes: 3_000_000,
      transferred: 1,
      remaining: null,
      toCheck: { left: 3, total: 5, incremental: false },
    });
    expect(parseProgress2('              3   0%    0.00kB/s    0:00:00 (xfr#1, ir-chk=1032/1035)')!.toCheck).toEqual({
      left: 1032,
      total: 1035,
      incremental: true,
    });
  });
  it('other units, long times and a comma as the decimal separator (constructed)', () => {
    expect(parseProgress2(' 12,884,901,888  40%    1.02GB/s    1:02:03  ')).toMatchObject({
      bytes: 12_884_901_888,
      rate: Math.round(1.02 * 1024 ** 3),
      remaining: 3723,
    });
    expect(parseProgress2('      1.048.576  10%    2,50MB/s    0:00:04  ')).toMatchObject({
      bytes: 1_048_576,
      rate: Math.round(2.5 * 1024 ** 2),
    });
  });
  it('not progress: itemized lines, stats, blanks, garbage', () => {
    for (const l of [
      '>f+++++++++ big1',
      '*deleting   stale',
      'Number of files: 5 (reg: 3, dir: 2)',
      '',
      '  12 13% x',
      'sent 4,001,246 bytes  received 88 bytes  1,600,533.60 bytes/sec',
    ])
      expect(parseProgress2(l)).toBeNull();
  });
});

describe('Progress2Stream on captured output', () => {
  it('every progress line, whatever the chunking, in order', () => {
    const text = fixture('progress2-three-files.txt');
    const whole = new Progress2Stream().push(text + '\n');
    expect(whole.map((p) => p.bytes)).toEqual([
      32_768, 2_097_152, 3_000_000, 3_000_003, 4_000_003, 4_000_003, 4_000_003,
    ]);
    expect(whole.at(-1)).toMatchObject({ percent: 100, transferred: 3, toCheck: { left: 0, total: 5 } });
    for (const size of [1, 7, 64]) {
      const s = new Progress2Stream();
      const got = [];
      for (let i = 0; i < text.length; i += size) got.push(...s.push(text.slice(i, i + size)));
      got.push(...s.push('\n'));
      expect(got).toEqual(whole);
    }
  });
  it('the final report is still parsed from the same output (itemized lines, deletions, stats)', () => {
    const rep = parseRsyncOutput(fixture('progress2-incremental.txt'));
    expect(rep.deletions).toEqual(['stale']);
    expect(rep.transfers.slice(0, 3)).toEqual(['small', 'many/d1/f1', 'many/d1/f10']);
    expect(rep.stats.transferredFileSize).toBe(5373);
    expect(parseRsyncOutput(fixture('progress2-three-files.txt')).transfers).toEqual(['big1', 'small', 'sub/b2']);
  });
  it('peek: the line being written reads as soon as it is whole (rsync waits before the next \\r)', () => {
    const s = new Progress2Stream();
    expect(s.push('>f+++++++++ big1\n\r         32,768   0%    0.00kB/s    0:00:00  ')).toEqual([]);
    expect(s.peek()).toMatchObject({ bytes: 32_768, percent: 0 });
    s.push('\r      2,097,1');
    expect(s.peek()).toBeNull();
  });
  it('incremental recursion is flagged', () => {
    const ps = new Progress2Stream().push(fixture('progress2-incremental.txt'));
    const ended = ps.filter((p) => p.toCheck !== null);
    expect(ended[0]!.toCheck!.incremental).toBe(true);
    expect(ended.at(-1)!.toCheck!.incremental).toBe(false);
  });
});

describe('CopyMeter', () => {
  const MiB = 2 ** 20;
  it('per volume and in total from the previewed sizes', () => {
    const m = new CopyMeter([
      { name: 'a/one', expected: 100 * MiB },
      { name: 'b/two', expected: 300 * MiB },
    ]);
    expect(m.snapshot()).toBeNull();
    m.start(0);
    m.sample({ bytes: 50 * MiB, percent: 50, rate: 10 * MiB, remaining: 5, transferred: null, toCheck: null });
    expect(m.snapshot()).toMatchObject({
      unit: 'a/one',
      index: 1,
      count: 2,
      bytes: 50 * MiB,
      eta: 5,
      totalBytes: 50 * MiB,
      totalExpected: 400 * MiB,
      totalEta: 35,
    });
    m.finish(0, 100 * MiB);
    m.start(1);
    m.sample({ bytes: 30 * MiB, percent: 10, rate: 30 * MiB, remaining: 99, transferred: null, toCheck: null });
    const s = m.snapshot()!;
    expect(s).toMatchObject({ unit: 'b/two', index: 2, bytes: 30 * MiB, eta: 9, totalBytes: 130 * MiB, totalEta: 9 });
    expect(formatCopyProgress(s)).toBe('b/two 30Mi/300Mi 10% 30Mi/s ETA 0:09 · total 2/2 130Mi/400Mi 32% ETA 0:09');
  });
  it("without a preview: rsync's own estimate for the volume, no total ETA", () => {
    const m = new CopyMeter([{ name: 'x/y', expected: null }]);
    m.start(0);
    m.sample({ bytes: 5 * MiB, percent: 20, rate: MiB, remaining: 20, transferred: null, toCheck: null });
    expect(m.snapshot()).toMatchObject({ eta: 20, totalExpected: null, totalEta: null });
    expect(formatCopyProgress(m.snapshot()!)).toBe('x/y 5Mi 1Mi/s ETA 0:20');
  });
  it('formatEta', () => {
    expect([formatEta(0), formatEta(75), formatEta(3725)]).toEqual(['0:00', '1:15', '1:02:05']);
  });
});
