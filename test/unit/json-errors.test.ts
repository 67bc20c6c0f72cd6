// --json: an error is one JSON document on stderr (exit code, kind, message, hint), usage
// errors from the option parser included; without --json the text form is unchanged.
import { beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, ensureBuilt, runCli } from '../support/cli.js';

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe('errors as JSON with --json', () => {
  it('a bad volume name, an unknown option, a bad config: one JSON line each on stderr, nothing on stdout', async () => {
    const e = cliEnv();
    const bad = await runCli(['volume', 'delete', 'Team_A/data', '--json'], { env: e.env });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    const j = JSON.parse(bad.stderr);
    expect(j.error).toMatchObject({ exitCode: 2, kind: 'UsageError' });
    expect(j.error.message).toMatch(/Team_A/);
    const opt = await runCli(['volume', 'list', '--bogus', '--json'], { env: e.env });
    expect(opt.status).toBe(2);
    expect(JSON.parse(opt.stderr)).toEqual({
      error: { exitCode: 2, kind: 'UsageError', message: "unknown option '--bogus'" },
    });
    const cfg = await runCli(['lock', 'status', '--json'], {
      env: { ...e.env, NFSCTL_CONFIG: '/nonexistent/config.yaml' },
    });
    expect(cfg.status).toBe(2);
    expect(JSON.parse(cfg.stderr).error).toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('/nonexistent/config.yaml'),
      hint: expect.any(String),
    });
  });

  it('without --json the error stays text', async () => {
    const e = cliEnv();
    const r = await runCli(['volume', 'list', '--bogus'], { env: e.env });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--bogus'");
    expect(() => JSON.parse(r.stderr)).toThrow();
  });
});

describe('interrupted outside a plan', () => {
  it('SIGTERM while nfsctl reads state: "nothing was changed", exit 143; with --json as JSON', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../support/cli.js');
    const { execFileSync } = await import('node:child_process');
    const { mkdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const e = cliEnv();
    // an owner record that is a FIFO: reading the lock on the (local) primary blocks, so
    // nfsctl is still reading state, outside any plan, when the signal comes
    mkdirSync(join(e.dir, 'lock', 'pair.lock', 'h.0123456789abcdef'), { recursive: true });
    execFileSync('mkfifo', [join(e.dir, 'lock', 'pair.lock', 'h.0123456789abcdef', 'owner.json')]);
    for (const json of [false, true]) {
      const child = spawn(process.execPath, [BIN, 'lock', 'status', ...(json ? ['--json'] : [])], {
        env: e.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise((r) => setTimeout(r, 1_500));
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code, stderr).toBe(143);
      if (json)
        expect(JSON.parse(stderr.trim().split('\n').at(-1)!)).toEqual({
          error: { exitCode: 143, kind: 'Interrupted', message: 'interrupted (SIGTERM): nothing was changed' },
        });
      else expect(stderr).toContain('nfsctl: interrupted (SIGTERM): nothing was changed');
    }
  });
});
