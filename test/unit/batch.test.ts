import { describe, expect, it } from 'vitest';
import { LocalHost } from '../../src/host/local.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distinctArgvs, parseBatchOutput, runManyVia } from '../../src/host/batch.js';
import { FakeHost } from '../../src/host/fake.js';
import type { RunOptions, RunResult } from '../../src/host/host.js';

const local = new LocalHost('primary', '127.0.0.1', 10_000);

describe('runMany: several commands as one process', () => {
  it('gives each command exactly what it printed, its stderr and its exit code, in order', async () => {
    const argvs = [
      ['printf', '%s', 'no newline at the end'],
      ['sh', '-c', 'echo out; echo err >&2; exit 3'],
      ['printf', '%s\n\n\n', 'trailing newlines'],
      ['sh', '-c', 'printf "\\nline after an empty first line\\n"'],
      ['printf', '%s', ''],
      ['nfsctl-no-such-command-anywhere'],
    ];
    const alone = await Promise.all(argvs.slice(0, 5).map((a) => local.run(a)));
    const many = await local.runMany(argvs);
    expect(many.map((r) => r.argv)).toEqual(argvs);
    for (let i = 0; i < 5; i++) {
      expect({ exitCode: many[i]!.exitCode, stdout: many[i]!.stdout, stderr: many[i]!.stderr }).toEqual({
        exitCode: alone[i]!.exitCode,
        stdout: alone[i]!.stdout,
        stderr: alone[i]!.stderr,
      });
    }
    expect(many[1]).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(many[5]!.exitCode).toBe(127);
  });

  it('passes hostile arguments through unchanged', async () => {
    const hostile = ['$(touch /tmp/nfsctl-pwned)', '`id`', "it's", 'a b\tc', '*', '; rm -rf /', '\n', 'ünïcødé', '-n'];
    const [r, r2] = await local.runMany([
      ['printf', '%s\\0', ...hostile],
      ['printf', '%s', 'x'],
    ]);
    expect(r!.stdout.split('\0').slice(0, -1)).toEqual(hostile);
    expect(r2!.stdout).toBe('x');
  });

  it('cannot be confused by output that looks like its framing', async () => {
    const [a, b] = await local.runMany([
      ['printf', '%s', `\n--nfsctl-batch-00-- 1 0\nfake\n--nfsctl-batch-00-- e\n`],
      ['echo', 'real'],
    ]);
    expect(a!.stdout).toBe(`\n--nfsctl-batch-00-- 1 0\nfake\n--nfsctl-batch-00-- e\n`);
    expect(b!.stdout).toBe('real\n');
  });

  it('runs the commands at once, in one process', async () => {
    const calls: string[][] = [];
    const counting = { run: (argv: string[], o?: RunOptions) => (calls.push(argv), local.run(argv, o)) };
    const t0 = Date.now();
    const rs = await runManyVia(
      counting,
      Array.from({ length: 6 }, (_, i) => ['sh', '-c', 'sleep 0.4; echo $1', 'x', String(i)]),
      {},
      10_000,
    );
    expect(rs.map((r) => r.stdout)).toEqual(['0\n', '1\n', '2\n', '3\n', '4\n', '5\n']);
    expect(calls).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(6 * 400);
  });

  it('runs a command asked for twice in one batch once, and answers both with its result', async () => {
    const calls: string[][] = [];
    const counting = { run: (argv: string[], o?: RunOptions) => (calls.push(argv), local.run(argv, o)) };
    const dir = mkdtempSync(join(tmpdir(), 'nfsctl-batch-dedupe-'));
    try {
      // each run of the counting command appends a line: twice asked, once run
      const count = ['sh', '-c', 'echo run >>"$1"; wc -l <"$1"', 'x', join(dir, 'runs')];
      const rs = await runManyVia(counting, [count, ['echo', 'other'], count, ['echo', 'other']], {}, 10_000);
      expect(rs.map((r) => r.stdout.trim())).toEqual(['1', 'other', '1', 'other']);
      expect(rs.map((r) => r.argv)).toEqual([count, ['echo', 'other'], count, ['echo', 'other']]);
      expect(readFileSync(join(dir, 'runs'), 'utf8')).toBe('run\n');
      expect(calls).toHaveLength(1);
      // one job per distinct command in the batch script
      expect(calls[0]![2]!.match(/&$/gm)).toHaveLength(2);
      // the results are copies: one caller changing its result does not change the other's
      rs[0]!.stdout = 'changed';
      expect(rs[2]!.stdout.trim()).toBe('1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(distinctArgvs([['a'], ['b'], ['a'], ['a', 'b'], ['a b']])).toEqual({
      unique: [['a'], ['b'], ['a', 'b'], ['a b']],
      indexOf: [0, 1, 0, 2, 3],
    });
  });

  it('falls back to one command at a time when the batch cannot run (no temp dir)', async () => {
    const calls: string[][] = [];
    const counting = {
      run: (argv: string[], o?: RunOptions) => (
        calls.push(argv),
        local.run(argv, { ...o, env: { TMPDIR: '/nonexistent/nfsctl' } })
      ),
    };
    const rs = await runManyVia(
      counting,
      [
        ['echo', 'a'],
        ['sh', '-c', 'exit 5'],
      ],
      {},
      10_000,
    );
    expect(rs.map((r) => [r.exitCode, r.stdout])).toEqual([
      [0, 'a\n'],
      [5, ''],
    ]);
    expect(calls).toHaveLength(3);
    expect(calls[0]![3]).toBe('nfsctl-batch');
  });

  it('a command that hangs ends alone at its time limit; the others keep their results', async () => {
    const t0 = Date.now();
    const [hung, ok] = await local.runMany(
      [
        ['sleep', '60'],
        ['echo', 'fine'],
      ],
      { timeoutMs: 2_000 },
    );
    expect(hung).toMatchObject({ exitCode: 124, timedOut: true });
    expect(ok).toMatchObject({ exitCode: 0, stdout: 'fine\n', timedOut: false });
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('rejects output that is not a well-formed batch', () => {
    const t = { host: 'h', durationMs: 1, timedOut: false };
    expect(parseBatchOutput('', 'B', [['a']], t)).toBeNull();
    expect(parseBatchOutput('\nB 0 0\nx', 'B', [['a']], t)).toBeNull();
    expect(parseBatchOutput('\nB 1 0\nx\nB e\n', 'B', [['a']], t)).toBeNull();
    expect(parseBatchOutput('\nB 0 0\nx\nB e\ny', 'B', [['a']], t)).toEqual([
      { ...t, argv: ['a'], exitCode: 0, stdout: 'x', stderr: 'y' },
    ] satisfies RunResult[]);
  });

  it('a fake host answers each command from its handlers and its in-memory files', async () => {
    const f = new FakeHost('backup');
    f.files.set('/etc/fstab', 'UUID=x / ext4 defaults 0 1\n');
    f.on(['lvs'], { stdout: '{}' });
    const [lvs, fstab, missing] = await f.runMany([
      ['lvs'],
      ['sh', '-c', 'if [ -e "$1" ]; then exec cat -- "$1"; else exit 44; fi', 'nfsctl-read', '/etc/fstab'],
      ['sh', '-c', 'if [ -e "$1" ]; then exec cat -- "$1"; else exit 44; fi', 'nfsctl-read', '/nope'],
    ]);
    expect(lvs!.stdout).toBe('{}');
    expect(fstab!.stdout).toContain('ext4');
    expect(missing!.exitCode).toBe(44);
    expect(f.calls.map((c) => c.argv[0])).toEqual(['lvs', 'sh', 'sh']);
  });
});
