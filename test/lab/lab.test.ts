// Lab basics: proves the netns lab is what the nfsctl lab tests assume it is.
import { afterAll, describe, expect, it } from 'vitest';
import {
  HOST_IPS,
  LAB_NAMESPACES,
  LAB_NET,
  STORAGE_HOSTS,
  VIP,
  fault,
  labExec,
  labExecOk,
  labFacts,
  run,
  undoAllFaults,
  undoFault,
  vipHolders,
  waitFor,
} from './helpers.js';

// whatever a failing test left behind must not break the next file
afterAll(async () => {
  await undoAllFaults();
  await labExec('primary', ['labsvc', 'start', 'keepalived']);
  await labExec('backup', ['labsvc', 'start', 'keepalived']);
});

const seedUrl = `nfs://${VIP}/nfs/lab-seed`;

describe('NFS through the VIP', () => {
  it('client lists the seed export with nfs-ls (NFSv3 and v4)', async () => {
    const v3 = await labExecOk('client', ['timeout', '-k', '1', '20', 'nfs-ls', seedUrl]);
    expect(v3).toContain('hello.txt');
    const v4 = await labExecOk('client', ['timeout', '-k', '1', '20', 'nfs-ls', `${seedUrl}?version=4`]);
    expect(v4).toContain('hello.txt');
    const cat = await labExecOk('client', ['timeout', '-k', '1', '20', 'nfs-cat', `${seedUrl}/hello.txt`]);
    expect(cat.trim()).toBe('hello from primary');
  });

  it('client sees MNT on 20048 and no NLM/RQUOTA through rpcbind', async () => {
    const r = await labExecOk('client', ['timeout', '-k', '1', '20', 'rpcinfo', '-p', VIP]);
    expect(r).toMatch(/100005\s+3\s+tcp\s+20048\s+mountd/);
    expect(r).toMatch(/100003\s+3\s+tcp\s+2049\s+nfs/);
    expect(r).not.toMatch(/nlockmgr|rquotad/);
  });
});

describe('ssh between lab hosts', () => {
  it('primary reaches backup with strict host key checking', async () => {
    const r = await labExec('primary', [
      'ssh',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=5',
      'backup',
      'hostname',
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe('backup');
  });

  it('client reaches the VIP by name and by address, and both servers by address', async () => {
    for (const [target, expected] of [
      ['nfs-vip', 'primary'],
      [VIP, 'primary'],
      [HOST_IPS.primary, 'primary'],
      [HOST_IPS.backup, 'backup'],
    ]) {
      const out = await labExecOk('client', [
        'ssh',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=5',
        `root@${target}`,
        'hostname',
      ]);
      expect(out.trim(), target).toBe(expected);
    }
  });
});

describe('keepalived VIP', () => {
  it('fails over when primary keepalived stops and returns when it starts', async () => {
    expect(await vipHolders()).toEqual(['primary']);
    try {
      await labExecOk('primary', ['labsvc', 'stop', 'keepalived']);
      const t0 = Date.now();
      await waitFor(async () => (await vipHolders()).join() === 'backup', 15_000, 100);
      console.log(`failover: VIP on backup ${Date.now() - t0} ms after labsvc stop returned`);
      const st = await labExec('primary', ['labsvc', 'status', 'keepalived']);
      expect(st.exitCode).toBe(3);
    } finally {
      await labExecOk('primary', ['labsvc', 'start', 'keepalived']);
    }
    const t1 = Date.now();
    await waitFor(async () => (await vipHolders()).join() === 'primary', 20_000, 100);
    console.log(`failback: VIP on primary alone ${Date.now() - t1} ms after labsvc start`);
    const log = await labExecOk('backup', ['cat', '/run/vrrp-notify.log']);
    expect(log).toMatch(/INSTANCE VI_NFS MASTER/);
  });

  it('split-brain fault leaves the VIP on both hosts; undo restores one holder', async () => {
    try {
      await fault('split-brain');
      expect(await vipHolders()).toEqual(['primary', 'backup']);
    } finally {
      await undoFault('split-brain');
    }
    expect(await vipHolders()).toEqual(['primary']);
  });

  it('no-vip fault: VIP on neither host', async () => {
    try {
      await fault('no-vip');
      expect(await vipHolders()).toEqual([]);
    } finally {
      await undoFault('no-vip');
    }
    expect(await vipHolders()).toEqual(['primary']);
  });
});

describe('faults on the NFS ports', () => {
  it('REJECT on 2049 fails fast; undo restores service', async () => {
    try {
      await fault('reject', 'primary', ['--port', '2049']);
      const r = await labExec('client', ['timeout', '-k', '1', '20', 'nfs-ls', seedUrl]);
      expect(r.exitCode).not.toBe(0);
      expect(r.durationMs).toBeLessThan(10_000);
    } finally {
      await undoFault('reject', 'primary', ['--port', '2049']);
    }
    expect(await labExecOk('client', ['timeout', '-k', '1', '20', 'nfs-ls', seedUrl])).toContain('hello.txt');
  });

  it('DROP on 111 makes rpcbind probes hang (until the caller times out)', async () => {
    try {
      await fault('drop', 'primary', ['--port', '111']);
      const r = await labExec('client', ['timeout', '-k', '1', '3', 'rpcinfo', '-p', VIP]);
      // the probe hung: timeout(1) gives 124, or 137 when it needed SIGKILL (rpcinfo ignores TERM)
      expect([124, 137]).toContain(r.exitCode);
    } finally {
      await undoFault('drop', 'primary', ['--port', '111']);
    }
    expect((await labExec('client', ['timeout', '-k', '1', '20', 'rpcinfo', '-p', VIP])).exitCode).toBe(0);
  });
});

describe('network isolation', () => {
  it('no lab namespace has a default route', async () => {
    for (const ns of LAB_NAMESPACES) {
      const r = await run('ip', ['-n', ns, 'route', 'show', 'default']);
      expect(r.exitCode, ns).toBe(0);
      expect(r.stdout.trim(), ns).toBe('');
    }
  });

  it('root namespace: no lab address, and an unreachable route for the lab net', async () => {
    const addrs = await run('ip', ['-o', 'addr', 'show']);
    expect(addrs.stdout).not.toMatch(/ 198\.51\.100\./);
    const routes = await run('ip', ['route', 'show', 'type', 'unreachable']);
    expect(routes.stdout).toContain(`unreachable ${LAB_NET}`);
  });
});

describe('ceph', () => {
  it('rbd and ceph work from primary and backup', async () => {
    for (const h of STORAGE_HOSTS) {
      const ls = await labExec(h, ['timeout', '-k', '1', '30', 'rbd', 'ls', 'rbd']);
      expect(ls.exitCode, `${h}: ${ls.stderr}`).toBe(0);
      const health = await labExecOk(h, ['timeout', '-k', '1', '30', 'ceph', 'health', '--format', 'json']);
      expect(JSON.parse(health).status).toMatch(/^HEALTH_(OK|WARN)$/);
    }
    const img = `labtest-${process.pid}`;
    await labExecOk('primary', ['timeout', '-k', '1', '30', 'rbd', 'create', `rbd/${img}`, '--size', '16M']);
    try {
      expect(await labExecOk('backup', ['timeout', '-k', '1', '30', 'rbd', 'ls', 'rbd'])).toContain(img);
      const info = JSON.parse(await labExecOk('backup', ['rbd', 'info', `rbd/${img}`, '--format', 'json']));
      expect(info.features).toEqual(['layering']);
    } finally {
      await labExec('primary', ['timeout', '-k', '1', '30', 'rbd', 'rm', '--no-progress', `rbd/${img}`]);
    }
  });
});

describe('storage hosts', () => {
  it('LVM: each host sees only its own vgnfs', async () => {
    const pvOf: Record<string, string> = {};
    for (const h of STORAGE_HOSTS) {
      const vgs = JSON.parse(await labExecOk(h, ['vgs', '--reportformat', 'json', '-o', 'vg_name,pv_count']));
      expect(vgs.report[0].vg, h).toEqual([{ vg_name: 'vgnfs', pv_count: '1' }]);
      const pvs = JSON.parse(await labExecOk(h, ['pvs', '--reportformat', 'json', '-o', 'pv_name,vg_name']));
      expect(pvs.report[0].pv, h).toHaveLength(1);
      pvOf[h] = pvs.report[0].pv[0].pv_name;
    }
    expect(pvOf.primary).not.toBe(pvOf.backup);
    // an LV made on primary exists on primary only
    const lv = `labtest${process.pid}`;
    await labExecOk('primary', ['lvcreate', '-q', '-an', '-Zn', '-y', '-L', '8M', '-n', lv, 'vgnfs']);
    try {
      const onPrimary = JSON.parse(await labExecOk('primary', ['lvs', '--reportformat', 'json', 'vgnfs']));
      expect(onPrimary.report[0].lv.map((l: { lv_name: string }) => l.lv_name)).toContain(lv);
      const onBackup = JSON.parse(await labExecOk('backup', ['lvs', '--reportformat', 'json', 'vgnfs']));
      expect(onBackup.report[0].lv.map((l: { lv_name: string }) => l.lv_name)).not.toContain(lv);
    } finally {
      await labExec('primary', ['lvremove', '-q', '-y', `vgnfs/${lv}`]);
    }
  });

  it('/nfs is XFS (with project quotas where the kernel has XFS quota support)', async (ctx) => {
    for (const h of STORAGE_HOSTS) {
      const fs = await labExecOk(h, ['findmnt', '-n', '-o', 'FSTYPE', '/nfs']);
      expect(fs.trim(), h).toBe('xfs');
      // after an `nfsctl sync` the backup carries the primary's copy: either host's greeting is fine
      expect(await labExecOk(h, ['cat', '/nfs/lab-seed/hello.txt'])).toMatch(/^hello from (primary|backup)\n$/);
    }
    const facts = await labFacts();
    if (facts.xfs_prjquota !== 'yes') {
      console.log(
        `skipping the quota part: kernel ${facts.kernel} lacks XFS quota support (xfs_prjquota=${facts.xfs_prjquota})`,
      );
      ctx.skip();
    }
    for (const h of STORAGE_HOSTS) {
      const opts = await labExecOk(h, ['findmnt', '-n', '-o', 'OPTIONS', '/nfs']);
      expect(opts, h).toMatch(/prjquota/);
      const state = await labExecOk(h, ['xfs_quota', '-x', '-c', 'state -p', '/nfs']);
      expect(state, h).toMatch(/Accounting: ON/);
    }
  });

  it('labsvc, nfsctl and the nfsctl config are in place', async () => {
    for (const h of STORAGE_HOSTS) {
      expect(await labExecOk(h, ['labsvc', 'list'])).toMatch(/nfs-ganesha\s+running/);
      expect((await labExec(h, ['labsvc', 'is-enabled', 'keepalived'])).exitCode).toBe(0);
      expect((await labExecOk(h, ['sh', '-c', 'command -v nfsctl'])).trim()).toBe('/usr/local/sbin/nfsctl');
      expect(await labExecOk(h, ['cat', '/etc/nfsctl/config.yaml'])).toMatch(new RegExp(`^this: ${h}$`, 'm'));
      expect(await labExecOk(h, ['cat', '/etc/ganesha/ganesha.conf'])).toMatch(
        /%include "\/etc\/ganesha\/nfsctl\/exports.conf"\s*$/,
      );
    }
    for (const h of ['client', 'primary'] as const) {
      expect(await labExecOk(h, ['cat', '/opt/nfsctl/package.json'])).toContain('"name": "nfsctl"');
      // read-only view of the checkout
      expect((await labExec(h, ['touch', '/opt/nfsctl/.lab-write-probe'])).exitCode).not.toBe(0);
    }
    expect(await labExecOk('client', ['cat', '/etc/nfsctl/config.yaml'])).not.toMatch(/^this:/m);
  });
});
