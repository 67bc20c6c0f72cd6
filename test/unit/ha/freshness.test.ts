import { describe, expect, it } from 'vitest';
import {
  clearStale,
  compareFreshness,
  emptyRecord,
  markStale,
  maySync,
  maySyncFrom,
  holderIsOlder,
  mayServe,
  parseRecord,
  receivedSync,
  startServing,
  stopServing,
  type FreshnessRecord,
} from '../../../src/core/freshness.js';
import {
  withFreshnessTrack,
  wouldLose,
  checkSyncFreshness,
  freshnessRecordPath,
  trackFilePath,
  noteServing,
  assertMayServe,
  clearStaleAfterFinalSync,
  noteReceived,
  markHostStale,
} from '../../../src/ha/freshness.js';
import { freshnessFindings, adviseFailback } from '../../../src/health/freshness.js';
import { freshnessWarnings, renderStatus, type PairStatus } from '../../../src/ha/status.js';
import { parseRsyncOutput } from '../../../src/core/rsync.js';
import { parseConfig } from '../../../src/config/load.js';
import { testConfigYaml } from '../../support/config.js';
import { FakeHost } from '../../../src/host/fake.js';
import { PreconditionError } from '../../../src/core/errors.js';
import type { Finding } from '../../../src/health/check.js';
import { freshnessOnTransition } from '../../../src/ha/notify.js';
import { fakeStorageHost } from '../../support/fake-pair.js';

const T = (n: number) => new Date(Date.UTC(2026, 11, 1, 10, n)).toISOString();

/** The timeline of the issue: steady state, switchover, the backup serves. */
function afterSwitchover(): { p: FreshnessRecord; b: FreshnessRecord } {
  let p = startServing(null, null, 'primary', T(0)); // primary serves generation 1
  let b = receivedSync(
    null,
    'backup',
    {
      source: 'primary',
      generation: p.generation,
      by: p.generationBy,
      startedAt: T(1),
      finishedAt: T(2),
      final: false,
    },
    T(2),
  );
  // switchover: final sync under the freeze, the backup takes over, the primary is marked stale
  b = receivedSync(
    b,
    'backup',
    { source: 'primary', generation: p.generation, by: p.generationBy, startedAt: T(3), finishedAt: T(4), final: true },
    T(4),
  );
  b = startServing(b, p, 'backup', T(5));
  p = markStale(stopServing(p, 'primary', T(5)), 'primary', 'the backup took over', T(5));
  return { p, b };
}

describe('freshness rules (record pairs)', () => {
  it('no records anywhere: unknown, nothing refused (a pair from before freshness was recorded)', () => {
    const v = compareFreshness(null, null);
    expect(v.newest).toBe('unknown');
    expect(mayServe('primary', v)).toBeNull();
    expect(maySync('primary', 'backup', v)).toBeNull();
  });

  it('steady state: the primary serves, the backup lags by a sync: the periodic sync may run, either may serve', () => {
    const p = startServing(null, null, 'primary', T(0));
    const b = receivedSync(
      null,
      'backup',
      { source: 'primary', generation: 1, by: 'primary', startedAt: T(1), finishedAt: T(2), final: false },
      T(2),
    );
    const v = compareFreshness(p, b);
    expect(v).toMatchObject({ newest: 'primary', older: null });
    expect(maySync('primary', 'backup', v)).toBeNull();
    expect(mayServe('primary', v)).toBeNull();
    expect(mayServe('backup', v)).toBeNull();
  });

  it('after a switchover: the primary is older, may not serve, may not be synced over the backup; backup -> primary may', () => {
    const { p, b } = afterSwitchover();
    expect(b.generation).toBe(2);
    const v = compareFreshness(p, b);
    expect(v).toMatchObject({ newest: 'backup', older: 'primary' });
    expect(mayServe('primary', v)).toMatch(/older than backup/);
    expect(maySync('primary', 'backup', v)).toMatch(/backup served clients more recently/);
    expect(maySync('backup', 'primary', v)).toBeNull();
  });

  it('the marker wins: a periodic (non-final) sync into the stale primary does not make it fresh; clearStale does', () => {
    const { b } = afterSwitchover();
    let { p } = afterSwitchover();
    p = receivedSync(
      p,
      'primary',
      { source: 'backup', generation: b.generation, by: 'backup', startedAt: T(6), finishedAt: T(7), final: false },
      T(7),
    );
    expect(p.generation).toBe(b.generation);
    expect(compareFreshness(p, b).older).toBe('primary');
    p = clearStale(p, 'primary', T(8));
    expect(compareFreshness(p, b)).toMatchObject({ newest: 'backup', older: null });
    expect(mayServe('primary', compareFreshness(p, b))).toBeNull();
  });

  it('without the marker (the primary was down when the backup took over) generations still tell', () => {
    const p = startServing(null, null, 'primary', T(0));
    const b = startServing(
      receivedSync(
        null,
        'backup',
        { source: 'primary', generation: 1, by: 'primary', startedAt: T(1), finishedAt: T(2), final: false },
        T(2),
      ),
      null,
      'backup',
      T(3),
    );
    expect(compareFreshness(stopServing(p, 'primary', T(3)), b)).toMatchObject({ newest: 'backup', older: 'primary' });
  });

  it('after failback the primary opens a new generation; the backup is a standby behind by one sync (not refused)', () => {
    let { p, b } = afterSwitchover();
    p = receivedSync(
      p,
      'primary',
      {
        source: 'backup',
        generation: b.generation,
        by: b.generationBy,
        startedAt: T(9),
        finishedAt: T(10),
        final: true,
      },
      T(10),
    );
    p = startServing(clearStale(p, 'primary', T(11)), b, 'primary', T(11));
    b = stopServing(b, 'backup', T(11));
    const v = compareFreshness(p, b);
    expect(p.generation).toBe(3);
    expect(v).toMatchObject({ newest: 'primary', older: 'backup' });
    expect(maySync('primary', 'backup', v)).toBeNull();
    b = receivedSync(
      b,
      'backup',
      { source: 'primary', generation: p.generation, by: 'primary', startedAt: T(12), finishedAt: T(13), final: false },
      T(13),
    );
    expect(compareFreshness(p, b)).toMatchObject({ newest: 'primary', older: null });
  });

  it('the same generation opened by both hosts (each served without the other): diverged, every copy refused', () => {
    const p = { ...emptyRecord('primary'), generation: 4, generationBy: 'primary' as const };
    const b = { ...emptyRecord('backup'), generation: 4, generationBy: 'backup' as const };
    const v = compareFreshness(p, b);
    expect(v.newest).toBe('diverged');
    expect(mayServe('primary', v)).toMatch(/diverged/);
    expect(maySync('backup', 'primary', v)).toMatch(/diverged/);
    expect(maySync('primary', 'backup', v)).toMatch(/diverged/);
    expect(
      compareFreshness({ ...p, stale: { since: T(1), reason: 'x' } }, { ...b, stale: { since: T(1), reason: 'y' } })
        .newest,
    ).toBe('diverged');
  });

  it('a takeover by the backup that went unrecorded (no notify hook): the VIP holder backup still wins the sync', () => {
    // the primary served generation 1 (after a failback), the backup never got it, then the primary failed
    const p = startServing(null, null, 'primary', T(0));
    const b = emptyRecord('backup', T(0));
    const v = compareFreshness(p, b);
    expect(v.older).toBe('backup');
    expect(maySyncFrom('backup', 'primary', v, { primary: p, backup: b })).toBeNull();
    expect(holderIsOlder('backup', v, { primary: p, backup: b })).toBe(false);
    // only an explicit marker makes the backup's copy the older one
    const bs = markStale(b, 'backup', 'x', T(1));
    expect(maySyncFrom('backup', 'primary', compareFreshness(p, bs), { primary: p, backup: bs })).toMatch(
      /primary served clients more recently/,
    );
    // the primary as VIP holder is judged by generations and its marker
    const { p: sp, b: sb } = afterSwitchover();
    expect(holderIsOlder('primary', compareFreshness(sp, sb), { primary: sp, backup: sb })).toBe(true);
    expect(maySyncFrom('primary', 'backup', compareFreshness(sp, sb), { primary: sp, backup: sb })).toMatch(
      /backup served clients more recently/,
    );
  });

  it('startServing is idempotent while serving (the hook and the plan both record it)', () => {
    const a = startServing(null, null, 'backup', T(0));
    expect(startServing(a, { ...emptyRecord('primary'), generation: 9 }, 'backup', T(1))).toBe(a);
    expect(stopServing(stopServing(a, 'backup', T(2)), 'backup', T(3)).servedUntil).toBe(T(2));
  });

  it('parseRecord rejects what is not a record', () => {
    expect(parseRecord(null, 'primary')).toBeNull();
    expect(parseRecord('garbage', 'primary')).toBeNull();
    expect(parseRecord('{"v":1,"generation":-1}', 'primary')).toBeNull();
    expect(parseRecord('{"v":1,"generation":2}', 'backup')).toMatchObject({
      host: 'backup',
      generation: 2,
      generationBy: null,
      stale: null,
    });
  });
});

describe('keepalived track_file (ha install and the lab use this generator)', () => {
  const conf =
    'global_defs {\n    router_id p\n}\nvrrp_instance VI_NFS {\n    state MASTER\n    priority 150\n    virtual_ipaddress {\n        198.51.100.100/24 dev eth0\n    }\n}\n';
  it('adds the definition at top level and the reference in the instance; idempotent', () => {
    const out = withFreshnessTrack(conf, 'VI_NFS', '/var/lib/nfsctl/freshness/stale')!;
    expect(out).toMatch(
      /^track_file nfsctl_fresh \{\n {4}file "\/var\/lib\/nfsctl\/freshness\/stale"\n {4}weight 0\n/m,
    );
    const inst = out.slice(out.indexOf('vrrp_instance'));
    expect(inst).toMatch(/track_file \{\n\s+nfsctl_fresh\n\s+\}\n\}/);
    expect(out.indexOf('track_file nfsctl_fresh')).toBeLessThan(out.indexOf('vrrp_instance'));
    expect(withFreshnessTrack(out, 'VI_NFS', '/var/lib/nfsctl/freshness/stale')).toBeNull();
  });
  it('refuses a path that would break out of the quoted keepalived string, and a missing instance', () => {
    for (const bad of ['/x"\n}\nvrrp_script evil {', 'relative/path', '/a b', '/a;b'])
      expect(() => withFreshnessTrack(conf, 'VI_NFS', bad)).toThrow(PreconditionError);
    expect(() => withFreshnessTrack(conf, 'VI_OTHER', '/x')).toThrow(/no vrrp_instance VI_OTHER/);
  });
});

function cfg() {
  return parseConfig(testConfigYaml('/tmp/nfsctl-unit-fresh'));
}

describe('sync refusal names what it would lose', () => {
  const preview = parseRsyncOutput(
    '*deleting   team-a_data/maint.txt\n>f.st...... team-a_data/report.csv\n>f+++++++++ team-a_data/new.txt\n',
  );
  it('wouldLose: deletions and overwrites, not new files', () => {
    expect(wouldLose(preview)).toEqual(['*deleting team-a_data/maint.txt', 'overwrite team-a_data/report.csv']);
  });
  it('checkSyncFreshness: exit 4, names the file; allowed the other way; reads the records from both hosts', async () => {
    const c = cfg();
    const { p, b } = afterSwitchover();
    const hosts = { primary: new FakeHost('primary'), backup: new FakeHost('backup') };
    hosts.primary.files.set(freshnessRecordPath(c), JSON.stringify(p));
    hosts.backup.files.set(freshnessRecordPath(c), JSON.stringify(b));
    const err = await checkSyncFreshness(c, hosts, 'primary', 'backup', preview).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as PreconditionError).exitCode).toBe(4);
    expect((err as Error).message).toContain('*deleting team-a_data/maint.txt');
    expect((err as Error).message).toContain('overwrite team-a_data/report.csv');
    expect((err as PreconditionError).hint).toMatch(/nfsctl failback/);
    await expect(checkSyncFreshness(c, hosts, 'backup', 'primary', preview)).resolves.toBeUndefined();
  });
});

describe('noteServing: the backup taking over marks the primary stale (record and track file)', () => {
  it('writes generation+1 on the backup and "1" in the primary track file', async () => {
    const c = cfg();
    const hosts = { primary: new FakeHost('primary'), backup: new FakeHost('backup') };
    hosts.primary.files.set(freshnessRecordPath(c), JSON.stringify(startServing(null, null, 'primary', T(0))));
    expect(await noteServing(c, hosts, 'backup', T(5))).toEqual([]);
    expect(hosts.primary.files.get(trackFilePath(c))).toBe('1\n');
    expect(hosts.backup.files.get(trackFilePath(c))).toBe('0\n');
    expect(JSON.parse(hosts.backup.files.get(freshnessRecordPath(c))!)).toMatchObject({
      generation: 2,
      serving: true,
      generationBy: 'backup',
    });
    expect(JSON.parse(hosts.primary.files.get(freshnessRecordPath(c))!)).toMatchObject({
      serving: false,
      servedUntil: T(5),
      stale: { since: T(5) },
    });
  });
  it('the primary taking the VIP does not mark the backup (it stays eligible for failover)', async () => {
    const c = cfg();
    const hosts = { primary: new FakeHost('primary'), backup: new FakeHost('backup') };
    await noteServing(c, hosts, 'primary', T(1));
    expect(hosts.backup.files.get(trackFilePath(c)) ?? '0\n').toBe('0\n');
  });
});

describe('health and status on a stale pair', () => {
  const { p, b } = afterSwitchover();
  const pf = { records: { primary: p, backup: b }, errors: {}, verdict: compareFreshness(p, b) };
  it('the stale primary holding the VIP is critical, with the fix', () => {
    const f = freshnessFindings(cfg(), pf, ['primary']);
    expect(f[0]).toMatchObject({ id: 'freshness', status: 'critical', host: 'primary' });
    expect(f[0]!.fix).toMatch(/stop keepalived|then nfsctl failback/);
    expect(freshnessFindings(cfg(), pf, ['backup'])[0]!.status).toBe('ok');
  });
  it('a stopped keepalived on the stale primary: the fix is nfsctl failback, never "start keepalived"', () => {
    const findings: Finding[] = [
      {
        id: 'service-keepalived',
        host: 'primary',
        status: 'critical',
        title: 'keepalived running',
        evidence: 'not running',
        fix: 'labsvc start keepalived (on primary)',
      },
    ];
    findings.push({
      id: 'vip',
      host: null,
      status: 'critical',
      title: 'exactly one VIP holder',
      evidence: 'NO HOLDER',
      fix: 'start keepalived on the primary: labsvc start keepalived',
    });
    adviseFailback(findings, pf);
    expect(findings[0]!.fix).toBe('nfsctl failback');
    expect(findings[1]!.fix).toMatch(
      /^start keepalived on the backup, whose data is the newest .*then nfsctl failback$/,
    );
    const fresh: Finding[] = [{ ...findings[0]!, fix: 'labsvc start keepalived (on primary)' }];
    adviseFailback(fresh, { ...pf, verdict: compareFreshness(startServing(null, null, 'primary', T(0)), null) });
    expect(fresh[0]!.fix).toBe('labsvc start keepalived (on primary)');
  });
  it('status: vip-on-older-host only when the VIP holder is the older one', () => {
    const st = {
      vip: { address: '198.51.100.100', holders: ['primary'] },
      freshness: { newest: pf.verdict.newest, older: pf.verdict.older, reason: pf.verdict.reason, hosts: pf.records },
    } as unknown as PairStatus;
    expect(freshnessWarnings(cfg(), st).map((w) => w.id)).toEqual(['vip-on-older-host']);
    expect(freshnessWarnings(cfg(), { ...st, vip: { address: '', holders: ['backup'] } })).toEqual([]);
  });
});

describe('failback: the primary serves again only with a complete copy', () => {
  it('refuses to clear the mark (and to start keepalived) without a final sync of the current generation', async () => {
    const c = cfg();
    const { p, b } = afterSwitchover();
    const hosts = { primary: new FakeHost('primary'), backup: new FakeHost('backup') };
    hosts.primary.files.set(freshnessRecordPath(c), JSON.stringify(p));
    hosts.backup.files.set(freshnessRecordPath(c), JSON.stringify(b));
    await expect(assertMayServe(c, hosts, 'primary', 'start keepalived on the primary')).rejects.toThrow(
      /refusing to start keepalived on the primary: primary's data is older/,
    );
    await expect(clearStaleAfterFinalSync(c, hosts, 'primary', 'backup')).rejects.toThrow(/no complete copy/);
    // a periodic (non-final) sync is not enough either
    await noteReceived(c, hosts, 'backup', 'primary', Date.now(), false);
    await expect(clearStaleAfterFinalSync(c, hosts, 'primary', 'backup')).rejects.toThrow(/not final/);
    // the final sync (source frozen): the mark goes, the primary may serve
    await noteReceived(c, hosts, 'backup', 'primary', Date.now(), true);
    await clearStaleAfterFinalSync(c, hosts, 'primary', 'backup');
    expect(hosts.primary.files.get(trackFilePath(c))).toBe('0\n');
    await expect(assertMayServe(c, hosts, 'primary', 'start keepalived')).resolves.toBeUndefined();
    // undone: marked again
    await markHostStale(c, hosts.primary, 'primary', 'failback was undone');
    expect(hosts.primary.files.get(trackFilePath(c))).toBe('1\n');
  });
});

describe('the notify hook: MASTER on a stale primary is refused (second guard)', () => {
  const args = (c: ReturnType<typeof cfg>, state: 'MASTER' | 'BACKUP') => ({
    type: 'INSTANCE' as const,
    name: c.keepalived.instance,
    state,
  });
  it('primary older than the backup: refused, marks itself stale (track file 1), records nothing as serving', async () => {
    const c = cfg();
    const { b } = afterSwitchover();
    const p = stopServing(startServing(null, null, 'primary', T(0)), 'primary', T(5)); // no marker reached it
    const hosts = { primary: fakeStorageHost('primary'), backup: fakeStorageHost('backup') };
    hosts.primary.files.set(freshnessRecordPath(c), JSON.stringify(p));
    hosts.backup.files.set(freshnessRecordPath(c), JSON.stringify(b));
    const r = await freshnessOnTransition(c, 'primary', hosts, args(c, 'MASTER'));
    expect(r.refused).toMatch(/refusing to serve on primary: primary's data is older/);
    expect(hosts.primary.files.get(trackFilePath(c))).toBe('1\n');
    expect(JSON.parse(hosts.primary.files.get(freshnessRecordPath(c))!)).toMatchObject({
      serving: false,
      generation: 1,
    });
  });
  it('a fresh primary (after failback) serves: a new generation; another instance name is ignored', async () => {
    const c = cfg();
    const hosts = { primary: fakeStorageHost('primary'), backup: fakeStorageHost('backup') };
    const r = await freshnessOnTransition(c, 'primary', hosts, args(c, 'MASTER'));
    expect(r.refused).toBeNull();
    expect(JSON.parse(hosts.primary.files.get(freshnessRecordPath(c))!)).toMatchObject({
      serving: true,
      generation: 1,
    });
    const other = await freshnessOnTransition(c, 'backup', hosts, { ...args(c, 'MASTER'), name: 'VI_OTHER' });
    expect(other.refused).toBeNull();
    expect(hosts.backup.files.has(freshnessRecordPath(c))).toBe(false);
  });
  it('the backup is never refused (it takes over when the primary is gone) and marks the primary stale', async () => {
    const c = cfg();
    const hosts = { primary: fakeStorageHost('primary'), backup: fakeStorageHost('backup') };
    hosts.primary.files.set(
      freshnessRecordPath(c),
      JSON.stringify({ ...startServing(null, null, 'primary', T(0)), generation: 7 }),
    );
    expect((await freshnessOnTransition(c, 'backup', hosts, args(c, 'MASTER'))).refused).toBeNull();
    expect(JSON.parse(hosts.backup.files.get(freshnessRecordPath(c))!)).toMatchObject({ serving: true, generation: 8 });
    expect(hosts.primary.files.get(trackFilePath(c))).toBe('1\n');
    await freshnessOnTransition(c, 'backup', hosts, args(c, 'BACKUP'));
    expect(JSON.parse(hosts.backup.files.get(freshnessRecordPath(c))!)).toMatchObject({ serving: false });
  });
});

describe('status text', () => {
  it('says which host is newest, and whether the other is STALE or only behind', () => {
    const h = {
      reachable: true,
      holdsVip: false,
      keepalived: { running: true, enabledAtBoot: true, priority: 100, state: 'BACKUP', notifyHook: true },
      nfs: { running: true },
    };
    const base = {
      checkedAt: T(0),
      hosts: { primary: h, backup: h },
      lastSync: null,
      lastOkSync: null,
      operation: { lock: null, failback: null, switchover: null },
      warnings: [],
    };
    const { p, b } = afterSwitchover();
    const stale = renderStatus({
      ...base,
      vip: { address: '198.51.100.100', holders: ['backup'] },
      freshness: { ...compareFreshness(p, b), hosts: { primary: p, backup: b } },
    } as unknown as PairStatus);
    expect(stale).toMatch(/^data: newest on backup; primary is STALE \(only nfsctl failback brings it back\)/m);
    const p2 = startServing(clearStale(p, 'primary', T(9)), b, 'primary', T(9));
    const behind = renderStatus({
      ...base,
      vip: { address: '198.51.100.100', holders: ['primary'] },
      freshness: { ...compareFreshness(p2, b), hosts: { primary: p2, backup: b } },
    } as unknown as PairStatus);
    expect(behind).toMatch(/^data: newest on primary; backup is behind \(the next sync brings it up to date\)/m);
  });
});
