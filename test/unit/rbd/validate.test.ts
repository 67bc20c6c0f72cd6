import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import {
  parseImageSpec,
  validateBlocklistAddress,
  validateCephId,
  validateLockId,
  validateLocker,
  validatePath,
  validatePool,
} from '../../../src/rbd/validate.js';

function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('parseImageSpec', () => {
  it.each([
    ['rbd/pv.team-a.data', { pool: 'rbd', image: 'pv.team-a.data' }],
    ['my_pool/img-1', { pool: 'my_pool', image: 'img-1' }],
  ])('%s', (arg, spec) => expect(parseImageSpec(arg)).toEqual(spec));

  it('bare image takes the default pool only when one is given', () => {
    expect(parseImageSpec('img', 'rbd')).toEqual({ pool: 'rbd', image: 'img' });
    expect(usage(() => parseImageSpec('img')).message).toMatch(/expected <pool>\/<image>/);
  });

  it.each([
    '',
    '/',
    'rbd/',
    '/img',
    'a/b/c',
    'rbd/img@snap',
    'rbd/img;rm -rf /',
    'rbd/$(id)',
    'rb d/x',
    'rbd/`x`',
    'rbd/..',
    'rbd/ns/img',
    "rbd/a'b",
    'rbd/a|b',
  ])('refuses %j', (arg) => void usage(() => parseImageSpec(arg)));
});

describe('other arguments', () => {
  it('pool', () => {
    expect(validatePool('rbd')).toBe('rbd');
    usage(() => validatePool('a b'));
    usage(() => validatePool('x;y'));
  });
  it('lock id: free-form but not empty or with control characters', () => {
    expect(validateLockId('kubelet_lock_magic_node-1')).toBe('kubelet_lock_magic_node-1');
    expect(validateLockId('auto 139767')).toBe('auto 139767');
    usage(() => validateLockId(''));
    usage(() => validateLockId('a\nb'));
  });
  it('locker', () => {
    expect(validateLocker('client.4130')).toBe('client.4130');
    for (const bad of ['4130', 'client.', 'client.x', 'osd.1', 'client.1;id']) usage(() => validateLocker(bad));
  });
  it('ceph id', () => {
    expect(validateCephId('admin')).toBe('admin');
    expect(validateCephId('client.k8s')).toBe('k8s');
    usage(() => validateCephId('a b'));
    usage(() => validateCephId('$(x)'));
  });
  it('paths', () => {
    expect(validatePath('/etc/ceph/ceph.conf', '--cluster-conf')).toBe('/etc/ceph/ceph.conf');
    usage(() => validatePath('ceph.conf', '--cluster-conf'));
    usage(() => validatePath('/etc/../x', '--cluster-conf'));
  });
  it('blocklist address', () => {
    for (const ok of [
      '198.51.100.11:0/3181996668',
      '198.51.100.11',
      '198.51.100.0/24',
      '[2001:db8::1]:0/7',
      '2001:db8::1',
    ])
      expect(validateBlocklistAddress(ok)).toBe(ok);
    for (const bad of ['', 'garbage', '1.2.3.4:0/1; rm', 'host:0/1', '1.2.3.4 5'])
      usage(() => validateBlocklistAddress(bad));
  });
});
