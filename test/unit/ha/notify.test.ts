// ha notify acts only for the configured vrrp_instance and runs one at a time per host.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import { forOurInstance, notifyLockPath, parseNotifyArgs, planNotify } from '../../../src/ha/notify.js';
import { runNotify } from '../../../src/commands/ha/ha.run.js';
import { withFileLock } from '../../../src/host/flock.js';
import { Context } from '../../../src/cli/context.js';
import { FakeHost } from '../../../src/host/fake.js';
import { planSteps } from '../../../src/plan/plan.js';
import { tempDir, testConfigYaml } from '../../support/config.js';
import { captureOutput } from '../../support/capture.js';
import { withRbdImage } from '../../support/fake-rbd.js';

function setup(extra = '') {
  const root = tempDir('nfsctl-notify-');
  const config = parseConfig(
    testConfigYaml(root).replace('default: lvm\n  lvm: { vg: vgnfs }', 'default: rbd\n  rbd: { pool: rbd }') + extra,
  );
  const host = withRbdImage(new FakeHost('primary'), 'team-a', 'blk');
  host.on(['dbus-send'], (argv) =>
    argv.some((a) => a.endsWith('ShowExports'))
      ? {
          stdout:
            'method return time=1\n   struct {\n      int64 1\n      int32 0\n   }\n   array [\n      struct {\n         uint16 77\n         string "/nfs/team-a_blk"\n         boolean true\n         boolean false\n         boolean false\n         boolean false\n         boolean false\n         boolean false\n         boolean false\n         boolean false\n         boolean false\n         boolean false\n         struct {\n            int64 1\n            int32 0\n         }\n      }\n   ]\n',
        }
      : { exitCode: 0 },
  );
  host.on(['find'], { stdout: '' });
  return { root, config, host };
}

describe('ha notify: only the configured vrrp_instance', () => {
  it('tells ours from the rest', () => {
    const { config } = setup();
    expect(config.keepalived.instance).toBe('VI_NFS');
    expect(forOurInstance(config, parseNotifyArgs('INSTANCE', 'VI_NFS', 'BACKUP'))).toBe(true);
    expect(forOurInstance(config, parseNotifyArgs('INSTANCE', 'VI_OTHER', 'BACKUP'))).toBe(false);
    expect(forOurInstance(config, parseNotifyArgs('GROUP', 'VI_NFS', 'BACKUP'))).toBe(false);
    expect(forOurInstance(config, parseNotifyArgs('GROUP', 'G_ANY', 'BACKUP'))).toBe(false);
  });

  it('plans the unexport for ours, nothing for a sync group or another instance', async () => {
    const { config, host } = setup();
    const ours = await planNotify(config, 'primary', host, parseNotifyArgs('INSTANCE', 'VI_NFS', 'BACKUP'));
    expect(planSteps(ours.plan).map((s) => s.id)).toContain('primary:unexport:team-a/blk');
    for (const [type, name] of [
      ['GROUP', 'G_ANY'],
      ['INSTANCE', 'VI_OTHER'],
    ] as const) {
      const h = setup().host;
      const other = await planNotify(config, 'primary', h, parseNotifyArgs(type, name, 'BACKUP'));
      expect(planSteps(other.plan), `${type} ${name}`).toEqual([]);
      expect(h.calls, `${type} ${name}`).toEqual([]);
    }
  });

  it('the command: another instance is logged, exits 0, runs nothing and leaves the record alone', async () => {
    const { root, config, host } = setup('');
    const { out, stdout } = captureOutput();
    const ctx = new Context(join(root, 'c.yaml'), config, {}, { primary: host }, out);
    await runNotify(ctx, 'GROUP', 'G_OTHER', 'FAULT', undefined, {});
    expect(stdout.text).toContain("GROUP G_OTHER -> FAULT: not nfsctl's vrrp_instance (VI_NFS): nothing done");
    expect(host.calls).toEqual([]);
    expect(host.writes).toEqual([]);
  });
});

describe('ha notify: one at a time on a host (flock on a root-owned file)', () => {
  it('the second holder waits for the first', async () => {
    const d = tempDir('nfsctl-flock-');
    const lock = join(d, 'vrrp', 'notify.lock');
    const events: string[] = [];
    const slow = withFileLock(lock, 10_000, async () => {
      events.push('a start');
      await new Promise((r) => setTimeout(r, 400));
      events.push('a end');
    });
    await new Promise((r) => setTimeout(r, 100));
    const fast = withFileLock(lock, 10_000, async () => void events.push('b'));
    await Promise.all([slow, fast]);
    expect(events).toEqual(['a start', 'a end', 'b']);
  });

  it('refuses a lock path that is a symlink or a directory others can write', async () => {
    const d = tempDir('nfsctl-flock-');
    mkdirSync(join(d, 'vrrp'), { mode: 0o700 });
    writeFileSync(join(d, 'elsewhere'), '');
    symlinkSync(join(d, 'elsewhere'), join(d, 'vrrp', 'notify.lock'));
    await expect(withFileLock(join(d, 'vrrp', 'notify.lock'), 1000, async () => 1)).rejects.toThrow(
      /is a symbolic link/,
    );
    const open = join(d, 'open');
    mkdirSync(open, { mode: 0o777 });
    const { chmodSync } = await import('node:fs');
    chmodSync(open, 0o777);
    await expect(withFileLock(join(open, 'notify.lock'), 1000, async () => 1)).rejects.toThrow(/writable by others/);
  });

  it('the command takes the lock: while another notify holds it, this one waits and then gives up', async () => {
    const { root, config, host } = setup('timeouts: { command: 1s }\n');
    const lock = notifyLockPath(config);
    mkdirSync(join(lock, '..'), { recursive: true, mode: 0o700 });
    const holder = spawn('flock', ['--exclusive', lock, 'sh', '-c', 'echo held; sleep 30'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    try {
      await new Promise((r) => holder.stdout!.once('data', r));
      const { out } = captureOutput();
      const ctx = new Context(join(root, 'c.yaml'), config, {}, { primary: host }, out);
      await expect(runNotify(ctx, 'INSTANCE', 'VI_NFS', 'BACKUP', undefined, {})).rejects.toThrow(
        /could not take the lock .*notify\.lock within 1s/,
      );
      expect(host.calls).toEqual([]);
    } finally {
      process.kill(-holder.pid!, 'SIGKILL'); // flock and the sleep that inherited its lock
    }
  });
});
