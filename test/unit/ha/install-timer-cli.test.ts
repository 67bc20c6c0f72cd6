// `nfsctl sync install-timer --yes --dry-run --json`: the parent `sync` command defines the
// same three options, and commander hands them to the parent; install-timer must still see them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir, testConfigYaml } from '../../support/config.js';

const seen: Record<string, unknown>[] = [];
vi.mock('../../../src/commands/sync/sync.run.js', () => ({
  runInstallTimer: async (_ctx: unknown, o: Record<string, unknown>) => {
    seen.push(o);
  },
}));

describe('sync install-timer options', () => {
  it('--yes, --dry-run and --json after install-timer reach it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.yaml'), testConfigYaml(dir));
    const { buildProgram } = await import('../../../src/cli/program.js');
    await buildProgram().parseAsync(
      ['--config', join(dir, 'c.yaml'), 'sync', 'install-timer', '--interval', '20m', '--yes', '--dry-run', '--json'],
      { from: 'user' },
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ interval: '20m', yes: true, dryRun: true, json: true });
  });
});
