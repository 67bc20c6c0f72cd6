// `nfsctl sync install-timer --dry-run`: `sync` has its own --dry-run/--yes/--json, and
// commander gives an option after the subcommand to the parent that knows it. install-timer
// must still see them (it used to ask to write the cron file, refused without a terminal).
import { describe, expect, it, vi } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, testConfigYaml } from '../support/config.js';

const seen: Record<string, unknown>[] = [];
vi.mock('../../src/commands/sync/sync.run.js', () => ({
  runInstallTimer: async (_ctx: unknown, o: Record<string, unknown>) => void seen.push(o),
  runSync: async () => undefined,
}));

describe('sync install-timer options', () => {
  it('--dry-run, --yes and --json given after install-timer reach it', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'c.yaml'), testConfigYaml(d));
    const { buildProgram } = await import('../../src/cli/program.js');
    await buildProgram().parseAsync(
      ['--config', join(d, 'c.yaml'), 'sync', 'install-timer', '--dry-run', '--interval', '30m'],
      { from: 'user' },
    );
    await buildProgram().parseAsync(['--config', join(d, 'c.yaml'), 'sync', 'install-timer', '--yes', '--json'], {
      from: 'user',
    });
    expect(seen[0]).toMatchObject({ dryRun: true, interval: '30m', host: 'backup' });
    expect(seen[1]).toMatchObject({ yes: true, json: true });
    expect(seen[1]!.dryRun).toBeUndefined();
  });
});
