// The metrics: exposition escaping against a hostile corpus (checked by promtool and by a
// parser of the format written here), the families built from a fake pair, and the
// textfile written atomically.
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeLabelValue, renderExposition, sanitizeLabelName } from '../../../src/metrics/exposition.js';
import { renderMetrics, snapshot } from '../../../src/metrics/metrics.js';
import { checkTextfileDir, writeTextfile } from '../../../src/metrics/textfile.js';
import { Context } from '../../../src/cli/context.js';
import { captureOutput } from '../../support/capture.js';
import { tempDir } from '../../support/config.js';
import { MiB, usageConfig, usageHost, type UsageVolume } from '../../support/usage-pair.js';

const PROMTOOL = '/usr/bin/promtool';

function promtool(text: string): { status: number | null; out: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** Read label values back as the format defines them: a reader independent of the writer. */
function readLabels(line: string): Record<string, string> {
  const body = /^[^{]+\{([\s\S]*)\} \S+$/.exec(line)![1]!;
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(body))) {
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    end = re.lastIndex;
  }
  expect(end, line).toBe(body.length);
  return out;
}

const HOSTILE = [
  'a"b',
  'back\\slash',
  'new\nline',
  '\\n literal',
  '"}\nnfsctl_up 0\n{"',
  'tab\there',
  'ünï',
  '\\',
  '"',
  '',
  'x\r\ny',
];

describe('exposition format', () => {
  it('hostile label values come back exactly, one line per sample, and promtool accepts the document', () => {
    const text = renderExposition([
      {
        name: 'nfsctl_test_info',
        help: 'help with \\ and\nnewline',
        type: 'gauge',
        samples: HOSTILE.map((v, i) => ({ labels: { namespace: v, i: String(i) }, value: 1 })),
      },
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2 + HOSTILE.length);
    expect(lines[0]).toBe('# HELP nfsctl_test_info help with \\\\ and\\nnewline');
    lines.slice(2).forEach((l, i) => expect(readLabels(l).namespace).toBe(HOSTILE[i]));
    expect(text).not.toMatch(/^nfsctl_up/m);
    const r = promtool(text);
    expect(r.status, r.out).toBe(0);
  });
  it('escapes exactly backslash, double quote and line feed', () => {
    expect(escapeLabelValue('a\\b"c\nd\re')).toBe('a\\\\b\\"c\\nd\re');
  });
  it('label names from Kubernetes keys are sanitised; invalid names and duplicate families are refused', () => {
    expect(sanitizeLabelName('example.com/tier')).toBe('label_example_com_tier');
    expect(sanitizeLabelName('app.kubernetes.io/name')).toBe('label_app_kubernetes_io_name');
    expect(() =>
      renderExposition([{ name: 'x', help: 'h', type: 'gauge', samples: [{ labels: { 'bad-name': 'v' }, value: 1 }] }]),
    ).toThrow(/label name/);
    expect(() => renderExposition([{ name: '1x', help: 'h', type: 'gauge', samples: [{ value: 1 }] }])).toThrow(
      /metric name/,
    );
    expect(() =>
      renderExposition([
        { name: 'x', help: 'h', type: 'gauge', samples: [] },
        { name: 'x', help: 'h', type: 'gauge', samples: [] },
      ]),
    ).toThrow(/twice/);
  });
});

const VOLS: UsageVolume[] = [
  {
    ns: 'team-a',
    name: 'data',
    backend: 'xfsquota',
    size: 100 * MiB,
    used: 90 * MiB,
    labels: { tier: 'gold', 'example.com/owner': 'alice' },
  },
  { ns: 'team-b', name: 'db', backend: 'lvm', size: 1000 * MiB, used: 500 * MiB, inodes: [3, 1000] },
];

async function pairMetrics(vols = VOLS) {
  const config = usageConfig(tempDir());
  const primary = usageHost(config, 'primary', vols);
  const backup = usageHost(config, 'backup', vols);
  backup.files.set(
    `${config.state.stateDir}/sync/last-ok.json`,
    JSON.stringify({
      time: new Date(Date.now() - 120_000).toISOString(),
      ok: true,
      direction: 'primary->backup',
      source: 'primary',
      destination: 'backup',
      bytes: 4096,
      durationMs: 10,
    }),
  );
  const ctx = new Context('test.yaml', config, {}, { primary, backup }, captureOutput().out);
  const s = await snapshot(
    config,
    { primary: ctx.host('primary'), backup: ctx.host('backup') },
    { configFile: ctx.configFile },
  );
  return { text: renderMetrics(config, s), s, primary, backup };
}

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const l of text.split('\n')) {
    if (!l.startsWith(`${name}{`)) continue;
    const got = readLabels(l);
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(l.split(' ').pop());
  }
  return undefined;
}

describe('nfsctl metrics from a pair', () => {
  it('per volume size, used, capacity, inodes, export state and drift; per host reachability, VIP, services, sync age; health checks; promtool passes', async () => {
    const { text } = await pairMetrics();
    const a = { volume: 'team-a/data', namespace: 'team-a', name: 'data' };
    expect(sample(text, 'nfsctl_volume_size_bytes', a)).toBe(100 * MiB);
    expect(sample(text, 'nfsctl_volume_used_bytes', { ...a, host: 'primary' })).toBe(90 * MiB);
    expect(sample(text, 'nfsctl_volume_used_bytes', { ...a, host: 'backup' })).toBe(90 * MiB);
    expect(sample(text, 'nfsctl_volume_capacity_bytes', { ...a, host: 'primary' })).toBe(100 * MiB);
    expect(sample(text, 'nfsctl_volume_used_ratio', a)).toBe(0.9);
    expect(sample(text, 'nfsctl_volume_inodes_used', { volume: 'team-b/db', host: 'primary' })).toBe(3);
    expect(sample(text, 'nfsctl_volume_inodes_capacity', { volume: 'team-b/db', host: 'primary' })).toBe(1000);
    expect(sample(text, 'nfsctl_volume_exported', { ...a, host: 'backup' })).toBe(1);
    expect(sample(text, 'nfsctl_volume_served', { ...a, host: 'primary' })).toBe(1);
    expect(sample(text, 'nfsctl_volume_drift', a)).toBe(0);
    expect(sample(text, 'nfsctl_volume_labels', { ...a, label_tier: 'gold', label_example_com_owner: 'alice' })).toBe(
      1,
    );
    expect(sample(text, 'nfsctl_volume_info', { ...a, backend: 'xfsquota', state: 'active' })).toBe(1);
    expect(sample(text, 'nfsctl_host_reachable', { host: 'backup' })).toBe(1);
    expect(sample(text, 'nfsctl_host_vip_held', { host: 'primary' })).toBe(1);
    expect(sample(text, 'nfsctl_host_vip_held', { host: 'backup' })).toBe(0);
    expect(sample(text, 'nfsctl_host_service_running', { host: 'primary', service: 'keepalived' })).toBeDefined();
    const age = sample(text, 'nfsctl_sync_last_success_age_seconds', { host: 'backup' })!;
    expect(age).toBeGreaterThanOrEqual(119);
    expect(age).toBeLessThan(200);
    expect(sample(text, 'nfsctl_health_check_status', { check: 'usage:team-a/data', host: 'primary' })).toBe(1);
    expect(sample(text, 'nfsctl_volumes', { backend: 'lvm' })).toBe(1);
    expect(text).toMatch(/^nfsctl_health_status [012]$/m);
    const r = promtool(text);
    expect(r.status, r.out).toBe(0);
    expect(r.out.trim()).toBe('');
  });
  it('hostile namespace and label values from a host record are escaped in the real output and promtool passes', async () => {
    const vols: UsageVolume[] = [
      {
        ns: 'team-a',
        name: 'data',
        backend: 'xfsquota',
        size: 100 * MiB,
        used: 1 * MiB,
        labels: { tier: 'go"ld\\\n}', 'a.b': '1', a_b: '2' },
      },
    ];
    const { text } = await pairMetrics(vols);
    const line = text.split('\n').find((l) => l.startsWith('nfsctl_volume_labels{'))!;
    expect(readLabels(line).label_tier).toBe('go"ld\\\n}');
    expect(readLabels(line).label_a_b).toBe('1'); // "a.b" and "a_b" collide once sanitised: the first in key order ("a.b") wins
    const r = promtool(text);
    expect(r.status, r.out).toBe(0);
  });
});

describe('--textfile', () => {
  it('writes DIR/nfsctl.prom world-readable by rename, leaves no temp file, replaces a planted symlink without following it', async () => {
    const dir = tempDir();
    const victim = join(tempDir(), 'victim');
    writeFileSync(victim, 'keep');
    symlinkSync(victim, join(dir, 'nfsctl.prom'));
    await writeTextfile(dir, 'nfsctl_up 1\n');
    expect(readFileSync(victim, 'utf8')).toBe('keep');
    expect(lstatSync(join(dir, 'nfsctl.prom')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(dir, 'nfsctl.prom'), 'utf8')).toBe('nfsctl_up 1\n');
    expect(statSync(join(dir, 'nfsctl.prom')).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['nfsctl.prom']);
  });
  it('a directory that is missing, relative or a file is a usage error before anything is collected', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'f'), '');
    for (const bad of [join(dir, 'missing'), 'relative/dir', join(dir, 'f'), `${dir}/../x`]) {
      await expect(checkTextfileDir(bad), bad).rejects.toMatchObject({ exitCode: 2 });
    }
    expect(await checkTextfileDir(`${join(dir, 'd')}/`)).toBe(join(dir, 'd'));
  });
});

export { execFileSync };
