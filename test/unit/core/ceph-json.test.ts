import { describe, expect, it } from 'vitest';

import { OutputParseError } from '../../../src/core/errors.js';
import {
  addressHost,
  decodeKubeletLockId,
  parseCephHealth,
  parseConcatenatedJson,
  parseOsdBlocklist,
  parseRbdImageMeta,
  parseRbdInfo,
  parseRbdList,
  parseRbdListLong,
  parseRbdLockList,
  parseRbdStatus,
} from '../../../src/core/ceph-json.js';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('parseConcatenatedJson', () => {
  it.each([
    ['', []],
    ['   \n', []],
    ['[]', [[]]],
    ['{}', [{}]],
    ['[1][2]', [[1], [2]]],
    ['[]\n[]', [[], []]],
    ['[] []', [[], []]],
    ['{"a":"]"}{"b":"[{"}', [{ a: ']' }, { b: '[{' }]],
    ['{"s":"quote \\" and \\\\"}\n', [{ s: 'quote " and \\' }]],
    ['1 2 "x" true null', [1, 2, 'x', true, null]],
    ['[-1.5e3, 0, -0]', [[-1500, 0, -0]]],
  ])('%j', (text, expected) => {
    expect(parseConcatenatedJson(text)).toEqual(expected);
  });

  it('keeps integers beyond 2^53 exact, as strings', () => {
    expect(
      parseConcatenatedJson('{"cookie":18446462598732840961,"small":9007199254740991,"neg":-9007199254740993}'),
    ).toEqual([{ cookie: '18446462598732840961', small: 9007199254740991, neg: '-9007199254740993' }]);
    // Digits inside strings are left alone.
    expect(parseConcatenatedJson('["18446462598732840961"]')).toEqual([['18446462598732840961']]);
  });

  it('reports the offset of broken documents', () => {
    expect(errorOf(() => parseConcatenatedJson('[1,2'))).toBeInstanceOf(OutputParseError);
    expect(errorOf(() => parseConcatenatedJson('[1][2')).message).toMatch(/offset 3/);
    expect(errorOf(() => parseConcatenatedJson('[]]')).message).toMatch(/unbalanced/);
    expect(errorOf(() => parseConcatenatedJson('{"a":}')).message).toMatch(/invalid JSON at offset 0/);
    expect(errorOf(() => parseConcatenatedJson('[] Error EPERM')).message).toMatch(/invalid JSON at offset 3/);
  });
});

describe('rbd lock ls', () => {
  it('reads the array form (Mimic and later)', () => {
    const out = '[{"id":"kubelet_lock_magic_node-1","locker":"client.4123","address":"198.51.100.11:0/3710147553"}]\n';
    expect(parseRbdLockList(out)).toEqual([
      { id: 'kubelet_lock_magic_node-1', locker: 'client.4123', address: '198.51.100.11:0/3710147553' },
    ]);
  });

  it('reads the older object-keyed form', () => {
    const out =
      '{"kubelet_lock_magic_node-2":{"locker":"client.4200","address":"198.51.100.12:0/1234"},"other":{"locker":"client.9","address":"[2001:db8::5]:0/7"}}\n';
    expect(parseRbdLockList(out)).toEqual([
      { id: 'kubelet_lock_magic_node-2', locker: 'client.4200', address: '198.51.100.12:0/1234' },
      { id: 'other', locker: 'client.9', address: '[2001:db8::5]:0/7' },
    ]);
  });

  it('treats empty output as no locks', () => {
    expect(parseRbdLockList('')).toEqual([]);
    expect(parseRbdLockList('[]\n')).toEqual([]);
    expect(parseRbdLockList('{}\n')).toEqual([]);
  });

  it('rejects unexpected shapes', () => {
    expect(errorOf(() => parseRbdLockList('[{"id":"x"}]')).message).toMatch(/locker/);
    expect(errorOf(() => parseRbdLockList('"locked"'))).toBeInstanceOf(OutputParseError);
    expect(errorOf(() => parseRbdLockList('[][]')).message).toMatch(/2 JSON documents/);
  });
});

describe('rbd status', () => {
  it('reads watchers with 64-bit cookies', () => {
    const out =
      '{"watchers":[{"address":"198.51.100.11:0/3710147553","client":4123,"cookie":18446462598732840961},{"address":"198.51.100.12:0/99","client":4200,"cookie":140234}]}\n';
    expect(parseRbdStatus(out)).toEqual({
      watchers: [
        { address: '198.51.100.11:0/3710147553', client: 'client.4123', cookie: '18446462598732840961' },
        { address: '198.51.100.12:0/99', client: 'client.4200', cookie: '140234' },
      ],
    });
  });

  it('reads no watchers and migration state', () => {
    expect(parseRbdStatus('{"watchers":[]}\n')).toEqual({ watchers: [] });
    expect(parseRbdStatus('')).toEqual({ watchers: [] });
    const mig = parseRbdStatus('{"watchers":[],"migration":{"source_pool_name":"rbd","state":"prepared"}}');
    expect(mig.migration).toEqual({ source_pool_name: 'rbd', state: 'prepared' });
  });
});

describe('rbd info', () => {
  it('reads a format-2 image', () => {
    const out = JSON.stringify({
      name: 'pv.team-a.data',
      id: '10226b8b4567',
      size: 10737418240,
      objects: 2560,
      order: 22,
      object_size: 4194304,
      snapshot_count: 0,
      block_name_prefix: 'rbd_data.10226b8b4567',
      format: 2,
      features: ['layering', 'exclusive-lock', 'object-map', 'fast-diff', 'deep-flatten'],
      op_features: [],
      flags: [],
      create_timestamp: 'Thu Jan  2 03:04:05 2025',
      access_timestamp: 'Thu Jan  2 03:04:05 2025',
      modify_timestamp: 'Thu Jan  2 03:04:05 2025',
    });
    expect(parseRbdInfo(`${out}\n`)).toEqual({
      name: 'pv.team-a.data',
      id: '10226b8b4567',
      size: 10737418240,
      objectSize: 4194304,
      format: 2,
      features: ['layering', 'exclusive-lock', 'object-map', 'fast-diff', 'deep-flatten'],
      flags: [],
      createTimestamp: 'Thu Jan  2 03:04:05 2025',
      parent: null,
    });
  });

  it('reads a format-1 image and a clone parent', () => {
    const f1 = parseRbdInfo(
      '{"block_name_prefix":"rb.0.1","format":1,"id":"","name":"foo","object_size":4194304,"objects":256,"order":22,"size":1073741824}',
    );
    expect(f1).toMatchObject({ name: 'foo', id: '', format: 1, features: [] });
    const clone = parseRbdInfo(
      '{"name":"child","id":"ab","size":536870912,"format":2,"features":["layering"],"parent":{"pool":"rbd","pool_namespace":"","image":"bar","id":"cd","snapshot":"snap","trash":false,"overlap":536870912}}',
    );
    expect(clone.parent).toEqual({ pool: 'rbd', image: 'bar', snapshot: 'snap' });
  });

  it('fails clearly on empty or wrong output', () => {
    expect(errorOf(() => parseRbdInfo('')).message).toMatch(/printed nothing/);
    expect(errorOf(() => parseRbdInfo('{"name":"x"}')).message).toMatch(/size/);
  });
});

describe('rbd ls', () => {
  it('reads ls -l with snapshots and locks', () => {
    const out =
      '[{"image":"foo","id":"1","size":1073741824,"format":2},{"image":"foo","id":"1","snapshot":"snap","snapshot_id":4,"size":1073741824,"format":2,"protected":"false"},{"image":"quux","size":1048576,"format":1,"lock_type":"exclusive"}]\n';
    expect(parseRbdListLong(out)).toEqual([
      { image: 'foo', id: '1', size: 1073741824, format: 2, lockType: null, snapshot: null },
      { image: 'foo', id: '1', size: 1073741824, format: 2, lockType: null, snapshot: 'snap' },
      { image: 'quux', id: null, size: 1048576, format: 1, lockType: 'exclusive', snapshot: null },
    ]);
    expect(parseRbdListLong('[]\n')).toEqual([]);
    expect(parseRbdListLong('')).toEqual([]);
  });

  it('reads plain ls', () => {
    expect(parseRbdList('["a","b"]\n')).toEqual(['a', 'b']);
    expect(parseRbdList('')).toEqual([]);
    expect(errorOf(() => parseRbdList('[1]'))).toBeInstanceOf(OutputParseError);
  });
});

describe('rbd image-meta list', () => {
  it('reads key/value pairs', () => {
    expect(parseRbdImageMeta('{"nfsctl.meta":"{\\"v\\":1}","conf_rbd_cache":"false"}\n')).toEqual({
      'nfsctl.meta': '{"v":1}',
      conf_rbd_cache: 'false',
    });
  });

  it('treats empty output as no metadata', () => {
    expect(parseRbdImageMeta('')).toEqual({});
    expect(parseRbdImageMeta('{}\n')).toEqual({});
  });
});

describe('ceph health', () => {
  it('reads HEALTH_OK (no trailing newline)', () => {
    expect(parseCephHealth('{"status":"HEALTH_OK","checks":{},"mutes":[]}')).toEqual({
      status: 'HEALTH_OK',
      checks: {},
      mutes: [],
    });
  });

  it('reads checks, counts and mutes', () => {
    const out = JSON.stringify({
      status: 'HEALTH_WARN',
      checks: {
        POOL_APP_NOT_ENABLED: {
          severity: 'HEALTH_WARN',
          summary: { message: '1 pool(s) do not have an application enabled', count: 1 },
          muted: false,
        },
        OSD_DOWN: {
          severity: 'HEALTH_WARN',
          summary: { message: '1 osds down', count: 1 },
          muted: true,
          detail: [{ message: 'osd.3 is down' }],
        },
      },
      mutes: [{ code: 'OSD_DOWN', sticky: false, summary: '1 osds down', count: 1 }],
    });
    const h = parseCephHealth(out);
    expect(h.status).toBe('HEALTH_WARN');
    expect(h.checks.OSD_DOWN).toEqual({ severity: 'HEALTH_WARN', message: '1 osds down', count: 1, muted: true });
    expect(h.checks.POOL_APP_NOT_ENABLED?.muted).toBe(false);
    expect(h.mutes).toHaveLength(1);
  });

  it('tolerates older output without checks/mutes, rejects nonsense', () => {
    expect(parseCephHealth('{"status":"HEALTH_ERR"}')).toEqual({ status: 'HEALTH_ERR', checks: {}, mutes: [] });
    expect(errorOf(() => parseCephHealth(''))).toBeInstanceOf(OutputParseError);
    expect(errorOf(() => parseCephHealth('{"overall_status":"HEALTH_OK"}')).message).toMatch(/status/);
  });
});

describe('ceph osd blocklist ls', () => {
  it('reads two concatenated arrays (addresses, then ranges)', () => {
    const out =
      '[{"addr":"198.51.100.11:0/3710147553","until":"2026-01-02T15:04:05.000000+0000"},{"addr":"[2001:db8::7]:0/42","until":"2026-01-02T16:00:00.123456+0000"}]' +
      '[{"range":"10.0.0.0/24","until":"2026-01-03T00:00:00.000000+0000"}]';
    expect(parseOsdBlocklist(out)).toEqual([
      { kind: 'addr', addr: '198.51.100.11:0/3710147553', until: '2026-01-02T15:04:05.000000+0000' },
      { kind: 'addr', addr: '[2001:db8::7]:0/42', until: '2026-01-02T16:00:00.123456+0000' },
      { kind: 'range', addr: '10.0.0.0/24', until: '2026-01-03T00:00:00.000000+0000' },
    ]);
  });

  it('accepts the shapes seen for empty lists', () => {
    expect(parseOsdBlocklist('')).toEqual([]);
    expect(parseOsdBlocklist('[]')).toEqual([]);
    expect(parseOsdBlocklist('[][]')).toEqual([]);
    expect(parseOsdBlocklist('[]\n[]\n')).toEqual([]);
    expect(parseOsdBlocklist('[{"addr":"1.2.3.4:0/123","until":"2026-01-01T00:00:00.000000+0000"}]\n[]')).toHaveLength(
      1,
    );
  });

  it('rejects more than two documents or entries without an address', () => {
    expect(errorOf(() => parseOsdBlocklist('[][][]')).message).toMatch(/3 JSON documents/);
    expect(errorOf(() => parseOsdBlocklist('[{"until":"x"}]')).message).toMatch(/without "addr"/);
  });
});

describe('addresses and lock ids', () => {
  it.each([
    ['198.51.100.11:0/3710147553', '198.51.100.11'],
    ['198.51.100.11:6789/0', '198.51.100.11'],
    ['v2:198.51.100.11:3300/0', '198.51.100.11'],
    ['any:198.51.100.11:0/5', '198.51.100.11'],
    ['[2001:db8::1]:0/3710147553', '2001:db8::1'],
    ['198.51.100.11', '198.51.100.11'],
    ['10.0.0.0/24', '10.0.0.0'],
  ])('addressHost(%s) = %s', (addr, host) => {
    expect(addressHost(addr)).toBe(host);
  });

  it('rejects malformed addresses', () => {
    expect(errorOf(() => addressHost('[2001:db8::1:0/1'))).toBeInstanceOf(OutputParseError);
    expect(errorOf(() => addressHost(':0/1'))).toBeInstanceOf(OutputParseError);
  });

  it('decodes kubelet lock ids', () => {
    expect(decodeKubeletLockId('kubelet_lock_magic_node-1')).toBe('node-1');
    expect(decodeKubeletLockId('kubelet_lock_magic_worker.example.com')).toBe('worker.example.com');
    expect(decodeKubeletLockId('kubelet_lock_magic_')).toBeNull();
    expect(decodeKubeletLockId('auto 18446462598732840961')).toBeNull();
  });
});

// --- additions for nfsctl rbd lock|blocklist --------------------------------
import {
  parseCephConfigValue,
  parseOsdPoolLsDetail,
  parseRbdLockHeader,
  parseRbdShowmapped,
} from '../../../src/core/ceph-json.js';

describe('rbd/ceph shapes used by nfsctl rbd', () => {
  it('blocklist: two documents as Pacific prints them (no trailing newline), and empty forms', () => {
    expect(
      parseOsdBlocklist('[{"addr":"198.51.100.11:0/3181996668","until":"2026-11-22T06:00:27.448267+0000"}][]'),
    ).toEqual([{ kind: 'addr', addr: '198.51.100.11:0/3181996668', until: '2026-11-22T06:00:27.448267+0000' }]);
    expect(parseOsdBlocklist('[][{"range":"198.51.100.0/24","until":"2026-11-22T06:00:27.448267+0000"}]')).toEqual([
      { kind: 'range', addr: '198.51.100.0/24', until: '2026-11-22T06:00:27.448267+0000' },
    ]);
    for (const empty of ['', '[]', '[][]', '[]\n[]\n']) expect(parseOsdBlocklist(empty)).toEqual([]);
    expect(() => parseOsdBlocklist('{}')).toThrow(OutputParseError);
  });
  it('rbd lock ls: empty forms and the JSON Pacific prints', () => {
    for (const empty of ['', '\n', '[]\n', '{}']) expect(parseRbdLockList(empty)).toEqual([]);
    expect(
      parseRbdLockList(
        '[{"id":"kubelet_lock_magic_node-gone","locker":"client.4130","address":"198.51.100.11:0/3181996668"}]\n',
      ),
    ).toEqual([{ id: 'kubelet_lock_magic_node-gone', locker: 'client.4130', address: '198.51.100.11:0/3181996668' }]);
  });
  it('rbd status: empty forms, and the lab-recorded watcher', () => {
    for (const empty of ['', '{}', '{"watchers":[]}']) expect(parseRbdStatus(empty).watchers).toEqual([]);
    expect(
      parseRbdStatus('{"watchers":[{"address":"198.51.100.21:0/1300091762","client":4174,"cookie":139898157811936}]}')
        .watchers,
    ).toEqual([{ address: '198.51.100.21:0/1300091762', client: 'client.4174', cookie: '139898157811936' }]);
  });
  it('rbd lock ls header (plain): exclusive, shared with tag, none', () => {
    expect(
      parseRbdLockHeader(
        'There is 1 exclusive lock on this image.\nLocker       ID  Address\nclient.1 x 1.2.3.4:0/1\n',
      ),
    ).toEqual({ type: 'exclusive', count: 1, tag: null });
    expect(parseRbdLockHeader('There are 2 shared locks on this image.\nLock tag: tagA\nLocker ID Address\n')).toEqual({
      type: 'shared',
      count: 2,
      tag: 'tagA',
    });
    expect(parseRbdLockHeader('')).toEqual({ type: null, count: 0, tag: null });
    expect(() => parseRbdLockHeader('something else')).toThrow(OutputParseError);
  });
  it('rbd showmapped: array, old object form, empty forms', () => {
    const m = { id: '0', pool: 'rbd', namespace: '', name: 'img', snap: '-', device: '/dev/rbd0' };
    expect(parseRbdShowmapped(JSON.stringify([m]))).toEqual([
      { pool: 'rbd', namespace: '', image: 'img', snap: '-', device: '/dev/rbd0' },
    ]);
    expect(
      parseRbdShowmapped(JSON.stringify({ '0': { pool: 'rbd', name: 'img', snap: '-', device: '/dev/rbd0' } })),
    ).toEqual([{ pool: 'rbd', namespace: '', image: 'img', snap: '-', device: '/dev/rbd0' }]);
    for (const empty of ['', '[]', '{}']) expect(parseRbdShowmapped(empty)).toEqual([]);
  });
  it('ceph osd pool ls detail: applications', () => {
    expect(
      parseOsdPoolLsDetail(
        '[{"pool_id":1,"pool_name":"rbd","application_metadata":{"rbd":{}}},{"pool_name":".mgr","application_metadata":{"mgr":{}}},{"pool_name":"bare"}]',
      ),
    ).toEqual([
      { name: 'rbd', applications: ['rbd'] },
      { name: '.mgr', applications: ['mgr'] },
      { name: 'bare', applications: [] },
    ]);
    expect(parseOsdPoolLsDetail('')).toEqual([]);
  });
  it('ceph config get: plain values', () => {
    expect(parseCephConfigValue('0\n')).toBe('0');
    expect(parseCephConfigValue('3600.000000')).toBe('3600.000000');
    expect(parseCephConfigValue('')).toBeNull();
  });
});

// --- the python3-rbd pool scan of nfsctl rbd lock list --pool ------------------
import { parseRbdPoolScan } from '../../../src/core/ceph-json.js';

describe('rbd pool scan (POOL_SCAN_PY)', () => {
  // Recorded on the lab (Pacific 16.2.15, python3-rbd): an rbd CLI kubelet lock, a live
  // exclusive lock held by a librbd process that also watches, two shared locks with a tag,
  // and an image whose header cannot be read.
  const LAB =
    '{"v": 1, "pool": "benchtmp", "images": 500, "locked": [' +
    '{"image": "img0000", "exclusive": true, "tag": "", "locks": [{"id": "kubelet_lock_magic_node-0", "locker": "client.4134", "address": "198.51.100.11:0/139451131"}], "watchers": []}, ' +
    '{"image": "img0001", "exclusive": true, "tag": "", "locks": [{"id": "kubelet_lock_magic_client", "locker": "client.5753", "address": "198.51.100.21:0/2245241610"}], "watchers": [{"address": "198.51.100.21:0/2245241610", "client": 5753, "cookie": 140557435291040}]}, ' +
    '{"image": "img0002", "exclusive": false, "tag": "tagX", "locks": [{"id": "kubelet_lock_magic_client", "locker": "client.5754", "address": "198.51.100.21:0/2895959647"}, {"id": "other-lock", "locker": "client.5756", "address": "198.51.100.11:0/1618085798"}], "watchers": [{"address": "198.51.100.21:0/2895959647", "client": 5754, "cookie": 18446462598732840961}]}], ' +
    '"errors": [{"image": "zbroken", "message": "error opening image zbroken: (2) No such file or directory"}]}\n';

  it('reads the lab-recorded document: rows in the shapes rbd lock ls / rbd status give', () => {
    const r = parseRbdPoolScan(LAB);
    expect(r).toEqual({
      status: 'ok',
      pool: 'benchtmp',
      images: 500,
      locked: [
        {
          image: 'img0000',
          lockType: 'exclusive',
          lockTag: null,
          locks: [{ id: 'kubelet_lock_magic_node-0', locker: 'client.4134', address: '198.51.100.11:0/139451131' }],
          watchers: [],
        },
        {
          image: 'img0001',
          lockType: 'exclusive',
          lockTag: null,
          locks: [{ id: 'kubelet_lock_magic_client', locker: 'client.5753', address: '198.51.100.21:0/2245241610' }],
          watchers: [{ address: '198.51.100.21:0/2245241610', client: 'client.5753', cookie: '140557435291040' }],
        },
        {
          image: 'img0002',
          lockType: 'shared',
          lockTag: 'tagX',
          locks: [
            { id: 'kubelet_lock_magic_client', locker: 'client.5754', address: '198.51.100.21:0/2895959647' },
            { id: 'other-lock', locker: 'client.5756', address: '198.51.100.11:0/1618085798' },
          ],
          // 64-bit cookies stay exact
          watchers: [{ address: '198.51.100.21:0/2895959647', client: 'client.5754', cookie: '18446462598732840961' }],
        },
      ],
      errors: [{ image: 'zbroken', message: 'error opening image zbroken: (2) No such file or directory' }],
    });
  });

  it('an empty pool', () => {
    expect(parseRbdPoolScan('{"v": 1, "pool": "empty", "images": 0, "locked": [], "errors": []}\n')).toEqual({
      status: 'ok',
      pool: 'empty',
      images: 0,
      locked: [],
      errors: [],
    });
  });

  it('reads the failure documents (recorded: no rbd module, missing pool, wrong user)', () => {
    expect(parseRbdPoolScan('{"v": 1, "unavailable": "ImportError: No module named \'rbd\'"}\n')).toEqual({
      status: 'unavailable',
      message: "ImportError: No module named 'rbd'",
    });
    expect(
      parseRbdPoolScan(
        '{"v": 1, "fatal": "ObjectNotFound: [errno 2] RADOS object not found (error opening pool \'nopool\')"}\n',
      ),
    ).toEqual({
      status: 'fatal',
      message: "ObjectNotFound: [errno 2] RADOS object not found (error opening pool 'nopool')",
    });
    expect(
      parseRbdPoolScan(
        '{"v": 1, "fatal": "PermissionDeniedError: [errno 13] RADOS permission denied (error connecting to the cluster)"}',
      ).status,
    ).toBe('fatal');
  });

  it('rejects blank output, other versions and unexpected shapes', () => {
    expect(errorOf(() => parseRbdPoolScan(''))).toBeInstanceOf(OutputParseError);
    expect(errorOf(() => parseRbdPoolScan('Traceback (most recent call last):\n')).message).toMatch(/invalid JSON/);
    expect(
      errorOf(() => parseRbdPoolScan('{"v": 2, "pool": "p", "images": 0, "locked": [], "errors": []}')).message,
    ).toMatch(/v:/);
    expect(
      errorOf(() =>
        parseRbdPoolScan(
          '{"v": 1, "pool": "p", "images": 1, "locked": [{"image": "a", "exclusive": true, "tag": "", "locks": [], "watchers": []}], "errors": []}',
        ),
      ).message,
    ).toMatch(/locks/);
    expect(
      errorOf(() =>
        parseRbdPoolScan(
          '{"v": 1, "pool": "p", "images": 1, "locked": [{"image": "a", "exclusive": true, "tag": "", "locks": [{"id": "x", "locker": "client.1"}], "watchers": []}], "errors": []}',
        ),
      ).message,
    ).toMatch(/address/);
    expect(errorOf(() => parseRbdPoolScan('{"v": 1}{"v": 1}')).message).toMatch(/2 JSON documents/);
  });
});
