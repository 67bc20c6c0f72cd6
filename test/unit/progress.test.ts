// Progress output: timestamped lines for logs and CI, a spinner only on a terminal.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LineProgress, makeProgress, SpinnerProgress } from '../../src/cli/progress.js';
import { Capture } from '../support/capture.js';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe('LineProgress', () => {
  it('prints one ISO-8601 timestamped line per event', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-22T10:15:30.123Z'));
    const out = new Capture();
    const p = new LineProgress(out);
    p.phase('prepare');
    p.stepStart('primary', 'lvcreate');
    vi.setSystemTime(new Date('2026-11-22T10:15:31.500Z'));
    p.stepDone('primary', 'lvcreate', 1377);
    p.stepFailed('backup', 'mount', 'exit 32: wrong fs type');
    p.stop();
    expect(out.text).toBe(
      [
        '2026-11-22T10:15:30.123Z == prepare',
        '2026-11-22T10:15:30.123Z [primary] lvcreate ...',
        '2026-11-22T10:15:31.500Z [primary] lvcreate: ok (1377 ms)',
        '2026-11-22T10:15:31.500Z [backup] mount: FAILED: exit 32: wrong fs type',
        '',
      ].join('\n'),
    );
  });

  it('stamps the real clock', () => {
    const out = new Capture();
    new LineProgress(out).phase('x');
    const stamp = out.text.split(' ')[0]!;
    expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Math.abs(Date.parse(stamp) - Date.now())).toBeLessThan(5_000);
  });
});

describe('makeProgress', () => {
  it('gives plain lines when stderr is not a terminal', async () => {
    vi.stubEnv('CI', '');
    const out = new Capture(); // isTTY = false
    expect(await makeProgress(out)).toBeInstanceOf(LineProgress);
  });

  it('gives plain lines for --json (plain) and under CI, even on a terminal', async () => {
    const tty = Object.assign(new Capture(), { isTTY: true });
    vi.stubEnv('CI', '');
    expect(await makeProgress(tty, true)).toBeInstanceOf(LineProgress);
    vi.stubEnv('CI', 'true');
    expect(await makeProgress(tty)).toBeInstanceOf(LineProgress);
  });

  it('gives a spinner on a terminal', async () => {
    vi.stubEnv('CI', '');
    const tty = Object.assign(new Capture(), { isTTY: true });
    const p = await makeProgress(tty);
    expect(p).toBeInstanceOf(SpinnerProgress);
    p.stop();
  });
});
