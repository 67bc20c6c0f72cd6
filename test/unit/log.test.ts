// `nfsctl log`: one line per operation, merged from both hosts' audit logs, sorted by time
// and marked with the host; --commands, --plan, -n and --json; a host that cannot be read.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeHost } from '../../src/host/fake.js';
import { Context } from '../../src/cli/context.js';
import { Runner } from '../../src/plan/runner.js';
import { LineProgress } from '../../src/cli/progress.js';
import { AuditLog, type AuditRecord } from '../../src/state/audit.js';
import { operations, parseAuditText } from '../../src/state/oplog.js';
import { runLog } from '../../src/commands/log/show.run.js';
import { captureOutput } from '../support/capture.js';
import { tempDir, testConfig } from '../support/config.js';
import { fakeStorageHost } from '../support/fake-pair.js';

const rec = (time: string, r: Partial<AuditRecord>): string =>
  JSON.stringify({ time, operator: 'alice', invocation: ['volume', 'create', 'team-a/data', '--size', '1G'], ...r });

/** primary: a volume create that worked and a lone lock-break record; backup: the timer's sync that failed in between. */
const PRIMARY =
  [
    rec('2026-12-01T10:00:00.000Z', { planId: 'P1', event: 'plan-start', detail: 'create team-a/data' }),
    rec('2026-12-01T10:00:00.100Z', {
      planId: 'P1',
      host: 'primary',
      argv: ['lvcreate', '-L', '1G', 'vgnfs'],
      exitCode: 0,
      durationMs: 40,
    }),
    rec('2026-12-01T10:00:00.200Z', {
      planId: 'P1',
      host: 'backup',
      argv: ['lvcreate', '-L', '1G', 'vgnfs'],
      exitCode: 0,
      durationMs: 42,
    }),
    rec('2026-12-01T10:00:00.210Z', {
      planId: 'P1',
      host: 'backup',
      event: 'step',
      detail: 'backup:lv-create',
      exitCode: 0,
      durationMs: 50,
    }),
    rec('2026-12-01T10:00:02.300Z', { planId: 'P1', event: 'plan-end', exitCode: 0, durationMs: 2300, detail: 'ok' }),
    rec('2026-12-01T12:00:00.000Z', {
      operator: 'bob',
      invocation: ['lock', 'break'],
      host: 'primary',
      event: 'lock-break',
      detail: 'primary: held by pid 4242',
    }),
  ].join('\n') + '\n{"time":"2026-12-01T13:00:00.000Z","operator":"cut sh'; // a line cut short by a crash

const BACKUP =
  [
    rec('2026-12-01T11:00:00.000Z', {
      operator: 'root',
      invocation: ['sync', '--yes', '--json'],
      planId: 'P2',
      event: 'plan-start',
      detail: 'mirror primary onto backup',
    }),
    rec('2026-12-01T11:00:01.000Z', {
      operator: 'root',
      invocation: ['sync', '--yes', '--json'],
      planId: 'P2',
      host: 'backup',
      argv: ['rsync', '-a', 'primary:/nfs/', '/nfs/'],
      exitCode: 23,
      durationMs: 900,
    }),
    rec('2026-12-01T11:00:01.100Z', {
      operator: 'root',
      invocation: ['sync', '--yes', '--json'],
      planId: 'P2',
      host: 'backup',
      event: 'step',
      detail: 'backup:rsync: exit 23',
      exitCode: 1,
      durationMs: 1000,
    }),
    rec('2026-12-01T11:00:01.200Z', {
      operator: 'root',
      invocation: ['sync', '--yes', '--json'],
      planId: 'P2',
      event: 'plan-end',
      exitCode: 1,
      durationMs: 1200,
      detail: 'failed: rsync: exit 23',
    }),
  ].join('\n') + '\n';

function setup(logs: { primary?: string | null; backup?: string | null; backupDown?: boolean }) {
  const config = testConfig(tempDir());
  const primary = fakeStorageHost('primary');
  const backup = fakeStorageHost('backup');
  if (logs.primary) primary.files.set(config.state.auditLog, logs.primary);
  if (logs.backup) backup.files.set(config.state.auditLog, logs.backup);
  if (logs.backupDown) backup.unreachable = true;
  const cap = captureOutput();
  const ctx = new Context('test.yaml', config, {}, { primary, backup }, cap.out);
  return { ctx, config, primary, backup, ...cap };
}

describe('operations (pure)', () => {
  it('groups by plan id, merges both hosts sorted by start time, and marks where each was logged', () => {
    const ops = operations([...parseAuditText(PRIMARY, 'primary'), ...parseAuditText(BACKUP, 'backup')]);
    expect(ops.map((o) => [o.time, o.planId, o.loggedOn, o.what, o.result, o.operator])).toEqual([
      ['2026-12-01T10:00:00.000Z', 'P1', ['primary'], 'create team-a/data', 'ok', 'alice'],
      ['2026-12-01T11:00:00.000Z', 'P2', ['backup'], 'mirror primary onto backup', 'failed', 'root'],
      ['2026-12-01T12:00:00.000Z', null, ['primary'], 'lock-break: primary: held by pid 4242', 'recorded', 'bob'],
    ]);
    expect(ops[0]!.records).toHaveLength(5);
    expect(ops[0]!.durationMs).toBe(2300);
    expect(ops[1]).toMatchObject({ exitCode: 1, detail: 'failed: rsync: exit 23' });
  });

  it('one file seen from both hosts (a shared log) counts once, marked with both; a plan without its end is unfinished', () => {
    const text = PRIMARY.split('\n').slice(0, 3).join('\n');
    const ops = operations([...parseAuditText(text, 'primary'), ...parseAuditText(text, 'backup')]);
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ loggedOn: ['backup', 'primary'], result: 'unfinished', exitCode: null });
    expect(ops[0]!.records).toHaveLength(3);
  });

  it('an interrupted plan is told apart from a failed one', () => {
    const text = [
      rec('2026-12-01T10:00:00.000Z', { planId: 'P3', event: 'plan-start', detail: 'failback' }),
      rec('2026-12-01T10:01:00.000Z', {
        planId: 'P3',
        event: 'plan-end',
        exitCode: 130,
        detail: 'interrupted (SIGINT)',
      }),
    ].join('\n');
    expect(operations(parseAuditText(text, 'primary'))[0]).toMatchObject({ result: 'interrupted', exitCode: 130 });
  });
});

describe('nfsctl log (command body)', () => {
  it('prints one line per operation, oldest first, with who, host, what, result and plan id', async () => {
    const { ctx, stdout, primary, backup } = setup({ primary: PRIMARY, backup: BACKUP });
    await runLog(ctx, {});
    const lines = stdout.text.trimEnd().split('\n');
    expect(lines).toEqual([
      '2026-12-01T10:00:00Z alice [primary] create team-a/data: ok in 2.3 s P1',
      '2026-12-01T11:00:00Z root [backup] mirror primary onto backup: FAILED (exit 1) in 1.2 s: rsync: exit 23 P2',
      '2026-12-01T12:00:00Z bob [primary] lock-break: primary: held by pid 4242: recorded -',
    ]);
    // it only read the two logs: nothing ran that changes anything
    for (const h of [primary, backup]) expect(h.writes).toEqual([]);
  });

  it('--commands lists the commands and failed steps behind each operation, not the ok step markers', async () => {
    const { ctx, stdout } = setup({ primary: PRIMARY, backup: BACKUP });
    await runLog(ctx, { commands: true });
    const lines = stdout.text.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '2026-12-01T10:00:00Z alice [primary] create team-a/data: ok in 2.3 s P1',
      '    10:00:00Z [primary] lvcreate -L 1G vgnfs rc=0 40 ms',
      '    10:00:00Z [backup] lvcreate -L 1G vgnfs rc=0 42 ms',
    ]);
    expect(lines[4]).toBe('    11:00:01Z [backup] rsync -a primary:/nfs/ /nfs/ rc=23 900 ms');
    expect(lines[5]).toBe('    11:00:01Z [backup] step: backup:rsync: exit 23 rc=1 1000 ms');
    expect(lines).toHaveLength(7);
  });

  it('--plan picks one operation, -n the last n, --json gives the operations with their records', async () => {
    const one = setup({ primary: PRIMARY, backup: BACKUP });
    await runLog(one.ctx, { plan: 'P2' });
    expect(one.stdout.text.trimEnd().split('\n')).toHaveLength(1);
    expect(one.stdout.text).toContain(' P2');
    const last = setup({ primary: PRIMARY, backup: BACKUP });
    await runLog(last.ctx, { lines: '2' });
    expect(last.stdout.text).not.toContain(' P1');
    expect(last.stdout.text.trimEnd().split('\n')).toHaveLength(2);
    const j = setup({ primary: PRIMARY, backup: BACKUP });
    await runLog(j.ctx, { json: true });
    const ops = JSON.parse(j.stdout.text);
    expect(ops.map((o: { planId: string | null }) => o.planId)).toEqual(['P1', 'P2', null]);
    expect(ops[1]).toMatchObject({
      loggedOn: ['backup'],
      operator: 'root',
      invocation: ['sync', '--yes', '--json'],
      result: 'failed',
      exitCode: 1,
    });
    expect(ops[1].records.map((r: AuditRecord) => r.argv?.[0] ?? r.event)).toEqual([
      'plan-start',
      'rsync',
      'step',
      'plan-end',
    ]);
  });

  it('a host whose log cannot be read: a warning naming it, the other host still shown, exit 0', async () => {
    const { ctx, stdout, stderr } = setup({ primary: PRIMARY, backupDown: true });
    await runLog(ctx, {});
    expect(stderr.text).toMatch(/backup: its audit log was not read \(backup is unreachable/);
    expect(stdout.text).toContain('create team-a/data: ok');
    expect(stdout.text).not.toContain('P2');
  });

  it('control characters in a record never reach the terminal raw', async () => {
    const evil = rec('2026-12-01T10:00:00.000Z', {
      operator: 'mallory\u001b[2J',
      planId: 'P9',
      event: 'plan-start',
      detail: 'create x\nFORGED LINE',
    });
    const { ctx, stdout } = setup({ primary: evil + '\n' });
    await runLog(ctx, {});
    expect(stdout.text).not.toMatch(/\u001b/);
    expect(stdout.text.trimEnd().split('\n')).toHaveLength(1);
    expect(stdout.text).toContain('mallory\\x1b[2J');
  });

  it('reads what the plan runner really writes: title, result and plan id of an applied plan', async () => {
    const dir = tempDir();
    const audit = new AuditLog(join(dir, 'audit.jsonl'), ['lock', 'break'], 'carol');
    const hosts = { primary: new FakeHost('primary'), backup: new FakeHost('backup') };
    const cap = captureOutput();
    const runner = new Runner({
      out: cap.out,
      progress: new LineProgress(cap.stderr),
      audit,
      prompter: async () => ({ confirm: async () => true, typed: async () => true }),
      host: (n) => hosts[n as 'primary' | 'backup'],
    });
    const report = await runner.run(
      {
        id: 'PLAN-X',
        title: 'break the pair lock on primary',
        phases: [
          {
            title: 'remove',
            steps: [
              {
                id: 'primary:rm',
                host: 'primary',
                title: 'rm',
                action: { kind: 'run', argv: ['rm', '-rf', '/x'] },
                undo: null,
              },
            ],
          },
        ],
        audit: [{ event: 'lock-break', host: 'primary', detail: 'primary: held by pid 1' }],
      },
      { dryRun: false, yes: true, json: false, interactive: false, confirm: { kind: 'yesno', message: '' } },
    );
    const { ctx, stdout } = setup({ backup: readFileSync(join(dir, 'audit.jsonl'), 'utf8') });
    await runLog(ctx, { commands: true });
    const lines = stdout.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ carol \\[backup\\] break the pair lock on primary: ok in \\d+ ms ${report.planId}$`,
      ),
    );
    expect(lines.slice(1).map((l) => l.replace(/^ {4}\S+ /, ''))).toEqual([
      expect.stringMatching(/^\[primary\] rm -rf \/x rc=0 0 ms$/),
      '[primary] lock-break: primary: held by pid 1',
    ]);
  });
});
