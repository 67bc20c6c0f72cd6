// Ctrl-C in a real terminal (tmux, 80x24) during a failback on the lab: the confirmation
// screen, then SIGINT from the terminal while the bulk rsync copies a few hundred MB. The
// run must exit 5 (something changed), print each host's state and the resume command,
// release the pair lock on both hosts, and `failback --resume` must complete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { LAB_SH, NS, labExec, labExecOk, run, undoAllFaults, vipHolders, waitFor } from './helpers.js';

const nfsctl = (host: 'primary' | 'backup', args: string[], timeoutMs = 300_000) =>
  labExec(host, ['nfsctl', ...args], { timeoutMs });
const sums = async (host: 'primary' | 'backup') =>
  labExecOk(host, ['bash', '-c', 'cd /nfs/intr_data && find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2']);
const SOCK = `${NS}-tmux`;
const EXIT_FILE = `/tmp/${NS}-intr.exit`;
const tmux = (args: string[]) => run('tmux', ['-L', SOCK, ...args]);

/**
 * A fresh detached session: the previous one is killed first, and a server still shutting down
 * right after kill-server refuses new sessions for a moment, so try again briefly (a CI run on
 * 2026-12-02 failed there with exit 1).
 */
async function freshSession(cmd: string) {
  await tmux(['kill-server']).catch(() => undefined);
  let r = await tmux(['new-session', '-d', '-s', 'intr', '-x', '80', '-y', '24', 'bash', '-c', cmd]);
  for (let i = 0; i < 20 && r.exitCode !== 0; i++) {
    await new Promise((res) => setTimeout(res, 250));
    await tmux(['kill-server']).catch(() => undefined);
    r = await tmux(['new-session', '-d', '-s', 'intr', '-x', '80', '-y', '24', 'bash', '-c', cmd]);
  }
  return r;
}
/** The visible 80x24 screen as is, or (history) the whole scrollback with wrapped lines joined. */
const screen = async (history = false) =>
  (await tmux(['capture-pane', '-p', '-t', 'intr', ...(history ? ['-J', '-S', '-400'] : [])])).stdout;

/**
 * rsync processes of a lab host (its netns) other than the daemon's listener: a copy's
 * receiver on the pulling host and the daemon's per-connection sender on the other one.
 */
const copies = (h: 'primary' | 'backup') =>
  labExec(h, [
    'bash',
    '-c',
    'me=$(readlink /proc/self/ns/net); d=$(cat /run/rsyncd.pid 2>/dev/null); for p in $(pgrep -x rsync); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] || continue; [ "$p" = "$d" ] && continue; echo "$p $(tr "\\0" " " < /proc/$p/cmdline 2>/dev/null)"; done; true',
  ]).then((r) => r.stdout.trim());

/** pids of the bulk (non-dry-run) rsync nfsctl started on the primary, in this lab's netns only. */
const bulkRsync = () =>
  labExec('primary', [
    'bash',
    '-c',
    'me=$(readlink /proc/self/ns/net); for p in $(pgrep -x rsync); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] || continue; c=$(tr "\\0" " " < /proc/$p/cmdline 2>/dev/null); case "$c" in *dry-run*) ;; *itemize*) echo $p;; esac; done',
  ]);

async function restore(): Promise<void> {
  await undoAllFaults().catch(() => undefined);
  await labExec('primary', [
    'bash',
    '-c',
    'me=$(readlink /proc/self/ns/net); for p in $(pgrep -f "bin/nfsctl (failback|switchover|sync)"); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] && kill "$p"; done; true',
  ]);
  await nfsctl('primary', ['lock', 'break', '--yes']);
  await labExec('primary', [
    'bash',
    '-c',
    'labsvc start nfs-ganesha; labsvc enable keepalived; labsvc start keepalived',
  ]);
  await labExec('backup', ['bash', '-c', 'labsvc start nfs-ganesha; labsvc start keepalived']);
  await waitFor(async () => (await vipHolders()).join() === 'primary', 60_000).catch(() => undefined);
}

describe.sequential(`Ctrl-C in a terminal on lab ${NS}`, () => {
  beforeAll(async () => {
    await restore();
    await nfsctl('primary', ['volume', 'delete', 'intr/data', '--yes', '--force']);
    for (const h of ['primary', 'backup'] as const)
      await labExec(h, ['rm', '-rf', '/nfs/intr_data', '/var/lib/nfsctl/failback.json']);
    const r = await nfsctl('primary', [
      'volume',
      'create',
      'intr/data',
      '--size',
      '1G',
      '--backend',
      'xfsquota',
      '--yes',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await tmux(['kill-server']).catch(() => undefined);
    rmSync(EXIT_FILE, { force: true });
    await restore();
    await nfsctl('primary', ['volume', 'delete', 'intr/data', '--yes', '--force']);
    for (const h of ['primary', 'backup'] as const)
      await labExec(h, ['rm', '-rf', '/nfs/intr_data', '/var/lib/nfsctl/failback.json']);
  }, 300_000);

  it(
    'the confirmation at 80x24, Ctrl-C during the bulk copy: exit 5, states, resume command, lock free; --resume completes',
    { timeout: 900_000 },
    async () => {
      // outage: the backup takes the VIP and receives ~500 MB the primary does not have
      await labExecOk('primary', ['bash', '-c', 'labsvc stop keepalived; labsvc stop nfs-ganesha']);
      await waitFor(async () => (await vipHolders()).join() === 'backup', 30_000);
      await labExecOk(
        'backup',
        [
          'bash',
          '-c',
          'mkdir -p /nfs/intr_data/big && for i in $(seq 1 250); do head -c 2000000 /dev/urandom > /nfs/intr_data/big/b$i; done',
        ],
        { timeoutMs: 300_000 },
      );
      await labExecOk('primary', ['labsvc', 'start', 'nfs-ganesha']);

      rmSync(EXIT_FILE, { force: true });
      const cmd = `cd / && NFSLAB_NS=${NS} bash ${LAB_SH} exec primary -- env TERM=xterm nfsctl failback; echo "$?" > ${EXIT_FILE}; sleep 900`;
      const started = await freshSession(cmd);
      expect(started.exitCode, started.stderr).toBe(0);

      // the confirmation screen: the question on the last line in use, the plan's end above it
      await waitFor(async () => /to confirm\)/.test(await screen()), 120_000, 300);
      const confirm = await screen();
      const lines = confirm.replace(/\n+$/, '').split('\n');
      console.log('CONFIRMATION SCREEN (80x24)\n' + confirm);
      expect(lines.length).toBeLessThanOrEqual(24);
      expect(lines.every((l) => l.length <= 80)).toBe(true);
      expect(lines.slice(-3).join(' ')).toMatch(/Type the name of the primary to go on \(type "primary" to confirm\)/);
      expect(confirm).toMatch(/rsync|sync/);
      // the summary is what the operator reads last: hosts, copy size (and deletions), volumes,
      // their backend and the clients, all between "Summary:" and the question
      const at = lines.findIndex((l) => /^Summary:/.test(l));
      expect(at, confirm).toBeGreaterThanOrEqual(0);
      const summary = lines.slice(at).join('\n');
      expect(summary).toMatch(/failback: the VIP \S+ and its clients move from backup to primary/);
      expect(summary).toMatch(/copy backup -> primary \(dry run\): \d+ file\(s\), \d+(\.\d+)?Mi, \d+ to delete/);
      expect(summary).toMatch(/volumes \(1\): intr\/data/);
      expect(summary).toMatch(/backend: \w+ \(1\)/);
      expect(summary).toMatch(/clients of backup/);
      expect(summary).toMatch(/\d+ step\(s\) on /);
      // nothing has changed yet: the primary's keepalived is still stopped, the VIP on the backup
      expect(await vipHolders()).toEqual(['backup']);

      await tmux(['send-keys', '-t', 'intr', '-l', 'primary']);
      await tmux(['send-keys', '-t', 'intr', 'Enter']);
      // wait for the bulk copy to be under way (some data on the primary), then Ctrl-C
      await waitFor(async () => (await bulkRsync()).stdout.trim() !== '', 180_000, 50);
      await waitFor(
        async () => Number((await labExec('primary', ['du', '-sm', '/nfs/intr_data'])).stdout.split('\t')[0]) >= 40,
        120_000,
        50,
      );
      console.log('DURING THE COPY (80x24)\n' + (await screen()));
      const t0 = Date.now();
      await tmux(['send-keys', '-t', 'intr', 'C-c']);
      await waitFor(() => existsSync(EXIT_FILE), 120_000, 200);
      const stopMs = Date.now() - t0;
      const exit = Number(readFileSync(EXIT_FILE, 'utf8').trim());
      const after = await screen(true);
      console.log(`AFTER CTRL-C (exit ${exit}, ${stopMs} ms)\n` + after);
      const copiedMb = Number((await labExec('primary', ['du', '-sm', '/nfs/intr_data'])).stdout.split('\t')[0]);
      console.log(`copied before the interrupt: ${copiedMb} MB of ~500`);

      expect(exit).toBe(5);
      expect(after).toMatch(/INTERRUPTED \(SIGINT\)/);
      expect(after).toMatch(/primary: CHANGED: interrupted during/);
      expect(after).toMatch(/backup: (unchanged|rolled back|done|CHANGED)/);
      expect(after).toMatch(/nfsctl failback --resume/);
      expect(after).not.toMatch(/nothing was changed/);
      expect(after).not.toMatch(/internal error|at .*\.js:\d+/);
      // the lock is free on both hosts, the VIP still on the backup, the rsync gone
      const locks = JSON.parse((await nfsctl('backup', ['lock', 'status', '--json'])).stdout);
      expect(locks.locks.map((l: { held: boolean }) => l.held)).toEqual([false, false]);
      expect(await vipHolders()).toEqual(['backup']);
      expect((await bulkRsync()).stdout.trim()).toBe('');
      // nor the backup daemon's sender of that copy: no rsync of it is left on either host
      await waitFor(async () => (await copies('backup')) === '' && (await copies('primary')) === '', 15_000, 200).catch(
        () => undefined,
      );
      expect(await copies('backup')).toBe('');
      expect(await copies('primary')).toBe('');
      const st = JSON.parse((await nfsctl('primary', ['status', '--json'])).stdout);
      expect(st.operation.failback).toMatchObject({ status: 'failed' });

      const resumed = await nfsctl('primary', ['failback', '--resume', '--yes'], 600_000);
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(await vipHolders()).toEqual(['primary']);
      expect(await sums('primary')).toBe(await sums('backup'));
    },
  );

  it(
    'a prompt left unanswered or interrupted does not keep the pair lock: SIGTERM at the prompt (143), NFSCTL_PROMPT_TIMEOUT (130)',
    { timeout: 300_000 },
    async () => {
      const lockHeld = async () =>
        JSON.parse((await nfsctl('backup', ['lock', 'status', '--json'])).stdout).locks.map(
          (l: { held: boolean }) => l.held,
        );
      for (const mode of ['sigterm', 'timeout'] as const) {
        rmSync(EXIT_FILE, { force: true });
        const env = mode === 'timeout' ? 'NFSCTL_PROMPT_TIMEOUT=4' : 'NFSCTL_PROMPT_TIMEOUT=10m';
        const cmd = `cd / && NFSLAB_NS=${NS} bash ${LAB_SH} exec primary -- env TERM=xterm ${env} nfsctl switchover; echo "$?" > ${EXIT_FILE}; sleep 900`;
        const started = await freshSession(cmd);
        expect(started.exitCode, started.stderr).toBe(0);
        await waitFor(async () => /to confirm\)/.test(await screen()), 120_000, 300);
        expect(await lockHeld()).toEqual([true, true]); // the plan was read under the lock
        if (mode === 'sigterm') {
          await labExecOk('primary', [
            'bash',
            '-c',
            'me=$(readlink /proc/self/ns/net); for p in $(pgrep -f "^/usr/bin/node [^ ]*bin/nfsctl switchover"); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] && kill -TERM "$p"; done; true',
          ]);
        }
        await waitFor(() => existsSync(EXIT_FILE), 60_000, 200);
        const exit = Number(readFileSync(EXIT_FILE, 'utf8').trim());
        const after = await screen(true);
        expect(exit, after).toBe(mode === 'sigterm' ? 143 : 130);
        expect(after).toMatch(
          mode === 'sigterm'
            ? /interrupted \(SIGTERM\): nothing was changed/
            : /no answer within 4 s \(NFSCTL_PROMPT_TIMEOUT\): cancelled, nothing was changed/,
        );
        expect(await lockHeld()).toEqual([false, false]);
        expect(await vipHolders()).toEqual(['primary']);
      }
    },
  );

  it(
    'SIGINT during a sync whose rsync runs on the other host over SSH: that rsync is stopped there, exit 5, lock free on both, the re-run completes',
    { timeout: 300_000 },
    async () => {
      expect(await vipHolders()).toEqual(['primary']);
      for (const h of ['primary', 'backup'] as const)
        await labExecOk(h, ['rm', '-rf', '/nfs/intr_data/big', '/nfs/intr_data/huge']);
      await labExecOk('primary', ['bash', '-c', 'head -c 800M /dev/zero > /nfs/intr_data/huge'], {
        timeoutMs: 120_000,
      });
      const run = nfsctl('primary', ['sync', '--yes'], 240_000);
      // the backup pulls: wait until its rsync is copying (some of the file there), then SIGINT nfsctl
      await waitFor(async () => /rsync:\/\//.test(await copies('backup')), 120_000, 50);
      await waitFor(
        async () => Number((await labExec('backup', ['du', '-sm', '/nfs/intr_data'])).stdout.split('\t')[0]) >= 2,
        60_000,
        50,
      );
      await labExecOk('primary', [
        'bash',
        '-c',
        'me=$(readlink /proc/self/ns/net); for p in $(pgrep -f "^/usr/bin/node [^ ]*bin/nfsctl sync"); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] && kill -INT "$p"; done; true',
      ]);
      const t0 = Date.now();
      const r = await run;
      console.log(
        `SYNC INTERRUPTED (exit ${r.exitCode}, ${Date.now() - t0} ms from SIGINT to exit)\n${r.stderr.slice(-1500)}`,
      );
      expect(r.exitCode, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/INTERRUPTED \(SIGINT\) during \[backup\] rsync/);
      expect(r.stderr).toMatch(/was cancelled/);
      // while it copied, a plain progress line (not a terminal): bytes of the dry run's size, rate, ETA
      expect(r.stderr).toMatch(/\[backup\] copy intr\/data \S+\/800Mi \d+% \S+\/s ETA /);
      expect(r.stderr).not.toMatch(/lock on backup is kept|internal error/);
      // no rsync of the copy is left on either host (the daemon's child on the primary ends with its peer)
      await waitFor(async () => (await copies('backup')) === '' && (await copies('primary')) === '', 15_000, 200).catch(
        () => undefined,
      );
      expect(await copies('backup')).toBe('');
      expect(await copies('primary')).toBe('');
      const locks = JSON.parse((await nfsctl('backup', ['lock', 'status', '--json'])).stdout);
      expect(locks.locks.map((l: { held: boolean }) => l.held)).toEqual([false, false]);
      // the re-run (what the hint says) completes the copy
      expect(r.stderr).toMatch(/run the same command again/);
      const again = await nfsctl('primary', ['sync', '--yes'], 240_000);
      expect(again.exitCode, again.stderr).toBe(0);
      const size = async (h: 'primary' | 'backup') =>
        (await labExecOk(h, ['stat', '-c', '%s', '/nfs/intr_data/huge'])).trim();
      expect(await size('backup')).toBe(await size('primary'));
      for (const h of ['primary', 'backup'] as const) await labExecOk(h, ['rm', '-f', '/nfs/intr_data/huge']);
    },
  );

  it(
    'SIGINT during a failback run from the backup (the copy runs on the primary over SSH): that rsync is stopped there, exit 5, no rsync left, lock free; --resume completes',
    { timeout: 600_000 },
    async () => {
      expect(await vipHolders()).toEqual(['primary']);
      await labExecOk('primary', ['bash', '-c', 'labsvc stop keepalived; labsvc stop nfs-ganesha']);
      await waitFor(async () => (await vipHolders()).join() === 'backup', 30_000);
      await labExecOk('backup', ['bash', '-c', 'head -c 800M /dev/zero > /nfs/intr_data/huge'], {
        timeoutMs: 120_000,
      });
      await labExecOk('primary', ['labsvc', 'start', 'nfs-ganesha']);
      const run = nfsctl('backup', ['failback', '--yes'], 300_000);
      // the primary pulls (its rsync started over SSH): wait until it is copying, then SIGINT nfsctl
      await waitFor(async () => (await bulkRsync()).stdout.trim() !== '', 180_000, 50);
      await waitFor(
        async () => Number((await labExec('primary', ['du', '-sm', '/nfs/intr_data'])).stdout.split('\t')[0]) >= 2,
        60_000,
        50,
      );
      await labExecOk('backup', [
        'bash',
        '-c',
        'me=$(readlink /proc/self/ns/net); for p in $(pgrep -f "^/usr/bin/node [^ ]*bin/nfsctl failback"); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] && kill -INT "$p"; done; true',
      ]);
      const r = await run;
      console.log(`FAILBACK FROM THE BACKUP INTERRUPTED (exit ${r.exitCode})\n${r.stderr.slice(-1500)}`);
      expect(r.exitCode, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/INTERRUPTED \(SIGINT\)/);
      expect(r.stderr).toMatch(/nfsctl failback --resume/);
      await waitFor(async () => (await copies('backup')) === '' && (await copies('primary')) === '', 15_000, 200).catch(
        () => undefined,
      );
      expect(await copies('primary')).toBe('');
      expect(await copies('backup')).toBe('');
      const locks = JSON.parse((await nfsctl('backup', ['lock', 'status', '--json'])).stdout);
      expect(locks.locks.map((l: { held: boolean }) => l.held)).toEqual([false, false]);
      expect(await vipHolders()).toEqual(['backup']);
      const resumed = await nfsctl('backup', ['failback', '--resume', '--yes'], 600_000);
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(await vipHolders()).toEqual(['primary']);
      for (const h of ['primary', 'backup'] as const) await labExecOk(h, ['rm', '-f', '/nfs/intr_data/huge']);
    },
  );
});
