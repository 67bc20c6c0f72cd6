// RBD on the VIP holder: map options (validated for rbd's -o grammar), the map-and-mount
// script run by a real sh with fake rbd/mount, fencing by watcher instance, the notify plan
// for mapped images (export added on the new holder, line dropped and image unmapped on the
// old, the standby's hold) and delete's order (the host removing the image goes last).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/core/errors.js';
import {
  fencePeerStep,
  mapMountStep,
  mapOptionArgs,
  mapOptionProblem,
  peerWatchers,
  watcherInstance,
  unmapArgv,
} from '../../src/volume/backend/rbd-map.js';
import { identify } from '../../src/volume/identity.js';
import { FakeHost } from '../../src/host/fake.js';
import { freshnessOnTransition, planNotify, parseNotifyArgs, holdsOnStandby } from '../../src/ha/notify.js';
import { freshnessRecordPath, trackFilePath } from '../../src/ha/freshness.js';
import { planSteps } from '../../src/plan/plan.js';
import { tempDir, testConfigYaml } from '../support/config.js';
import { withRbdImage } from '../support/fake-rbd.js';

const rbdConfig = (section: string, extra = '') =>
  parseConfig(
    testConfigYaml(tempDir('nfsctl-rbdmap-'), extra).replace(
      'default: lvm\n  lvm: { vg: vgnfs }',
      `default: rbd\n  rbd: ${section}`,
    ),
    'test.yaml',
  );

describe('backends.rbd.mapOptions', () => {
  it.each(['noudev', 'ms_mode=prefer-crc', 'queue_depth=128', 'alloc_size=65536', 'read_from_replica=localize'])(
    'accepts %s',
    (o) => expect(mapOptionProblem(o)).toBeNull(),
  );
  it.each([
    '',
    'noudev,force', // a comma would smuggle in a second option
    '-o',
    '--exclusive',
    'a b',
    'a;reboot',
    '$(id)',
    '`id`',
    'x=a|b',
    'x=\n',
    'NOUDEV',
    "x='y'",
    'x=a\\b',
  ])('refuses %j', (o) => expect(mapOptionProblem(o)).not.toBeNull());

  it('config check refuses a bad one with its path; a good one reaches rbd as one -o word', () => {
    const bad = () => rbdConfig('{ pool: rbd, mapOptions: ["noudev,force"] }');
    expect(bad).toThrow(UsageError);
    expect(bad).toThrow(/backends\.rbd\.mapOptions\.0.*not a krbd map option/s);
    const c = rbdConfig('{ pool: rbd, mapOptions: [noudev, "ms_mode=crc"] }');
    expect(mapOptionArgs(c)).toEqual(['-o', 'noudev,ms_mode=crc']);
    expect(unmapArgv(c, 'pv.a.b')).toEqual([
      'rbd',
      '--conf',
      '/etc/ceph/ceph.conf',
      '--id',
      'admin',
      'unmap',
      '-o',
      'noudev,ms_mode=crc',
      'rbd/pv.a.b',
    ]);
    expect(mapOptionArgs(rbdConfig('{ pool: rbd }'))).toEqual([]);
  });
});

describe('map and mount (run by sh, fake rbd and mount)', () => {
  function run(section: string, path: string) {
    const dir = tempDir('nfsctl-rbdmap-sh-');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const log = join(dir, 'log');
    for (const [tool, out] of [
      ['rbd', 'echo /dev/rbd7'],
      ['mount', ''],
      ['mkdir', ''],
    ] as const) {
      writeFileSync(join(bin, tool), `#!/bin/sh\nprintf '%s|' ${tool} "$@" >>${log}; echo >>${log}\n${out}\n`);
      chmodSync(join(bin, tool), 0o755);
    }
    const c = rbdConfig(section);
    const step = mapMountStep(c, 'primary', identify(c, { namespace: 'team-a', name: 'blk' }), path, 'primary:map');
    if (step.action.kind !== 'run') throw new Error('a run step');
    const [sh, ...args] = step.action.argv;
    const r = spawnSync(sh!, args, { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
    return { r, calls: readFileSync(log, 'utf8').trim().split('\n') };
  }

  it('maps with the options (this host has no mapping in sysfs) and mounts the device rbd printed', () => {
    const { r, calls } = run('{ pool: rbd, mapOptions: [noudev] }', '/nfs/team-a_blk');
    expect(r.status, r.stderr).toBe(0);
    expect(calls).toEqual([
      'rbd|--conf|/etc/ceph/ceph.conf|--id|admin|map|-o|noudev|rbd/pv.team-a.blk|',
      'mkdir|-p|--|/nfs/team-a_blk|',
      'mount|-t|xfs|/dev/rbd7|/nfs/team-a_blk|',
    ]);
  });

  it('without options: no -o; a path with spaces and quotes stays one word', () => {
    const { r, calls } = run('{ pool: rbd }', "/nfs/a b'c");
    expect(r.status, r.stderr).toBe(0);
    expect(calls).toEqual([
      'rbd|--conf|/etc/ceph/ceph.conf|--id|admin|map|rbd/pv.team-a.blk|',
      "mkdir|-p|--|/nfs/a b'c|",
      "mount|-t|xfs|/dev/rbd7|/nfs/a b'c|",
    ]);
  });
});

describe('fencing the old holder: its watcher instances, not its address', () => {
  const status = JSON.stringify({
    watchers: [
      { address: '198.51.100.12:0/3712213893', client: 4139, cookie: 18446462598732840961 },
      { address: 'v1:198.51.100.12:0/99', client: 4200, cookie: 1 },
      { address: '198.51.100.11:0/5', client: 4300, cookie: 2 },
      { address: '198.51.100.120:0/6', client: 4400, cookie: 3 },
    ],
  });

  it("blocklists each of the peer's instances, once, and leaves this host's and others' alone", async () => {
    const c = rbdConfig('{ pool: rbd }');
    const h = new FakeHost('primary');
    h.on(['rbd'], { stdout: status });
    const step = fencePeerStep(c, 'primary', ['pv.a.b', 'pv.c.d']);
    if (step.action.kind !== 'fn') throw new Error('a fn step');
    await step.action.fn(h, { signal: new AbortController().signal, progress: () => undefined });
    const adds = h.calls.filter((x) => x.argv.includes('blocklist')).map((x) => x.argv.slice(-1)[0]);
    expect(adds).toEqual(['198.51.100.12:0/3712213893', '198.51.100.12:0/99']);
    expect(h.calls.filter((x) => x.argv.includes('status')).map((x) => x.argv.slice(-1)[0])).toEqual([
      'rbd/pv.a.b',
      'rbd/pv.c.d',
    ]);
  });

  it('nothing to fence when the peer has let go (no watcher of its own)', async () => {
    const c = rbdConfig('{ pool: rbd }');
    const h = new FakeHost('backup');
    h.on(['rbd'], { stdout: JSON.stringify({ watchers: [] }) });
    expect(await peerWatchers(c, h, '198.51.100.11', ['pv.a.b'])).toEqual([]);
  });

  it('a peer configured by name is resolved on the host; unresolvable, it refuses instead of fencing nothing', async () => {
    const c = rbdConfig('{ pool: rbd }');
    const h = new FakeHost('primary');
    h.on(['rbd'], { stdout: status });
    h.on(['getent'], { stdout: '198.51.100.12   STREAM nfs-b\n198.51.100.12   DGRAM\n' });
    expect(await peerWatchers(c, h, 'nfs-b', ['pv.a.b'])).toEqual(['198.51.100.12:0/3712213893', '198.51.100.12:0/99']);
    const lost = new FakeHost('primary');
    lost.on(['getent'], { exitCode: 2 });
    await expect(peerWatchers(c, lost, 'nfs-b', ['pv.a.b'])).rejects.toThrow(/cannot resolve/);
  });

  it("a watcher of the peer's that is not one instance (ip:port/nonce) stops the step: no fence by it, no map beside it", async () => {
    expect(watcherInstance('198.51.100.12:0/3712213893', 'p')).toBe('198.51.100.12:0/3712213893');
    expect(watcherInstance('[2001:db8::12]:6800/77', 'p')).toBe('[2001:db8::12]:6800/77');
    for (const bad of [
      '198.51.100.12:0/0', // the whole address: every Ceph call from the peer refused for an hour
      '198.51.100.12',
      '198.51.100.12:0',
      '198.51.100.12/24',
      '198.51.100.12:0/1 --yes-i-really-mean-it',
      '198.51.100.12:0/1\n',
      '-198.51.100.12:0/1',
      '198.51.100.12:0/12345678901',
      '',
    ])
      expect(() => watcherInstance(bad, 'backup'), JSON.stringify(bad)).toThrow(/not one client instance/);
    const c = rbdConfig('{ pool: rbd }');
    const h = new FakeHost('primary');
    h.on(['rbd'], { stdout: JSON.stringify({ watchers: [{ address: '198.51.100.12:0/0', client: 1, cookie: 1 }] }) });
    await expect(peerWatchers(c, h, '198.51.100.12', ['pv.a.b'])).rejects.toThrow(/not fencing by it/);
  });

  it('a failing rbd status stops the step (no map after a fence that could not look)', async () => {
    const c = rbdConfig('{ pool: rbd }');
    const h = new FakeHost('primary');
    h.on(['rbd'], { exitCode: 110, stderr: 'RADOS timed out' });
    await expect(peerWatchers(c, h, '198.51.100.12', ['pv.a.b'])).rejects.toThrow(/timed out|exit/);
  });
});

describe('ha notify with mapped RBD images (kernel nfsd)', () => {
  function host(role: string, mounted: boolean) {
    const h = withRbdImage(new FakeHost(role), 'team-a', 'blk');
    if (mounted) h.files.set('/proc/mounts', '/dev/rbd0 /nfs/team-a_blk xfs rw 0 0\n');
    return h;
  }
  const kernel = (section = '{ pool: rbd }') =>
    parseConfig(
      testConfigYaml(tempDir('nfsctl-rbdmap-n-'))
        .replace('server: ganesha', 'server: kernel')
        .replace('default: lvm\n  lvm: { vg: vgnfs }', `default: rbd\n  rbd: ${section}`),
      'test.yaml',
    );

  it('the standby holds only where images are mapped (not with map: false)', () => {
    expect(holdsOnStandby(kernel())).toBe(true);
    expect(holdsOnStandby(kernel('{ pool: rbd, map: false }'))).toBe(false);
  });

  it('MASTER on a host without the export line: fence, map and mount, add the line and export, release', async () => {
    const c = kernel();
    const plan = (await planNotify(c, 'backup', host('backup', false), parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER')))
      .plan;
    const ids = planSteps(plan).map((s) => s.id);
    expect(ids.slice(0, 4)).toEqual([
      'backup:vip-connections',
      'backup:fence',
      'backup:map:team-a/blk',
      'backup:export:team-a/blk',
    ]);
    expect(ids).toContain('backup:vip-release');
  });

  it('MASTER: a volume retired on purpose is not mapped or served; one unexported on purpose is mapped and mounted, not exported', async () => {
    const c = kernel();
    const ids = async (state: string) =>
      planSteps(
        (
          await planNotify(
            c,
            'backup',
            withRbdImage(new FakeHost('backup'), 'team-a', 'blk', { state }),
            parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER'),
          )
        ).plan,
      ).map((s) => s.id);
    const retired = await ids('retired');
    expect(retired.filter((id) => id.includes('team-a/blk'))).toEqual([]);
    const unexported = await ids('unexported');
    expect(unexported).toContain('backup:map:team-a/blk');
    expect(unexported).not.toContain('backup:export:team-a/blk');
  });

  it('BACKUP: the line goes (no bare mount point exported by a later exportfs -ra), unmount, unmap, hold', async () => {
    const c = kernel();
    const plan = (
      await planNotify(c, 'primary', host('primary', true), parseNotifyArgs('INSTANCE', 'VI_NFS', 'BACKUP'))
    ).plan;
    const ids = planSteps(plan).map((s) => s.id);
    expect(ids).toEqual(
      expect.arrayContaining(['primary:umount:team-a/blk', 'primary:unmap:team-a/blk', 'primary:vip-hold']),
    );
    expect(ids.indexOf('primary:umount:team-a/blk')).toBeLessThan(ids.indexOf('primary:unmap:team-a/blk'));
  });

  it('a MASTER run reads the pool once: the freshness check and the plan share what it read', async () => {
    const { Context } = await import('../../src/cli/context.js');
    const { runNotify } = await import('../../src/commands/ha/ha.run.js');
    const { captureOutput } = await import('../support/capture.js');
    const c = kernel('{ pool: rbd, map: false }');
    const hosts = { primary: host('primary', false), backup: host('backup', false) };
    const ctx = new Context('test.yaml', c, {}, hosts, captureOutput().out);
    await runNotify(ctx, 'INSTANCE', 'VI_NFS', 'MASTER', '150', {});
    const lists = hosts.primary.calls.filter((x) => x.argv[0] === 'rbd' && x.argv.includes('ls'));
    expect(lists).toHaveLength(1);
    expect(hosts.primary.calls.filter((x) => x.argv.includes('image-meta'))).toHaveLength(1);
  });

  it("a pair whose volumes are all RBD images: the backup's MASTER opens no generation and marks the primary stale for nothing", async () => {
    const c = kernel();
    const hosts = { primary: host('primary', false), backup: host('backup', false) };
    const master = parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER');
    expect((await freshnessOnTransition(c, 'backup', hosts, master)).refused).toBeNull();
    expect(hosts.backup.files.has(freshnessRecordPath(c))).toBe(false);
    expect(hosts.primary.files.has(trackFilePath(c))).toBe(false);
    expect(hosts.primary.files.has(freshnessRecordPath(c))).toBe(false);
  });
});

describe('volume delete of a mapped RBD image', () => {
  it('unmaps on both hosts, and the host that removes the image goes last (rbd rm refuses an image still mapped); retired, it is unmapped and kept', async () => {
    const { pairInventory, clusterInventories } = await import('../../src/volume/inventory.js');
    const { mergeVolumes } = await import('../../src/volume/state.js');
    const { planDelete } = await import('../../src/volume/plans.js');
    const { volumeRef } = await import('../../src/core/names.js');
    const { fakeStorageHost } = await import('../support/fake-pair.js');
    const c = parseConfig(
      testConfigYaml('/tmp/nfsctl-unit')
        .replace('server: ganesha', 'server: kernel')
        .replace('default: lvm\n  lvm: { vg: vgnfs }', 'default: rbd\n  lvm: { vg: vgnfs }\n  rbd: { pool: rbd }'),
    );
    // mapped and mounted on the backup (it holds the VIP after a failover)
    const hosts = {
      primary: withRbdImage(fakeStorageHost('primary', { exports: '' }), 'team-a', 'blk'),
      backup: withRbdImage(
        fakeStorageHost('backup', { vip: true, exports: '', mounts: '/dev/rbd0 /nfs/team-a_blk xfs rw 0 0\n' }),
        'team-a',
        'blk',
      ),
    };
    const inv = await pairInventory(c, hosts);
    const cluster = await clusterInventories(c, [hosts.primary]);
    const st = { inv, cluster, vipHolder: 'backup' as const, views: mergeVolumes(c, inv, cluster) };
    // retired (--keep-data): unmounted and unmapped on both hosts, the image kept
    const retire = planSteps(planDelete(c, st, { ref: volumeRef('team-a', 'blk'), keepData: true }).plan).map(
      (s) => s.id,
    );
    expect(retire).toEqual(expect.arrayContaining(['backup:umount', 'backup:unmap', 'primary:unmap']));
    expect(retire.indexOf('backup:umount')).toBeLessThan(retire.indexOf('backup:unmap'));
    expect(retire).not.toContain('primary:rbd-rm');
    const { plan } = planDelete(c, st, { ref: volumeRef('team-a', 'blk'), keepData: false });
    const ids = planSteps(plan).map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['backup:umount', 'backup:unmap', 'primary:unmap', 'primary:rbd-rm']));
    expect(ids.indexOf('backup:umount')).toBeLessThan(ids.indexOf('backup:unmap'));
    expect(ids.indexOf('backup:unmap')).toBeLessThan(ids.indexOf('primary:rbd-rm'));
    // the unmount's undo mounts it by its device (no fstab line for an RBD image)
    const um = planSteps(plan).find((s) => s.id === 'backup:umount')!;
    expect(um.undo?.action.kind === 'run' && um.undo.action.argv).toEqual([
      'mount',
      '-t',
      'xfs',
      '--',
      '/dev/rbd0',
      '/nfs/team-a_blk',
    ]);
  });
});
