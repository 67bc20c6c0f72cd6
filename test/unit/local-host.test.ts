import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local.js';
import { tempDir } from '../support/config.js';

describe('local host', () => {
  const h = new LocalHost('primary', '127.0.0.1', 5_000);

  it('returns non-zero exits and stderr as results, not exceptions', async () => {
    const r = await h.run(['sh', '-c', 'echo warn >&2; exit 7']);
    expect(r).toMatchObject({ exitCode: 7, stderr: 'warn\n', timedOut: false });
  });

  it('reports a missing program as exit 127', async () => {
    expect((await h.run(['nfsctl-no-such-binary'])).exitCode).toBe(127);
  });

  it('kills a command at its timeout', async () => {
    const r = await h.run(['sleep', '10'], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBe(124);
    expect(r.durationMs).toBeLessThan(5_000);
  });

  it('passes argv without a shell', async () => {
    const r = await h.run(['printf', '%s|', '$(id)', 'a b', "'"]);
    expect(r.stdout).toBe("$(id)|a b|'|");
  });

  it('reads files, null when missing', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'f'), 'x y\n');
    expect(await h.readFile(join(d, 'f'))).toBe('x y\n');
    expect(await h.readFile(join(d, 'missing'))).toBeNull();
  });

  it('replaces files atomically, keeping mode and a timestamped backup', async () => {
    const d = tempDir();
    const f = join(d, 'exports');
    writeFileSync(f, 'old\n');
    chmodSync(f, 0o600);
    const r = await h.writeFileAtomic(f, "new content with 'quotes' and $(x)\n", { backup: true });
    expect(readFileSync(f, 'utf8')).toBe("new content with 'quotes' and $(x)\n");
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(r.backupPath).toMatch(/exports\.nfsctl-\d{8}T\d{9}Z\.[A-Za-z0-9]{6}\.bak$/);
    expect(readFileSync(r.backupPath!, 'utf8')).toBe('old\n');
    expect(readdirSync(d).filter((n) => n.startsWith('.exports.nfsctl-'))).toEqual([]);
  });

  it('creates new files with the requested mode and keeps at most 10 backups', async () => {
    const d = tempDir();
    const f = join(d, 'sub', 'fstab');
    await h.writeFileAtomic(f, 'v0\n', { mode: 0o640 });
    expect(statSync(f).mode & 0o777).toBe(0o640);
    for (let i = 1; i <= 12; i++) await h.writeFileAtomic(f, `v${i}\n`, { backup: true });
    const backups = readdirSync(join(d, 'sub'))
      .filter((n) => n.endsWith('.bak'))
      .sort();
    expect(backups).toHaveLength(10);
    expect(readFileSync(join(d, 'sub', backups.at(-1)!), 'utf8')).toBe('v11\n');
  });

  it('refuses a relative path', async () => {
    await expect(h.writeFileAtomic('etc/exports', 'x')).rejects.toThrow(/absolute path/);
  });

  it('a cancelled command is killed and the run rejects; its output streams while it runs', async () => {
    const ctl = new AbortController();
    const chunks: string[] = [];
    const p = h.run(['sh', '-c', 'echo started; exec sleep 30'], {
      signal: ctl.signal,
      onStdout: (c) => chunks.push(c),
      timeoutMs: 60_000,
    });
    const t0 = Date.now();
    while (!chunks.join('').includes('started') && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 20));
    expect(chunks.join('')).toBe('started\n');
    ctl.abort();
    await expect(p).rejects.toMatchObject({ name: 'CommandCancelledError' });
    expect(Date.now() - t0).toBeLessThan(5_000);
    await expect(h.run(['true'], { signal: ctl.signal })).rejects.toMatchObject({ name: 'CommandCancelledError' });
  });
});
