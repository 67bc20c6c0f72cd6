// A reader that stops early closes nfsctl's stdout (`nfsctl log | head -1`): no "write
// EPIPE" stack trace, and the exit code is the command's usual one. Through a real shell.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv, ensureBuilt, run } from '../support/cli.js';

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe('stdout closed by the reader (EPIPE)', () => {
  it('`log | head -1`, `help volume create | head -1`, `help volume create | true`: quiet, exit 0', async () => {
    const e = cliEnv();
    // an audit log much bigger than a pipe buffer: the writer is still writing when head exits
    const rec = (i: number) =>
      JSON.stringify({
        time: '2026-12-01T00:00:00.000Z',
        operator: 'alice',
        invocation: ['volume', 'create'],
        planId: `p${i}`,
        host: 'primary',
        argv: ['echo', 'x'.repeat(200)],
        exitCode: 0,
      });
    mkdirSync(join(e.dir, 'log'));
    writeFileSync(join(e.dir, 'log', 'audit.jsonl'), Array.from({ length: 3000 }, (_, i) => rec(i)).join('\n') + '\n');
    for (const cmd of [
      'nfsctl log -n 3000 | head -1',
      'nfsctl help volume create | head -1',
      'nfsctl help volume create | true',
      'nfsctl log -n 3000 --json | head -c 10',
    ]) {
      const r = await run('bash', ['-c', `${cmd} >/dev/null; echo "rc=\${PIPESTATUS[0]}"`], {
        env: e.env,
        timeout: 30_000,
      });
      expect(r.stdout.trim(), `${cmd}: ${r.stderr}`).toBe('rc=0');
      expect(r.stderr, cmd).not.toMatch(/EPIPE|internal error|at .*\.js/);
    }
  });

  it('the usual exit code is kept: a usage error piped into head is still exit 2', async () => {
    const e = cliEnv();
    const r = await run('bash', ['-c', 'nfsctl log -n zero | head -1; echo "rc=${PIPESTATUS[0]}"'], {
      env: e.env,
      timeout: 30_000,
    });
    expect(r.stdout.trim()).toBe('rc=2');
  });
});
