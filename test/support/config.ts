// A valid config for tests, with state paths inside a temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

const made = new Set<string>();

/** A private temp dir, removed after the test file (test/support/cleanup.ts). */
export function tempDir(prefix = 'nfsctl-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.add(d);
  return d;
}

/** A temp dir of the caller's own (e.g. under /var/tmp, where scripts may run), removed with the others. */
export function removeAfterFile(dir: string): string {
  made.add(dir);
  return dir;
}

/** Remove every dir tempDir/removeAfterFile handed out in this file (the unit project's setup calls it). */
export function removeTempDirs(): void {
  for (const d of made) rmSync(d, { recursive: true, force: true });
  made.clear();
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
