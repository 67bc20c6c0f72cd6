// bench/drill-to-results.mjs replaces the drill section of bench/RESULTS.md whole: given a
// figures file with one drill's part only, it refuses (exit 2) and leaves RESULTS.md as it was.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/config.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');

describe('drill-to-results', () => {
  for (const [what, figures, lacks] of [
    ['only the DRBD drill', { drbd: { phases: [] } }, "the rsync drill's"],
    ['only the rsync drill', { phases: [] }, "the DRBD drill's"],
  ] as const)
    it(`${what} in the figures file: exit 2, says which part is missing, RESULTS.md unchanged`, () => {
      const file = join(tempDir(), 'figures.json');
      writeFileSync(file, JSON.stringify(figures));
      const before = readFileSync(RESULTS, 'utf8');
      const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'drill-to-results.mjs'), file], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`lacks ${lacks}`);
      expect(r.stderr).toContain('bench/RESULTS.md left unchanged');
      expect(readFileSync(RESULTS, 'utf8')).toBe(before);
    });
});
