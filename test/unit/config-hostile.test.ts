// Hostile-input corpus for the config file (issue 14): every bad value, by class, must be
// refused by the loader with file:line:column and the key, with no raw control character
// and no stack trace; `config check` exits 2; and a real command (`volume list`) refuses
// with the same config before it touches any host.
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/core/errors.js';
import { BASE, DIR, withValue } from '../support/hostile-config.js';
import { ensureBuilt, runCli } from '../support/cli.js';
import { runInProcess } from '../support/inprocess.js';

interface Case {
  cls: string;
  key: string;
  /** A string value (written as a YAML double-quoted scalar) or, with raw, YAML text. */
  value: string;
  raw?: boolean;
  /** The key the error names, when not `key` (a list element, a cross-check). */
  reported?: string;
  /** Column offset from the value's start (inside a flow list). */
  colOffset?: number;
  /** The error is reported on another line than the value's (a cross-check): only the key is checked. */
  anyLine?: boolean;
  message?: RegExp;
}

const q = (s: string) => JSON.stringify(s);
const cases: Case[] = [];
const add = (cls: string, key: string, values: string[], extra: Partial<Case> = {}) => {
  for (const value of values) cases.push({ cls, key, value, ...extra });
};

// addresses
add('host address', 'hosts.primary.address', [
  'deadbeef',
  '999.1.1.1',
  '1.2.3',
  '1.2.3.4.5',
  '010.0.0.1',
  '256.0.0.1',
  'host name.example.com',
  'a;b.example.com',
  '-oProxyCommand=x',
  '',
  'fe80::1%eth0',
  'gggg::1',
  '0.0.0.0',
  '224.0.0.1',
  'nfs-a',
  'a..example.com',
  '-a.example.com',
  'x\u001b[31m.example.com',
]);
add('host address', 'hosts.backup.address', ['deadbeef', '999.1.1.1', '1.2.3.4/24']);
add('host address', 'hosts.backup.address', ['198.51.100.11'], {
  message: /primary and backup must have different addresses/,
});
add('vip', 'vip', [
  'nfs.example.com',
  'deadbeef',
  '999.1.1.1',
  '0.0.0.0',
  '127.0.0.1',
  '224.0.0.5',
  '255.255.255.255',
  '::',
  '198.51.100.100/24',
  '',
]);
add('vip', 'vip', ['198.51.100.11', '198.51.100.12'], {
  message: /the VIP must not be the (primary|backup)'s own address/,
});
// ssh paths
const badPaths = [
  '/root/my key',
  '-oProxyCommand=sh',
  'id_ed25519',
  '~/.ssh/id',
  '/root/.ssh/../x',
  '/root/"x',
  '/root/$(id)',
  '/root/`id`',
  '/root/a\nb',
  '/root/a;b',
  '',
  '/root//x',
  '/root/x/',
  "/root/it's",
];
add('ssh path', 'hosts.primary.ssh.identity', badPaths);
add('ssh path', 'hosts.primary.ssh.knownHosts', badPaths.slice(0, 8));
add('ssh host key alias', 'hosts.primary.ssh.hostKeyAliases', ['["-oProxyCommand=x"]', '["a b"]', '["a,b"]'], {
  raw: true,
  reported: 'hosts.primary.ssh.hostKeyAliases.0',
  colOffset: 1,
});
// names other tools parse
add('lvm vg', 'backends.lvm.vg', [
  '-vg',
  'vg nfs',
  'vg/x',
  '.',
  '..',
  'vg$x',
  '',
  'vg;rm',
  'x'.repeat(128),
  'vg\u001b',
]);
add('ceph pool/id', 'backends.rbd.pool', ['-x', 'rb d', 'a/b', '', 'p;q', '..']);
add('ceph pool/id', 'backends.rbd.id', ['-x', 'a;b', 'admin ', '']);
add('service name', 'services.names.keepalived', ['-x', 'keepalived; reboot', 'k}', '']);
add('service name', 'services.names.nfs', ['nfs ganesha', '$(id)']);
add('keepalived interface', 'keepalived.interface', [
  'eth0; rm -rf /',
  'averyveryverylongname',
  'eth:0',
  'eth/0',
  '',
  '-eth0',
  'eth 0',
  '.',
  '..',
  'eth0\n',
]);
add('keepalived instance', 'keepalived.instance', [
  'VI}',
  'VI_NFS\n}\nvrrp_script x {',
  'VI NFS',
  '',
  '-x',
  'VI"x',
  'VI#x',
]);
add('rsync module', 'rsync.module', ['../etc', '', 'nfs/x', '.hidden', 'a b', '-x', 'nfs]', 'nfs::x']);
add('ganesha/exports path', 'nfs.ganeshaExportsDir', [
  '/etc/ganesha/"x',
  'etc/ganesha',
  '/etc/ganesha/ x',
  '/etc/ganesha/$x',
  '/etc/ganesha/%include',
]);
add('ganesha/exports path', 'nfs.exportsFile', ['/etc/exports.d/a b.exports', 'exports']);
add('state/keepalived/ceph path', 'state.lockDir', ['relative/lock', '/run/lock/../x', '/run/lock/$x']);
add('state/keepalived/ceph path', 'keepalived.config', ['/etc/keepalived/keepalived.conf;x']);
add('own file inside the NFS root', 'state.stateDir', ['/nfs/state', '/nfs', '/srv/nfs/x'], {
  message: /is inside the NFS root/,
});
add('own file inside the NFS root', 'nfs.ganeshaExportsDir', ['/nfs/.ganesha'], { message: /is inside the NFS root/ });
add('state/keepalived/ceph path', 'backends.rbd.keyring', ['/etc/ceph/a b']);
// the path template
add('path template', 'nfs.pathTemplate', [
  '{root}/$(id){namespace}_{name}',
  '{root}/*/{namespace}_{name}',
  '{root}/../{namespace}_{name}',
  '{root}/{namespace}_{name}_{name}',
  '{root}/{ns}_{name}',
  '{root}/{name}',
  '{root}/{namespace}',
  '/srv/{namespace}_{name}',
  '{root}{namespace}_{name}',
  '{root}/.nfsctl/{namespace}_{name}',
  '{root}/{namespace}/{name}/',
  '{root}//{namespace}_{name}',
  '{root}/{root}/{namespace}_{name}',
  '{root}/{namespace} {name}',
  '{root}/{namespace}_{name',
  '{root}/./{namespace}_{name}',
  '',
]);
// the data roots
const badRoots = [
  '/',
  '/etc',
  '/etc/nfs',
  '/usr/share/nfs',
  '/var',
  '/boot',
  '/proc/x',
  '/sys',
  '/dev',
  '/run',
  '/bin',
  '/sbin',
  '/lib',
  '/lib64/x',
  '/tmp',
  'nfs',
  '/nfs/',
  '/nfs/../etc',
  '/nfs data',
  '//nfs',
  '/nfs/.',
  '',
];
add('nfs root', 'nfs.root', badRoots);
add('xfsquota root', 'backends.xfsquota.root', ['/', '/etc', 'relative', '/usr', '/srv/nfs/']);
// numbers and durations in the config
add(
  'config integer',
  'hosts.primary.ssh.port',
  ['0x16', '1e3', '022', '-1', '1.5', '70000', '0', '.inf', '0o26', '+22'],
  { raw: true },
);
add('config integer', 'hosts.primary.ssh.port', ['22', ''], { message: /Expected number, received string/ });
add('config duration', 'rsync.interval', ['900000', '1e3'], { raw: true, message: /expected a duration/ });
add('config duration', 'rsync.interval', ['15 m', '0m', '1.5h', '25h', '-5m', '5', '', '15M', '15min', '030s']);
add('config duration', 'rsync.interval', ['90m', '7m', '5h', '1500s'], {
  message: /cron cannot run a job exactly every/,
});
add('config duration', 'timeouts.connect', ['0s', '0ms', '1ms', '10h']);
add('config duration', 'timeouts.command', ['10 minutes', '500ms']);
// services.command argv
add(
  'services command',
  'services.manager',
  [
    'command\n  command: ["-x", "{action}", "{service}"]',
    'command\n  command: ["svc", "{action}", "{svc}"]',
    'command\n  command: ["svc", "{action}"]',
  ],
  { raw: true, reported: 'services.command', anyLine: true },
);
// export clients and options
add('nfs clients', 'nfs.clients', ['["a b"]', '["$(id)"]', '["10.0.0.0/33"]', '[""]', '[]'], {
  raw: true,
  anyLine: true,
  reported: 'nfs.clients',
});
add('nfs options', 'nfs.options', ['[rw, "no_root_squash;x"]', '[rw, ro]', '[rw, fsid=x]', '[rww]'], {
  raw: true,
  anyLine: true,
  reported: 'nfs.options',
});

const caseName = (c: Case) => `${c.cls}: ${c.reported ?? c.key} = ${c.raw ? c.value : q(c.value)}`;

function build(c: Case) {
  return withValue(c.key, c.raw ? c.value : q(c.value));
}

function expectClean(message: string) {
  expect(message, 'raw control character in the message').not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  expect(message).not.toMatch(/internal error|\n\s+at /);
}

describe('the base config of the corpus', () => {
  it('is valid (so each case fails for its own value only)', () => {
    expect(parseConfig(BASE, 'base.yaml').vip).toBe('198.51.100.100');
  });
});

describe('hostile config values: the loader refuses each with file:line:column and the key', () => {
  it.each(cases.map((c) => [caseName(c), c] as const))('%s', (_name, c) => {
    const { text, line, col } = build(c);
    let err: unknown;
    try {
      parseConfig(text, '/etc/nfsctl/config.yaml');
    } catch (e) {
      err = e;
    }
    expect(err, 'accepted').toBeInstanceOf(UsageError);
    const m = (err as UsageError).message;
    expect((err as UsageError).exitCode).toBe(2);
    const key = (c.reported ?? c.key).replace(/\./g, '\\.');
    const pos = c.anyLine ? '\\d+:\\d+' : `${line}:${col + (c.colOffset ?? 0)}`;
    expect(m).toMatch(new RegExp(`/etc/nfsctl/config\\.yaml:${pos}: ${key}(\\.\\d+)?: `));
    if (c.message) expect(m).toMatch(c.message);
    expectClean(m);
  });
});

describe('hostile config values: `config check` exits 2 and `volume list` touches no host', () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 300_000);

  // One process per class (the first value of each), to keep the run short; the loader is the same code.
  const firstOfClass = [...new Map(cases.map((c) => [c.cls, c])).values()];

  it.each(firstOfClass.map((c) => [caseName(c), c] as const))('config check: %s', async (_name, c) => {
    const { text, line, col } = build(c);
    const file = join(DIR, `${c.cls.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, text);
    const r = await runCli(['--config', file, 'config', 'check'], { env: { NO_COLOR: '1' } });
    expect(r.status).toBe(2);
    const key = (c.reported ?? c.key).replace(/\./g, '\\.');
    const pos = c.anyLine ? '\\d+:\\d+' : `${line}:${col + (c.colOffset ?? 0)}`;
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${pos}: ${key}(\\.\\d+)?: `));
    expect(r.stdout).toBe('');
    expectClean(r.stderr);
  });

  it.each(cases.map((c) => [caseName(c), c] as const))('volume list refuses before any host: %s', async (_name, c) => {
    const file = join(DIR, 'in-process.yaml');
    writeFileSync(file, build(c).text);
    const r = await runInProcess(['--config', file, 'volume', 'list']);
    expect(r.error).toBeInstanceOf(UsageError);
    expect(r.exitCode).toBe(2);
    expect(r.touches).toEqual([]);
  });

  it('the same harness does see host commands when the config is valid (the assertion above can fail)', async () => {
    const file = join(DIR, 'valid.yaml');
    writeFileSync(file, BASE);
    const r = await runInProcess(['--config', file, 'volume', 'list']);
    expect(r.touches.length).toBeGreaterThan(0);
    expect(r.touches.map((t) => t.host)).toEqual(expect.arrayContaining(['primary', 'backup']));
  });
});
