// `nfsctl lock break` goes through the plan runner: dry run, confirmation, audit; both hosts
// in one command; and it refuses to remove a lock that changed after it was shown.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local.js';
import { Context } from '../../src/cli/context.js';
import { PairLock, newOwner, readLock } from '../../src/state/lock.js';
import { runLockBreak } from '../../src/commands/lock/break.run.js';
import { tempDir, testConfig } from '../support/config.js';
import { captureOutput } from '../support/capture.js';

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
}

function setup() {
  const d = tempDir();
  const config = testConfig(d);
  const lockDir = config.state.lockDir;
  const a = new LocalHost('primary');
  const b = new OtherDirHost('backup', lockDir, `${lockDir}-b`);
  const cap = captureOutput();
  const ctx = new Context('test.yaml', config, {}, { primary: a, backup: b }, cap.out);
  return { d, config, lockDir, a, b, cap, ctx };
}

describe('lock break', () => {
  it('--dry-run shows the plan for both hosts and removes nothing; then one command clears both, audited', async () => {
    const { config, lockDir, a, b, cap, ctx } = setup();
    // a run that died holding both halves: its pid is not an nfsctl process
    const dead = new PairLock(lockDir, { ...newOwner('failback'), pid: 999999 });
    await dead.acquire([a, b]);
    await runLockBreak(ctx, { dryRun: true });
    expect(cap.stdout.text).toContain('break the pair lock on primary and backup');
    expect(cap.stdout.text).toContain('dry run: nothing was changed');
    expect((await readLock(a, lockDir)).held).toBe(true);
    expect((await readLock(b, lockDir)).held).toBe(true);
    expect(existsSync(config.state.auditLog)).toBe(false);
    await runLockBreak(ctx, { yes: true });
    expect((await readLock(a, lockDir)).held).toBe(false);
    expect((await readLock(b, lockDir)).held).toBe(false);
    expect(cap.stdout.text).toContain('primary: lock removed');
    expect(cap.stdout.text).toContain('backup: lock removed');
    const audit = readFileSync(config.state.auditLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.map((r) => r.event).filter(Boolean)).toEqual(
      expect.arrayContaining(['plan-start', 'plan-end', 'lock-break']),
    );
    expect(
      audit
        .filter((r) => r.event === 'lock-break')
        .map((r) => r.host)
        .sort(),
    ).toEqual(['backup', 'primary']);
  });

  it('without a terminal and without --yes it refuses (exit 2) and removes nothing', async () => {
    const { lockDir, a, b, ctx } = setup();
    await new PairLock(lockDir, { ...newOwner('failback'), pid: 999999 }).acquire([a, b]);
    const err = await runLockBreak(ctx, {}).catch((e) => e);
    expect(err.exitCode).toBe(2);
    expect((await readLock(a, lockDir)).held).toBe(true);
  });

  it('refuses to remove a lock that another run took after it was shown', async () => {
    const { lockDir, a, b, ctx } = setup();
    await new PairLock(lockDir, { ...newOwner('failback'), pid: 999999 }).acquire([a]);
    // the prompter is where the operator waits; meanwhile the stale lock is cleared and a new run takes it
    const runner = await ctx.runner();
    const fresh = new PairLock(lockDir, newOwner('volume create team-a/x'));
    (ctx as unknown as { runner: () => Promise<unknown> }).runner = async () => {
      (runner as unknown as { deps: { prompter: () => Promise<unknown> } }).deps.prompter = async () => ({
        confirm: async () => {
          await new LocalHost('x').run(['rm', '-rf', join(lockDir, 'pair.lock')]);
          await fresh.acquire([a]);
          return true;
        },
        typed: async () => true,
      });
      return runner;
    };
    Object.defineProperty(ctx, 'interactive', { get: () => true });
    const err = await runLockBreak(ctx, { host: 'primary' }).catch((e) => e);
    expect(err.message).toContain('the lock changed since it was shown');
    expect(await readLock(a, lockDir)).toMatchObject({ held: true, owner: { command: 'volume create team-a/x' } });
    void b;
    await fresh.release();
  });
});

describe('lock status (command body)', () => {
  it('says per host whether the lock is held and by whom; --json gives the states; an unreachable host is "cannot tell"', async () => {
    const { lockDir, a, b, cap, ctx } = setup();
    await new PairLock(lockDir, { ...newOwner('failback'), pid: 999999 }).acquire([a]);
    const { runLockStatus } = await import('../../src/commands/lock/status.run.js');
    await runLockStatus(ctx, {});
    const lines = cap.stdout.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^primary: .*failback/);
    expect(lines[1]).toBe('backup: free');
    const j = setup();
    await new PairLock(j.lockDir, { ...newOwner('sync'), pid: 999999 }).acquire([j.b]);
    await runLockStatus(j.ctx, { json: true });
    const doc = JSON.parse(j.cap.stdout.text);
    expect(doc.locks.map((l: { host: string; held: boolean }) => [l.host, l.held])).toEqual([
      ['primary', false],
      ['backup', true],
    ]);
    const down = setup();
    down.b.run = async () => {
      throw new Error('backup is unreachable');
    };
    await runLockStatus(down.ctx, {});
    expect(down.cap.stdout.text).toContain('backup: cannot tell (backup is unreachable)');
  });
});
