// A hand-over under way must not be cut by SIGTERM (keepalived ends the notify scripts still
// running when it stops; systemd signals the whole unit): `ha notify` for BACKUP/FAULT/STOP
// ignores SIGTERM (and says so) and finishes; MASTER does not; SIGKILL still ends either.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, ensureBuilt } from '../support/cli.js';

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

/** `nfsctl ha notify INSTANCE VI_NFS <args>` in the background: its stderr so far and its exit. */
function startNotify(env: NodeJS.ProcessEnv, args: string[]) {
  const child = spawn(process.execPath, [BIN, 'ha', 'notify', 'INSTANCE', 'VI_NFS', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  /** The exit code, or 'hung' (then killed) after `ms`. */
  const exit = async (ms: number) => {
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);
    if (code === 'hung') child.kill('SIGKILL');
    return code;
  };
  return { child, stderr: () => stderr, exit };
}

describe('ha notify and SIGTERM', () => {
  it('STOP: SIGTERM is ignored with a note; the hook finishes and records the transition (exit 0)', async () => {
    const e = cliEnv();
    // the freshness record as a FIFO: the hook blocks reading it, mid-run, when the signal comes
    mkdirSync(join(e.stateDir, 'freshness'), { recursive: true });
    const fifo = join(e.stateDir, 'freshness', 'record.json');
    execFileSync('mkfifo', [fifo]);
    const n = startNotify(e.env, ['STOP']);
    await new Promise((r) => setTimeout(r, 1_500));
    n.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(n.child.exitCode, n.stderr()).toBeNull();
    expect(n.stderr()).toContain('nfsctl: SIGTERM ignored: ha notify STOP finishes handing the volumes over');
    // let the read end (EOF): the hook goes on and ends normally
    closeSync(openSync(fifo, 'w'));
    expect(await n.exit(20_000), n.stderr()).toBe(0);
    const rec = JSON.parse(readFileSync(join(e.stateDir, 'vrrp', 'last.json'), 'utf8'));
    expect(rec).toMatchObject({ state: 'STOP', host: 'primary', errors: [] });
  }, 40_000);

  it('MASTER is not shielded: SIGTERM while it reads state ends it, nothing changed (exit 143)', async () => {
    const e = cliEnv();
    // the notify lock as a FIFO: opening it blocks the MASTER run before it reads or changes anything
    mkdirSync(join(e.stateDir, 'vrrp'), { recursive: true });
    execFileSync('mkfifo', [join(e.stateDir, 'vrrp', 'notify.lock')]);
    const n = startNotify(e.env, ['MASTER', '150']);
    await new Promise((r) => setTimeout(r, 1_500));
    n.child.kill('SIGTERM');
    expect(await n.exit(15_000), n.stderr()).toBe(143);
    expect(n.stderr()).not.toContain('ignored');
    expect(existsSync(join(e.stateDir, 'vrrp', 'last.json'))).toBe(false);
  }, 40_000);
});
