// Counts and durations on the command line go through the strict parsers of
// src/core/numbers.ts before any host is contacted (issue 14: `--max-delete 1e3`, `0x10`
// and keepalived priorities ''/0x10 were read by Number()).
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import { BASE, DIR } from '../support/hostile-config.js';
import { runInProcess } from '../support/inprocess.js';

const config = join(DIR, 'cli-numbers.yaml');
writeFileSync(config, BASE);
const nfsctl = (...args: string[]) => runInProcess(['--config', config, ...args]);

const BAD_COUNTS = ['1e3', '0x10', '', '-1', '1.5', ' 5', '+5', '010', '5x', 'Infinity'];

const commands: [string, (value: string) => string[], string[], string][] = [
  ['sync --max-delete', (x) => ['sync', '--max-delete', x, '--yes'], BAD_COUNTS, '5'],
  ['failback --max-delete', (x) => ['failback', '--max-delete', x, '--yes'], BAD_COUNTS, '5'],
  ['switchover --max-delete', (x) => ['switchover', '--max-delete', x, '--yes'], BAD_COUNTS, '5'],
  [
    'ha notify priority',
    (x) => ['ha', 'notify', 'INSTANCE', 'VI_NFS', 'MASTER', x],
    ['', '0x10', '0', '255', '1e2', '-1', '150.0'],
    '150',
  ],
  [
    'sync install-timer --interval',
    (x) => ['sync', 'install-timer', '--interval', x, '--yes'],
    ['', '15', '900000', '15 m', '1.5h', '-5m', '0x10m', '1e3s', '0m'],
    '15m',
  ],
];

describe('bad counts and durations on the command line: exit 2, nothing touched', () => {
  for (const [what, argv, bad, good] of commands) {
    it.each(bad)(`${what} %j`, async (x) => {
      const r = await nfsctl(...argv(x));
      expect(r.error).toBeInstanceOf(UsageError);
      expect(r.exitCode).toBe(2);
      expect((r.error as Error).message).toMatch(/^(--max-delete|priority|--interval): expected /);
      expect((r.error as Error).message).not.toMatch(/[\u0000-\u001f]/);
      expect(r.touches).toEqual([]);
    });

    it(`${what} ${good} gets past the parser and reaches the hosts (the assertion above can fail)`, async () => {
      const r = await nfsctl(...argv(good));
      expect(r.touches.length).toBeGreaterThan(0);
    });
  }

  it('ha notify quotes a bad type or state with escapes, touching nothing', async () => {
    for (const args of [
      ['\u001b[2J', 'VI_NFS', 'MASTER'],
      ['INSTANCE', 'VI_NFS', 'MASTER\n\u001b]0;x\u0007'],
    ]) {
      const r = await nfsctl('ha', 'notify', ...args);
      expect(r.exitCode).toBe(2);
      expect((r.error as Error).message).toMatch(/\\u001b/);
      expect((r.error as Error).message).not.toMatch(/[\u0000-\u001f]/);
      expect(r.touches).toEqual([]);
    }
  });

  it.each(BAD_COUNTS)('log --lines %j', async (x) => {
    const r = await nfsctl('log', '--lines', x);
    expect(r.error).toBeInstanceOf(UsageError);
    expect((r.error as Error).message).toMatch(/^--lines: expected a whole number 1 or more/);
    expect(r.touches).toEqual([]);
  });

  it('log --lines 0 is refused, 3 is fine', async () => {
    expect((await nfsctl('log', '--lines', '0')).exitCode).toBe(2);
    const ok = await nfsctl('log', '--lines', '3');
    expect(ok.error).toBeUndefined();
  });
});
