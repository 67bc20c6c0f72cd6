import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SshHost, connectionLog, type SshOptions } from '../../src/host/ssh.js';
import { Runner } from '../../src/plan/runner.js';
import type { Plan, Step } from '../../src/plan/plan.js';
import { AuditLog } from '../../src/state/audit.js';
import { LineProgress } from '../../src/cli/progress.js';
import { HostUnreachableError } from '../../src/core/errors.js';
import { captureOutput } from '../support/capture.js';
import { tempDir } from '../support/config.js';
import { clientKey, knownHostsLine, startSshd, type TestSshd } from '../support/sshd.js';

// Two real sshd instances on loopback stand in for primary and backup.
let primary: TestSshd;
let backup: TestSshd;
let work: string;
let key: { priv: string; pub: string };
let knownHosts: string;

function sshOpts(extra: Partial<SshOptions> = {}): SshOptions {
  return {
    user: 'root',
    port: 22,
    identity: key.priv,
    knownHosts,
    sudo: false,
    connectTimeoutMs: 5_000,
    commandTimeoutMs: 20_000,
    ...extra,
  };
}
const hostFor = (name: string, s: TestSshd, extra: Partial<SshOptions> = {}) =>
  new SshHost(name, '127.0.0.1', sshOpts({ port: s.port, ...extra }));
const accepted = (s: TestSshd) =>
  s
    .log()
    .split('\n')
    .filter((l) => l.includes('Accepted publickey')).length;

beforeAll(async () => {
  work = tempDir('nfsctl-ssh-');
  key = clientKey(work);
  [primary, backup] = await Promise.all([startSshd(key.pub), startSshd(key.pub)]);
  knownHosts = join(work, 'known_hosts');
  writeFileSync(knownHosts, knownHostsLine(primary) + knownHostsLine(backup));
});
afterAll(async () => {
  await Promise.all([primary?.stop(), backup?.stop()]);
});

describe('ssh host against real sshd', () => {
  it('runs a whole plan on two hosts over exactly one connection each', async () => {
    const hosts = { primary: hostFor('primary', primary), backup: hostFor('backup', backup) };
    const marker = join(work, 'plan-marker');
    const step = (host: string, n: number): Step => ({
      id: `${host}-${n}`,
      host,
      title: `step ${n}`,
      action: { kind: 'run', argv: ['sh', '-c', 'echo "$1 $2" >> "$3"', 'x', host, String(n), marker] },
      undo: null,
      noUndoReason: 'test',
    });
    const plan: Plan = {
      id: 'ssh-plan',
      title: 'two hosts',
      phases: [
        { title: 'one', steps: [step('primary', 1), step('primary', 2), step('backup', 1), step('backup', 2)] },
        { title: 'two', steps: [step('primary', 3), step('backup', 3)] },
      ],
    };
    const { out, stderr } = captureOutput();
    const before = connectionLog.length;
    const runner = new Runner({
      out,
      progress: new LineProgress(stderr),
      audit: new AuditLog(join(work, 'audit.jsonl')),
      prompter: async () => ({ confirm: async () => true, typed: async () => true }),
      host: (n) => hosts[n as 'primary' | 'backup'],
    });
    const report = await runner.run(plan, {
      dryRun: false,
      yes: true,
      json: false,
      interactive: false,
      confirm: { kind: 'yesno', message: '' },
    });
    expect(report.ok).toBe(true);
    const lines = readFileSync(marker, 'utf8').trim().split('\n').sort();
    expect(lines).toEqual(['backup 1', 'backup 2', 'backup 3', 'primary 1', 'primary 2', 'primary 3']);
    expect(
      connectionLog
        .slice(before)
        .map((c) => c.host)
        .sort(),
    ).toEqual(['backup', 'primary']);
    await Promise.all([hosts.primary.close(), hosts.backup.close()]);
    // the servers' own view: one authenticated connection each
    expect(accepted(primary)).toBe(1);
    expect(accepted(backup)).toBe(1);
  });

  it('refuses a host whose key is not in known_hosts, before authenticating', async () => {
    const kh = join(work, 'known_hosts_only_primary');
    writeFileSync(kh, knownHostsLine(primary));
    const h = hostFor('backup', backup, { knownHosts: kh });
    const before = accepted(backup);
    const err = await h.run(['true']).catch((e) => e);
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect(err.message).toContain('refusing to connect to backup');
    expect(err.message).toContain('no known_hosts entry');
    expect(err.message).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    expect(accepted(backup)).toBe(before);
  });

  it('refuses a changed host key', async () => {
    const other = join(work, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const kh = join(work, 'known_hosts_changed');
    writeFileSync(kh, knownHostsLine(primary, readFileSync(`${other}.pub`, 'utf8')));
    const err = await hostFor('primary', primary, { knownHosts: kh })
      .run(['true'])
      .catch((e) => e);
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect(err.message).toContain('HOST KEY CHANGED');
  });

  it('accepts a hashed known_hosts entry', async () => {
    const kh = join(work, 'known_hosts_hashed');
    writeFileSync(kh, knownHostsLine(primary));
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
    expect(readFileSync(kh, 'utf8')).toMatch(/^\|1\|/);
    const h = hostFor('primary', primary, { knownHosts: kh });
    expect((await h.run(['echo', 'ok'])).stdout).toBe('ok\n');
    await h.close();
  });

  it('passes hostile arguments through the remote shell unchanged', async () => {
    const h = hostFor('primary', primary);
    const args = ['$(id)', '`id`', "it's", 'a b', 'line1\nline2', 'ünï ✓', ';rm -rf /', ''];
    const r = await h.run(['printf', '%s\\0', ...args]);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(args);
    await h.close();
  });

  it('treats stderr with exit 0 as success and reports the real exit code', async () => {
    const h = hostFor('primary', primary);
    const warn = await h.run(['sh', '-c', 'echo "  WARNING: something LVM-ish" >&2; echo data']);
    expect(warn).toMatchObject({ exitCode: 0, stdout: 'data\n' });
    expect(warn.stderr).toContain('WARNING');
    expect((await h.run(['sh', '-c', 'exit 42'])).exitCode).toBe(42);
    await h.close();
  });

  it('ends a command at its timeout on the remote side', async () => {
    const h = hostFor('primary', primary);
    const r = await h.run(['sleep', '30'], { timeoutMs: 1_000 });
    expect(r.exitCode).toBe(124);
    expect(r.timedOut).toBe(true);
    await h.close();
  });

  it('writes files atomically and reads them back remotely', async () => {
    const h = hostFor('backup', backup);
    const f = join(work, 'remote-exports');
    await h.writeFileAtomic(f, 'first\n');
    const w = await h.writeFileAtomic(f, "second 'quoted' $(x)\n", { backup: true });
    expect(await h.readFile(f)).toBe("second 'quoted' $(x)\n");
    expect(readFileSync(w.backupPath!, 'utf8')).toBe('first\n');
    expect(await h.readFile(join(work, 'nope'))).toBeNull();
    await h.close();
  });

  it('runs many commands at once over one connection without exceeding sshd MaxSessions (10)', async () => {
    const h = hostFor('backup', backup);
    const before = accepted(backup);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => h.run(['sh', '-c', 'sleep 0.2; echo $1', 'x', String(i)])),
    );
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
    expect(accepted(backup) - before).toBe(1);
    await h.close();
  });

  it('runs a burst of instant commands: sshd frees a session after our side sees it closed, and that lag never fails a command', async () => {
    const h = hostFor('backup', backup);
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => h.run(['echo', String(i)])));
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 300 }, (_, i) => String(i)));
    await h.close();
  });

  it('runs a batch of commands over one channel with the same results as one by one', async () => {
    const h = hostFor('backup', backup);
    const argvs = [
      ['printf', '%s\\0', "it's", '$(id)', 'a b'],
      ['sh', '-c', 'echo e >&2; exit 4'],
      ['printf', '%s', 'no newline'],
    ];
    const alone = await Promise.all(argvs.map((a) => h.run(a)));
    const many = await h.runMany(argvs);
    expect(many.map((r) => [r.exitCode, r.stdout, r.stderr])).toEqual(
      alone.map((r) => [r.exitCode, r.stdout, r.stderr]),
    );
    expect(many[0]!.stdout.split('\0').slice(0, -1)).toEqual(["it's", '$(id)', 'a b']);
    await h.close();
  });

  it('reports an address where nothing listens as unreachable, quickly', async () => {
    const h = new SshHost('ghost', '127.0.0.1', sshOpts({ port: 1, connectTimeoutMs: 2_000 }));
    const err = await h.run(['true']).catch((e) => e);
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect(err.message).toContain('cannot reach ghost');
  });

  it('a cancelled command is ended on the host, with what it started (its process group), and streams its output', async () => {
    const h = hostFor('primary', primary);
    const tag = `nfsctl-cancel-${process.pid}-${Date.now()}`;
    const alive = () => {
      try {
        return execFileSync('pgrep', ['-f', tag], { encoding: 'utf8' }).trim();
      } catch {
        return '';
      }
    };
    const ctl = new AbortController();
    const chunks: string[] = [];
    // a parent that ignores nothing and a child of its own (like rsync's receiver and generator)
    const p = h.run(['sh', '-c', 'echo started; sleep 60 & sleep 61; wait', tag], {
      signal: ctl.signal,
      onStdout: (c) => chunks.push(c),
      timeoutMs: 120_000,
    });
    const t0 = Date.now();
    while (!chunks.join('').includes('started') && Date.now() - t0 < 10_000)
      await new Promise((r) => setTimeout(r, 20));
    expect(alive()).not.toBe('');
    ctl.abort();
    const err = await p.catch((e: unknown) => e);
    expect((err as Error).name).toBe('CommandCancelledError');
    expect((err as { mayStillRun: boolean }).mayStillRun).toBe(false);
    expect(alive()).toBe('');
    expect(Date.now() - t0).toBeLessThan(15_000);
    // an ordinary run with a signal that never fires: the pid line is not in its stderr
    const r = await h.run(['sh', '-c', 'echo err >&2'], { signal: new AbortController().signal });
    expect(r.stderr).toBe('err\n');
  });
});
