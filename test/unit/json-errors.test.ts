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
    expect(JSON.parse(opt.stderr)).toEqual({ error: { exitCode: 2, kind: 'UsageError', message: "unknown option '--bogus'" } });
    const cfg = await runCli(['lock', 'status', '--json'], { env: { ...e.env, NFSCTL_CONFIG: '/nonexistent/config.yaml' } });
    expect(cfg.status).toBe(2);
    expect(JSON.parse(cfg.stderr).error).toMatchObject({ exitCode: 2, message: expect.stringContaining('/nonexistent/config.yaml'), hint: expect.any(String) });
  });

  it('without --json the error stays text', async () => {
    const e = cliEnv();
    const r = await runCli(['volume', 'list', '--bogus'], { env: e.env });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--bogus'");
    expect(() => JSON.parse(r.stderr)).toThrow();
  });
});
