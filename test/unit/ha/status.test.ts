import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { testConfigYaml } from '../../support/config.js';
import { fakeStorageHost } from '../../support/fake-pair.js';
import { gatherStatus, parseKeepalivedConf, statusWarnings } from '../../../src/ha/status.js';
import { withNotify } from '../../../src/commands/ha/ha.run.js';
import { cronLine } from '../../../src/commands/sync/sync.run.js';
import { parseNotifyArgs } from '../../../src/ha/notify.js';

const config = parseConfig(
  testConfigYaml('/tmp/nfsctl-unit-st') +
    'services:\n  manager: command\n  command: ["labsvc", "{action}", "{service}"]\n  names: { keepalived: keepalived, nfs: nfs-ganesha, rsyncd: rsync }\n',
);
const CONF = `global_defs {\n  router_id primary\n}\nvrrp_instance VI_NFS {\n    state MASTER\n    interface eth0\n    priority 150 # high\n    virtual_ipaddress {\n        198.51.100.100/24 dev eth0\n    }\n}\n`;

describe('status', () => {
  it('keepalived.conf: priority, state, notify of the configured instance', () => {
    expect(parseKeepalivedConf(CONF, 'VI_NFS')).toEqual({ priority: 150, state: 'MASTER', notify: null });
    expect(parseKeepalivedConf(CONF, 'OTHER').priority).toBeNull();
  });
  it('JSON shape, and the warnings of a pair whose backup holds the VIP during an unfinished failback', async () => {
    const p = fakeStorageHost('primary', {});
    const b = fakeStorageHost('backup', { vip: true });
    p.on(['labsvc', 'status', 'keepalived'], { exitCode: 3 });
    p.on(['labsvc', 'is-enabled', 'keepalived'], { exitCode: 0 });
    p.files.set('/etc/keepalived/keepalived.conf', CONF);
    for (const h of [p, b]) h.on((a) => a[0] === 'sh' && a[3] === 'nfsctl-lock', { stdout: 'NOLOCK\n' });
    p.files.set(
      '/tmp/nfsctl-unit-st/state/failback.json',
      JSON.stringify({
        kind: 'failback',
        planId: 'p1',
        status: 'failed',
        startedAt: 'x',
        updatedAt: '2026-11-22T00:00:00Z',
        by: 'ops',
        done: ['primary:bulk-sync'],
        failedStep: 'primary:final-sync',
        staleHost: 'primary',
      }),
    );
    b.files.set(
      '/tmp/nfsctl-unit-st/state/sync/last-ok.json',
      JSON.stringify({
        time: '2026-11-22T09:00:00Z',
        ok: true,
        direction: 'primary->backup',
        source: 'primary',
        destination: 'backup',
        bytes: 10,
        durationMs: 5,
      }),
    );
    b.files.set(
      '/tmp/nfsctl-unit-st/state/sync/last.json',
      JSON.stringify({
        time: '2026-11-22T09:00:00Z',
        ok: true,
        direction: 'primary->backup',
        source: 'primary',
        destination: 'backup',
        bytes: 10,
        durationMs: 5,
      }),
    );
    const st = await gatherStatus(config, { primary: p, backup: b }, Date.parse('2026-11-22T10:00:00Z'));
    expect(Object.keys(st)).toEqual([
      'checkedAt',
      'vip',
      'hosts',
      'lastSync',
      'lastOkSync',
      'operation',
      'freshness',
      'warnings',
      'vipMove',
      'rpoSeconds',
    ]);
    expect(st.vip).toEqual({ address: '198.51.100.100', holders: ['backup'] });
    expect(st.hosts.primary).toEqual({
      reachable: true,
      holdsVip: false,
      keepalived: { running: false, enabledAtBoot: true, priority: 150, state: 'MASTER', notifyHook: false },
      nfs: { running: true },
    });
    expect(st.lastSync).toMatchObject({
      direction: 'primary->backup',
      ageSeconds: 3600,
      bytes: 10,
      ok: true,
      recordedOn: 'backup',
    });
    expect(st.operation.failback).toMatchObject({ planId: 'p1', status: 'failed' });
    expect(st.warnings.map((w) => w.id).sort()).toEqual([
      'operation-unfinished',
      'stale-primary-enabled',
      'sync-overdue',
    ]);
  });
  it('split brain and no-vip', () => {
    const h = {
      reachable: true,
      holdsVip: true,
      keepalived: { running: true, enabledAtBoot: true, priority: 1, state: null, notifyHook: null },
      nfs: { running: true },
    };
    const base = {
      checkedAt: '',
      hosts: { primary: h, backup: h },
      lastSync: null,
      lastOkSync: null,
      operation: { lock: null, failback: null, switchover: null },
      warnings: [],
    };
    expect(
      statusWarnings(config, { ...base, vip: { address: 'x', holders: ['primary', 'backup'] } }).map((w) => w.id),
    ).toContain('split-brain');
    const nobody = { ...h, holdsVip: false };
    expect(
      statusWarnings(config, {
        ...base,
        hosts: { primary: nobody, backup: nobody },
        vip: { address: 'x', holders: [] },
      }).map((w) => w.id),
    ).toContain('no-vip');
  });
});

describe('ha install / notify / timer helpers', () => {
  it('adds the notify line inside the instance block, idempotently; refuses to clobber another script', () => {
    const out = withNotify(CONF, 'VI_NFS', 'notify "/usr/local/sbin/nfsctl ha notify"', false)!;
    expect(out).toMatch(/priority 150 # high\n[\s\S]*}\n    notify "\/usr\/local\/sbin\/nfsctl ha notify"\n}\n$/);
    expect(withNotify(out, 'VI_NFS', 'notify "/usr/local/sbin/nfsctl ha notify"', false)).toBeNull();
    const other = out.replace('"/usr/local/sbin/nfsctl ha notify"', '/etc/keepalived/notify.sh');
    expect(() => withNotify(other, 'VI_NFS', 'notify "/x ha notify"', false)).toThrow(/already has a notify/);
    expect(withNotify(other, 'VI_NFS', 'notify "/x ha notify"', true)).toContain('notify "/x ha notify"');
  });
  it('notify arguments', () => {
    expect(parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER', '150')).toEqual({
      type: 'INSTANCE',
      name: 'VI_NFS',
      state: 'MASTER',
      priority: 150,
    });
    expect(() => parseNotifyArgs('INSTANCE', 'VI_NFS', 'LEADER')).toThrow(/MASTER/);
  });
  it('cron line', () => {
    expect(cronLine(15 * 60_000, '/usr/local/sbin/nfsctl')).toBe(
      '*/15 * * * * root /usr/local/sbin/nfsctl sync --yes --json >> /var/log/nfsctl/sync.log 2>&1',
    );
    expect(cronLine(2 * 3_600_000, '/n')).toMatch(/^0 \*\/2 \* \* \* /);
  });
});
