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
