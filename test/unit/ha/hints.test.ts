// Hints and fixes suggest shell commands with config values in them: every value is quoted
// for POSIX sh, so pasting the suggestion runs exactly the command it names.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { statusWarnings, type PairStatus } from '../../../src/ha/status.js';
import { serviceCommand } from '../../../src/ha/services.js';
import { tempDir, testConfigYaml } from '../../support/config.js';

const HOSTILE = ['eth0; touch /tmp/nfsctl-pwned', 'eth0 $(id)', "it's", 'a`id`b', 'x|y&z'];

/** Run `line` with /bin/sh where `prog` is a fake that prints its argv; returns that argv. */
function shArgv(line: string, prog: string): string[] {
  const dir = tempDir('nfsctl-hint-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, prog),
    `#!${process.execPath}\nprocess.stdout.write(JSON.stringify(process.argv.slice(2)));\n`,
  );
  chmodSync(join(bin, prog), 0o755);
  const r = spawnSync('/bin/sh', ['-c', line], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as string[];
}

function configWith(iface: string, service: string) {
  const c = parseConfig(
    testConfigYaml('/tmp/nfsctl-unit-hints') +
      'services:\n  manager: command\n  command: ["labsvc", "{action}", "{service}"]\n  names: { keepalived: keepalived, nfs: nfs-ganesha, rsyncd: rsync }\n',
  );
  c.keepalived.interface = iface;
  c.services.names.keepalived = service;
  return c;
}

describe('shell hints quote every interpolated value', () => {
  const h = {
    reachable: true,
    holdsVip: true,
    keepalived: { running: true, enabledAtBoot: true, priority: 1, state: null, notifyHook: null },
    nfs: { running: true },
  };
  const st: PairStatus = {
    checkedAt: '',
    vip: { address: '198.51.100.100', holders: ['primary', 'backup'] },
    hosts: { primary: h, backup: h },
    lastSync: null,
    lastOkSync: null,
    operation: { lock: null, failback: null, switchover: null },
    warnings: [],
  };
  for (const bad of HOSTILE) {
    it(`split-brain fix with keepalived.interface / service name ${JSON.stringify(bad)}`, () => {
      const config = configWith(bad, bad);
      const fix = statusWarnings(config, st).find((w) => w.id === 'split-brain')!.fix!;
      const ip = fix.slice(fix.indexOf('ip addr del'), fix.indexOf('`; then')).replace('<prefix>', '24');
      expect(shArgv(ip, 'ip')).toEqual(['addr', 'del', '198.51.100.100/24', 'dev', bad]);
      expect(shArgv(serviceCommand(config, 'stop', 'keepalived'), 'labsvc')).toEqual(['stop', bad]);
      expect(fix).toContain(serviceCommand(config, 'stop', 'keepalived'));
    });
  }
});
