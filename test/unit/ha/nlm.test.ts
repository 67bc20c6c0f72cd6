// NFSv3 lock recovery on the new VIP holder: the argv (the VIP checked into it), the statd
// list copied on planned moves, sm-notify skipped where absent, nothing for ganesha, and the
// `ha notify` MASTER path (a crash: only what the new holder has).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import { tempDir, testConfigYaml } from '../../support/config.js';
import { captureOutput } from '../../support/capture.js';
import { FakeHost } from '../../../src/host/fake.js';
import { Context } from '../../../src/cli/context.js';
import { planSteps, type Step } from '../../../src/plan/plan.js';
import { copyStatdList, nlmNotifyStep, nlmRecoverySteps, smNotifyArgv, statdNameOk } from '../../../src/ha/nlm.js';
import { parseNotifyArgs, planNotify, notifyRecordPath } from '../../../src/ha/notify.js';
import { runNotify } from '../../../src/commands/ha/ha.run.js';
import { clientState } from '../../../src/ha/promise.js';
import type { Config } from '../../../src/config/schema.js';

const kernel = (root = '/tmp/nfsctl-unit-nlm'): Config =>
  parseConfig(testConfigYaml(root).replace('server: ganesha', 'server: kernel'));
const ganesha = (): Config => parseConfig(testConfigYaml('/tmp/nfsctl-unit-nlm'));
const SM = ['sm-notify', '-f', '-v', '198.51.100.100'];
const isProbe = (a: string[]) => a[0] === 'sh' && a[1] === '-c' && a[2] === 'command -v sm-notify >/dev/null 2>&1';
const isStatdCat = (a: string[]) => a[0] === 'sh' && a[3] === 'nfsctl-statd';

async function runStep(s: Step, h: FakeHost): Promise<void> {
  if (s.action.kind !== 'fn') throw new Error(`${s.id}: not a fn step`);
  await s.action.fn(h, s as never);
}

describe('sm-notify argv', () => {
  it('-f -v <VIP>, no shell', () => {
    expect(smNotifyArgv('198.51.100.100')).toEqual(SM);
    expect(smNotifyArgv('2001:db8::10')).toEqual(['sm-notify', '-f', '-v', '2001:db8::10']);
  });
  it('a VIP that is not an address is refused before anything runs', () => {
    for (const bad of ['198.51.100.100; reboot', '-x', 'nfs.example', '', '198.51.100.300'])
      expect(() => smNotifyArgv(bad), bad).toThrow(/sm-notify -v/);
  });
  it('statd list file names: client names and addresses only', () => {
    for (const ok of ['client-1', '198.51.100.7', 'node7.example', '2001:db8::7'])
      expect(statdNameOk(ok), ok).toBe(true);
    for (const bad of ['..', '.hidden', 'a/b', '../x', 'a..b', '', 'a b']) expect(statdNameOk(bad), bad).toBe(false);
  });
});

describe('planned moves: the old holder statd list into the new holder sm.bak, then sm-notify', () => {
  const hosts = () => {
    const primary = new FakeHost('primary');
    const backup = new FakeHost('backup');
    backup.on(isStatdCat, {
      stdout:
        '==> 198.51.100.7 <==\n0100007f 000186b5 00000003 00000010 abcd 198.51.100.7 nfs-b\n\n==> ../evil <==\nx\n\n==> client-2 <==\n0100007f 000186b5 00000003 00000010 ef01 client-2 nfs-b\n\n',
    });
    return { primary, backup };
  };
  it('failback (backup -> primary): copy, then sm-notify on the primary', async () => {
    const h = hosts();
    const warned: string[] = [];
    const steps = nlmRecoverySteps(kernel(), h, 'backup', 'primary', { warn: (l) => warned.push(l) });
    expect(steps.map((s) => s.id)).toEqual(['primary:statd-copy', 'primary:sm-notify']);
    expect(steps.every((s) => s.host === 'primary' && s.noUndoReason)).toBe(true);
    for (const s of steps) await runStep(s, h.primary);
    expect(h.backup.calls.filter((c) => isStatdCat(c.argv)).map((c) => c.argv.slice(4))).toEqual([
      ['/var/lib/nfs/sm', ''],
    ]);
    // the bad name is left alone; the rest land in the notify list
    expect(h.primary.writes.map((w) => w.path).sort()).toEqual([
      '/var/lib/nfs/sm.bak/198.51.100.7',
      '/var/lib/nfs/sm.bak/client-2',
    ]);
    expect(h.primary.files.get('/var/lib/nfs/sm.bak/client-2')).toBe(
      '0100007f 000186b5 00000003 00000010 ef01 client-2 nfs-b\n',
    );
    expect(h.primary.calls.map((c) => c.argv).filter((a) => a[0] === 'sm-notify')).toEqual([SM]);
    expect(h.backup.calls.some((c) => c.argv[0] === 'sm-notify')).toBe(false);
    expect(warned).toEqual([]);
  });
  it('sm-notify not installed: skipped with a warning; a list that cannot be read does not stop it', async () => {
    const h = hosts();
    h.primary.on(isProbe, { exitCode: 1 });
    h.backup.on(isStatdCat, { exitCode: 2, stderr: 'find: permission denied' });
    const warned: string[] = [];
    for (const s of nlmRecoverySteps(kernel(), h, 'backup', 'primary', { warn: (l) => warned.push(l) }))
      await runStep(s, h.primary);
    expect(h.primary.calls.some((c) => c.argv[0] === 'sm-notify')).toBe(false);
    expect(warned).toEqual([
      'statd monitor list not copied from backup: reading /var/lib/nfs/sm: find: permission denied',
      'primary: sm-notify is not installed (nfs-common): NFSv3 clients were not told to reclaim their locks',
    ]);
  });
  it('sm-notify failing fails the step', async () => {
    const h = hosts();
    h.primary.on(['sm-notify'], { exitCode: 1, stderr: 'sm-notify: bad' });
    const s = nlmRecoverySteps(kernel(), h, 'backup', 'primary', { warn: () => undefined })[1]!;
    await expect(runStep(s, h.primary)).rejects.toThrow(/bad|exit/);
  });
  it('an empty list copies nothing and is no warning (a clean switchover exits 0)', async () => {
    const h = hosts();
    h.backup.on(isStatdCat, { stdout: '' });
    expect(await copyStatdList(h.backup, h.primary)).toEqual([]);
    const warned: string[] = [];
    const copy = nlmRecoverySteps(kernel(), h, 'backup', 'primary', { warn: (l) => warned.push(l) })[0]!;
    await runStep(copy, h.primary);
    expect(warned).toEqual([]);
  });
  it('ganesha: no step', () => {
    const h = hosts();
    expect(nlmRecoverySteps(ganesha(), h, 'backup', 'primary', { warn: () => undefined })).toEqual([]);
    expect(nlmNotifyStep(ganesha(), 'backup')).toBeNull();
  });
});

describe('ha notify MASTER: sm-notify with what the new holder has', () => {
  it('MASTER plans it last; BACKUP, another instance and ganesha do not', async () => {
    const h = new FakeHost('backup');
    const m = await planNotify(kernel(), 'backup', h, parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER'));
    expect(planSteps(m.plan).map((s) => s.id)).toEqual(['backup:vip-connections', 'backup:sm-notify']);
    expect(planSteps(m.plan)[1]!.title).toContain('sm-notify -f -v 198.51.100.100');
    // BACKUP and ganesha: the connection reset only; another instance or a group: nothing at all
    for (const [cfg, a, want] of [
      [kernel(), parseNotifyArgs('INSTANCE', 'VI_NFS', 'BACKUP'), ['backup:vip-connections']],
      [kernel(), parseNotifyArgs('INSTANCE', 'VI_OTHER', 'MASTER'), []],
      [kernel(), parseNotifyArgs('GROUP', 'VI_NFS', 'MASTER'), []],
      [ganesha(), parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER'), ['backup:vip-connections']],
    ] as const)
      expect(planSteps((await planNotify(cfg, 'backup', h, a)).plan).map((s) => s.id)).toEqual(want);
  });
  it('the command on the backup (the primary crashed): runs sm-notify there and records it', async () => {
    const root = tempDir('nfsctl-nlm-');
    const config = parseConfig(
      testConfigYaml(root).replace('server: ganesha', 'server: kernel').replace('this: primary', 'this: backup'),
    );
    const backup = new FakeHost('backup');
    const primary = new FakeHost('primary');
    primary.unreachable = true; // it is gone
    const { out } = captureOutput();
    const ctx = new Context(join(root, 'c.yaml'), config, {}, { primary, backup }, out);
    await runNotify(ctx, 'INSTANCE', 'VI_NFS', 'MASTER', '100', {});
    expect(backup.calls.map((c) => c.argv).filter((a) => a[0] === 'sm-notify')).toEqual([SM]);
    const rec = JSON.parse(backup.files.get(notifyRecordPath(config))!) as { done: string[]; errors: string[] };
    expect(rec.done.some((d) => d.includes('sm-notify -f -v 198.51.100.100'))).toBe(true);
  });
});

describe('what a move does to NFS client state, per kind', () => {
  it('rsync copy: v3 locks and v4 state lost', () => {
    const cs = clientState(kernel(), 'lvm');
    expect(cs.nfsv3).toMatch(/locks are lost/);
    expect(cs.nfsv4).toMatch(/opens, locks and delegations are lost.*ESTALE/);
  });
  it('same filesystem, kernel nfsd: reclaim only in grace and with the per-host records; unproven said', () => {
    const cs = clientState(kernel(), 'rbd');
    expect(cs.nfsv3).toMatch(/sm-notify as the VIP.*grace period.*not shown on a kernel/);
    expect(cs.nfsv4).toMatch(
      /server scope.*grace period.*client-tracking records.*NFS4ERR_NO_GRACE.*not shown on a kernel/,
    );
  });
  it('ganesha: no sm-notify from nfsctl, ganesha recovery backend', () => {
    const cs = clientState(ganesha(), 'rbd');
    expect(cs.nfsv3).toMatch(/no sm-notify for ganesha/);
    expect(cs.nfsv4).toMatch(/RecoveryBackend/);
  });
});
