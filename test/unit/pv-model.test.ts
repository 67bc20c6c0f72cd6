import { describe, expect, it } from 'vitest';
import { PersistentVolume } from 'kubernetes-models/v1/PersistentVolume';
import { parsePvModel } from '../../src/volume/pv-model.js';
import { persistentVolume } from '../../src/volume/pv.js';
import { identify } from '../../src/volume/identity.js';
import { volumeRef } from '../../src/core/names.js';
import { testConfig } from '../support/config.js';

const self = volumeRef('team-a', 'data');

describe('PV model flags', () => {
  it("defaults: RWX, Retain, pre-bound to the volume's own claim, no storage class", () => {
    expect(parsePvModel(self, {})).toEqual({
      accessModes: ['ReadWriteMany'],
      reclaimPolicy: 'Retain',
      claim: self,
      storageClass: '',
    });
  });
  it('--no-claim gives an unbound PV that is still a valid PersistentVolume; --claim pre-binds another claim', () => {
    const config = testConfig();
    const v = identify(config, self);
    const unbound = persistentVolume(
      config,
      v,
      2 ** 30,
      { pool: 'fast' },
      parsePvModel(self, {
        noClaim: true,
        accessMode: ['RWO', 'ROX', 'RWO'],
        reclaimPolicy: 'Delete',
        storageClass: 'nfs-pool',
      }),
    );
    expect(unbound.spec).not.toHaveProperty('claimRef');
    expect(unbound.spec).toMatchObject({
      accessModes: ['ReadWriteOnce', 'ReadOnlyMany'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'nfs-pool',
    });
    expect(() => new PersistentVolume(unbound as never).validate()).not.toThrow();
    const other = persistentVolume(config, v, 2 ** 30, {}, parsePvModel(self, { claim: 'team-b/web' }));
    expect(other.spec.claimRef).toEqual({ namespace: 'team-b', name: 'web' });
  });
  it('refuses Recycle with the reason, and anything unknown (exit 2)', () => {
    expect(() => parsePvModel(self, { reclaimPolicy: 'Recycle' })).toThrow(
      /Recycle is refused: Kubernetes deprecated it/,
    );
    for (const bad of [
      { reclaimPolicy: 'retain' },
      { accessMode: ['RWOP'] },
      { storageClass: 'Fast_SSD' },
      { claim: 'nope' },
      { claim: 'a/b', noClaim: true },
    ]) {
      let err: { exitCode?: number } | undefined;
      try {
        parsePvModel(self, bad);
      } catch (e) {
        err = e as { exitCode?: number };
      }
      expect(err?.exitCode, JSON.stringify(bad)).toBe(2);
    }
  });
});

describe('volume create with PV model flags', () => {
  it('Recycle (or a bad access mode) is refused before any host is asked', async () => {
    const { Context } = await import('../../src/cli/context.js');
    const { runCreate } = await import('../../src/commands/volume/create.run.js');
    const { fakeStorageHost } = await import('../support/fake-pair.js');
    const { captureOutput } = await import('../support/capture.js');
    const hosts = { primary: fakeStorageHost('primary', { vip: true }), backup: fakeStorageHost('backup') };
    const ctx = new Context('test.yaml', testConfig(), {}, hosts, captureOutput().out);
    for (const o of [{ reclaimPolicy: 'Recycle' }, { accessMode: ['RWOP'] }]) {
      const err = await runCreate(ctx, 'team-a/data', { size: '1G', yes: true, ...o }).catch((e) => e);
      expect(err.exitCode, JSON.stringify(o)).toBe(2);
    }
    expect([...hosts.primary.calls, ...hosts.backup.calls]).toEqual([]);
  });
});

describe('ROX: a read-only export and a readOnly PV', () => {
  const load = async () => ({
    Context: (await import('../../src/cli/context.js')).Context,
    runCreate: (await import('../../src/commands/volume/create.run.js')).runCreate,
    runShow: (await import('../../src/commands/volume/list.run.js')).runShow,
    fakeStorageHost: (await import('../support/fake-pair.js')).fakeStorageHost,
    captureOutput: (await import('../support/capture.js')).captureOutput,
    usage: await import('../support/usage-pair.js'),
    config: await import('../support/config.js'),
  });
  const createPair = async (config = testConfig()) => {
    const m = await load();
    const hosts = { primary: m.fakeStorageHost('primary', { vip: true }), backup: m.fakeStorageHost('backup') };
    // once the export is applied, the fake's NFS server serves it (kernel: exportfs -ra; ganesha: AddExport)
    const id = identify(config, self);
    for (const h of Object.values(hosts)) {
      const applied = () => h.commandLines().some((l) => l === 'exportfs -ra' || /AddExport/.test(l));
      h.on(['exportfs', '-v'], () => ({
        stdout: applied()
          ? `${id.path}\n\t\t198.51.100.0/24(sync,wdelay,hide,no_subtree_check,sec=sys,ro,secure,no_root_squash,no_all_squash)\n`
          : '',
      }));
      h.on(
        (a) => a[0] === 'dbus-send' && a.some((x) => x.endsWith('ShowExports')),
        () => ({
          stdout: `method return time=1 sender=:1.1 -> destination=:1.2 serial=3 reply_serial=2\n   struct {\n      int64 1\n      int32 0\n   }\n   array [\n${applied() ? `      struct {\n         uint16 ${id.exportId}\n         string "${id.path}"\n         string "${id.path}"\n      }\n` : ''}   ]\n`,
        }),
      );
    }
    const cap = m.captureOutput();
    return { ...m, hosts, cap, ctx: new m.Context('test.yaml', config, {}, hosts, cap.out) };
  };
  const writesOf = (h: { writes: { path: string; content: string }[] }) =>
    h.writes.filter((w) => w.path.includes('ganesha') || w.path.includes('exports'));

  it('create --access-mode ROX: ganesha gets Access_Type = RO on both hosts, the PV says readOnly', async () => {
    const p = await createPair();
    await p.runCreate(p.ctx, 'team-a/data', { size: '1G', yes: true, accessMode: ['ROX'], output: 'pv-json' });
    for (const h of [p.hosts.primary, p.hosts.backup]) {
      const block = writesOf(h).find((w) => w.path.endsWith('.conf'))!.content;
      expect(block).toMatch(/Access_Type = RO;/);
      expect(block).not.toMatch(/Access_Type = RW;/);
    }
    const pv = JSON.parse(p.cap.stdout.text);
    expect(pv.spec.accessModes).toEqual(['ReadOnlyMany']);
    expect(pv.spec.nfs).toMatchObject({ readOnly: true, path: '/nfs/team-a_data' });
    expect(() => new PersistentVolume(pv as never).validate()).not.toThrow();
  });

  it('create --access-mode ROX with the kernel server: the exports line says ro instead of rw', async () => {
    const p = await createPair(
      (await import('../../src/config/load.js')).parseConfig(
        (await load()).config
          .testConfigYaml((await load()).config.tempDir())
          .replace('server: ganesha', 'server: kernel'),
        'test.yaml',
      ),
    );
    await p.runCreate(p.ctx, 'team-a/data', { size: '1G', yes: true, accessMode: ['ROX'] });
    for (const h of [p.hosts.primary, p.hosts.backup]) {
      const line = writesOf(h)
        .find((w) => w.path.endsWith('.exports'))!
        .content.split('\n')
        .find((l) => l.startsWith('/nfs/'))!;
      expect(line).toMatch(/\(ro,/);
      expect(line).not.toMatch(/[(,]rw[,)]/);
    }
  });

  it('RWX or RWO on a ro export, and ROX with --options rw, are refused before any host is asked', async () => {
    const p = await createPair();
    for (const o of [
      { accessMode: ['ROX'], options: 'rw,sync' },
      { accessMode: ['RWX'], options: 'ro,sync' },
      { options: 'ro,sync' },
    ]) {
      const err = await p.runCreate(p.ctx, 'team-a/data', { size: '1G', yes: true, ...o }).catch((e) => e);
      expect(err.exitCode, JSON.stringify(o)).toBe(2);
    }
    expect([...p.hosts.primary.calls, ...p.hosts.backup.calls]).toEqual([]);
  });

  const showPair = async (options?: string[]) => {
    const m = await load();
    const config = m.usage.usageConfig(m.config.tempDir());
    const vols = [
      {
        ns: 'team-a',
        name: 'data',
        backend: 'xfsquota' as const,
        size: 2 ** 30,
        used: 0,
        labels: { tier: 'gold' },
        ...(options ? { options } : {}),
      },
    ];
    const hosts = {
      primary: m.usage.usageHost(config, 'primary', vols),
      backup: m.usage.usageHost(config, 'backup', vols),
    };
    const cap = m.captureOutput();
    return { ...m, hosts, cap, ctx: new m.Context('test.yaml', config, {}, hosts, cap.out) };
  };

  it('volume show --output pv-json takes the PV model flags of create', async () => {
    const p = await showPair();
    await p.runShow(p.ctx, 'team-a/data', {
      output: 'pv-json',
      claim: false,
      reclaimPolicy: 'Delete',
      storageClass: 'nfs-pool',
      accessMode: ['RWO'],
    });
    const pv = JSON.parse(p.cap.stdout.text);
    expect(pv.spec).not.toHaveProperty('claimRef');
    expect(pv.spec).toMatchObject({
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'nfs-pool',
      capacity: { storage: '1Gi' },
    });
    expect(pv.spec.nfs).not.toHaveProperty('readOnly');
    expect(pv.metadata.labels).toMatchObject({ tier: 'gold' });
    expect(() => new PersistentVolume(pv as never).validate()).not.toThrow();
  });

  it('volume show of a read-only export: ROX and readOnly by default, a read-write mode refused (exit 2)', async () => {
    const p = await showPair(['ro', 'sync', 'no_root_squash', 'no_subtree_check']);
    await p.runShow(p.ctx, 'team-a/data', { output: 'pv-yaml' });
    expect(p.cap.stdout.text).toMatch(/accessModes:\n\s+- ReadOnlyMany/);
    expect(p.cap.stdout.text).toMatch(/readOnly: true/);
    const err = await p.runShow(p.ctx, 'team-a/data', { output: 'pv-json', accessMode: ['RWX'] }).catch((e) => e);
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/exported read-only/);
  });

  it('volume show (text): what a VIP move does to NFSv3 locks and NFSv4 state of this volume', async () => {
    const p = await showPair();
    await p.runShow(p.ctx, 'team-a/data', {});
    expect(p.cap.stdout.text).toMatch(/NFSv3 locks: NLM locks are lost/);
    expect(p.cap.stdout.text).toMatch(/NFSv4 state: opens, locks and delegations are lost/);
  });

  it('volume show: PV flags without --output, or a bad value, are refused before any host is asked', async () => {
    const p = await showPair();
    for (const o of [
      { accessMode: ['RWX'] },
      { claim: false },
      { output: 'pv-json' as const, reclaimPolicy: 'Recycle' },
    ]) {
      const err = await p.runShow(p.ctx, 'team-a/data', o).catch((e) => e);
      expect(err.exitCode, JSON.stringify(o)).toBe(2);
    }
    expect([...p.hosts.primary.calls, ...p.hosts.backup.calls]).toEqual([]);
  });
});
