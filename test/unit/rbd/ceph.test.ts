// src/rbd: the Ceph runner, the pool scan, the blocklist fall-back, against a recording fake host.
import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../../src/host/fake.js';
import { Ceph, cephTarget } from '../../../src/rbd/ceph.js';
import { scanPool, scanImage, readLocks, scan, POOL_SCAN_PY } from '../../../src/rbd/locks.js';
import { Blocklist, breakLockPolicy } from '../../../src/rbd/blocklist.js';
import { noNodeCheck, SshNodeProber } from '../../../src/rbd/nodes.js';
import { NfsctlError, PreconditionError, UsageError } from '../../../src/core/errors.js';
import type { RunOptions, RunResult } from '../../../src/host/host.js';
import { parseConfig } from '../../../src/config/load.js';
import { testConfigYaml } from '../../support/config.js';
import type { Config } from '../../../src/config/schema.js';

const config = (extra = ''): Config =>
  parseConfig(
    testConfigYaml('/tmp/x').replace(
      '  lvm: { vg: vgnfs }',
      `  lvm: { vg: vgnfs }\n  rbd: { pool: rbd, cephConf: /etc/ceph/ceph.conf, id: admin, keyring: /etc/ceph/ceph.client.admin.keyring }${extra}`,
    ),
    'test',
  );

const target = { conf: '/etc/ceph/ceph.conf', id: 'admin', pool: 'rbd' };
const sub = (argv: string[]) => argv.slice(5); // after: rbd --conf X --id Y

describe('cephTarget', () => {
  it('takes config, overrides and validates them before anything runs', () => {
    const c = config();
    expect(cephTarget(c, {})).toEqual({
      conf: '/etc/ceph/ceph.conf',
      id: 'admin',
      keyring: '/etc/ceph/ceph.client.admin.keyring',
      pool: 'rbd',
    });
    // another id: the configured keyring is not its keyring
    expect(cephTarget(c, { id: 'client.k8s', clusterConf: '/etc/ceph/other.conf' })).toEqual({
      conf: '/etc/ceph/other.conf',
      id: 'k8s',
      pool: 'rbd',
    });
    expect(() => cephTarget(c, { clusterConf: 'relative.conf' })).toThrow(UsageError);
    expect(() => cephTarget(c, { id: 'a;b' })).toThrow(UsageError);
  });
});

/** A host with the rbd CLI and no python3 (the fallback path). */
function cluster() {
  const h = new FakeHost('primary').on(['python3'], { exitCode: 127, stderr: 'python3: command not found' });
  const images = ['a', 'b', 'c', 'd'];
  h.on((a) => a[0] === 'rbd' && sub(a)[0] === 'ls', {
    stdout:
      JSON.stringify(
        images.map((i) => ({
          image: i,
          id: i,
          size: 1,
          format: 2,
          ...(i === 'b' || i === 'd' ? { lock_type: 'exclusive' } : {}),
        })),
      ) + '\n',
  });
  h.on((a) => a[0] === 'rbd' && sub(a)[0] === 'lock' && a.includes('rbd/b'), {
    stdout: '[{"id":"kubelet_lock_magic_gone","locker":"client.1","address":"198.51.100.21:0/1"}]\n',
  });
  h.on((a) => a[0] === 'rbd' && sub(a)[0] === 'lock' && a.includes('rbd/d'), {
    stdout: '[{"id":"kubelet_lock_magic_n2","locker":"client.2","address":"198.51.100.22:0/2"}]\n',
  });
  h.on((a) => a[0] === 'rbd' && sub(a)[0] === 'status' && a.includes('rbd/b'), { stdout: '{"watchers":[]}\n' });
  h.on((a) => a[0] === 'rbd' && sub(a)[0] === 'status' && a.includes('rbd/d'), {
    stdout: '{"watchers":[{"address":"198.51.100.22:0/77","client":4242,"cookie":18446462598732840961}]}\n',
  });
  return h;
}

describe('scanPool', () => {
  it('one rbd ls -l, then lock ls + status only for locked images', async () => {
    const h = cluster();
    const unreachable = new SshNodeProber({
      connectTimeoutMs: 10,
      sshPort: 22,
      open: () => h,
      resolve: async () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' })),
    });
    const r = await scanPool(new Ceph(h, target), 'rbd', unreachable);
    expect(r.images).toBe(4);
    expect(h.calls[0]!.argv.slice(0, 2)).toEqual(['python3', '-c']);
    expect(
      h.calls
        .slice(1)
        .map((c) => sub(c.argv).join(' '))
        .sort(),
    ).toEqual(
      [
        'ls -l --format json --pool rbd',
        'lock ls --format json -- rbd/b',
        'lock ls --format json -- rbd/d',
        'status --format json -- rbd/b',
        'status --format json -- rbd/d',
      ].sort(),
    );
    expect(r.locks.map((l) => [l.image, l.verdict, l.nodeState])).toEqual([
      ['b', 'stale', 'unreachable'],
      ['d', 'live', null],
    ]);
    expect(r.locks[1]!.watchers[0]!.cookie).toBe('18446462598732840961');
    expect(r.locks[0]!.reason).toMatch(/ENOTFOUND/);
  });

  it('a missing pool is a precondition error (exit 4)', async () => {
    const h = new FakeHost('primary').on(['rbd'], {
      exitCode: 2,
      stderr:
        "rbd: error opening pool 'nope': (2) No such file or directory\nrbd: listing images failed: (2) No such file or directory\n",
    });
    const err = await scanPool(new Ceph(h, target), 'nope', noNodeCheck).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toBe('pool "nope" does not exist');
  });

  it('an image deleted between listing and lock ls is skipped', async () => {
    const h = cluster().on((a) => a.includes('rbd/b'), {
      exitCode: 2,
      stderr: 'rbd: error opening image b: (2) No such file or directory\n',
    });
    const r = await scanPool(new Ceph(h, target), 'rbd', noNodeCheck);
    expect(r.locks.map((l) => l.image)).toEqual(['d']);
    expect(r.errors).toEqual([]);
  });
});

/** The python3-rbd scan's answer for the same images cluster() serves through the rbd CLI. */
const FAST_DOC =
  JSON.stringify({
    v: 1,
    pool: 'rbd',
    images: 4,
    locked: [
      {
        image: 'b',
        exclusive: true,
        tag: '',
        locks: [{ id: 'kubelet_lock_magic_gone', locker: 'client.1', address: '198.51.100.21:0/1' }],
        watchers: [],
      },
      {
        image: 'd',
        exclusive: true,
        tag: '',
        locks: [{ id: 'kubelet_lock_magic_n2', locker: 'client.2', address: '198.51.100.22:0/2' }],
        watchers: [{ address: '198.51.100.22:0/77', client: 4242, cookie: 0 }],
      },
    ],
    errors: [],
  }).replace('"cookie":0', '"cookie":18446462598732840961') + '\n';

/** cluster() plus a python3 that answers like the lab's (or as given). */
function fastCluster(reply: { exitCode?: number; stdout?: string; stderr?: string } = { stdout: FAST_DOC }) {
  return cluster().on(['python3'], reply);
}

/** A host whose python3 hangs until the host's command timeout. */
class HangingPython extends FakeHost {
  override async run(argv: string[], opts?: RunOptions): Promise<RunResult> {
    const r = await super.run(argv, opts);
    return argv[0] === 'python3' ? { ...r, exitCode: 124, timedOut: true, durationMs: 60_000 } : r;
  }
}

const prober = () =>
  new SshNodeProber({
    connectTimeoutMs: 10,
    sshPort: 22,
    open: () => new FakeHost('n'),
    resolve: async () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' })),
  });

describe('scanPool: the python3-rbd fast path and when it falls back', () => {
  it('one python3 process, the script and the Ceph options as separate argv elements (never a shell string)', async () => {
    const h = fastCluster();
    const log: string[] = [];
    const r = await scanPool(new Ceph(h, { ...target, keyring: '/etc/ceph/k ring' }), 'rbd', prober(), {
      log: (l) => log.push(l),
    });
    expect(h.calls.map((c) => c.argv)).toEqual([
      ['python3', '-c', POOL_SCAN_PY, '/etc/ceph/ceph.conf', 'admin', '/etc/ceph/k ring', 'rbd', '8'],
    ]);
    expect(r.images).toBe(4);
    expect(r.locks.map((l) => [l.image, l.verdict, l.nodeState])).toEqual([
      ['b', 'stale', 'unreachable'],
      ['d', 'live', null],
    ]);
    expect(log).toEqual([expect.stringMatching(/^pool rbd: one python3-rbd process on primary \(4 images, 2 locked/)]);
    // no keyring: an empty argument, so the conf file's keyring (or ceph's search) applies
    const k = fastCluster();
    await scanPool(new Ceph(k, target), 'rbd', noNodeCheck, { limit: 3, log: () => undefined });
    expect(k.calls[0]!.argv.slice(3)).toEqual(['/etc/ceph/ceph.conf', 'admin', '', 'rbd', '3']);
  });

  it('gives exactly the rows the rbd CLI path gives', async () => {
    const fast = await scanPool(new Ceph(fastCluster(), target), 'rbd', prober(), { log: () => undefined });
    const cli = await scanPool(new Ceph(cluster(), target), 'rbd', prober(), { log: () => undefined });
    const forced = await scanPool(new Ceph(fastCluster(), target), 'rbd', prober(), { fast: false });
    expect(fast).toEqual(cli);
    expect(forced).toEqual(cli);
  });

  it('the script makes no shell out of its values: every value is an argv element after -c SCRIPT', () => {
    expect(POOL_SCAN_PY).toContain('sys.argv[1:6]');
    expect(POOL_SCAN_PY).toContain('read_only=True');
    expect(POOL_SCAN_PY).not.toMatch(/subprocess|os\.system|shell=True/);
  });

  it.each([
    [
      'python3 missing (exit 127)',
      { exitCode: 127, stderr: 'bash: python3: command not found' },
      /python3 is not installed on primary/,
      true,
    ],
    [
      'no rbd module (exit 3)',
      { exitCode: 3, stdout: '{"v": 1, "unavailable": "ModuleNotFoundError: No module named \'rbd\'"}\n' },
      /no usable python3 rados\/rbd bindings on primary \(ModuleNotFoundError/,
      true,
    ],
    [
      'cannot connect (exit 4)',
      {
        exitCode: 4,
        stdout:
          '{"v": 1, "fatal": "PermissionDeniedError: [errno 13] RADOS permission denied (error connecting to the cluster)"}\n',
      },
      /PermissionDeniedError/,
      false,
    ],
    [
      'python crashed (traceback)',
      { exitCode: 1, stderr: 'Traceback (most recent call last):\n  ...\nSegmentation fault\n' },
      /exit 1: .*Traceback/,
      false,
    ],
    ['exit 0 but nothing printed', { exitCode: 0, stdout: '' }, /exit 0: .*printed nothing/, false],
    [
      'exit 0 but not the expected document',
      { exitCode: 0, stdout: '{"v": 1, "pool": "rbd"}\n' },
      /exit 0: .*unexpected rbd pool scan JSON/,
      false,
    ],
  ] as const)(
    '%s: falls back to the rbd CLI with the same rows, and says why only in the log',
    async (_name, reply, why, remembered) => {
      const h = fastCluster(reply);
      const log: string[] = [];
      const ceph = new Ceph(h, target);
      const r = await scanPool(ceph, 'rbd', prober(), { log: (l) => log.push(l) });
      expect(r).toEqual(await scanPool(new Ceph(cluster(), target), 'rbd', prober(), { fast: false }));
      expect(log).toHaveLength(1);
      expect(log[0]).toMatch(why);
      expect(log[0]).toMatch(/falling back to the rbd CLI/);
      expect(h.calls.map((c) => c.argv[0])).toEqual(['python3', 'rbd', 'rbd', 'rbd', 'rbd', 'rbd']);
      // a missing python3 or rbd module is asked about once per run, not once per pool
      await scanPool(ceph, 'rbd', prober(), { log: (l) => log.push(l) });
      expect(h.calls.filter((c) => c.argv[0] === 'python3')).toHaveLength(remembered ? 1 : 2);
    },
  );

  it('--all-pools on a host without python3: one python3 attempt, then the CLI for every pool', async () => {
    const h = cluster().on((a) => a[0] === 'ceph', {
      stdout:
        '[{"pool_name":"rbd","application_metadata":{"rbd":{}}},{"pool_name":"rbd2","application_metadata":{"rbd":{}}}]',
    });
    const r = await scan(new Ceph(h, target), ['rbd', 'rbd2'], noNodeCheck);
    expect(r.imagesScanned).toBe(8);
    expect(h.calls.filter((c) => c.argv[0] === 'python3')).toHaveLength(1);
  });

  it('a missing pool: the CLI fallback reports it as before (exit 4)', async () => {
    const h = new FakeHost('primary')
      .on(['rbd'], { exitCode: 2, stderr: "rbd: error opening pool 'nope': (2) No such file or directory\n" })
      .on(['python3'], {
        exitCode: 4,
        stdout: '{"v": 1, "fatal": "ObjectNotFound: [errno 2] RADOS object not found (error opening pool \'nope\')"}\n',
      });
    const err = await scanPool(new Ceph(h, target), 'nope', noNodeCheck, { log: () => undefined }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toBe('pool "nope" does not exist');
  });

  it('a timed-out scan is an error at once (the CLI would wait as long again)', async () => {
    const h = new HangingPython('primary');
    const err = await scanPool(new Ceph(h, target), 'rbd', noNodeCheck).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NfsctlError);
    expect((err as Error).message).toMatch(/lock scan of pool "rbd" timed out after 60 s/);
    expect(h.calls).toHaveLength(1);
  });

  it('per-image errors are recorded with the pool and the scan goes on', async () => {
    const doc = JSON.parse(FAST_DOC.replace(/18446462598732840961/, '1')) as { errors: unknown[] };
    doc.errors.push({ image: 'zbroken', message: 'error opening image zbroken: (2) No such file or directory' });
    const r = await scanPool(new Ceph(fastCluster({ stdout: JSON.stringify(doc) }), target), 'rbd', noNodeCheck, {
      log: () => undefined,
    });
    expect(r.locks).toHaveLength(2);
    expect(r.errors).toEqual([
      { pool: 'rbd', image: 'zbroken', message: 'error opening image zbroken: (2) No such file or directory' },
    ]);
  });

  it('shared locks: both paths report the tag (the CLI path reads the plain header for shared images only)', async () => {
    const shared = (h: FakeHost) =>
      h
        .on((a) => a[0] === 'rbd' && sub(a)[0] === 'ls', {
          stdout:
            '[{"image":"s","id":"s","size":1,"format":2,"lock_type":"shared"},{"image":"x","id":"x","size":1,"format":2,"lock_type":"exclusive"}]\n',
        })
        .on((a) => a[0] === 'rbd' && sub(a).join(' ') === 'lock ls --format json -- rbd/s', {
          stdout:
            '[{"id":"l1","locker":"client.1","address":"198.51.100.21:0/1"},{"id":"l2","locker":"client.2","address":"198.51.100.22:0/2"}]\n',
        })
        .on((a) => a[0] === 'rbd' && sub(a).join(' ') === 'lock ls -- rbd/s', {
          stdout: 'There are 2 shared locks on this image.\nLock tag: tagX\nLocker ID Address\n',
        })
        .on((a) => a[0] === 'rbd' && sub(a).join(' ') === 'lock ls --format json -- rbd/x', {
          stdout: '[{"id":"l3","locker":"client.3","address":"198.51.100.23:0/3"}]\n',
        })
        .on((a) => a[0] === 'rbd' && sub(a)[0] === 'status', { stdout: '{"watchers":[]}\n' });
    const cliHost = shared(cluster());
    const cli = await scanPool(new Ceph(cliHost, target), 'rbd', noNodeCheck, { log: () => undefined });
    expect(cliHost.commandLines().filter((l) => / lock ls -- rbd\//.test(l))).toEqual([
      'rbd --conf /etc/ceph/ceph.conf --id admin lock ls -- rbd/s',
    ]);
    const doc = {
      v: 1,
      pool: 'rbd',
      images: 2,
      locked: [
        {
          image: 's',
          exclusive: false,
          tag: 'tagX',
          locks: [
            { id: 'l1', locker: 'client.1', address: '198.51.100.21:0/1' },
            { id: 'l2', locker: 'client.2', address: '198.51.100.22:0/2' },
          ],
          watchers: [],
        },
        {
          image: 'x',
          exclusive: true,
          tag: '',
          locks: [{ id: 'l3', locker: 'client.3', address: '198.51.100.23:0/3' }],
          watchers: [],
        },
      ],
      errors: [],
    };
    const fast = await scanPool(
      new Ceph(shared(cluster()).on(['python3'], { stdout: JSON.stringify(doc) }), target),
      'rbd',
      noNodeCheck,
      { log: () => undefined },
    );
    expect(fast).toEqual(cli);
    expect(fast.locks.map((l) => [l.lockId, l.lockType, l.lockTag])).toEqual([
      ['l1', 'shared', 'tagX'],
      ['l2', 'shared', 'tagX'],
      ['l3', 'exclusive', null],
    ]);
  });
});

describe('scanImage / readLocks', () => {
  it('missing image: exit 4 with a message naming it', async () => {
    const h = new FakeHost('primary').on(['rbd'], {
      exitCode: 2,
      stderr: 'rbd: error opening image nope: (2) No such file or directory\n',
    });
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
    const h = cluster().on((a) => a.at(-1) === 'rbd/b' && sub(a).join(' ') === 'lock ls -- rbd/b', {
      stdout: 'There is 1 exclusive lock on this image.\nLocker ID Address\n',
    });
    const rows = await scanImage(new Ceph(h, target), { pool: 'rbd', image: 'b' }, noNodeCheck);
    expect(rows[0]).toMatchObject({ lockType: 'exclusive', verdict: 'unknown', nodeState: 'not-checked' });
  });
});

describe('SshNodeProber', () => {
  it('reachable node: not mapping / mapping, probed once per node', async () => {
    const node = new FakeHost('n1').on(['rbd', 'showmapped'], {
      stdout: '[{"id":"0","pool":"rbd","namespace":"","name":"x","snap":"-","device":"/dev/rbd0"}]\n',
    });
    const p = new SshNodeProber({
      connectTimeoutMs: 10,
      sshPort: 22,
      open: () => node,
      resolve: async () => '198.51.100.40',
      tcp: async () => null,
    });
    expect(await p.probe('n1', { pool: 'rbd', image: 'y' })).toEqual({ state: 'not-mapping' });
    expect(await p.probe('n1', { pool: 'rbd', image: 'x' })).toEqual({ state: 'mapping', device: '/dev/rbd0' });
    expect(node.calls).toHaveLength(1);
  });
  it('no answer on the SSH port: unreachable; SSH failure after connect: unknown', async () => {
    const p = new SshNodeProber({
      connectTimeoutMs: 10,
      sshPort: 22,
      open: () => new FakeHost('x'),
      resolve: async () => '198.51.100.40',
      tcp: async () => 'ECONNREFUSED',
    });
    expect(await p.probe('n1', { pool: 'rbd', image: 'y' })).toEqual({ state: 'unreachable', why: 'ECONNREFUSED' });
    const dead = new FakeHost('n2');
    dead.unreachable = true;
    const q = new SshNodeProber({
      connectTimeoutMs: 10,
      sshPort: 22,
      open: () => dead,
      resolve: async () => '198.51.100.40',
      tcp: async () => null,
    });
    expect((await q.probe('n2', { pool: 'rbd', image: 'y' })).state).toBe('unknown');
  });
});

describe('Blocklist', () => {
  it('blocklist first; blacklist when the cluster does not know the new word (and remembers it)', async () => {
    const h = new FakeHost('primary')
      .on((a) => a.includes('blocklist'), {
        exitCode: 22,
        stderr: 'no valid command found; 10 closest matches:\nosd blacklist ls\nError EINVAL: invalid command\n',
      })
      .on((a) => a.includes('blacklist'), {
        stdout: '[{"addr":"198.51.100.21:0/5","until":"2026-01-01T00:00:00.000000+0000"}]',
      });
    const bl = new Blocklist(new Ceph(h, target));
    expect(await bl.list()).toEqual({
      word: 'blacklist',
      entries: [{ kind: 'addr', addr: '198.51.100.21:0/5', until: '2026-01-01T00:00:00.000000+0000' }],
    });
    await bl.remove({ kind: 'addr', addr: '198.51.100.21:0/5', until: '' });
    expect(h.calls.map((c) => c.argv.slice(5).join(' '))).toEqual([
      'osd blocklist ls --format json',
      'osd blacklist ls --format json',
      'osd blacklist rm 198.51.100.21:0/5',
    ]);
  });
  it('range entries are removed with `range rm`; a bad address is not an unknown command', async () => {
    const h = new FakeHost('primary').on(['ceph'], { stdout: '' });
    await new Blocklist(new Ceph(h, target)).remove({ kind: 'range', addr: '198.51.100.0/24', until: '' });
    expect(h.calls[0]!.argv.slice(5)).toEqual(['osd', 'blocklist', 'range', 'rm', '198.51.100.0/24']);
    const bad = new FakeHost('primary').on(['ceph'], {
      exitCode: 22,
      stderr: 'Invalid command: garbage not valid IPv6 address\nError EINVAL: invalid command\n',
    });
    await expect(
      new Blocklist(new Ceph(bad, target)).remove({ kind: 'addr', addr: 'garbage', until: '' }),
    ).rejects.toThrow(/removing garbage/);
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
    expect(
      await policy({
        rbd_blocklist_on_break_lock: 'true\n',
        rbd_blocklist_expire_seconds: '0\n',
        mon_osd_blocklist_default_expire: '3600.000000\n',
      }),
    ).toMatchObject({ blocklistOnBreak: true, expireSeconds: 3600 });
  });
  it('an explicit rbd value wins; unreadable config falls back to 3600 and says so', async () => {
    expect(
      await policy({
        rbd_blocklist_on_break_lock: 'false',
        rbd_blocklist_expire_seconds: '600',
        mon_osd_blocklist_default_expire: '3600',
      }),
    ).toMatchObject({ blocklistOnBreak: false, expireSeconds: 600 });
    expect(await policy({})).toMatchObject({
      blocklistOnBreak: true,
      expireSeconds: 3600,
      source: expect.stringMatching(/built-in default/),
    });
  });
});
