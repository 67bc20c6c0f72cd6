import { describe, expect, it } from 'vitest';
import * as v from '../../../src/core/config-values.js';

describe('host addresses', () => {
  it.each([
    '198.51.100.11',
    '10.0.0.1',
    '2001:db8::1',
    '::ffff:198.51.100.1',
    'nfs-a.example.com',
    'NFS-A.Example.COM',
    'nfs-a.example.com.',
    '127.0.0.1',
  ])('%s is accepted', (a) => {
    expect(v.hostAddressProblem(a)).toBeNull();
  });
  it.each([
    ['deadbeef', /fully qualified/],
    ['nfs-a', /fully qualified/],
    ['999.1.1.1', /999 > 255/],
    ['1.2.3', /four numbers/],
    ['010.0.0.1', /leading zeros/],
    ['1.2.3.04', /leading zeros/],
    ['0.0.0.0', /this network/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['::', /unspecified/],
    ['ff02::1', /multicast/],
    ['fe80::1%eth0', /zone id/],
    ['1::2::3', /not an IPv6 address/],
    ['a_b.example.com', /not a DNS name/],
    ['-a.example.com', /starts or ends with "-"/],
    ['a.123', /last part is all digits/],
    ['', /empty/],
    [`${'a'.repeat(64)}.example.com`, /longer than 63/],
  ])('%j is refused (%s)', (a, why) => {
    expect(v.hostAddressProblem(a)).toMatch(why);
  });
});

describe('the VIP', () => {
  it('is an IP literal that is not special', () => {
    expect(v.vipProblem('198.51.100.100')).toBeNull();
    expect(v.vipProblem('2001:db8::100')).toBeNull();
    expect(v.vipProblem('nfs.example.com')).toMatch(/a DNS name cannot be/);
    expect(v.vipProblem('127.0.0.1')).toMatch(/loopback/);
    expect(v.vipProblem('::1')).toMatch(/loopback/);
  });
  it('compares addresses in one spelling', () => {
    expect(v.canonicalAddress('2001:DB8::1')).toBe(v.canonicalAddress('2001:db8:0:0:0:0:0:1'));
    expect(v.canonicalAddress('::ffff:198.51.100.1')).toBe(v.canonicalAddress('::ffff:c633:6401'));
    expect(v.canonicalAddress('Nfs.Example.com')).toBe('nfs.example.com');
  });
});

describe('paths', () => {
  it.each(['/root/.ssh/id_ed25519', '/etc/ceph/ceph.client.admin.keyring', '/var/lib/nfsctl', '/a/b+c@d-e_f.g', '/'])(
    '%s is safe',
    (p) => {
      expect(v.safePathProblem(p)).toBeNull();
    },
  );
  it.each([
    '',
    'relative',
    '-oProxyCommand=x',
    '/a b',
    '/a\tb',
    '/a\nb',
    '/a/../b',
    '/a/./b',
    '/a//b',
    '/a/',
    '/a"b',
    "/a'b",
    '/a$b',
    '/a`b',
    '/a;b',
    '/a\\b',
    '/a*b',
    '/a:b',
    '/a=b',
    '/a,b',
    `/${'x'.repeat(256)}`,
  ])('%j is refused', (p) => {
    expect(v.safePathProblem(p)).not.toBeNull();
  });
  it('data roots: not /, not system directories', () => {
    for (const ok of ['/nfs', '/srv/nfs', '/export/k8s', '/var/nfs', '/data']) expect(v.dataRootProblem(ok)).toBeNull();
    for (const bad of [
      '/',
      '/etc',
      '/etc/x',
      '/usr',
      '/usr/local/nfs',
      '/var',
      '/boot',
      '/proc',
      '/sys/x',
      '/dev/shm',
      '/run',
      '/bin',
      '/sbin',
      '/lib',
      '/lib64',
      '/libexec',
      '/tmp',
      '/root',
      '/home',
      '/srv',
      '/var/lib',
    ])
      expect(v.dataRootProblem(bad), bad).not.toBeNull();
  });
});

describe('the path template', () => {
  it.each([
    '{root}/{namespace}_{name}',
    '{root}/{namespace}{name}',
    '{root}/{namespace}/{name}',
    '{root}/k8s/{namespace}-{name}',
    '{root}/{name}.{namespace}',
  ])('%s is accepted', (t) => {
    expect(v.pathTemplateProblem(t)).toBeNull();
  });
  it.each([
    ['{root}/$(id){namespace}_{name}', /contains "\$"/],
    ['{root}/*/{namespace}_{name}', /contains "\*"/],
    ['{root}/../{namespace}_{name}', /"\.\." segment/],
    ['{root}/{namespace}_{name}_{name}', /\{name\} appears 2 times/],
    ['{root}/{root}/{namespace}_{name}', /\{root\} appears 2 times/],
    ['{root}/{id}_{namespace}_{name}', /unknown placeholder "\{id\}"/],
    ['{root}/{name}', /\{namespace\} is missing/],
    ['/srv/{namespace}_{name}', /\{root\} is missing/],
    ['{root}{namespace}_{name}', /must start with \{root\}\//],
    ['{namespace}/{root}/{name}', /must start with \{root\}\//],
    ['{root}/.nfsctl/{namespace}_{name}', /starts with "\."/],
    ['{root}/{namespace}_{name}/', /empty path segment/],
    ['{root}/{namespace}_{name', /unbalanced/],
  ])('%j is refused (%s)', (t, why) => {
    expect(v.pathTemplateProblem(t)).toMatch(why);
  });
});

describe('names', () => {
  it("LVM volume groups follow lvm's rules", () => {
    for (const ok of ['vgnfs', 'vg_nfs', 'vg.nfs', 'vg+1', 'vg-1', '...x']) expect(v.lvmVgProblem(ok), ok).toBeNull();
    for (const bad of ['-vg', '.', '..', 'vg nfs', 'vg/x', 'vg:x', '', 'x'.repeat(128)])
      expect(v.lvmVgProblem(bad), bad).not.toBeNull();
  });
  it('interfaces follow IFNAMSIZ (15 bytes) and a quoting-free charset', () => {
    for (const ok of ['eth0', 'ens3', 'bond0.100', 'br-lan', 'x'.repeat(15)])
      expect(v.interfaceProblem(ok), ok).toBeNull();
    for (const bad of ['eth0; rm -rf /', 'x'.repeat(16), 'eth:0', 'eth/0', 'eth 0', '.', '..', '', '-eth0', 'eth0\n'])
      expect(v.interfaceProblem(bad), bad).not.toBeNull();
  });
  it('keepalived instances, rsync modules, Ceph names, services', () => {
    expect(v.vrrpInstanceProblem('VI_NFS')).toBeNull();
    expect(v.vrrpInstanceProblem('VI}')).not.toBeNull();
    expect(v.vrrpInstanceProblem('VI\n}')).toMatch(/\\n/);
    expect(v.rsyncModuleProblem('nfs')).toBeNull();
    for (const bad of ['../etc', '', 'a/b', '.x', '-x', 'a]']) expect(v.rsyncModuleProblem(bad), bad).not.toBeNull();
    expect(v.cephNameProblem('rbd')).toBeNull();
    expect(v.cephNameProblem('-x')).toMatch(/not starting with "-"/);
    expect(v.serviceNameProblem('nfs-server')).toBeNull();
    expect(v.serviceNameProblem('getty@tty1')).toBeNull();
    expect(v.serviceNameProblem('a b')).not.toBeNull();
    expect(v.serviceCommandProblem(['svc', '{action}', '{service}'])).toBeNull();
    expect(v.serviceCommandProblem(['-svc', '{action}', '{service}'])).toMatch(/starts with "-"/);
    expect(v.serviceCommandProblem(['svc', '{action}', '{unit}'])).toMatch(/unknown placeholder/);
  });
});

describe('suggestions', () => {
  it('find the key a typo meant, and nothing for an unrelated word', () => {
    const keys = ['this', 'hosts', 'vip', 'nfs', 'backends', 'keepalived', 'rsync', 'services', 'timeouts', 'state'];
    expect(v.closestKey('vpi', keys)).toBe('vip');
    expect(v.closestKey('VIP', keys)).toBe('vip');
    expect(v.closestKey('keepalvied', keys)).toBe('keepalived');
    expect(v.closestKey('timeout', keys)).toBe('timeouts');
    expect(v.closestKey('frobnicate', keys)).toBeNull();
    expect(v.editDistance('vpi', 'vip')).toBe(1);
    expect(v.editDistance('kitten', 'sitting')).toBe(3);
  });
});
