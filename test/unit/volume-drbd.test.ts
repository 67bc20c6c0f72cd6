// The drbd backend (replicated LVM volumes) on recording fake hosts: the create / resize /
// delete plans put the drbdadm steps in the right order on the right hosts; bad input and
// foreign resources change nothing; minors and ports never collide; the notify hook's steps.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { parseConfig } from '../../src/config/load.js';
import { pairInventory } from '../../src/volume/inventory.js';
import { mergeVolumes } from '../../src/volume/state.js';
import { planCreate, planDelete, planResize, type PairState } from '../../src/volume/plans.js';
import { identify } from '../../src/volume/identity.js';
import { volumeRef } from '../../src/core/names.js';
import { describeAction, planSteps, type Plan } from '../../src/plan/plan.js';
import { renderPlan } from '../../src/plan/render.js';
import { encodeMetaTags } from '../../src/core/lvm-json.js';
import { renderDrbdResource } from '../../src/core/drbd.js';
import { drbdBackend } from '../../src/volume/backend/drbd.js';
import { lvmBackend } from '../../src/volume/backend/lvm.js';
import { createBackendFor } from '../../src/volume/backends.js';
import { Context } from '../../src/cli/context.js';
import { runCreate } from '../../src/commands/volume/create.run.js';
import { captureOutput } from '../support/capture.js';
import { removeAfterFile, tempDir, testConfigYaml } from '../support/config.js';
import { fakeStorageHost, type FakeStorage } from '../support/fake-pair.js';
import type { Config } from '../../src/config/schema.js';
import type { FakeHost } from '../../src/host/fake.js';
import { UNMOUNT_RETRY_S } from '../../src/volume/unmount.js';

const G = 2 ** 30;
const ref = volumeRef('team-a', 'data');
const RES = 'nfsctl-pv_team-a_data';
const PROC_EMPTY = 'version: 8.4.11 (api:1/proto:86-101)\nsrcversion: X\n';
const proc = (lines: string[]) => `${PROC_EMPTY}\n${lines.join('\n')}\n`;
const CONNECTED = (minor: number, role = 'Primary/Secondary', ds = 'UpToDate/UpToDate') =>
  ` ${minor}: cs:Connected ro:${role} ds:${ds} C r-----\n    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0`;

function cfg(extra = '', lvm = 'lvm: { vg: vgnfs, replication: drbd }'): Config {
  return parseConfig(
    testConfigYaml(tempDir())
      .replace('server: ganesha', 'server: kernel')
      .replace('lvm: { vg: vgnfs }', `${lvm}\n  rbd: { pool: rbd }`) + extra,
    'test.yaml',
  );
}

async function pair(config: Config, p: FakeStorage = {}, b: FakeStorage = {}) {
  const hosts = {
    primary: fakeStorageHost('primary', { vip: true, exports: '', drbdProc: PROC_EMPTY, ...p }),
    backup: fakeStorageHost('backup', { exports: '', drbdProc: PROC_EMPTY, ...b }),
  };
  const inv = await pairInventory(config, hosts);
  const state: PairState = { inv, vipHolder: 'primary', views: mergeVolumes(config, inv) };
  return { hosts, state };
}

const spec = { clients: ['198.51.100.0/24'], options: ['rw', 'sync'] };
const create = (config: Config, state: PairState) =>
  planCreate(config, state, {
    ref,
    size: G,
    backend: 'drbd',
    export: spec,
    labels: {},
    createdBy: 'alice@primary',
    now: new Date('2026-12-02T05:00:00Z'),
  });

const lines = (plan: Plan, host: string) =>
  planSteps(plan)
    .filter((s) => s.host === host)
    .map((s) => describeAction(s.action));

/** An existing drbd volume team-a/data (minor 100, port 7790) on both hosts. */
function existing(
  config: Config,
  o: { procP?: string; procB?: string; mountedOnPrimary?: boolean; staleLineOnBackup?: boolean } = {},
) {
  const meta = {
    v: 1 as const,
    namespace: 'team-a',
    name: 'data',
    labels: {},
    createdAt: '2026-12-02T05:00:00Z',
    createdBy: 'alice@primary',
    backend: 'drbd' as const,
    size: G,
    drbd: { resource: RES, minor: 100, port: 7790 },
  };
  const v = identify(config, ref);
  const file = renderDrbdResource({
    volumeId: v.id,
    resource: RES,
    minor: 100,
    port: 7790,
    disk: `/dev/vgnfs/${v.lv}`,
    hosts: [
      { hostname: 'primary', address: '198.51.100.11' },
      { hostname: 'backup', address: '198.51.100.12' },
    ],
  });
  const lv = { name: v.lv, size: G, tags: encodeMetaTags(meta) };
  const exp = `${v.path} 198.51.100.0/24(rw,sync,fsid=${v.fsid}) # nfsctl:${v.id}\n`;
  const common = { lvs: [lv], drbdFiles: { [`${RES}.res`]: file }, dirs: [v.path] };
  return {
    v,
    file,
    p: {
      ...common,
      drbdProc: o.procP ?? proc([CONNECTED(100)]),
      exports: exp,
      ...(o.mountedOnPrimary === false ? {} : { mounts: `/dev/drbd100 ${v.path} xfs rw 0 0\n` }),
      exportfsV: `${v.path}\t198.51.100.0/24(rw,sync,fsid=${v.fsid})\n`,
    } as FakeStorage,
    // the standby has no exports line for it: holder-only (its unmounted mount point would fail exportfs -ra)
    b: {
      ...common,
      drbdProc: o.procB ?? proc([CONNECTED(100, 'Secondary/Primary')]),
      ...(o.staleLineOnBackup ? { exports: exp } : {}),
    } as FakeStorage,
  };
}

describe('drbd create plan', () => {
  it('phase 1 on both hosts (lvcreate, resource file, create-md, up), phase 2 on the VIP holder, exported there only', async () => {
    const config = cfg();
    const { state } = await pair(config);
    const plan = create(config, state);
    expect(plan.phases.map((p) => p.title)).toEqual([
      'create the DRBD resource on both hosts',
      'make the filesystem and mount it where the VIP is (primary)',
      'export it over NFS',
    ]);
    const [one, two, exp] = plan.phases;
    for (const h of ['primary', 'backup'])
      expect(one!.steps.filter((s) => s.host === h).map((s) => s.id)).toEqual([
        `${h}:lvcreate`,
        `${h}:drbd-res`,
        `${h}:drbd-create-md`,
        `${h}:drbd-up`,
        `${h}:mkdir`,
      ]);
    expect(two!.steps.map((s) => `${s.host} ${describeAction(s.action)}`)).toEqual([
      `primary drbdadm cstate ${RES} until Connected (at most 60 s)`,
      `primary drbdadm new-current-uuid --clear-bitmap ${RES}`,
      `primary drbdadm primary ${RES}`,
      'primary mkfs.xfs -q /dev/drbd100',
      'primary mount -t xfs /dev/drbd100 /nfs/team-a_data',
      // the standby holds NFS traffic to the VIP from the first DRBD volume on
      'backup iptables -I INPUT -d <VIP> --dport 2049 -j DROP (comment nfsctl-vip-hold), once',
    ]);
    // configured and served on the VIP holder only: the standby's exports file is not touched
    // (the notify hook adds the line when the VIP comes there)
    expect(exp!.steps.map((s) => s.id)).toEqual(['primary:exports-file', 'primary:exportfs']);
    // no fstab line: the notify hook mounts it where the VIP is, never at boot
    expect(planSteps(plan).some((s) => s.id.endsWith(':fstab'))).toBe(false);
    expect(lines(plan, 'backup')).toEqual([
      expect.stringMatching(/^lvcreate --yes --wipesignatures y --name pv\.team-a\.data --size 1073741824b /),
      `write /etc/drbd.d/${RES}.res (resource ${RES}, mode 0600)`,
      `drbdadm create-md --force ${RES}`,
      `drbdadm up ${RES}`,
      'mkdir -p -m 0777 -- /nfs/team-a_data',
      'iptables -I INPUT -d <VIP> --dport 2049 -j DROP (comment nfsctl-vip-hold), once',
    ]);
  });

  it("the holder's exports line says mp: a holder that crashes keeps it, and booted again must not serve the bare mount point", async () => {
    const config = cfg();
    const { state } = await pair(config);
    const line = planSteps(create(config, state)).find((s) => s.id === 'primary:exports-file')!;
    const v = identify(config, ref);
    expect(line.action.kind === 'write' && line.action.content).toContain(
      `${v.path} 198.51.100.0/24(rw,sync,mp,fsid=${v.fsid}) # nfsctl:${v.id}`,
    );
    // an LVM volume (served by both hosts, mounted from fstab) keeps its line as it was
    const plain = planCreate(config, state, {
      ref,
      size: G,
      backend: 'lvm',
      export: spec,
      labels: {},
      createdBy: 'alice@primary',
      now: new Date('2026-12-02T05:00:00Z'),
    });
    const lvmLine = planSteps(plain).find((s) => s.id === 'primary:exports-file')!;
    expect(lvmLine.action.kind === 'write' && lvmLine.action.content).toContain(`(rw,sync,fsid=${v.fsid})`);
  });

  it('writes the same resource file on both hosts, mode 0600, marked, and records resource/minor/port in the tags', async () => {
    const config = cfg();
    const { state } = await pair(config);
    const plan = create(config, state);
    const writes = planSteps(plan).filter((s) => s.id.endsWith(':drbd-res'));
    expect(writes).toHaveLength(2);
    const [a, b] = writes.map((s) => s.action);
    expect(a!.kind === 'write' && b!.kind === 'write').toBe(true);
    if (a!.kind !== 'write' || b!.kind !== 'write') return;
    expect(a!.content).toBe(b!.content);
    expect(a!.mode).toBe(0o600);
    expect(a!.content.split('\n')[0]).toBe('# nfsctl: managed resource for team-a/data; do not edit');
    expect(a!.content).toContain('address ipv4 198.51.100.12:7790;');
    const lvc = planSteps(plan).find((s) => s.id === 'primary:lvcreate')!.action;
    const tags = lvc.kind === 'run' ? lvc.argv.filter((x, i) => lvc.argv[i - 1] === '--addtag') : [];
    const { decodeMetaTags } = await import('../../src/core/lvm-json.js');
    expect(decodeMetaTags(tags)).toMatchObject({ backend: 'drbd', drbd: { resource: RES, minor: 100, port: 7790 } });
  });

  it('the dry-run text shows the drbdadm steps in order, on their hosts', async () => {
    const config = cfg();
    const { state } = await pair(config);
    const text = renderPlan(create(config, state), new Chalk({ level: 0 }));
    const at = (s: string) => {
      const i = text.indexOf(s);
      expect(i, s).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      `drbdadm create-md --force ${RES}`,
      `drbdadm up ${RES}`,
      `drbdadm new-current-uuid --clear-bitmap ${RES}`,
      `drbdadm primary ${RES}`,
      'mkfs.xfs -q /dev/drbd100',
      'mount -t xfs /dev/drbd100',
    ].map(at);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
  });

  it('takes the lowest minor and port free on BOTH hosts (foreign files and /proc/drbd count)', async () => {
    const config = cfg();
    const foreign =
      'resource r0 {\n  on backup { device /dev/drbd100; disk /dev/sdb; meta-disk internal; address 198.51.100.12:7790; }\n}\n';
    const { state } = await pair(
      config,
      { drbdProc: proc([CONNECTED(101)]) },
      { drbdFiles: { 'r0.res': foreign, 'global_common.conf.res.bak': '' } },
    );
    const plan = create(config, state);
    const w = planSteps(plan).find((s) => s.id === 'backup:drbd-res')!.action;
    expect(w.kind === 'write' && w.content).toContain('device /dev/drbd102 minor 102;');
    expect(w.kind === 'write' && w.content).toContain(':7791;');
  });

  it('refuses (changing nothing) when the range is full, a foreign file defines the resource, or the module is not loaded', async () => {
    const full = cfg('', 'lvm: { vg: vgnfs, replication: drbd }\n  drbd: { minors: { first: 100, last: 100 } }');
    const s1 = await pair(full, { drbdProc: proc([CONNECTED(100)]) });
    expect(() => create(full, s1.state)).toThrow(/no DRBD minor in 100-100/);
    const config = cfg();
    const s2 = await pair(config, {}, { drbdFiles: { 'mine.res': `resource ${RES} {\n}\n` } });
    expect(() => create(config, s2.state)).toThrow(/already defined/);
    const h = { primary: fakeStorageHost('primary', { vip: true }), backup: fakeStorageHost('backup') };
    const inv = await pairInventory(config, h); // no /proc/drbd on either
    expect(() => create(config, { inv, vipHolder: 'primary', views: [] })).toThrow(/kernel module is not loaded/);
    for (const hs of [s1.hosts, s2.hosts, h]) for (const x of [hs.primary, hs.backup]) expect(x.writes).toEqual([]);
  });

  it('the resource file step re-checks on the host that it overwrites no foreign file', async () => {
    const config = cfg();
    const { state, hosts } = await pair(config);
    const step = planSteps(create(config, state)).find((s) => s.id === 'backup:drbd-res')!;
    hosts.backup.files.set(`/etc/drbd.d/${RES}.res`, 'resource x { }\n');
    expect(await step.precondition!.check(hosts.backup)).toMatch(/not nfsctl's to overwrite/);
    hosts.backup.files.delete(`/etc/drbd.d/${RES}.res`);
    expect(await step.precondition!.check(hosts.backup)).toBeNull();
  });
});

describe('drbd volumes in the inventory', () => {
  it('a standby that has the exports line is drift (exportfs -ra there would fail); the holder-only shape is not', async () => {
    const config = cfg();
    const ok = existing(config);
    expect((await pair(config, ok.p, ok.b)).state.views[0]!.drift).toEqual([]);
    const stale = existing(config, { staleLineOnBackup: true });
    expect((await pair(config, stale.p, stale.b)).state.views[0]!.drift).toEqual([
      expect.stringMatching(
        /^backup: in the exports config but not served \(a DRBD volume's line belongs on the VIP holder only\)/,
      ),
    ]);
  });

  it('are listed as drbd (not lvm), with each host state from /proc/drbd', async () => {
    const config = cfg();
    const e = existing(config);
    const { state } = await pair(config, e.p, e.b);
    expect(state.views.map((v) => [v.id, v.backend])).toEqual([['team-a/data', 'drbd']]);
    expect([...lvmBackend.hostMetas(state.inv.primary)]).toEqual([]);
    expect(state.views[0]!.drift).toEqual([]);
    expect(state.inv.backup.drbd?.states.get(RES)).toMatchObject({
      role: 'Secondary',
      peerRole: 'Primary',
      cstate: 'Connected',
    });
    expect(lvmBackend.owns(state, 'primary', e.v)).toBe(false);
    expect(drbdBackend.owns(state, 'primary', e.v)).toBe(true);
  });
});

describe('drbd resize plan', () => {
  it('lvextend on both hosts first, then drbdadm resize and xfs_growfs on the VIP holder', async () => {
    const config = cfg();
    const e = existing(config);
    const { state } = await pair(config, e.p, e.b);
    const plan = planResize(config, state, ref, 2 * G);
    expect(plan.phases).toHaveLength(2);
    expect(plan.phases[0]!.steps.map((s) => s.id)).toEqual([
      'primary:lvextend',
      'primary:lvtags',
      'backup:lvextend',
      'backup:lvtags',
    ]);
    expect(plan.phases[1]!.steps.map((s) => `${s.host} ${describeAction(s.action)}`)).toEqual([
      `primary drbdadm resize ${RES}`,
      'primary xfs_growfs /nfs/team-a_data',
    ]);
  });
  it('is refused while the pair is not Connected and UpToDate', async () => {
    const config = cfg();
    const e = existing(config, {
      procP: proc([CONNECTED(100, 'Primary/Secondary', 'UpToDate/Inconsistent').replace('Connected', 'SyncSource')]),
    });
    const { state } = await pair(config, e.p, e.b);
    expect(() => planResize(config, state, ref, 2 * G)).toThrow(/Connected and UpToDate on both sides/);
  });
});

describe('drbd delete plan', () => {
  it('unexport, umount, drbdadm down, the marked resource file, the tagged LV, on each host', async () => {
    const config = cfg();
    const e = existing(config);
    const { state } = await pair(config, e.p, e.b);
    const { plan } = planDelete(config, state, { ref, keepData: false });
    const ids = (h: string) =>
      planSteps(plan)
        .filter((s) => s.host === h)
        .map((s) => s.id);
    expect(ids('primary')).toEqual(
      expect.arrayContaining(['primary:umount', 'primary:drbd-down', 'primary:drbd-rm-res', 'primary:lvremove']),
    );
    const p = ids('primary');
    expect(p.indexOf('primary:umount')).toBeLessThan(p.indexOf('primary:drbd-down'));
    expect(p.indexOf('primary:drbd-down')).toBeLessThan(p.indexOf('primary:drbd-rm-res'));
    expect(p.indexOf('primary:drbd-rm-res')).toBeLessThan(p.indexOf('primary:lvremove'));
    expect(ids('backup').filter((i) => !/exports|exportfs/.test(i))).toEqual([
      'backup:drbd-down',
      'backup:drbd-rm-res',
      'backup:lvremove',
      'backup:rmdir',
    ]);
    const rm = planSteps(plan).find((s) => s.id === 'backup:drbd-rm-res')!.action;
    // the guard on the host: the file's first line must be the mark for this volume
    expect(rm.kind === 'run' && rm.argv.slice(3)).toEqual([
      'nfsctl-rm-marked',
      `/etc/drbd.d/${RES}.res`,
      '# nfsctl: managed resource for team-a/data; do not edit',
    ]);
  });

  it("never removes a resource file without the mark, and refuses a foreign one at the volume's name", async () => {
    const config = cfg();
    const e = existing(config);
    const foreign = `resource ${RES} {\n  on backup { device minor 5; address 198.51.100.12:7000; }\n}\n`;
    // the backup's file lost its mark (edited by hand): not nfsctl's any more
    const { state } = await pair(config, e.p, { ...e.b, drbdFiles: { [`${RES}.res`]: foreign } });
    const { plan } = planDelete(config, state, { ref, keepData: false });
    expect(planSteps(plan).some((s) => s.id === 'backup:drbd-rm-res' || s.id === 'backup:drbd-down')).toBe(false);
    // and with no nfsctl LV there, the foreign file blocks the delete there entirely
    const bare = await pair(config, e.p, { drbdFiles: { [`${RES}.res`]: foreign }, drbdProc: PROC_EMPTY });
    expect(() => planDelete(config, bare.state, { ref, keepData: false })).toThrow(/without nfsctl's mark/);
  });

  it('the removal guard refuses an unmarked file on a real shell', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, existsSync } = await import('node:fs');
    const { removeMarkedFileArgv } = await import('../../src/volume/delete-guard.js');
    const d = removeAfterFile(mkdtempSync('/tmp/nfsctl-drbd-guard-'));
    const mark = '# nfsctl: managed resource for team-a/data; do not edit';
    writeFileSync(`${d}/a.res`, 'resource a {}\n');
    writeFileSync(`${d}/b.res`, `${mark}\nresource b {}\n`);
    writeFileSync(`${d}/c.res`, `${mark.replace('team-a/data', 'team-a/other')}\nresource c {}\n`);
    const run = (f: string) => {
      const [cmd, ...args] = removeMarkedFileArgv(`${d}/${f}`, mark);
      try {
        execFileSync(cmd!, args, { stdio: 'pipe' });
        return 0;
      } catch (err) {
        return (err as { status: number }).status;
      }
    };
    expect(run('a.res')).toBe(4);
    expect(run('c.res')).toBe(4);
    expect(run('b.res')).toBe(0);
    expect(run('missing.res')).toBe(0);
    expect([existsSync(`${d}/a.res`), existsSync(`${d}/b.res`), existsSync(`${d}/c.res`)]).toEqual([true, false, true]);
  });
});

describe('drbd followVip (keepalived notify)', () => {
  const follow = async (
    config: Config,
    o: Parameters<typeof existing>[1],
    role: 'primary' | 'backup',
    gained: boolean,
  ) => {
    const e = existing(config, o);
    const { state } = await pair(config, e.p, e.b);
    const serve = () => ({
      id: `${role}:serve`,
      host: role,
      title: 'serve',
      action: { kind: 'run' as const, argv: ['serve'] },
      undo: null,
    });
    return drbdBackend.followVip(
      config,
      role,
      state.inv[role],
      [{ id: e.v.id, path: e.v.path, identity: e.v }],
      gained,
      serve,
    );
  };

  it('MASTER: promote (retried while the peer demotes), mount, then serve', async () => {
    const config = cfg();
    const f = await follow(config, { procB: proc([CONNECTED(100, 'Secondary/Primary')]) }, 'backup', true);
    expect(f.refused).toEqual([]);
    expect(f.steps.map((s) => describeAction(s.action))).toEqual([
      `drbdadm primary ${RES} (retried for up to 30 s)`,
      'mount -t xfs /dev/drbd100 /nfs/team-a_data',
      'serve',
    ]);
  });

  it('MASTER on a side that is not UpToDate: no promote, no mount, no export; the reason is reported', async () => {
    const config = cfg();
    const stale = proc([
      ' 100: cs:WFConnection ro:Secondary/Unknown ds:Inconsistent/DUnknown C r-----\n    ns:0 oos:1024',
    ]);
    const f = await follow(config, { procB: stale }, 'backup', true);
    expect(f.steps).toEqual([]);
    expect(f.refused).toEqual([
      expect.stringMatching(/team-a\/data: not promoted on backup: .*Inconsistent, not UpToDate/),
    ]);
  });

  it('MASTER on the SyncTarget of an UpToDate peer: wait for the resync (bounded), then promote, mount, serve', async () => {
    const config = cfg();
    const syncing = proc([
      ` 100: cs:SyncTarget ro:Secondary/Secondary ds:Inconsistent/UpToDate C r-----\n    ns:0 nr:512 dw:512 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:1024\n\t[=>..................] sync'ed: 12.5% (1024/1536)K\n\tfinish: 0:00:03 speed: 256 (256) want: 0 K/sec`,
    ]);
    const f = await follow(config, { procB: syncing }, 'backup', true);
    expect(f.refused).toEqual([]);
    expect(f.steps.map((s) => s.id)).toEqual([
      'backup:drbd-resync-wait:team-a/data',
      'backup:drbd-primary:team-a/data',
      'backup:mount:team-a/data',
      'backup:serve',
    ]);
    const wait = f.steps[0]!;
    expect(wait.title).toMatch(/12\.5% done; up to 120 s/);
    if (wait.action.kind !== 'run') throw new Error('a run step');
    expect(wait.action.argv.slice(3)).toEqual(['nfsctl-drbd-resync-wait', RES, '120', config.vip]);
  });

  it('the resync wait, run by sh with a fake drbdadm and ip: UpToDate ends it (also right after the resync ended); a resync that stops, the VIP leaving or the time limit fail it with the reason', async () => {
    const config = cfg();
    const syncing = proc([
      ' 100: cs:SyncTarget ro:Secondary/Secondary ds:Inconsistent/UpToDate C r-----\n    ns:0 oos:1024',
    ]);
    const f = await follow(config, { procB: syncing }, 'backup', true);
    const a = f.steps[0]!.action;
    if (a.kind !== 'run') throw new Error('a run step');
    const dir = removeAfterFile(mkdtempSync('/var/tmp/nfsctl-resync-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    // drbdadm dstate: the lines of $dir/ds one call at a time (the last one repeats); cstate: $dir/cs
    writeFileSync(
      join(bin, 'drbdadm'),
      `#!/bin/sh\ncase $1 in dstate) n=$(cat ${dir}/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/n; sed -n "$n{p;q}" ${dir}/ds | grep . || tail -1 ${dir}/ds ;; cstate) cat ${dir}/cs ;; esac\n`,
    );
    writeFileSync(join(bin, 'ip'), `#!/bin/sh\ncat ${dir}/ip\n`);
    chmodSync(join(bin, 'drbdadm'), 0o755);
    chmodSync(join(bin, 'ip'), 0o755);
    const vipLine = `2: eth0    inet ${config.vip}/24 scope global eth0\n`;
    const runWait = (ds: string[], cs: string, ip: string, max = '5') => {
      writeFileSync(join(dir, 'ds'), ds.join('\n') + '\n');
      writeFileSync(join(dir, 'cs'), cs + '\n');
      writeFileSync(join(dir, 'ip'), ip);
      rmSync(join(dir, 'n'), { force: true });
      const argv = [...a.argv];
      argv[5] = max;
      return spawnSync(argv[0]!, argv.slice(1), {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
        timeout: 20_000,
      });
    };
    const done = runWait(
      ['Inconsistent/UpToDate', 'Inconsistent/UpToDate', 'UpToDate/UpToDate'],
      'SyncTarget',
      vipLine,
    );
    expect(done.status, done.stderr).toBe(0);
    expect(readFileSync(join(dir, 'n'), 'utf8').trim()).toBe('3');
    // the resync ended between the two readings (Connected, the disk not yet read UpToDate): no failure
    const justDone = runWait(['Inconsistent/UpToDate', 'UpToDate/UpToDate'], 'Connected', vipLine);
    expect(justDone.status, justDone.stderr).toBe(0);
    const stopped = runWait(['Inconsistent/DUnknown'], 'StandAlone', vipLine);
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toContain(`${RES} stopped resyncing (StandAlone, disk Inconsistent/DUnknown)`);
    const left = runWait(
      ['Inconsistent/UpToDate'],
      'SyncTarget',
      '2: eth0    inet 198.51.100.12/24 scope global eth0\n',
    );
    expect(left.status).toBe(1);
    expect(left.stderr).toContain(`the VIP ${config.vip} left this host while ${RES} resynced`);
    const slow = runWait(['Inconsistent/UpToDate'], 'SyncTarget', vipLine, '2');
    expect(slow.status).toBe(1);
    expect(slow.stderr).toContain(`the resync of ${RES} did not finish in 2 s`);
  }, 30_000);

  it('MASTER on an Inconsistent side whose peer is not UpToDate (a resync from nobody): refused, no wait', async () => {
    const config = cfg();
    const f = await follow(
      config,
      {
        procB: proc([
          ' 100: cs:SyncTarget ro:Secondary/Secondary ds:Inconsistent/Inconsistent C r-----\n    ns:0 oos:1024',
        ]),
      },
      'backup',
      true,
    );
    expect(f.steps).toEqual([]);
    expect(f.refused).toEqual([expect.stringMatching(/not promoted on backup: .*Inconsistent/)]);
  });

  it('BACKUP: serve (unexport) first, then umount, then drbdadm secondary', async () => {
    const config = cfg();
    const f = await follow(config, {}, 'primary', false);
    expect(f.steps.map((s) => describeAction(s.action))).toEqual([
      'serve',
      `umount /nfs/team-a_data (retried for up to ${UNMOUNT_RETRY_S} s while the NFS server releases it)`,
      `drbdadm secondary ${RES}`,
    ]);
  });
});

describe('--replication and the drbd config', () => {
  it('chooses the backend: lvm.replication decides by default, --replication overrides, other backends refuse it', () => {
    const rsync = cfg('', 'lvm: { vg: vgnfs }');
    const drbd = cfg();
    expect(createBackendFor(rsync, undefined, undefined)).toBe('lvm');
    expect(createBackendFor(drbd, undefined, undefined)).toBe('drbd');
    expect(createBackendFor(drbd, 'lvm', 'rsync')).toBe('lvm');
    expect(() => createBackendFor(drbd, 'rbd', 'drbd')).toThrow(/--replication applies to lvm volumes only/);
    expect(() => createBackendFor(drbd, 'drbd', 'rsync')).toThrow(/contradict/);
    // no backends.drbd and no replication: drbd: said before any host is asked
    expect(() => createBackendFor(rsync, 'lvm', 'drbd')).toThrow(/backend "drbd" is not configured/);
  });

  it('volume create --replication drbd with --backend rbd: exit 2 before any host is asked', async () => {
    const config = cfg();
    const hosts = { primary: fakeStorageHost('primary', { vip: true }), backup: fakeStorageHost('backup') };
    const ctx = new Context('test.yaml', config, {}, hosts, captureOutput().out);
    const err = await runCreate(ctx, 'team-a/data', {
      size: '1G',
      backend: 'rbd',
      replication: 'drbd',
      yes: true,
    }).catch((e: { exitCode?: number }) => e);
    expect((err as { exitCode?: number }).exitCode).toBe(2);
    expect([...hosts.primary.calls, ...hosts.backup.calls]).toEqual([]);
  });

  it('volume create --replication drbd --dry-run prints the drbdadm steps and runs nothing that changes a host', async () => {
    const config = cfg('', 'lvm: { vg: vgnfs }\n  drbd: {}');
    const hosts = {
      primary: fakeStorageHost('primary', { vip: true, exports: '', drbdProc: PROC_EMPTY }),
      backup: fakeStorageHost('backup', { exports: '', drbdProc: PROC_EMPTY }),
    };
    const cap = captureOutput();
    const ctx = new Context('test.yaml', config, {}, hosts, cap.out);
    await runCreate(ctx, 'team-a/data', { size: '1G', replication: 'drbd', dryRun: true });
    expect(cap.stdout.text).toContain(`drbdadm new-current-uuid --clear-bitmap ${RES}`);
    const changed = (h: FakeHost) => h.commandLines().filter((l) => /^(lvcreate|drbdadm|mkfs|mount|mkdir)/.test(l));
    expect([...changed(hosts.primary), ...changed(hosts.backup)]).toEqual([]);
    expect([...hosts.primary.writes, ...hosts.backup.writes]).toEqual([]);
  });

  it('backends.lvm.replication: drbd fills backends.drbd with its defaults', () => {
    const c = cfg();
    expect(c.backends.drbd).toEqual({
      resourceDir: '/etc/drbd.d',
      ports: { first: 7790, last: 7999 },
      minors: { first: 100, last: 999 },
      resyncMinRate: '0',
    });
    expect(cfg('', 'lvm: { vg: vgnfs }').backends.drbd).toBeUndefined();
  });

  it('refuses DNS names for the hosts, equal or hostile hostnames, reversed ranges and metadataOnly', () => {
    const bad = [
      (y: string) => y.replace('address: 198.51.100.12', 'address: nfs-b.example.com'),
      (y: string) => y.replace('address: 198.51.100.12', 'address: 198.51.100.12\n    hostname: primary'),
      (y: string) => y.replace('address: 198.51.100.12', 'address: 198.51.100.12\n    hostname: "b\\"; }"'),
      (y: string) => y.replace('address: 198.51.100.12', 'address: 198.51.100.12\n    hostname: "a b"'),
      (y: string) =>
        y.replace('lvm: { vg: vgnfs }', 'lvm: { vg: vgnfs }\n  drbd: { ports: { first: 8000, last: 7000 } }'),
      (y: string) => y.replace('lvm: { vg: vgnfs }', 'lvm: { vg: vgnfs, replication: drbd, metadataOnly: true }'),
      (y: string) => y.replace('lvm: { vg: vgnfs }', 'lvm: { vg: vgnfs, replication: drbd2 }'),
      // resyncMinRate goes into the resource file as one drbd.conf word: nothing else gets in
      ...[
        '"0; }"',
        '"20M; disk { }"',
        '"-1"',
        '"1.5M"',
        '"20 M"',
        '"20m"',
        '"0x10"',
        '"20M\\n"',
        '2.5',
        '"#"',
        '""',
      ].map((r) => (y: string) => y.replace('drbd: {}', `drbd: { resyncMinRate: ${r} }`)),
    ];
    const base = testConfigYaml(tempDir()).replace('lvm: { vg: vgnfs }', 'lvm: { vg: vgnfs }\n  drbd: {}');
    for (const f of bad) expect(() => parseConfig(f(base), 'test.yaml'), f(base)).toThrow();
    expect(() => parseConfig(base, 'test.yaml')).not.toThrow();
    for (const [y, want] of [
      ['0', '0'],
      ['250', '250'],
      ['250K', '250K'],
      ['"20M"', '20M'],
    ] as const)
      expect(
        (
          parseConfig(base.replace('drbd: {}', `drbd: { resyncMinRate: ${y} }`), 'test.yaml').backends as {
            drbd: { resyncMinRate: string };
          }
        ).drbd.resyncMinRate,
        y,
      ).toBe(want);
  });
});

describe('rsync never copies a drbd volume', () => {
  it('sync units leave its mount point out of the root unit and make no unit of it', async () => {
    const { syncUnits } = await import('../../src/ha/sync.js');
    const config = cfg();
    const e = existing(config);
    const { state } = await pair(config, e.p, e.b);
    const units = syncUnits(config, state.views);
    expect(units.map((u) => u.path)).toEqual(['/nfs']);
    expect(units[0]!.volumes).toEqual([]);
    expect(units[0]!.excludes).toEqual(['/team-a_data/']);
  });
});

describe('drbd export changes', () => {
  it('volume unexport of some clients rewrites the export only on the VIP holder (the other host has nothing mounted)', async () => {
    const { planUnexport } = await import('../../src/volume/plans.js');
    const config = cfg();
    const e = existing(config);
    const { state } = await pair(config, e.p, e.b);
    const plan = planUnexport(config, state, ref, { clients: ['198.51.100.7'], options: ['rw', 'sync'] });
    const hosts = new Set(planSteps(plan).map((s) => s.host));
    expect([...hosts]).toEqual(['primary']);
  });
});

describe('ha notify with a drbd volume', () => {
  /** exportfs as the kernel does it: -ra serves exactly what the exports file holds. */
  function kernelExportfs(h: ReturnType<typeof fakeStorageHost>, path: string, fsid: string) {
    let served = h.files.get('/etc/exports.d/nfsctl.exports')?.includes(path) ?? false;
    h.on(['exportfs', '-ra'], () => {
      served = h.files.get('/etc/exports.d/nfsctl.exports')?.includes(`${path} `) ?? false;
      return {};
    });
    h.on(['exportfs', '-v'], () => ({ stdout: served ? `${path}\t198.51.100.0/24(rw,sync,fsid=${fsid})\n` : '' }));
  }

  async function runSteps(plan: Plan, h: ReturnType<typeof fakeStorageHost>) {
    for (const st of planSteps(plan)) {
      const a = st.action;
      if (a.kind === 'fn') await a.fn(h, { signal: new AbortController().signal, progress: () => undefined });
      else if (a.kind === 'run') await h.run(a.argv);
      else if (a.kind === 'write') await h.writeFileAtomic(a.path, a.content);
    }
  }

  it('MASTER on a host without the exports line adds it and serves; BACKUP there removes the line again (holder-only)', async () => {
    const { planNotify, parseNotifyArgs } = await import('../../src/ha/notify.js');
    const config = cfg();
    const e = existing(config, { mountedOnPrimary: false });
    const backup = fakeStorageHost('backup', e.b);
    kernelExportfs(backup, e.v.path, e.v.fsid);
    expect(backup.files.has('/etc/exports.d/nfsctl.exports')).toBe(false);
    const up = await planNotify(config, 'backup', backup, parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER'));
    await runSteps(up.plan, backup);
    expect(backup.files.get('/etc/exports.d/nfsctl.exports')).toContain(`${e.v.path} 198.51.100.0/24(`);
    // now it holds the volume: Primary, mounted, served
    backup.files.set('/proc/drbd', proc([CONNECTED(100)]));
    backup.files.set('/proc/mounts', `/dev/drbd100 ${e.v.path} xfs rw 0 0\n`);
    const down = await planNotify(config, 'backup', backup, parseNotifyArgs('INSTANCE', 'VI_NFS', 'BACKUP'));
    expect(planSteps(down.plan).map((s) => s.id)).toEqual([
      'backup:unexport:team-a/data',
      'backup:umount:team-a/data',
      'backup:drbd-secondary:team-a/data',
      // the standby holds NFS traffic to the VIP: a crash that lands the VIP here finds clients waiting
      'backup:vip-hold',
      // last: the connections it kept on the VIP are reset (vip-sockets.ts)
      'backup:vip-connections',
    ]);
    await runSteps(down.plan, backup);
    expect(backup.files.get('/etc/exports.d/nfsctl.exports') ?? '').not.toContain(e.v.path);
  });

  it('BACKUP on a standby that still has a line from an older create removes it (not served, not mounted)', async () => {
    const { planNotify, parseNotifyArgs } = await import('../../src/ha/notify.js');
    const config = cfg();
    const e = existing(config, { staleLineOnBackup: true });
    const backup = fakeStorageHost('backup', e.b);
    kernelExportfs(backup, e.v.path, e.v.fsid);
    const down = await planNotify(config, 'backup', backup, parseNotifyArgs('INSTANCE', 'VI_NFS', 'BACKUP'));
    expect(planSteps(down.plan).map((s) => s.id)).toEqual([
      'backup:unexport:team-a/data',
      'backup:vip-hold',
      'backup:vip-connections',
    ]);
    await runSteps(down.plan, backup);
    expect(backup.files.get('/etc/exports.d/nfsctl.exports') ?? '').not.toContain(e.v.path);
  });

  it('the old holder booted again after a crash: its mp line serves nothing (not drift-free: it belongs to the holder); MASTER there mounts, then serves', async () => {
    const { planNotify, parseNotifyArgs } = await import('../../src/ha/notify.js');
    const config = cfg();
    const e = existing(config, { mountedOnPrimary: false, procP: proc([CONNECTED(100, 'Secondary/Primary')]) });
    // what exportfs -v lists after the boot's `exportfs -ra` (recorded on the vm tier)
    const booted: FakeStorage = {
      ...e.p,
      exports: `${e.v.path} 198.51.100.0/24(rw,sync,mp,fsid=${e.v.fsid}) # nfsctl:${e.v.id}\n`,
      exportfsV: `${e.v.path} \t198.51.100.0/24(sync,wdelay,fsid=${e.v.fsid},mountpoint,rw)\n`,
    };
    const { state } = await pair(config, booted, { ...e.b, drbdProc: proc([CONNECTED(100)]) });
    expect(state.inv.primary.served).toEqual([]);
    expect(state.views[0]!.drift).toEqual([
      expect.stringMatching(
        /^primary: in the exports config but not served \(a DRBD volume's line belongs on the VIP holder only\)/,
      ),
    ]);
    const h = fakeStorageHost('primary', booted);
    const up = await planNotify(config, 'primary', h, parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER'));
    // exportfs -ra after the mount: mountd serves the mp line now, and no stale answer is cached
    const steps = planSteps(up.plan);
    expect(steps.map((s) => s.id).slice(0, 4)).toEqual([
      // first: the connections it kept on the VIP from before the crash are reset (vip-sockets.ts)
      'primary:vip-connections',
      'primary:drbd-primary:team-a/data',
      'primary:mount:team-a/data',
      'primary:export:team-a/data',
    ]);
    expect(describeAction(steps[3]!.action)).toBe('exportfs -ra');
    // its root filesystem lost the mount point (restored, reinstalled): made again, not a failed takeover
    const bare = fakeStorageHost('primary', { ...booted, dirs: [] });
    const again = await planNotify(config, 'primary', bare, parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER'));
    expect(
      planSteps(again.plan)
        .slice(1, 5)
        .map((s) => `${s.id} ${describeAction(s.action)}`),
    ).toEqual([
      `primary:drbd-primary:team-a/data drbdadm primary ${RES} (retried for up to 30 s)`,
      'primary:mkdir:team-a/data mkdir -p -m 0777 -- /nfs/team-a_data',
      'primary:mount:team-a/data mount -t xfs /dev/drbd100 /nfs/team-a_data',
      'primary:export:team-a/data exportfs -ra',
    ]);
  });

  it("a failback's check that the new holder serves every mirrored volume runs no exportfs -ra when it has none missing (a DRBD line kept from before a crash would fail it)", async () => {
    const { ensureExports } = await import('../../src/ha/freeze.js');
    const config = cfg();
    const e = existing(config, { mountedOnPrimary: false, procP: proc([CONNECTED(100, 'Secondary/Primary')]) });
    const h = fakeStorageHost('primary', { ...e.p, exportfsV: '' });
    h.on(['exportfs', '-ra'], {
      exitCode: 1,
      stderr: 'exportfs: Failed to stat /nfs/team-a_data: No such file or directory',
    });
    const { state } = await pair(config, { ...e.p, exportfsV: '' }, e.b);
    await expect(ensureExports(config, h, state.views)).resolves.toEqual([]);
    expect(h.commandLines()).not.toContain('exportfs -ra');
  });

  it('MASTER on the backup: promote, mount, export (its export is configured there); a stale side is refused', async () => {
    const { planNotify, parseNotifyArgs } = await import('../../src/ha/notify.js');
    const config = cfg();
    const e = existing(config, { mountedOnPrimary: false });
    const backup = fakeStorageHost('backup', e.b);
    const r = await planNotify(config, 'backup', backup, parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER'));
    expect(r.refused).toEqual([]);
    expect(planSteps(r.plan).map((s) => s.id)).toEqual([
      'backup:vip-connections',
      'backup:drbd-primary:team-a/data',
      'backup:mount:team-a/data',
      'backup:export:team-a/data',
      // then the hold goes: clients waiting since the VIP landed here are answered
      'backup:vip-release',
      // last, once everything is served: NFSv3 clients told to reclaim their locks here
      'backup:sm-notify',
    ]);
    const stale = existing(config, {
      procB: proc([' 100: cs:StandAlone ro:Secondary/Unknown ds:Inconsistent/DUnknown   r-----\n    ns:0 oos:522976']),
    });
    const h = fakeStorageHost('backup', stale.b);
    const s = await planNotify(config, 'backup', h, parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER'));
    // the stale volume is not served; the host holds the VIP all the same: its other clients reclaim
    // and the hold goes all the same: the stale volume's clients get errors rather than wait for good
    expect(planSteps(s.plan).map((x) => x.id)).toEqual([
      'backup:vip-connections',
      'backup:vip-release',
      'backup:sm-notify',
    ]);
    expect(s.refused).toEqual([expect.stringMatching(/Inconsistent, not UpToDate/)]);
    expect(s.plan.notes).toEqual([expect.stringMatching(/^NOT served: team-a\/data/)]);
  });

  it('the command, MASTER failing part-way (mount fails): the hold is released all the same, the record says what failed', async () => {
    const { runNotify } = await import('../../src/commands/ha/ha.run.js');
    const { notifyRecordPath } = await import('../../src/ha/notify.js');
    const config = parseConfig(
      testConfigYaml(tempDir())
        .replace('server: ganesha', 'server: kernel')
        .replace('lvm: { vg: vgnfs }', 'lvm: { vg: vgnfs, replication: drbd }\n  rbd: { pool: rbd }')
        .replace('this: primary', 'this: backup'),
      'test.yaml',
    );
    const e = existing(config, { mountedOnPrimary: false });
    const backup = fakeStorageHost('backup', e.b);
    const primary = fakeStorageHost('primary', e.p);
    primary.unreachable = true; // crashed
    backup.on(['mount'], { exitCode: 32, stderr: 'mount: wrong fs type' });
    const iptables: string[] = [];
    backup.on(['iptables'], (a) => {
      iptables.push(a[2]!);
      // the standby's hold is in place until deleted
      return { exitCode: a[2] === '-C' ? (iptables.filter((x) => x === '-D').length >= 2 ? 1 : 0) : 0 };
    });
    const ctx = new Context('test.yaml', config, {}, { primary, backup }, captureOutput().out);
    await expect(runNotify(ctx, 'INSTANCE', 'VI_NFS', 'MASTER', '100', {})).rejects.toThrow(/wrong fs type/);
    expect(iptables.filter((x) => x === '-D')).toHaveLength(2);
    const rec = JSON.parse(backup.files.get(notifyRecordPath(config))!) as { done: string[]; errors: string[] };
    expect(rec.done).toContain('release the hold: clients are answered here');
    expect(rec.errors.join('\n')).toMatch(/wrong fs type/);
  });
});

describe('data freshness on a pair whose volumes are all drbd', () => {
  it("the backup's MASTER opens no generation and marks nobody stale; the primary booted after it is not refused as older", async () => {
    const { freshnessOnTransition, parseNotifyArgs } = await import('../../src/ha/notify.js');
    const { freshnessRecordPath, trackFilePath } = await import('../../src/ha/freshness.js');
    const { startServing } = await import('../../src/core/freshness.js');
    const config = cfg();
    const e = existing(config);
    const hosts = { primary: fakeStorageHost('primary', e.p), backup: fakeStorageHost('backup', e.b) };
    const master = parseNotifyArgs('INSTANCE', 'VI_NFS', 'MASTER');
    // the primary crashed; the backup takes the VIP (whether or not DRBD lets it promote)
    expect((await freshnessOnTransition(config, 'backup', hosts, master)).refused).toBeNull();
    expect(hosts.backup.files.has(freshnessRecordPath(config))).toBe(false);
    expect(hosts.primary.files.has(trackFilePath(config))).toBe(false);
    // a record an older nfsctl left (the backup "newer") does not keep the good primary out either
    hosts.backup.files.set(
      freshnessRecordPath(config),
      JSON.stringify({ ...startServing(null, null, 'backup', '2026-12-03T10:00:00Z'), generation: 5 }),
    );
    expect((await freshnessOnTransition(config, 'primary', hosts, master)).refused).toBeNull();
    expect(hosts.primary.files.has(trackFilePath(config))).toBe(false);
    // with an rsync volume on the host the guard is what it was: the backup's copy is the newer one
    const lvmVol = {
      name: 'pv.team-b.logs',
      size: G,
      tags: encodeMetaTags({
        v: 1,
        namespace: 'team-b',
        name: 'logs',
        labels: {},
        createdAt: '2026-12-02T05:00:00Z',
        createdBy: 'alice@primary',
        backend: 'lvm',
        size: G,
      }),
    };
    const mixed = {
      primary: fakeStorageHost('primary', { ...e.p, lvs: [...(e.p.lvs ?? []), lvmVol] }),
      backup: hosts.backup,
    };
    expect((await freshnessOnTransition(config, 'primary', mixed, master)).refused).toMatch(
      /refusing to serve on primary/,
    );
  });
});
