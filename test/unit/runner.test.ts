import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeHost } from '../../src/host/fake.js';
import { Runner, PlanFailedError, type Prompter, type RunOptions } from '../../src/plan/runner.js';
import type { Plan, Step } from '../../src/plan/plan.js';
import { AuditLog } from '../../src/state/audit.js';
import { LineProgress } from '../../src/cli/progress.js';
import { CancelledError, UsageError } from '../../src/core/errors.js';
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

function mirroredPlan(): Plan {
  return {
    id: 'p1',
    title: 'create team-a/data',
    cleanupHint: 'nfsctl volume delete team-a/data',
    phases: [
      {
        title: 'prepare',
        steps: [step('primary', 'a'), step('primary', 'b'), step('backup', 'a'), step('backup', 'b')],
      },
      { title: 'publish', steps: [step('primary', 'c'), step('backup', 'c')] },
    ],
  };
}

function setup(prompter?: Partial<Prompter>) {
  const dir = tempDir();
  const hosts = { primary: new FakeHost('primary'), backup: new FakeHost('backup') };
  const { out, stdout, stderr } = captureOutput();
  const audit = new AuditLog(join(dir, 'audit.jsonl'), ['volume', 'create', 'team-a/data'], 'alice');
  const asked: string[] = [];
  const runner = new Runner({
    out,
    progress: new LineProgress(stderr),
    audit,
    prompter: async () => ({
      confirm: async (m) => (asked.push(m), prompter?.confirm ? prompter.confirm(m) : true),
      typed: async (m, e) => (asked.push(m), prompter?.typed ? prompter.typed(m, e) : true),
    }),
    host: (n) => hosts[n as 'primary' | 'backup'],
    journalDir: join(dir, 'journal'),
  });
  return { runner, hosts, stdout, stderr, asked, dir };
}

const apply: RunOptions = {
  dryRun: false,
  yes: true,
  json: false,
  interactive: false,
  confirm: { kind: 'yesno', message: 'go?' },
};

describe('plan runner', () => {
  it('dry run prints every step with host, command and undo, and runs nothing', async () => {
    const { runner, hosts, stdout } = setup();
    await runner.run(mirroredPlan(), { ...apply, dryRun: true });
    expect(hosts.primary.calls).toEqual([]);
    expect(hosts.backup.calls).toEqual([]);
    expect(stdout.text).toContain('Plan p1: create team-a/data');
    expect(stdout.text).toContain('[primary] a');
    expect(stdout.text).toContain('$ do a');
    expect(stdout.text).toContain('undo: undo a');
    expect(stdout.text).toContain('(primary and backup in parallel)');
    expect(stdout.text).toContain('dry run: nothing was changed');
  });

  it('dry run --json is one parseable document on stdout', async () => {
    const { runner, stdout } = setup();
    await runner.run(mirroredPlan(), { ...apply, dryRun: true, json: true });
    const doc = JSON.parse(stdout.text);
    expect(doc.dryRun).toBe(true);
    expect(doc.plan.phases[0].steps[0]).toMatchObject({
      host: 'primary',
      action: { kind: 'run', argv: ['do', 'a'] },
      undo: { title: 'undo a' },
    });
  });

  it('refuses without a terminal and without --yes, running nothing', async () => {
    const { runner, hosts } = setup();
    await expect(runner.run(mirroredPlan(), { ...apply, yes: false })).rejects.toBeInstanceOf(UsageError);
    expect(hosts.primary.calls).toEqual([]);
  });

  it('asks on a terminal; "no" cancels with exit 130 and runs nothing', async () => {
    const { runner, hosts, asked } = setup({ confirm: async () => false });
    const err = await runner.run(mirroredPlan(), { ...apply, yes: false, interactive: true }).catch((e) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err.exitCode).toBe(130);
    expect(asked).toEqual(['go?']);
    expect(hosts.primary.calls).toEqual([]);
  });

  it('a typed confirmation must match', async () => {
    const { runner, hosts } = setup({ typed: async (_m, expected) => expected === 'team-a/data' });
    await runner.run(mirroredPlan(), {
      ...apply,
      yes: false,
      interactive: true,
      confirm: { kind: 'type', message: 'delete?', expected: 'team-a/data' },
    });
    expect(hosts.primary.commandLines()).toEqual(['do a', 'do b', 'do c']);
  });

  it('applies phases in order, each host in order, and audits every command', async () => {
    const { runner, hosts, dir } = setup();
    const report = await runner.run(mirroredPlan(), apply);
    expect(report.ok).toBe(true);
    expect(hosts.primary.commandLines()).toEqual(['do a', 'do b', 'do c']);
    expect(hosts.backup.commandLines()).toEqual(['do a', 'do b', 'do c']);
    const audit = readFileSync(join(dir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const cmds = audit.filter((r) => r.argv);
    expect(cmds).toHaveLength(6);
    expect(cmds[0]).toMatchObject({
      operator: 'alice',
      invocation: ['volume', 'create', 'team-a/data'],
      planId: 'p1',
      exitCode: 0,
    });
    expect(cmds[0].host).toMatch(/primary|backup/);
    expect(typeof cmds[0].durationMs).toBe('number');
    expect(audit[0]).toMatchObject({ event: 'plan-start' });
    expect(audit.at(-1)).toMatchObject({ event: 'plan-end', exitCode: 0 });
  });

  it('a failing step on the backup undoes completed steps on both hosts, newest first', async () => {
    const { runner, hosts, dir } = setup();
    hosts.backup.on(['do', 'c'], { exitCode: 5, stderr: 'No space left on device' });
    const err = await runner.run(mirroredPlan(), apply).catch((e) => e);
    expect(err).toBeInstanceOf(PlanFailedError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain('FAILED at [backup] c');
    expect(err.message).toContain('No space left on device');
    // primary may or may not have run c before backup failed (parallel); whatever ran is undone in reverse
    const p = hosts.primary.commandLines();
    const undoP = p.filter((l) => l.startsWith('undo'));
    const doneP = p.filter((l) => l.startsWith('do'));
    expect(undoP).toEqual(doneP.map((l) => l.replace('do', 'undo')).reverse());
    expect(hosts.backup.commandLines()).toEqual(['do a', 'do b', 'do c', 'undo b', 'undo a']);
    expect(err.report.hostStates.backup).toContain('rolled back');
    expect(err.report.hostStates.primary).toContain('rolled back');
    const journal = JSON.parse(readFileSync(join(dir, 'journal', 'p1.json'), 'utf8'));
    expect(journal.steps.find((s: { id: string }) => s.id === 'backup:c').status).toBe('failed');
  });

  it('audits every step that ended: 0 for done, 1 for the failed one, with a duration', async () => {
    const { runner, hosts, dir } = setup();
    hosts.backup.on(['do', 'b'], { exitCode: 1 });
    await runner.run(mirroredPlan(), apply).catch(() => undefined);
    const steps = readFileSync(join(dir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.event === 'step');
    const byDetail = new Map(steps.map((r) => [String(r.detail).split(':').slice(0, 2).join(':'), r]));
    expect(byDetail.get('backup:a')).toMatchObject({ host: 'backup', exitCode: 0 });
    expect(byDetail.get('backup:b')).toMatchObject({ host: 'backup', exitCode: 1 });
    expect(String(byDetail.get('backup:b')!.detail)).toMatch(/^backup:b: .+/);
    for (const r of steps) expect(typeof r.durationMs).toBe('number');
  });

  it('does not start new steps on other hosts after a failure', async () => {
    const { runner, hosts } = setup();
    hosts.primary.on(['do', 'a'], { exitCode: 1 });
    hosts.backup.on(['do', 'a'], async () => {
      await new Promise((r) => setTimeout(r, 20));
      return { exitCode: 0 };
    });
    await runner.run(mirroredPlan(), apply).catch(() => undefined);
    expect(hosts.backup.commandLines()).toEqual(['do a', 'undo a']);
  });

  it('says which steps could not be undone and leaves them reported as changes', async () => {
    const { runner, hosts } = setup();
    const plan = mirroredPlan();
    plan.phases[0]!.steps[0] = step('primary', 'a', { undo: null, noUndoReason: 'data written cannot be unwritten' });
    hosts.backup.on(['do', 'b'], { exitCode: 1 });
    const err = await runner.run(plan, apply).catch((e) => e);
    expect(err.report.hostStates.primary).toContain('CHANGED');
    expect(err.report.hostStates.primary).toContain('data written cannot be unwritten');
    expect(err.hint).toContain('nfsctl volume delete team-a/data');
  });

  it('reports a host lost mid-plan as UNKNOWN, not as rolled back', async () => {
    const { runner, hosts } = setup();
    const plan = mirroredPlan();
    // the backup answers "do a", then vanishes: "do b" and every undo there cannot run
    hosts.backup.on(['do', 'a'], () => {
      hosts.backup.unreachable = true;
      return { exitCode: 0 };
    });
    const err = await runner.run(plan, apply).catch((e) => e);
    expect(err.report.hostStates.backup).toMatch(/^UNKNOWN: lost contact during "b"/);
    expect(err.report.hostStates.backup).toContain('done before it and not undone: "a"');
    expect(err.report.hostStates.primary).toMatch(/rolled back/);
  });

  it('a failed precondition with nothing changed exits 4', async () => {
    const { runner, hosts } = setup();
    const plan: Plan = {
      id: 'p2',
      title: 't',
      phases: [
        {
          title: 'x',
          steps: [
            step('primary', 'a', { precondition: { title: 'vg has room', check: async () => 'only 1 GiB free' } }),
          ],
        },
      ],
    };
    const err = await runner.run(plan, apply).catch((e) => e);
    expect(err.exitCode).toBe(4);
    expect(err.message).toContain('vg has room: only 1 GiB free');
    expect(hosts.primary.calls).toEqual([]);
  });

  it('write steps go through the host atomic write with a backup', async () => {
    const { runner, hosts } = setup();
    hosts.primary.files.set('/etc/exports', 'old\n');
    const plan: Plan = {
      id: 'p3',
      title: 'export',
      phases: [
        {
          title: 'write',
          steps: [
            {
              id: 'w',
              host: 'primary',
              title: 'write exports',
              action: { kind: 'write', path: '/etc/exports', content: 'new\n', backup: true },
              undo: null,
            },
          ],
        },
      ],
    };
    await runner.run(plan, apply);
    expect(hosts.primary.files.get('/etc/exports')).toBe('new\n');
    expect(hosts.primary.writes).toEqual([{ path: '/etc/exports', content: 'new\n', backup: true }]);
  });
});
