// The metrics and health serve commands' flags: checked before any host is asked; the
// timer's cron line is quoted for sh and cron; --dry-run writes nothing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../../support/inprocess.js';
import { tempDir, testConfigYaml } from '../../support/config.js';
import { metricsCronLine } from '../../../src/commands/metrics/metrics.run.js';

function cfg(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'c.yaml'), testConfigYaml(dir));
  return join(dir, 'c.yaml');
}

describe('metrics and health serve flags', () => {
  it('bad values are exit 2 and nothing runs anywhere', async () => {
    const c = cfg();
    for (const argv of [
      ['metrics', '--textfile', '/nonexistent/dir'],
      ['metrics', '--textfile', 'rel'],
      ['metrics', 'install-timer', '--interval', '7m', '--yes'],
      ['metrics', 'install-timer', '--interval', '1e3s', '--yes'],
      ['metrics', 'install-timer', '--dir', '/var/lib/x y', '--yes'],
      ['metrics', 'install-timer', '--dir', 'relative', '--yes'],
      ['metrics', 'install-timer', '--nfsctl-path', '/usr/bin/nfsctl;reboot', '--yes'],
      ['health', 'serve', '--listen', 'localhost:9655'],
      ['health', 'serve', '--listen', '0.0.0.0:99999'],
      ['health', 'serve', '--cache-ttl', '10 s'],
      ['health', 'serve', '--request-timeout', '0s'],
    ]) {
      const r = await runInProcess(['--config', c, ...argv]);
      expect(r.exitCode, `${argv.join(' ')}: ${String(r.error)}`).toBe(2);
      expect(r.touches, argv.join(' ')).toEqual([]);
    }
  });
  it('install-timer --dry-run shows the cron line and writes nothing', async () => {
    const r = await runInProcess([
      '--config',
      cfg(),
      'metrics',
      'install-timer',
      '--dry-run',
      '--interval',
      '5m',
      '--dir',
      '/var/lib/prometheus/node-exporter',
    ]);
    expect(r.exitCode, String(r.error)).toBe(0);
    expect(r.stdout + r.stderr).toContain(
      '*/5 * * * * root /usr/local/sbin/nfsctl metrics --textfile /var/lib/prometheus/node-exporter >> /var/log/nfsctl/metrics.log 2>&1',
    );
    expect(r.touches.filter((t) => t.what.startsWith('write'))).toEqual([]);
    expect(r.touches.every((t) => t.host === 'primary')).toBe(true);
  });
  it('the cron line: every minute by default, values quoted for sh and cron', () => {
    expect(metricsCronLine(60_000, '/usr/local/sbin/nfsctl', '/var/lib/prometheus/node-exporter')).toBe(
      '* * * * * root /usr/local/sbin/nfsctl metrics --textfile /var/lib/prometheus/node-exporter >> /var/log/nfsctl/metrics.log 2>&1',
    );
    expect(metricsCronLine(3_600_000, '/opt/nfsctl-2/bin/nfsctl', '/srv/prom')).toBe(
      '0 * * * * root /opt/nfsctl-2/bin/nfsctl metrics --textfile /srv/prom >> /var/log/nfsctl/metrics.log 2>&1',
    );
    expect(() => metricsCronLine(60_000, '/usr/bin/nfsctl', '/srv/a%b')).toThrow();
  });
});
