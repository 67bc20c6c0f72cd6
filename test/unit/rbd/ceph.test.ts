// src/rbd: the Ceph runner, the pool scan, the blocklist fall-back, against a recording fake host.
import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../../src/host/fake.js';
import { Ceph, cephTarget } from '../../../src/rbd/ceph.js';
import { scanPool, scanImage, readLocks } from '../../../src/rbd/locks.js';
import { Blocklist, breakLockPolicy } from '../../../src/rbd/blocklist.js';
import { noNodeCheck, SshNodeProber } from '../../../src/rbd/nodes.js';
import { PreconditionError, UsageError } from '../../../src/core/errors.js';
import { parseConfig } from '../../../src/config/load.js';
import { testConfigYaml } from '../../support/config.js';
import type { Config } from '../../../src/config/schema.js';

const config = (extra = ''): Config =>
  parseConfig(testConfigYaml('/tmp/x').replace('  lvm: { vg: vgnfs }', `  lvm: { vg: vgnfs }\n  rbd: { pool: rbd, cephConf: /etc/ceph/ceph.conf, id: admin, keyring: /etc/ceph/ceph.client.admin.keyring }${extra}`), 'test');

const target = { conf: '/etc/ceph/ceph.conf', id: 'admin', pool: 'rbd' };
const sub = (argv: string[]) => argv.slice(5); // after: rbd --conf X --id Y

describe('cephTarget', () => {
  it('takes config, overrides and validates them before anything runs', () => {
    const c = config();
    expect(cephTarget(c, {})).toEqual({ conf: '/etc/ceph/ceph.conf', id: 'admin', keyring: '/etc/ceph/ceph.client.admin.keyring', pool: 'rbd' });
    // another id: the configured keyring is not its keyring
    expect(cephTarget(c, { id: 'client.k8s', clusterConf: '/etc/ceph/other.conf' })).toEqual({ conf: '/etc/ceph/other.conf', id: 'k8s', pool: 'rbd' });
    expect(() => cephTarget(c, { clusterConf: 'relative.conf' })).toThrow(UsageError);
    expect(() => cephTarget(c, { id: 'a;b' })).toThrow(UsageError);
  });
});

function cluster() {
  const h = new FakeHost('primary');
  const images = ['a', 'b', 'c', 'd'];
  h.on((a) => a[0] === 'rbd' && sub(a)[0] === 'ls', {
    stdout: JSON.stringify(images.map((i) => ({ image: i, id: i, size: 1, format: 2, ...(i === 'b' || i === 'd' ? { lock_type: 'exclusive' } : {}) }))) + '\n',
  });
  h.on((a) => a[0] === 'rbd' && sub(a)[0] === 'lock' && a.includes('rbd/b'), { stdout: '[{"id":"kubelet_lock_magic_gone","locker":"client.1","address":"198.51.100.21:0/1"}]\n' });
  h.on((a) => a[0] === 'rbd' && sub(a)[0] === 'lock' && a.includes('rbd/d'), { stdout: '[{"id":"kubelet_lock_magic_n2","locker":"client.2","address":"198.51.100.22:0/2"}]\n' });
  h.on((a) => a[0] === 'rbd' && sub(a)[0] === 'status' && a.includes('rbd/b'), { stdout: '{"watchers":[]}\n' });
  h.on((a) => a[0] === 'rbd' && sub(a)[0] === 'status' && a.includes('rbd/d'), { stdout: '{"watchers":[{"address":"198.51.100.22:0/77","client":4242,"cookie":18446462598732840961}]}\n' });
  return h;
}

describe('scanPool', () => {
  it('one rbd ls -l, then lock ls + status only for locked images', async () => {
    const h = cluster();
    const unreachable = new SshNodeProber({ connectTimeoutMs: 10, sshPort: 22, open: () => h, resolve: async () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' })) });
    const r = await scanPool(new Ceph(h, target), 'rbd', unreachable);
    expect(r.images).toBe(4);
    expect(h.calls.map((c) => sub(c.argv).join(' ')).sort()).toEqual(
      ['ls -l --format json --pool rbd', 'lock ls --format json rbd/b', 'lock ls --format json rbd/d', 'status --format json rbd/b', 'status --format json rbd/d'].sort(),
    );
    expect(r.locks.map((l) => [l.image, l.verdict, l.nodeState])).toEqual([
      ['b', 'stale', 'unreachable'],
      ['d', 'live', null],
    ]);
    expect(r.locks[1]!.watchers[0]!.cookie).toBe('18446462598732840961');
    expect(r.locks[0]!.reason).toMatch(/ENOTFOUND/);
  });

  it('a missing pool is a precondition error (exit 4)', async () => {
    const h = new FakeHost('primary').on(['rbd'], { exitCode: 2, stderr: "rbd: error opening pool 'nope': (2) No such file or directory\nrbd: listing images failed: (2) No such file or directory\n" });
    const err = await scanPool(new Ceph(h, target), 'nope', noNodeCheck).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toBe('pool "nope" does not exist');
  });

  it('an image deleted between listing and lock ls is skipped', async () => {
    const h = cluster().on((a) => a.includes('rbd/b'), { exitCode: 2, stderr: 'rbd: error opening image b: (2) No such file or directory\n' });
    const r = await scanPool(new Ceph(h, target), 'rbd', noNodeCheck);
    expect(r.locks.map((l) => l.image)).toEqual(['d']);
    expect(r.errors).toEqual([]);
  });
});

describe('scanImage / readLocks', () => {
  it('missing image: exit 4 with a message naming it', async () => {
    const h = new FakeHost('primary').on(['rbd'], { exitCode: 2, stderr: 'rbd: error opening image nope: (2) No such file or directory\n' });
    const err = await readLocks(new Ceph(h, target), { pool: 'rbd', image: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toBe('image rbd/nope does not exist');
  });
  it('no locks: nothing else is asked', async () => {
    const h = new FakeHost('primary').on(['rbd'], { stdout: '[]\n' });
    expect(await scanImage(new Ceph(h, target), { pool: 'rbd', image: 'a' }, noNodeCheck)).toEqual([]);
    expect(h.calls).toHaveLength(1);
  });
  it('lock type comes from the plain header', async () => {
    const h = cluster().on((a) => a.at(-1) === 'rbd/b' && sub(a).join(' ') === 'lock ls rbd/b', { stdout: 'There is 1 exclusive lock on this image.\nLocker ID Address\n' });
    const rows = await scanImage(new Ceph(h, target), { pool: 'rbd', image: 'b' }, noNodeCheck);
    expect(rows[0]).toMatchObject({ lockType: 'exclusive', verdict: 'unknown', nodeState: 'not-checked' });
  });
});

describe('SshNodeProber', () => {
  it('reachable node: not mapping / mapping, probed once per node', async () => {
    const node = new FakeHost('n1').on(['rbd', 'showmapped'], { stdout: '[{"id":"0","pool":"rbd","namespace":"","name":"x","snap":"-","device":"/dev/rbd0"}]\n' });
    const p = new SshNodeProber({ connectTimeoutMs: 10, sshPort: 22, open: () => node, resolve: async () => '198.51.100.40', tcp: async () => null });
    expect(await p.probe('n1', { pool: 'rbd', image: 'y' })).toEqual({ state: 'not-mapping' });
    expect(await p.probe('n1', { pool: 'rbd', image: 'x' })).toEqual({ state: 'mapping', device: '/dev/rbd0' });
    expect(node.calls).toHaveLength(1);
  });
  it('no answer on the SSH port: unreachable; SSH failure after connect: unknown', async () => {
    const p = new SshNodeProber({ connectTimeoutMs: 10, sshPort: 22, open: () => new FakeHost('x'), resolve: async () => '198.51.100.40', tcp: async () => 'ECONNREFUSED' });
    expect(await p.probe('n1', { pool: 'rbd', image: 'y' })).toEqual({ state: 'unreachable', why: 'ECONNREFUSED' });
    const dead = new FakeHost('n2');
    dead.unreachable = true;
    const q = new SshNodeProber({ connectTimeoutMs: 10, sshPort: 22, open: () => dead, resolve: async () => '198.51.100.40', tcp: async () => null });
    expect((await q.probe('n2', { pool: 'rbd', image: 'y' })).state).toBe('unknown');
  });
});

describe('Blocklist', () => {
  it('blocklist first; blacklist when the cluster does not know the new word (and remembers it)', async () => {
    const h = new FakeHost('primary')
      .on((a) => a.includes('blocklist'), { exitCode: 22, stderr: 'no valid command found; 10 closest matches:\nosd blacklist ls\nError EINVAL: invalid command\n' })
      .on((a) => a.includes('blacklist'), { stdout: '[{"addr":"198.51.100.21:0/5","until":"2026-01-01T00:00:00.000000+0000"}]' });
    const bl = new Blocklist(new Ceph(h, target));
    expect(await bl.list()).toEqual({ word: 'blacklist', entries: [{ kind: 'addr', addr: '198.51.100.21:0/5', until: '2026-01-01T00:00:00.000000+0000' }] });
    await bl.remove({ kind: 'addr', addr: '198.51.100.21:0/5', until: '' });
    expect(h.calls.map((c) => c.argv.slice(5).join(' '))).toEqual(['osd blocklist ls --format json', 'osd blacklist ls --format json', 'osd blacklist rm 198.51.100.21:0/5']);
  });
  it('range entries are removed with `range rm`; a bad address is not an unknown command', async () => {
    const h = new FakeHost('primary').on(['ceph'], { stdout: '' });
    await new Blocklist(new Ceph(h, target)).remove({ kind: 'range', addr: '198.51.100.0/24', until: '' });
    expect(h.calls[0]!.argv.slice(5)).toEqual(['osd', 'blocklist', 'range', 'rm', '198.51.100.0/24']);
    const bad = new FakeHost('primary').on(['ceph'], { exitCode: 22, stderr: 'Invalid command: garbage not valid IPv6 address\nError EINVAL: invalid command\n' });
    await expect(new Blocklist(new Ceph(bad, target)).remove({ kind: 'addr', addr: 'garbage', until: '' })).rejects.toThrow(/removing garbage/);
    expect(bad.calls).toHaveLength(1);
  });
});

describe('breakLockPolicy', () => {
  const policy = (vals: Record<string, string | null>) => {
    const h = new FakeHost('primary').on(['ceph'], (a) => {
      const v = vals[a.at(-1)!];
      return v === null || v === undefined ? { exitCode: 1, stderr: 'x' } : { stdout: v };
    });
    return breakLockPolicy(new Ceph(h, target));
  };
  it('rbd_blocklist_expire_seconds=0 means the mon default', async () => {
    expect(await policy({ rbd_blocklist_on_break_lock: 'true\n', rbd_blocklist_expire_seconds: '0\n', mon_osd_blocklist_default_expire: '3600.000000\n' })).toMatchObject({ blocklistOnBreak: true, expireSeconds: 3600 });
  });
  it('an explicit rbd value wins; unreadable config falls back to 3600 and says so', async () => {
    expect(await policy({ rbd_blocklist_on_break_lock: 'false', rbd_blocklist_expire_seconds: '600', mon_osd_blocklist_default_expire: '3600' })).toMatchObject({ blocklistOnBreak: false, expireSeconds: 600 });
    expect(await policy({})).toMatchObject({ blocklistOnBreak: true, expireSeconds: 3600, source: expect.stringMatching(/built-in default/) });
  });
});
