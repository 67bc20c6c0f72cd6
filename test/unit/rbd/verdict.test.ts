import { describe, expect, it } from 'vitest';
import { lockVerdict, type NodeState, type Verdict } from '../../../src/rbd/verdict.js';

const lock = { id: 'kubelet_lock_magic_node-1', locker: 'client.4130', address: '198.51.100.21:0/111' };
const w = (address: string, client = 'client.9') => ({ address, client, cookie: '1' });

// [case, watchers, node, nodeState, verdict, reason pattern]
const cases: [string, ReturnType<typeof w>[], string | null, NodeState | null, Verdict, RegExp][] = [
  [
    'locker instance watches',
    [w('198.51.100.21:0/111', 'client.4130')],
    'node-1',
    null,
    'live',
    /locker client\.4130 still watches/,
  ],
  [
    'another client on the locker host watches (krbd after rbd lock add)',
    [w('198.51.100.21:0/999')],
    'node-1',
    { state: 'unreachable', why: 'x' },
    'live',
    /on the locker's host 198\.51\.100\.21/,
  ],
  [
    'watcher from another host only; node unreachable',
    [w('198.51.100.22:0/5')],
    'node-1',
    { state: 'unreachable', why: 'name does not resolve' },
    'stale',
    /no watcher from the locker's host.*unreachable \(name does not resolve\)/,
  ],
  ['no watcher; node unreachable', [], 'node-1', { state: 'unreachable', why: 'timeout' }, 'stale', /unreachable/],
  [
    'no watcher; node reachable, not mapping',
    [],
    'node-1',
    { state: 'not-mapping' },
    'stale',
    /reachable and does not map rbd\/img/,
  ],
  [
    'no watcher; node maps the image',
    [],
    'node-1',
    { state: 'mapping', device: '/dev/rbd0' },
    'unknown',
    /maps rbd\/img \(\/dev\/rbd0\)/,
  ],
  [
    'no watcher; node answers but cannot log in',
    [],
    'node-1',
    { state: 'unknown', why: 'host key unknown' },
    'unknown',
    /cannot tell.*host key unknown/,
  ],
  ['no watcher; node check off', [], 'node-1', { state: 'not-checked' }, 'unknown', /not checked/],
  ['no watcher; not a kubelet lock', [], null, null, 'unknown', /names no node/],
  ['not a kubelet lock but the locker watches', [w('198.51.100.21:0/111')], null, null, 'live', /still watches/],
];

describe('lockVerdict', () => {
  it.each(cases)('%s', (_name, watchers, node, nodeState, verdict, reason) => {
    const r = lockVerdict({ image: 'rbd/img', lock, watchers, node, nodeState });
    expect(r.verdict).toBe(verdict);
    expect(r.reason).toMatch(reason);
  });

  it('IPv6 lockers are compared by host', () => {
    const l6 = { ...lock, address: '[2001:db8::5]:0/1' };
    expect(
      lockVerdict({ image: 'rbd/img', lock: l6, watchers: [w('v2:[2001:db8::5]:0/2')], node: null, nodeState: null })
        .verdict,
    ).toBe('live');
  });

  it('an unparsable locker address never counts as live by host', () => {
    const bad = { ...lock, address: 'garbage[' };
    expect(
      lockVerdict({
        image: 'rbd/img',
        lock: bad,
        watchers: [w('198.51.100.21:0/1')],
        node: 'n',
        nodeState: { state: 'unreachable', why: 'x' },
      }).verdict,
    ).toBe('stale');
  });
});
