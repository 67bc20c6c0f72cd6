// A copy's progress line (bytes, rate, ETA): on a terminal one line, redrawn at most 4 times a
// second and cut to the width; in plain output a line every 10 s; with --json nothing.
import { describe, expect, it } from 'vitest';
import type { Ora } from 'ora';
import { LineProgress, SpinnerProgress, LINE_DETAIL_MS, SPINNER_DETAIL_MS } from '../../src/cli/progress.js';
import { Capture } from '../support/capture.js';

describe('progress detail', () => {
  it('plain lines: the first at once, then one per 10 s; none with --json', () => {
    let now = 0;
    const cap = new Capture();
    const p = new LineProgress(cap, true, () => now);
    p.stepStart('primary', 'bulk copy');
    for (now = 0; now <= 25_000; now += 500) p.detail('primary', `copy a/b ${now}`);
    const lines = cap.text.split('\n').filter((l) => l.includes('copy a/b'));
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual([
      '[primary] copy a/b 0',
      `[primary] copy a/b ${LINE_DETAIL_MS}`,
      `[primary] copy a/b ${2 * LINE_DETAIL_MS}`,
    ]);
    const json = new Capture();
    const q = new LineProgress(json, false);
    q.detail('primary', 'copy a/b');
    expect(json.text).toBe('');
  });
  it('terminal: the detail replaces the step title on its one line, cut to the width, at most every 250 ms', () => {
    let now = 1_000;
    const texts: string[] = [];
    const spinner = {
      isSpinning: true,
      start() {},
      stop() {},
      stopAndPersist() {},
      set text(t: string) {
        texts.push(t);
      },
    } as unknown as Ora;
    const p = new SpinnerProgress(
      spinner,
      () => 40,
      () => now,
    );
    p.stepStart('primary', 'bulk copy from backup, one rsync per volume filesystem');
    expect(texts.at(-1)!.length).toBeLessThanOrEqual(37);
    const before = texts.length;
    for (let i = 0; i < 10; i++) {
      now += 50;
      p.detail('primary', `copy a/b ${i}Mi/10Mi`);
    }
    expect(texts.length - before).toBe(Math.floor(500 / SPINNER_DETAIL_MS));
    expect(texts.at(-1)).toMatch(/^\[primary\] copy a\/b \dMi\/10Mi$/);
    p.detail('backup', 'not running there'); // a host with no running step shows nothing
    expect(texts.at(-1)).not.toContain('backup');
  });
});
