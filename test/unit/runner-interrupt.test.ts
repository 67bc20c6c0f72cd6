// SIGINT/SIGTERM while a plan is applied: no new step starts, the running one finishes (or
// its failure, caused by the same Ctrl-C, is reported as the interruption), completed steps
// are rolled back, each host's state is reported, and the exit code says whether anything
// was left changed. A second signal stops waiting for the running step.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeHost } from '../../src/host/fake.js';
import { Runner, type RunOptions } from '../../src/plan/runner.js';
import { Interrupts } from '../../src/plan/interrupt.js';
import type { Plan, Step } from '../../src/plan/plan.js';
import { AuditLog } from '../../src/state/audit.js';
import { LineProgress } from '../../src/cli/progress.js';
import { captureOutput } from '../support/capture.js';
import { tempDir } from '../support/config.js';

function step(host: string, name: string, extra: Partial<Step> = {}): Step {
  return {
    id: `${host}:${name}`,
    host,
    title: name,
    action: { kind: 'run', argv: ['do', name] },
    undo: { title: `undo ${name}`, action: { kind: 'run', argv: ['undo', name] } },
    ...extra,
  };
}

function plan(): Plan {
  return {
    id: 'p1',
    title: 'failback',
    cleanupHint: 'nfsctl failback --resume',
    phases: [
      { title: 'sync', steps: [step('primary', 'a'), step('primary', 'copy'), step('backup', 'a')] },
      { title: 'move', steps: [step('primary', 'c'), step('backup', 'c')] },
    ],
  };
}

function setup() {
  const dir = tempDir();
  const hosts = { primary: new FakeHost('primary'), backup: new FakeHost('backup') };
  const { out, stderr } = captureOutput();
  const intr = new Interrupts();
  const runner = new Runner({
    out,
    progress: new LineProgress(stderr),
    audit: new AuditLog(join(dir, 'audit.jsonl'), ['failback'], 'alice'),
    prompter: async () => ({ confirm: async () => true, typed: async () => true }),
    host: (n) => hosts[n as 'primary' | 'backup'],
    journalDir: join(dir, 'journal'),
    interrupts: intr,
  });
  return { runner, hosts, intr, dir };
}

const apply: RunOptions = {
  dryRun: false,
  yes: true,
  json: false,
  interactive: false,
  confirm: { kind: 'yesno', message: 'go?' },
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('plan runner: interrupted', () => {
  it('SIGTERM during a step: it finishes, nothing new starts, completed steps are undone, exit 143 (nothing left changed)', async () => {
    const { runner, hosts, intr, dir } = setup();
    hosts.primary.on(['do', 'copy'], async () => {
      intr.raise('SIGTERM');
      await sleep(30);
      return { exitCode: 0 };
    });
    const err = await runner.run(plan(), apply).catch((e) => e);
    expect(err.report.interrupted).toBe('SIGTERM');
    expect(hosts.primary.commandLines()).toEqual(['do a', 'do copy', 'undo copy', 'undo a']);
    expect(hosts.backup.commandLines()).toEqual(['do a', 'undo a']);
    expect(err.exitCode).toBe(143);
    expect(err.message).toMatch(/failback: INTERRUPTED \(SIGTERM\) between steps; 2 step\(s\) not started/);
    expect(err.report.hostStates).toEqual({
      primary: 'rolled back: interrupted; 2 completed step(s) undone',
      backup: 'rolled back: interrupted; 1 completed step(s) undone',
    });
    expect(err.hint).toContain('nothing was left changed');
    const journal = JSON.parse(readFileSync(join(dir, 'journal', readdirSync(join(dir, 'journal'))[0]!), 'utf8'));
    expect(journal.interrupted).toBe('SIGTERM');
    expect(intr.applying).toBe(0);
  });

  it('Ctrl-C kills the local command of the running step: reported as interrupted, CHANGED, exit 5 with the command to finish', async () => {
    const { runner, hosts, intr } = setup();
    const p = plan();
    p.phases[0]!.steps[0] = step('primary', 'a', { undo: null, noUndoReason: 'copied data stays' });
    // the terminal's SIGINT reaches rsync and nfsctl at once; rsync's exit may be seen first
    hosts.primary.on(['do', 'copy'], async () => {
      setTimeout(() => intr.raise('SIGINT'), 20);
      return { exitCode: 20, stderr: 'rsync error: received SIGINT, SIGTERM, or SIGHUP (code 20)' };
    });
    const err = await runner.run(p, apply).catch((e) => e);
    expect(err.exitCode).toBe(5);
    expect(err.report.steps.find((s: { id: string }) => s.id === 'primary:copy')).toMatchObject({
      status: 'interrupted',
    });
    expect(err.report.hostStates.primary).toMatch(
      /^CHANGED: interrupted during "copy" \(it may have partly run\); done before it and not undone: "a"/,
    );
    expect(err.report.hostStates.backup).toMatch(/rolled back/);
    expect(err.message).toContain('INTERRUPTED (SIGINT) during [primary] copy');
    expect(err.hint).toBe('to finish: nfsctl failback --resume');
    expect(hosts.primary.commandLines()).not.toContain('do c');
  });

  it('a second signal stops waiting for a step that hangs, skips the rollback, and says it may still run', async () => {
    const { runner, hosts, intr } = setup();
    hosts.primary.on(['do', 'copy'], async () => {
      intr.raise('SIGINT');
      setTimeout(() => intr.raise('SIGINT'), 30);
      await sleep(5_000);
      return { exitCode: 0 };
    });
    const t0 = Date.now();
    const err = await runner.run(plan(), apply).catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(err.exitCode).toBe(5);
    expect(err.report.hostStates.primary).toMatch(
      /CHANGED: interrupted during "copy" \(it may have partly run, and may still be running\)/,
    );
    expect(hosts.primary.commandLines()).toEqual(['do a', 'do copy']); // no undo
    expect(hosts.backup.commandLines()).toEqual(['do a']);
    // the remote command may go on: that host's half of the pair lock is to be kept
    expect([...intr.stillRunning]).toEqual(['primary']);
  });

  it('no signal: the runner leaves no listener behind and a later plan runs normally', async () => {
    const { runner, intr } = setup();
    const r = await runner.run(plan(), apply);
    expect(r.ok).toBe(true);
    expect(intr.applying).toBe(0);
    expect(intr.changed).toBe(true);
    expect(intr.raise('SIGINT')).toBe(1); // nobody listening
  });
});
