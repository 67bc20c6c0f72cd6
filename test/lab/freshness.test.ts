// Data freshness on the real lab (NFSLAB_NS=nfslab-fresh recommended): the sequence,
// replayed exactly. switchover; a client writes a file on the backup through the VIP;
// keepalived started on the (stale) primary by hand and through the old advice of `health`:
// the VIP stays on the backup; the timer's `nfsctl sync --yes` with the VIP forced onto the
// stale primary refuses and names the file; failback brings the file home intact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labExec, labExecOk, undoAllFaults, vipHolders, waitFor, VIP, NS } from './helpers.js';

const nfsctl = (host: 'primary' | 'backup', args: string[], timeoutMs = 300_000) =>
  labExec(host, ['nfsctl', ...args], { timeoutMs });
const FILE = 'team-a_data/maint.txt';
const TRACK = '/var/lib/nfsctl/freshness/stale';
const sha = async (host: 'primary' | 'backup' | 'client', path: string) =>
  (await labExecOk(host, ['sha256sum', path])).split(' ')[0];

/** The VIP stays where it is for `ms` (sampled every 250 ms). */
async function vipStaysOn(want: string, ms: number): Promise<string[]> {
  const seen = new Set<string>();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    seen.add((await vipHolders()).join('+') || 'nobody');
    await new Promise((r) => setTimeout(r, 250));
  }
  void want;
  return [...seen];
}

async function resetFreshness(): Promise<void> {
  for (const h of ['primary', 'backup'] as const) {
    await labExec(h, [
      'bash',
      '-c',
      `rm -f /var/lib/nfsctl/freshness/record.json /var/lib/nfsctl/failback.json /var/lib/nfsctl/switchover.json; mkdir -p /var/lib/nfsctl/freshness; echo 0 > ${TRACK}`,
    ]);
  }
}

describe.sequential(`data freshness on lab ${NS}`, () => {
  beforeAll(async () => {
    await undoAllFaults();
    await resetFreshness();
    await labExec('primary', [
      'bash',
      '-c',
      'labsvc start nfs-ganesha; labsvc enable keepalived; labsvc start keepalived',
    ]);
    await labExec('backup', ['bash', '-c', 'labsvc start nfs-ganesha; labsvc start keepalived']);
    await waitFor(async () => (await vipHolders()).join() === 'primary', 30_000);
    await nfsctl('primary', ['volume', 'delete', 'team-a/data', '--yes', '--force']);
    for (const h of ['primary', 'backup'] as const) await labExec(h, ['rm', '-rf', '/nfs/team-a_data']);
    const r = await nfsctl('primary', [
      'volume',
      'create',
      'team-a/data',
      '--size',
      '64M',
      '--backend',
      'xfsquota',
      '--yes',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    await labExecOk('client', [
      'bash',
      '-c',
      `echo before > /tmp/before.txt && nfs-cp /tmp/before.txt nfs://${VIP}/nfs/team-a_data/before.txt`,
    ]);
    const s = await nfsctl('backup', ['sync', '--yes']);
    expect(s.exitCode, s.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    // leave the lab as the next test file expects it: VIP on the primary, nothing stale
    for (const h of ['primary', 'backup'] as const)
      await labExec(h, ['bash', '-c', `ip addr del ${VIP}/24 dev eth0 2>/dev/null; true`]);
    await nfsctl('primary', ['lock', 'break', '--yes']);
    await resetFreshness();
    await labExec('primary', [
      'bash',
      '-c',
      'labsvc start nfs-ganesha; labsvc enable keepalived; labsvc restart keepalived',
    ]);
    await labExec('backup', ['bash', '-c', 'labsvc start nfs-ganesha; labsvc restart keepalived']);
    await waitFor(async () => (await vipHolders()).join() === 'primary', 60_000).catch(() => undefined);
    await nfsctl('primary', ['volume', 'delete', 'team-a/data', '--yes', '--force']);
    await resetFreshness();
  }, 300_000);

  it(
    'the issue, replayed: switchover, a client write on the backup, keepalived on the stale primary, the timer sync, failback',
    { timeout: 600_000 },
    async () => {
      // 1. switchover: the VIP and clients go to the backup; the primary is marked stale
      const so = await nfsctl('primary', ['switchover', '--yes']);
      expect(so.exitCode, so.stderr).toBe(0);
      expect(await vipHolders()).toEqual(['backup']);
      expect((await labExecOk('primary', ['cat', TRACK])).trim()).toBe('1');

      // 2. a client writes a file on the backup, through the VIP (libnfs)
      await labExecOk('client', [
        'bash',
        '-c',
        `head -c 4096 /dev/urandom > /tmp/maint.txt && nfs-cp /tmp/maint.txt nfs://${VIP}/nfs/${FILE}`,
      ]);
      const clientSum = await sha('client', '/tmp/maint.txt');
      expect(await sha('backup', `/nfs/${FILE}`)).toBe(clientSum);

      // status and health know the primary is older, and health's fix is failback, not "start keepalived"
      const st = JSON.parse((await nfsctl('backup', ['status', '--json'])).stdout);
      expect(st.freshness).toMatchObject({ newest: 'backup', older: 'primary' });
      const health = JSON.parse((await nfsctl('backup', ['health', '--json'])).stdout);
      const ka = health.checks.find(
        (c: { id: string; host: string }) => c.id === 'service-keepalived' && c.host === 'primary',
      );
      expect(ka.status).not.toBe('ok');
      expect(ka.fix).toBe('nfsctl failback');

      // 3a. keepalived started BY HAND on the stale primary: it stays in FAULT, the VIP stays on the backup
      await labExecOk('primary', ['labsvc', 'start', 'keepalived']);
      expect(await vipStaysOn('backup', 8_000)).toEqual(['backup']);
      expect((await labExecOk('primary', ['cat', '/run/vrrp.state'])).trim()).toBe('FAULT');
      // 3b. the old advice, verbatim (`labsvc start keepalived (on primary)`), as a restart: same
      await labExecOk('primary', ['labsvc', 'restart', 'keepalived']);
      expect(await vipStaysOn('backup', 8_000)).toEqual(['backup']);
      expect(
        await labExecOk('primary', ['grep', '-c', 'tracked file nfsctl_fresh', '/var/log/keepalived.log']),
      ).not.toBe('0\n');
      // the notify hook's second guard: MASTER on the stale primary is refused
      const hook = await nfsctl('primary', ['ha', 'notify', 'INSTANCE', 'VI_NFS', 'MASTER', '150']);
      expect(hook.exitCode).toBe(1);
      expect(hook.stderr).toMatch(/refusing to serve on primary/);
      await labExecOk('primary', ['labsvc', 'stop', 'keepalived']);

      // 4. the VIP on the stale primary anyway (an install without the track_file: forced here),
      //    then the timer's sync exactly as cron runs it: refused, exit 4, naming the client's file
      await labExecOk('backup', ['labsvc', 'stop', 'keepalived']);
      await waitFor(async () => (await vipHolders()).length === 0, 15_000);
      await labExecOk('primary', ['ip', 'addr', 'add', `${VIP}/24`, 'dev', 'eth0']);
      expect(await vipHolders()).toEqual(['primary']);
      const stStale = JSON.parse((await nfsctl('backup', ['status', '--json'])).stdout);
      expect(stStale.warnings.map((w: { id: string }) => w.id)).toContain('vip-on-older-host');
      const timer = await nfsctl('backup', ['sync', '--yes', '--json']);
      expect(timer.exitCode, timer.stdout + timer.stderr).toBe(4);
      expect(timer.stderr).toContain(`*deleting ${FILE}`);
      expect(await sha('backup', `/nfs/${FILE}`)).toBe(clientSum);
      // switchover from the stale VIP holder is refused too (its bulk sync would delete the file)
      const so2 = await nfsctl('primary', ['switchover', '--yes']);
      expect(so2.exitCode).toBe(4);
      expect(so2.stderr).toContain(FILE);
      expect(await sha('backup', `/nfs/${FILE}`)).toBe(clientSum);

      // 5. the right path: the VIP back to the backup (health's fix), then failback syncs first
      await labExecOk('primary', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
      await labExecOk('backup', ['labsvc', 'start', 'keepalived']);
      await waitFor(async () => (await vipHolders()).join() === 'backup', 30_000);
      const fb = await nfsctl('primary', ['failback', '--yes']);
      expect(fb.exitCode, fb.stdout + fb.stderr).toBe(0);
      expect(await vipHolders()).toEqual(['primary']);
      expect((await labExecOk('primary', ['cat', TRACK])).trim()).toBe('0');

      // the client's file intact: on the primary, through the VIP, and the next timer sync is fine
      expect(await sha('primary', `/nfs/${FILE}`)).toBe(clientSum);
      await labExecOk('client', [
        'bash',
        '-c',
        `rm -f /tmp/maint.back && nfs-cp nfs://${VIP}/nfs/${FILE} /tmp/maint.back && cmp /tmp/maint.txt /tmp/maint.back`,
      ]);
      const after = await nfsctl('backup', ['sync', '--yes', '--json']);
      expect(after.exitCode, after.stderr).toBe(0);
      expect(await sha('backup', `/nfs/${FILE}`)).toBe(clientSum);
      const st2 = JSON.parse((await nfsctl('primary', ['status', '--json'])).stdout);
      expect(st2.freshness).toMatchObject({ newest: 'primary', older: null });
      expect(st2.warnings.map((w: { id: string }) => w.id)).not.toContain('vip-on-older-host');
    },
  );
});
