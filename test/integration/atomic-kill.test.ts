import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/config.js';

const FIXTURE = join(import.meta.dirname, '..', 'support', 'write-file.mjs');

/** Start a writer of `mb` MiB and SIGKILL it after `ms` ms (or let it finish). */
function writeAndKill(path: string, fill: string, mb: number, ms: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FIXTURE, path, fill, String(mb)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('start')) timer = setTimeout(() => child.kill('SIGKILL'), ms);
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve(signal === 'SIGKILL' ? 'killed' : 'finished');
    });
  });
}

describe('SIGKILL while rewriting an exports file', () => {
  it('leaves the old file or the new one, never a torn one', async () => {
    const d = tempDir();
    const target = join(d, 'nfsctl.exports');
    const old = '/nfs/old 198.51.100.0/24(rw) # nfsctl:old/old\n';
    writeFileSync(target, old);
    const outcomes: string[] = [];
    // kill at many points: while node builds/sends the content, while sh copies it, around the rename
    for (const ms of [0, 5, 10, 20, 40, 60, 80, 120, 160, 250, 400]) {
      const r = await writeAndKill(target, 'new', 40, ms);
      const now = readFileSync(target, 'utf8');
      const isOld = now === old;
      const isNew =
        now.length > 1024 * 1024 &&
        now
          .split('\n')
          .slice(0, -1)
          .every((l) => l === '/nfs/new 198.51.100.0/24(rw,sync,no_subtree_check) # nfsctl:new');
      expect(isOld || isNew, `after kill at ${ms} ms the file is neither old nor new (${now.length} bytes)`).toBe(true);
      outcomes.push(`${ms}ms:${r}:${isOld ? 'old' : 'new'}`);
      if (isNew) writeFileSync(target, old);
    }
    // the experiment means something only if some kills landed mid-write
    expect(outcomes.some((o) => o.includes('killed:old'))).toBe(true);
    // stray temp files may remain after a kill; they never replace the target
    expect(readdirSync(d).filter((n) => n === 'nfsctl.exports')).toHaveLength(1);
  }, 120_000);
});
