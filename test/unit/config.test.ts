import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configPath, loadConfig, parseConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/core/errors.js';
import { tempDir, testConfigYaml } from '../support/config.js';

function errorOf(text: string): UsageError {
  try {
    parseConfig(text, '/etc/nfsctl/config.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected the config to be rejected');
}

describe('config loader', () => {
  it('fills defaults into a minimal valid config', () => {
    const c = parseConfig(testConfigYaml('/tmp/x'));
    expect(c.hosts.primary.ssh).toEqual({
      user: 'root',
      port: 22,
      identity: '/root/.ssh/id_ed25519',
      knownHosts: '/root/.ssh/known_hosts',
      sudo: false,
      hostKeyAliases: [],
    });
    expect(c.nfs.root).toBe('/nfs');
    expect(c.nfs.pathTemplate).toBe('{root}/{namespace}_{name}');
    expect(c.services.manager).toBe('systemctl');
    expect(c.timeouts.connect).toBe(5000);
    expect(c.rsync.interval).toBe(15 * 60_000);
    expect(c.this).toBe('primary');
  });

  it('points at file, line and key for an unknown key', () => {
    // Issue 20 item 7: the unknown key's own line:column (it used to say 1:1), and the key it is closest to.
    const e = errorOf(testConfigYaml('/tmp/x').replace('vip:', 'vipp: 1\nvip:'));
    expect(e.message).toContain('/etc/nfsctl/config.yaml:7:1: vipp: unknown key "vipp"; did you mean "vip"?');
  });

  it('points at the line of a wrongly typed value', () => {
    const text = testConfigYaml('/tmp/x').replace(
      '    address: 198.51.100.12',
      '    address: 198.51.100.12\n    ssh: { port: "twenty-two" }',
    );
    const e = errorOf(text);
    expect(e.message).toMatch(/config\.yaml:7:\d+: hosts\.backup\.ssh\.port: Expected number, received string/);
  });

  it('reports a missing required key at its parent', () => {
    const e = errorOf(testConfigYaml('/tmp/x').replace('vip: 198.51.100.100\n', ''));
    expect(e.message).toContain('vip: required key is missing');
  });

  it('reports YAML syntax errors with line and column', () => {
    const e = errorOf('hosts:\n  primary: [unclosed\n');
    expect(e.message).toMatch(/^\/etc\/nfsctl\/config\.yaml:\d+:\d+: invalid YAML/);
  });

  it('rejects bad durations, relative paths, equal addresses and a default backend without its section', () => {
    expect(errorOf(testConfigYaml('/tmp/x', 'timeouts: { command: 10 minutes }')).message).toContain(
      'timeouts.command: expected a duration',
    );
    expect(errorOf(testConfigYaml('relative/dir')).message).toContain('state.auditLog: expected an absolute path');
    expect(errorOf(testConfigYaml('/tmp/x').replace('198.51.100.12', '198.51.100.11')).message).toContain(
      'primary and backup must have different addresses',
    );
    expect(errorOf(testConfigYaml('/tmp/x').replace('default: lvm', 'default: rbd')).message).toContain(
      'default backend "rbd" has no backends.rbd section',
    );
  });

  it('rejects a path template that cannot place volumes', () => {
    expect(errorOf(testConfigYaml('/tmp/x', 'nfs: { pathTemplate: "/srv/{name}" }')).message).toMatch(/nfs/);
  });

  it('requires a command when services are managed by command', () => {
    expect(errorOf(testConfigYaml('/tmp/x', 'services: { manager: command }')).message).toContain(
      'needs services.command',
    );
  });

  it('resolves the path from flag, then NFSCTL_CONFIG, then the default', () => {
    expect(configPath('/a.yaml', { NFSCTL_CONFIG: '/b.yaml' })).toBe('/a.yaml');
    expect(configPath(undefined, { NFSCTL_CONFIG: '/b.yaml' })).toBe('/b.yaml');
    expect(configPath(undefined, {})).toBe('/etc/nfsctl/config.yaml');
  });

  it('says which file is missing and how to point at another', async () => {
    await expect(loadConfig('/nonexistent/nfsctl.yaml')).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('no such file'),
    });
    const dir = tempDir();
    const f = join(dir, 'c.yaml');
    writeFileSync(f, testConfigYaml(dir));
    expect((await loadConfig(f)).config.vip).toBe('198.51.100.100');
  });
});
