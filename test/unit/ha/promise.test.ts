import { describe, expect, it } from 'vitest';
import {
  movePromise,
  pairPromises,
  parseRmtab,
  parseSsPeers,
  restartAdvice,
  rpoText,
} from '../../../src/ha/promise.js';
import { volumeRpoSeconds, writeSyncRecord, readVolumeSyncs } from '../../../src/ha/sync-state.js';
import { FakeHost } from '../../../src/host/fake.js';
import { testConfig } from '../../support/config.js';

describe('what a VIP move does, per volume kind', () => {
  it('rsync copies: open files get errors and a crash loses since the last sync; RBD: shared', () => {
    expect(movePromise('lvm')).toBe(movePromise('xfsquota'));
    expect(movePromise('lvm').kind).toBe('copy');
    expect(movePromise('lvm').openFiles).toMatch(/ESTALE\/EIO.*restart/);
    expect(movePromise('lvm').crash).toMatch(/since the last good sync/);
    expect(movePromise('rbd').kind).toBe('shared');
    expect(movePromise('rbd').openFiles).toMatch(/survive the move.*shown with a kernel NFSv3 client on the vm tier/);
  });
  it('the pair groups its configured backends', () => {
    expect(pairPromises(testConfig()).map((p) => [p.kind, p.backends])).toEqual([['copy', ['lvm']]]);
  });
  it('RPO text', () => {
    expect(rpoText(null)).toMatch(/no good sync recorded/);
    expect(rpoText(600)).toBe('RPO 10 min: a crash of the VIP holder now loses what was written in the last 10 min');
  });
});

describe('clients to restart after a move', () => {
  it('rmtab: client:path:count; repeated lines once', () => {
    const m = parseRmtab(
      '198.51.100.21:/nfs/ha-a_one:0x00000001\n198.51.100.22:/nfs/ha-a_one:0x00000002\n198.51.100.21:/nfs/ha-a_one:0x00000001\n\ngarbage\n10.0.0.9:/nfs/x_y\n',
    );
    expect(m.get('/nfs/ha-a_one')).toEqual(['198.51.100.21', '198.51.100.22']);
    expect(m.get('/nfs/x_y')).toEqual(['10.0.0.9']);
  });
  it('ss peers on 2049, IPv4, mapped and IPv6', () => {
    const text =
      '0 0 198.51.100.100:2049 198.51.100.21:771\n0 0 [::ffff:198.51.100.100]:2049 [::ffff:198.51.100.30]:700\n0 0 [fd00::1]:2049 [fd00::21]:900\n';
    expect(parseSsPeers(text)).toEqual(['198.51.100.21', '198.51.100.30', 'fd00::21']);
  });
  it('advice names each rsync-copy volume with its clients, never an RBD one', () => {
    const c = {
      mountedBy: new Map([
        ['/nfs/a_b', ['198.51.100.21']],
        ['/nfs/r_b', ['198.51.100.22']],
      ]),
      connected: ['198.51.100.21'],
    };
    const a = restartAdvice(
      [
        { id: 'a/b', path: '/nfs/a_b', backend: 'lvm' },
        { id: 'r/b', path: '/nfs/r_b', backend: 'rbd' },
      ],
      c,
    );
    expect(a).toEqual([
      'a/b: mounted by 198.51.100.21: restart the pods there that hold files open on it (they now get I/O errors)',
    ]);
    expect(
      restartAdvice([{ id: 'a/b', path: '/nfs/a_b', backend: 'xfsquota' }], {
        mountedBy: new Map(),
        connected: ['198.51.100.9'],
      })[0],
    ).toMatch(/198\.51\.100\.9.*rmtab named no volume/);
    expect(restartAdvice([], { mountedBy: new Map(), connected: [] })).toEqual([]);
  });
  it('no rsync-copy volume in the move: connected clients are not told to restart anything', () => {
    const connected = { mountedBy: new Map(), connected: ['198.51.100.21'] };
    expect(restartAdvice([{ id: 'f/s', path: '/nfs/f_s', backend: 'cephfs' }], connected)).toEqual([]);
    expect(restartAdvice([], connected)).toEqual([]);
  });
});

describe('per-volume RPO records', () => {
  it('a good sync records its volumes; a failed one does not; the newest of both hosts counts', async () => {
    const h = new FakeHost('backup');
    const base = {
      ok: true,
      direction: 'primary->backup',
      source: 'primary',
      destination: 'backup',
      bytes: 1,
      durationMs: 1,
    };
    await writeSyncRecord(h, '/st', { ...base, time: '2026-01-01T00:00:00.000Z', volumes: ['a/b', 'c/d'] });
    await writeSyncRecord(h, '/st', {
      ...base,
      time: '2026-01-01T00:10:00.000Z',
      volumes: ['a/b'],
      ok: false,
      skipped: ['c/d: not mounted'],
    });
    await writeSyncRecord(h, '/st', {
      ...base,
      time: '2026-01-01T00:20:00.000Z',
      volumes: ['c/d'],
      ok: false,
      error: 'rsync failed',
    });
    const rec = await readVolumeSyncs(h, '/st');
    expect(rec).toEqual({ 'a/b': '2026-01-01T00:10:00.000Z', 'c/d': '2026-01-01T00:00:00.000Z' });
    const now = Date.parse('2026-01-01T01:00:00.000Z');
    expect(volumeRpoSeconds('a/b', [rec, { 'a/b': '2026-01-01T00:30:00.000Z' }], now)).toBe(1800);
    expect(volumeRpoSeconds('c/d', [rec], now)).toBe(3600);
    expect(volumeRpoSeconds('e/f', [rec], now)).toBeNull();
  });
});
