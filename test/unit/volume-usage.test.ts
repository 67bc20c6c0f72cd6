// Volume use on the pair (fake hosts answering with real report layouts): volume list/show,
// the list filters and order, health's thresholds, and bad flags refused before any host is asked.
import { describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { captureOutput } from '../support/capture.js';
import { tempDir } from '../support/config.js';
import { MiB, usageConfig, usageHost, type UsageVolume } from '../support/usage-pair.js';
import { runList, runShow } from '../../src/commands/volume/list.run.js';
import { runHealthChecks } from '../../src/health/health.js';
import { parseConfig } from '../../src/config/load.js';
import { testConfigYaml } from '../support/config.js';
import { FakeHost } from '../../src/host/fake.js';
import type { Config } from '../../src/config/schema.js';

const VOLS: UsageVolume[] = [
  { ns: 'team-a', name: 'data', backend: 'xfsquota', size: 100 * MiB, used: 90 * MiB, labels: { tier: 'gold' } },
  { ns: 'team-a', name: 'logs', backend: 'xfsquota', size: 400 * MiB, used: 40 * MiB, labels: { tier: 'silver' } },
  {
    ns: 'team-b',
    name: 'db',
    backend: 'lvm',
    size: 1000 * MiB,
    used: 960 * MiB,
    labels: { tier: 'gold', app: 'pg' },
    inodes: [3, 1000],
  },
  { ns: 'team-b', name: 'cache', backend: 'xfsquota', size: 50 * MiB, used: 5 * MiB },
];

function pair(config: Config = usageConfig(tempDir()), vols = VOLS) {
  const primary = usageHost(config, 'primary', vols);
  const backup = usageHost(config, 'backup', vols);
  const cap = captureOutput();
  const ctx = new Context('test.yaml', config, { color: false }, { primary, backup }, cap.out);
  return { ctx, primary, backup, ...cap };
}

async function listJson(o: Parameters<typeof runList>[1]) {
  const p = pair();
  p.ctx.opts.json = true;
  await runList(p.ctx, o);
  return JSON.parse(p.stdout.text) as {
    volumes: {
      id: string;
      usage: {
        percent: number;
        usedBytes: number;
        capacityBytes: number;
        source: string;
        host: string;
        inodesUsed: number | null;
      } | null;
    }[];
    unknownUsage?: number;
  };
}

describe('volume list: use against size, filters, order', () => {
  it('--json carries each volume use from its backend (quota report for xfsquota, df of the mount for lvm)', async () => {
    const j = await listJson({});
    const by = Object.fromEntries(j.volumes.map((v) => [v.id, v.usage]));
    expect(by['team-a/data']).toMatchObject({
      usedBytes: 90 * MiB,
      capacityBytes: 100 * MiB,
      percent: 90,
      source: 'xfs_quota',
      host: 'primary',
    });
    expect(by['team-b/db']).toMatchObject({
      usedBytes: 960 * MiB,
      capacityBytes: 1000 * MiB,
      percent: 96,
      source: 'df',
      inodesUsed: 3,
    });
  });
  it('namespace, -l selector, --over and --sort', async () => {
    expect((await listJson({ namespace: 'team-a' })).volumes.map((v) => v.id)).toEqual(['team-a/data', 'team-a/logs']);
    expect((await listJson({ selector: 'tier=gold' })).volumes.map((v) => v.id)).toEqual(['team-a/data', 'team-b/db']);
    expect((await listJson({ selector: 'tier in (gold,silver),!app' })).volumes.map((v) => v.id)).toEqual([
      'team-a/data',
      'team-a/logs',
    ]);
    expect((await listJson({ namespace: 'team-b', selector: 'tier!=gold' })).volumes.map((v) => v.id)).toEqual([
      'team-b/cache',
    ]);
    expect((await listJson({ over: '80%' })).volumes.map((v) => v.id)).toEqual(['team-a/data', 'team-b/db']);
    expect((await listJson({ over: '90' })).volumes.map((v) => v.id)).toEqual(['team-b/db']);
    expect((await listJson({ sort: 'used' })).volumes.map((v) => v.id)).toEqual([
      'team-b/db',
      'team-a/data',
      'team-a/logs',
      'team-b/cache',
    ]);
    expect((await listJson({ sort: 'size' })).volumes.map((v) => v.id)).toEqual([
      'team-b/db',
      'team-a/logs',
      'team-a/data',
      'team-b/cache',
    ]);
    expect((await listJson({ sort: 'name' })).volumes.map((v) => v.id)).toEqual([
      'team-b/cache',
      'team-a/data',
      'team-b/db',
      'team-a/logs',
    ]);
  });
  it('human table: USED and USE% columns, -o wide adds inodes, source, labels and path; the summary counts what matched', async () => {
    const p = pair();
    await runList(p.ctx, { over: '80%', output: 'wide' });
    const out = p.stdout.text;
    expect(out).toMatch(
      /^VOLUME\s+BACKEND\s+SIZE\s+USED\s+USE%\s+INODES\s+FROM\s+PRIMARY\s+BACKUP\s+LABELS\s+PATH\s+DRIFT/m,
    );
    expect(out).toMatch(/team-b\/db\s+lvm\s+1000Mi?\S*\s+960Mi?\S*\s+96%\s+3\/1000\s+df@primary/);
    expect(out).toContain('tier=gold,app=pg');
    expect(out).not.toContain('team-a/logs');
    expect(p.stderr.text).toContain('2 of 4 volumes');
  });
  it('volume show: the use line and per host used of capacity', async () => {
    const p = pair();
    await runShow(p.ctx, 'team-a/data');
    expect(p.stdout.text).toMatch(/usage: +90Mi?B? of 100Mi?B? \(90%\).*from xfs_quota on primary/);
  });
  it('xfsquota without quotas: use unknown, left out of --over and counted', async () => {
    const config = usageConfig(tempDir());
    config.backends.xfsquota!.quota = false;
    const p = pair(config);
    p.ctx.opts.json = true;
    await runList(p.ctx, { over: '10%' });
    const j = JSON.parse(p.stdout.text);
    expect(j.volumes.map((v: { id: string }) => v.id)).toEqual(['team-b/db']);
    expect(j.unknownUsage).toBe(3);
  });
  it('bad flags are usage errors (exit 2) and nothing runs on either host', async () => {
    for (const o of [
      { over: '80%%' },
      { over: '101' },
      { sort: 'age' },
      { selector: 'tier in (gold' },
      { selector: '' },
      { namespace: 'Team_A' },
      { namespace: '-x' },
    ]) {
      const p = pair();
      const err = await runList(p.ctx, o).then(
        () => null,
        (e: Error & { exitCode?: number }) => e,
      );
      expect(err?.exitCode, JSON.stringify(o)).toBe(2);
      expect(p.primary.calls.length + p.backup.calls.length, JSON.stringify(o)).toBe(0);
    }
  });
});

describe('health: volume use thresholds', () => {
  it('warn at 85% and critical at 95% by default, naming the volumes and the fix', async () => {
    const p = pair();
    const f = await runHealthChecks(
      p.ctx.config,
      { primary: p.ctx.host('primary'), backup: p.ctx.host('backup') },
      { hosts: ['primary', 'backup'], configFile: p.ctx.configFile, audit: p.ctx.audit },
    );
    const u = f.filter((x) => x.id.startsWith('usage'));
    expect(u.find((x) => x.id === 'usage:team-a/data')).toMatchObject({ status: 'warn', host: 'primary' });
    expect(u.find((x) => x.id === 'usage:team-a/data')!.evidence).toMatch(/\(90%\).*warn at 85%, critical at 95%/);
    expect(u.find((x) => x.id === 'usage:team-a/data')!.fix).toMatch(/^nfsctl volume resize team-a\/data --size /);
    expect(u.find((x) => x.id === 'usage:team-b/db')).toMatchObject({ status: 'critical' });
    expect(u.find((x) => x.id === 'usage')).toMatchObject({ status: 'critical' });
    expect(u.find((x) => x.id === 'usage')!.evidence).toContain('over: team-a/data, team-b/db');
    expect(u.some((x) => x.id === 'usage:team-a/logs')).toBe(false);
  });
  it('thresholds come from the config', async () => {
    const p = pair(usageConfig(tempDir(), 'health: { usageWarnPercent: 95, usageCriticalPercent: 99 }\n'));
    const f = await runHealthChecks(
      p.ctx.config,
      { primary: p.ctx.host('primary'), backup: p.ctx.host('backup') },
      { hosts: ['primary', 'backup'], configFile: p.ctx.configFile, audit: p.ctx.audit },
    );
    expect(f.filter((x) => x.id.startsWith('usage:')).map((x) => [x.id, x.status])).toEqual([
      ['usage:team-b/db', 'warn'],
    ]);
  });
  it('config check refuses thresholds in the wrong order or out of range, and a bad listen address', () => {
    const bad = (extra: string) => () => parseConfig(testConfigYaml('/tmp/x', extra), 'c.yaml');
    expect(bad('health: { usageWarnPercent: 95, usageCriticalPercent: 90 }\n')).toThrow(
      /usageWarnPercent must be below/,
    );
    expect(bad('health: { usageWarnPercent: 0 }\n')).toThrow(/usageWarnPercent/);
    expect(bad('health: { usageCriticalPercent: 101 }\n')).toThrow(/usageCriticalPercent/);
    expect(bad('health: { usageWarnPercent: "85%" }\n')).toThrow(/usageWarnPercent/);
    for (const l of [
      'localhost:9655',
      '127.0.0.1',
      '127.0.0.1:0',
      '127.0.0.1:65536',
      '::1:9655',
      '1.2.3:80',
      '127.0.0.1:09655',
    ])
      expect(bad(`health: { listen: "${l}" }\n`), l).toThrow(/health.listen/);
    expect(
      parseConfig(testConfigYaml('/tmp/x', 'health: { listen: "[::1]:9655", cacheTtl: 30s }\n'), 'c.yaml').health,
    ).toEqual({ usageWarnPercent: 85, usageCriticalPercent: 95, cacheTtl: 30_000, listen: '[::1]:9655' });
  });
});

export { FakeHost };
