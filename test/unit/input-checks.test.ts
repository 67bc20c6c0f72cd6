// Hostile and malformed input to troubleshoot-mount --from, the rbd commands, volume names
// and --clients: exit 2 with a clear message, and nothing ran on any (fake) host. Plus the
// RBD node verdict under resolver errors and troubleshoot's report of an SSH failure.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { Context } from '../../src/cli/context.js';
import { UsageError, HostUnreachableError } from '../../src/core/errors.js';
import { parseNodeTarget } from '../../src/core/node-target.js';
import { derivedNamesProblem, volumeRef } from '../../src/core/names.js';
import { checkCreatable } from '../../src/volume/plans.js';
import { identify } from '../../src/volume/identity.js';
import { parseImageSpec, validateCephId, validatePool } from '../../src/rbd/validate.js';
import { cephTarget } from '../../src/rbd/ceph.js';
import { SshNodeProber } from '../../src/rbd/nodes.js';
import { lockVerdict } from '../../src/rbd/verdict.js';
import { runLockList } from '../../src/commands/rbd/lock-list.run.js';
import { runCreate } from '../../src/commands/volume/create.run.js';
import { troubleshoot } from '../../src/troubleshoot/chain.js';
import { HostPool } from '../../src/host/pool.js';
import { FakeHost } from '../../src/host/fake.js';
import { tempDir, testConfigYaml } from '../support/config.js';
import { captureOutput } from '../support/capture.js';
import { fakeStorageHost } from '../support/fake-pair.js';
import type { Config } from '../../src/config/schema.js';

function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f]/);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

function setup(extra = '') {
  const root = tempDir('nfsctl-input-');
  const config: Config = parseConfig(
    testConfigYaml(root)
      .replace('server: ganesha', 'server: kernel')
      .replace(
        'default: lvm\n  lvm: { vg: vgnfs }',
        'default: xfsquota\n  lvm: { vg: vgnfs }\n  xfsquota: { root: /nfs }\n  rbd: { pool: rbd }',
      ) + extra,
  );
  const primary = fakeStorageHost('primary', { vip: true, exports: '' });
  const backup = fakeStorageHost('backup', { exports: '' });
  const { out } = captureOutput();
  const ctx = new Context(join(root, 'c.yaml'), config, { yes: true }, { primary, backup }, out);
  return { root, config, primary, backup, ctx };
}

describe('--from [user@]node[:port]', () => {
  it.each([
    ['node-3', { host: 'node-3' }],
    ['nobody@client', { user: 'nobody', host: 'client' }],
    ['root@10.0.0.7:2222', { user: 'root', host: '10.0.0.7', port: 2222 }],
    ['k8s-node.example.org:22', { host: 'k8s-node.example.org', port: 22 }],
    ['[2001:db8::7]:2200', { host: '2001:db8::7', port: 2200 }],
    ['2001:db8::7', { host: '2001:db8::7' }],
    ['_svc.x@n1', { user: '_svc.x', host: 'n1' }],
  ])('%s', (arg, want) => expect(parseNodeTarget(arg)).toEqual(want));

  it.each([
    '',
    '-oProxyCommand=id',
    '-x',
    'nobody@',
    '@host',
    'host:',
    'host:0',
    'host:65536',
    'host:022',
    'host:22x',
    'host:-1',
    'ho st',
    'host;id',
    'h$(id)',
    '-x@host',
    'us$er@host',
    'a..b',
    'a.',
    '.a',
    '-a.b',
    'a-.b',
    '[::1',
    '[1.2.3.4]:22',
    '[zz]',
    '999.1.1.1',
    '1.2.3',
    'host\n',
    'host\u001b[2J',
    `${'a'.repeat(64)}.b`,
    `${'a.'.repeat(127)}a`,
    `${'u'.repeat(33)}@h`,
    'a@b@c',
    'h:1:2',
  ])('refuses %j', (arg) => {
    const e = usage(() => parseNodeTarget(arg));
    expect(e.message).toMatch(/^--from /);
  });

  it('troubleshoot-mount checks it before any host is contacted', async () => {
    for (const bad of ['', '-oProxyCommand=touch /tmp/x', 'a;b']) {
      const { ctx, primary, backup } = setup();
      await expect(troubleshoot(ctx.config, ctx.hosts, 'team-a/data', bad)).rejects.toBeInstanceOf(UsageError);
      expect(primary.calls, bad).toEqual([]);
      expect(backup.calls, bad).toEqual([]);
    }
  });

  it('the node gets the given user and port, and only its own name for its host key', () => {
    const { config } = setup();
    const pool = new HostPool(config);
    const opts = (h: unknown) => (h as { opts: { user: string; port: number; hostKeyAliases: string[] } }).opts;
    const n = opts(pool.node('client', 'client', { user: 'nobody', port: 2222 }));
    expect(n).toMatchObject({ user: 'nobody', port: 2222, hostKeyAliases: [] });
    const byIp = opts(pool.node('node-3', '198.51.100.23'));
    expect(byIp).toMatchObject({ user: 'root', port: 22, hostKeyAliases: ['node-3'] });
  });
});

describe('rbd arguments that would read as options', () => {
  it.each(['rbd/-x', '-x/img', 'rbd/--pool=x', '--pool=-x/img'])('image spec %j', (arg) => {
    expect(usage(() => parseImageSpec(arg)).message).toMatch(
      /must not start with "-"|characters nfsctl does not accept/,
    );
  });
  it('pool, id', () => {
    expect(usage(() => validatePool('-x')).message).toContain('must not start with "-"');
    expect(usage(() => validateCephId('-x')).message).toContain('must not start with "-"');
    expect(usage(() => validateCephId('client.-x')).message).toContain('must not start with "-"');
    usage(() => parseImageSpec(`rbd/${'i'.repeat(256)}`));
    const { config } = setup();
    usage(() => cephTarget(config, { id: '--id=-x' }));
  });
  it('lock list --pool=-x: refused before anything runs', async () => {
    const { ctx, primary, backup } = setup();
    await expect(runLockList(ctx, undefined, { pool: '-x' })).rejects.toBeInstanceOf(UsageError);
    await expect(runLockList(ctx, 'rbd/-x', {})).rejects.toBeInstanceOf(UsageError);
    await expect(runLockList(ctx, 'rbd/img', { id: '-x' })).rejects.toBeInstanceOf(UsageError);
    expect([...primary.calls, ...backup.calls]).toEqual([]);
  });
});

describe("derived names within the kernel's and LVM's limits", () => {
  it('a 253-character name makes a 317-byte directory name: refused up front, naming the limit', () => {
    const { config } = setup();
    const ref = volumeRef('team-a', 'a'.repeat(253));
    expect(usage(() => checkCreatable(config, ref, 'xfsquota')).message).toMatch(
      /is 260 bytes; Linux allows at most 255 per path component/,
    );
    // what still fits: 248 + "team-a_" = 255
    expect(() => checkCreatable(config, volumeRef('team-a', 'a'.repeat(248)), 'xfsquota')).not.toThrow();
    expect(() => checkCreatable(config, volumeRef('team-a', 'a'.repeat(249)), 'xfsquota')).toThrow(UsageError);
  });
  it('the device-mapper name of a long VG and LV', () => {
    const { config } = setup();
    const v = identify(config, volumeRef('team-a', 'b'.repeat(100)));
    expect(derivedNamesProblem(v.id, '/nfs/x', { vg: 'vg-with-a-long-name', name: v.lv })).toMatch(
      /device-mapper name .* would be \d+ bytes; LVM allows at most 127/,
    );
    expect(derivedNamesProblem(v.id, '/nfs/x', { vg: 'vgnfs', name: 'pv.a.b' })).toBeNull();
  });
  it('volume create of such a name: exit 2, nothing ran', async () => {
    const { ctx, primary, backup } = setup();
    await expect(runCreate(ctx, `team-a/${'a'.repeat(253)}`, { size: '1G', yes: true })).rejects.toBeInstanceOf(
      UsageError,
    );
    expect([...primary.calls, ...backup.calls]).toEqual([]);
  });
});

describe('--clients', () => {
  it.each([[['']], [['a,,b']], [[',']], [['198.51.100.0/24', '']]])(
    '%j: exit 2 before the lock or any read',
    async (clients) => {
      const { ctx, primary, backup } = setup();
      await expect(runCreate(ctx, 'team-a/data', { size: '1G', clients, yes: true })).rejects.toBeInstanceOf(
        UsageError,
      );
      expect([...primary.calls, ...backup.calls]).toEqual([]);
    },
  );
});

describe('RBD lock verdict when the node name lookup fails', () => {
  const lock = { id: 'kubelet_lock_magic_node-3', locker: 'client.1', address: '198.51.100.23:0/1' };
  const prober = (err: NodeJS.ErrnoException) =>
    new SshNodeProber({
      connectTimeoutMs: 100,
      sshPort: 22,
      open: () => {
        throw new Error('must not log in');
      },
      resolve: async () => {
        throw err;
      },
      tcp: async () => {
        throw new Error('must not connect');
      },
    });
  const spec = { pool: 'rbd', image: 'pv.a.b' };
  const errno = (code: string) => Object.assign(new Error(`getaddrinfo ${code} node-3`), { code });

  it.each(['EAI_AGAIN', 'ETIMEOUT', 'ESERVFAIL', 'EAI_FAIL', 'ECONNREFUSED'])(
    '%s: unknown, never stale',
    async (code) => {
      const state = await prober(errno(code)).probe('node-3', spec);
      expect(state).toMatchObject({ state: 'unknown' });
      expect((state as { why: string }).why).toContain(code);
      const v = lockVerdict({ image: 'rbd/pv.a.b', lock, watchers: [], node: 'node-3', nodeState: state });
      expect(v.verdict).toBe('unknown');
    },
  );

  it.each(['ENOTFOUND', 'EAI_NONAME'])('%s (no such name): unreachable, stale', async (code) => {
    const state = await prober(errno(code)).probe('node-3', spec);
    expect(state).toMatchObject({ state: 'unreachable' });
    expect(lockVerdict({ image: 'rbd/pv.a.b', lock, watchers: [], node: 'node-3', nodeState: state }).verdict).toBe(
      'stale',
    );
  });
});

describe('troubleshoot-mount: an SSH failure to the node is reported as that', () => {
  it('names SSH to the node and the reason, not "reach the NFS services"', async () => {
    const { ctx, config, primary, backup } = setup();
    const v = identify(config, volumeRef('team-a', 'data'));
    const meta = JSON.stringify({
      v: 1,
      namespace: 'team-a',
      name: 'data',
      labels: {},
      createdAt: '2026-11-22T10:00:00Z',
      createdBy: 'a',
      backend: 'xfs',
      size: 2 ** 30,
    });
    const exports = `/nfs/team-a_data 198.51.100.0/24(rw,fsid=${v.fsid}) # nfsctl:team-a/data\n`;
    for (const h of [primary, backup]) {
      h.files.set('/etc/exports.d/nfsctl.exports', exports);
      h.on((a) => a[0] === 'sh' && a[3] === 'nfsctl-meta', { stdout: `==> pv.team-a.data.json <==\n${meta}\n` });
      h.on(['xfs_quota'], { stdout: `#${v.projectId} 0 0 1048576 0 0\n` });
      h.on(['find'], { stdout: '/nfs/team-a_data\n' });
      h.on(['exportfs', '-v'], {
        stdout:
          '/nfs/team-a_data\n\t\t198.51.100.0/24(sync,wdelay,hide,no_subtree_check,fsid=x,sec=sys,rw,secure,no_root_squash,no_all_squash)\n',
      });
      h.on(['rbd'], { stdout: '[]' });
    }
    const node = new FakeHost('nobody@client');
    node.run = async () => {
      throw new HostUnreachableError(
        'client',
        'refusing to connect to client (client): HOST KEY CHANGED for client: presented SHA256:abc',
      );
    };
    const nodeCtx = new Context(
      ctx.configFile,
      config,
      {},
      { primary, backup, 'node:nobody@client:': node },
      captureOutput().out,
    );
    const d = await troubleshoot(nodeCtx.config, nodeCtx.hosts, 'team-a/data', 'nobody@client');
    expect(d.causeFound).toBe(true);
    const last = d.findings.at(-1)!;
    expect(last).toMatchObject({ id: 'ssh', status: 'critical', title: 'SSH to nobody@client' });
    expect(last.evidence).toContain('HOST KEY CHANGED');
    expect(d.findings.some((f) => /reach/.test(f.title))).toBe(false);
  });
});
