import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local.js';
import { PairLock, breakLock, lockPaths, newOwner, readLock, describeLock } from '../../src/state/lock.js';
import { LockHeldError } from '../../src/core/errors.js';
import { tempDir } from '../support/config.js';

// Real lock directories on the local machine. Two "storage hosts" on one machine would share
// one lock dir, so the backup here sees its lock dir under another path.
class OtherDirHost extends LocalHost {
  constructor(
    name: string,
    private readonly from: string,
    private readonly to: string,
  ) {
    super(name);
  }
  override run(argv: string[], opts?: Parameters<LocalHost['run']>[1]) {
    return super.run(
      argv.map((a) => a.split(this.from).join(this.to)),
      opts,
    );
  }
  override writeFileAtomic(path: string, content: string, opts?: Parameters<LocalHost['writeFileAtomic']>[2]) {
    return super.writeFileAtomic(path.split(this.from).join(this.to), content, opts);
  }
}
const children: ChildProcess[] = [];
afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));

/** A live process whose command line says nfsctl, like a running nfsctl would. */
function liveNfsctlPid(): number {
  const c = spawn('bash', ['-c', 'exec -a nfsctl-volume-create sleep 60'], { stdio: 'ignore' });
  children.push(c);
  return c.pid!;
}

function plantLock(lockDir: string, pid: number) {
  const p = lockPaths(lockDir);
  mkdirSync(p.dir, { recursive: true });
  writeFileSync(
    p.owner,
    JSON.stringify({
      user: 'bob',
      host: hostname(),
      pid,
      command: 'volume create team-b/logs',
      startedAt: '2026-11-22T10:00:00.000Z',
    }),
  );
}

describe('pair lock', () => {
  it('takes the lock on both hosts and releases it', async () => {
    const d = tempDir();
    const [a, b] = [new LocalHost('primary'), new OtherDirHost('backup', join(d, 'p'), join(d, 'q'))];
    const owner = newOwner('volume create team-a/data');
    const lock = new PairLock(join(d, 'p'), owner);
    await lock.acquire([a, b]);
    expect(existsSync(join(d, 'p', 'pair.lock', `h.${owner.token}`, 'owner.json'))).toBe(true);
    expect(existsSync(join(d, 'q', 'pair.lock', `h.${owner.token}`, 'owner.json'))).toBe(true);
    const state = await readLock(a, join(d, 'p'));
    expect(state).toMatchObject({ held: true, owner: { command: 'volume create team-a/data', pid: process.pid } });
    await lock.release();
    expect(existsSync(join(d, 'p', 'pair.lock'))).toBe(false);
    expect(existsSync(join(d, 'q', 'pair.lock'))).toBe(false);
  });

  it('a second run fails fast with exit 3, names the holder, and leaves the first host unlocked', async () => {
    const d = tempDir();
    const [a, b] = [new LocalHost('primary'), new OtherDirHost('backup', join(d, 'a'), join(d, 'b'))];
    plantLock(join(d, 'b'), liveNfsctlPid());
    // primary is taken first, then backup is found locked: the primary half is given back
    const err = await new PairLock(join(d, 'a'), newOwner('x')).acquire([a, b]).catch((e) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('locked by bob@');
    expect(err.message).toContain('volume create team-b/logs');
    expect(err.hint).toContain('nfsctl lock status');
    expect(existsSync(join(d, 'a', 'pair.lock'))).toBe(false);
  });

  it('two runs racing for the same lock: exactly one wins', async () => {
    const d = tempDir();
    const h = new LocalHost('primary');
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => new PairLock(join(d, 'l'), newOwner('race')).acquire([h])),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.exitCode === 3),
    ).toBe(true);
  });

  it('reports a lock whose owner died as stale, with the break command', async () => {
    const d = tempDir();
    const dead = spawn('true');
    await new Promise((r) => dead.on('exit', r));
    plantLock(join(d, 'l'), dead.pid!);
    const h = new LocalHost('primary');
    const s = await readLock(h, join(d, 'l'));
    expect(s).toMatchObject({ held: true, alive: false });
    expect(describeLock(s as never)).toContain('STALE');
    const err = await new PairLock(join(d, 'l'), newOwner('x')).acquire([h]).catch((e) => e);
    expect(err.hint).toContain('`nfsctl lock break`');
  });

  it('reports a live owner as running', async () => {
    const d = tempDir();
    plantLock(join(d, 'l'), liveNfsctlPid());
    expect(await readLock(new LocalHost('primary'), join(d, 'l'))).toMatchObject({ held: true, alive: true });
  });

  it('break removes the lock and returns what it found', async () => {
    const d = tempDir();
    plantLock(join(d, 'l'), 999999);
    const h = new LocalHost('primary');
    const before = await breakLock(h, join(d, 'l'));
    expect(before).toMatchObject({ held: true, owner: { user: 'bob' } });
    expect(await readLock(h, join(d, 'l'))).toEqual({ host: 'primary', held: false });
  });

  it('a lock dir without an owner record is reported, not crashed on', async () => {
    const d = tempDir();
    mkdirSync(lockPaths(join(d, 'l')).dir, { recursive: true });
    expect(await readLock(new LocalHost('primary'), join(d, 'l'))).toMatchObject({
      held: true,
      owner: null,
      alive: 'unknown',
    });
  });

  it("after a lock break, the first holder's release leaves the second holder's lock alone and a third run is refused", async () => {
    const d = tempDir();
    const [a, b] = [new LocalHost('primary'), new OtherDirHost('backup', join(d, 'p'), join(d, 'q'))];
    const one = new PairLock(join(d, 'p'), newOwner('failback'));
    await one.acquire([a, b]);
    // an operator breaks the lock (holder 1 looked dead), holder 2 takes it
    await breakLock(a, join(d, 'p'));
    await breakLock(b, join(d, 'p'));
    const two = new PairLock(join(d, 'p'), newOwner('volume create team-a/two'));
    await two.acquire([a, b]);
    // holder 1 finishes and releases: it must not free holder 2's lock
    expect(await one.release()).toEqual(['backup', 'primary']);
    for (const h of [a, b])
      expect(await readLock(h, join(d, 'p'))).toMatchObject({
        held: true,
        owner: { command: 'volume create team-a/two' },
      });
    const err = await new PairLock(join(d, 'p'), newOwner('volume create team-a/three'))
      .acquire([a, b])
      .catch((e) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.message).toContain('team-a/two');
    // holder 2 releases its own lock: free again
    expect(await two.release()).toEqual([]);
    for (const h of [a, b]) expect(await readLock(h, join(d, 'p'))).toEqual({ host: h.name, held: false });
  });

  it('refuses a lock directory that is a symbolic link, and creates nothing where it points', async () => {
    const d = tempDir();
    mkdirSync(join(d, 'elsewhere'));
    symlinkSync(join(d, 'elsewhere'), join(d, 'lock'));
    const err = await new PairLock(join(d, 'lock'), newOwner('x')).acquire([new LocalHost('primary')]).catch((e) => e);
    expect(err.message).toMatch(/refusing to use the lock directory on primary: .*lock is a symbolic link/);
    expect(err.exitCode).toBe(1);
    expect(readdirSync(join(d, 'elsewhere'))).toEqual([]);
    // lock break refuses it too (rm -rf through a planted link)
    mkdirSync(join(d, 'elsewhere', 'pair.lock'));
    await expect(breakLock(new LocalHost('primary'), join(d, 'lock'))).rejects.toThrow(/symbolic link/);
    expect(readdirSync(join(d, 'elsewhere'))).toEqual(['pair.lock']);
  });

  it('refuses a lock directory created by another user, or writable by others, or in a world-writable parent without the sticky bit', async () => {
    const d = tempDir();
    const h = new LocalHost('primary');
    mkdirSync(join(d, 'foreign'), { mode: 0o755 });
    chownSync(join(d, 'foreign'), 65534, 65534);
    const e1 = await new PairLock(join(d, 'foreign'), newOwner('x')).acquire([h]).catch((e) => e);
    expect(e1.message).toMatch(/foreign is owned by uid 65534/);
    expect(existsSync(join(d, 'foreign', 'pair.lock'))).toBe(false);
    mkdirSync(join(d, 'open'));
    chmodSync(join(d, 'open'), 0o777);
    const e2 = await new PairLock(join(d, 'open'), newOwner('x')).acquire([h]).catch((e) => e);
    expect(e2.message).toMatch(/open has mode 777: writable by group or others/);
    mkdirSync(join(d, 'tmp'));
    chmodSync(join(d, 'tmp'), 0o777);
    const e3 = await new PairLock(join(d, 'tmp', 'nfsctl'), newOwner('x')).acquire([h]).catch((e) => e);
    expect(e3.message).toMatch(/tmp is world-writable without the sticky bit/);
    // a sticky world-writable parent (like /run/lock) is fine: the directory is created 0700
    chmodSync(join(d, 'tmp'), 0o1777);
    const ok = new PairLock(join(d, 'tmp', 'nfsctl'), newOwner('x'));
    await ok.acquire([h]);
    expect((await import('node:fs')).statSync(join(d, 'tmp', 'nfsctl')).mode & 0o777).toBe(0o700);
    await ok.release();
  });

  it('release can keep the half on a host where an abandoned command may still run', async () => {
    const d = tempDir();
    const [a, b] = [new LocalHost('primary'), new OtherDirHost('backup', join(d, 'p'), join(d, 'q'))];
    const lock = new PairLock(join(d, 'p'), newOwner('switchover'));
    await lock.acquire([a, b]);
    await lock.release(new Set(['backup']));
    expect(await readLock(a, join(d, 'p'))).toEqual({ host: 'primary', held: false });
    expect(await readLock(b, join(d, 'p'))).toMatchObject({ held: true, owner: { command: 'switchover' } });
  });
});
