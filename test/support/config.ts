// A valid config for tests, with state paths inside a temp dir.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

export function tempDir(prefix = 'nfsctl-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function testConfigYaml(stateRoot: string, extra = ''): string {
  return `this: primary
hosts:
  primary:
    address: 198.51.100.11
  backup:
    address: 198.51.100.12
vip: 198.51.100.100
nfs:
  server: ganesha
  clients: [198.51.100.0/24]
backends:
  default: lvm
  lvm: { vg: vgnfs }
state:
  auditLog: ${stateRoot}/log/audit.jsonl
  lockDir: ${stateRoot}/lock
  stateDir: ${stateRoot}/state
${extra}`;
}

export function testConfig(stateRoot = tempDir()): Config {
  return parseConfig(testConfigYaml(stateRoot), 'test.yaml');
}
