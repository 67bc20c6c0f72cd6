// Host key verification against real sshd on loopback: @revoked and @cert-authority
// entries, and nodes (troubleshoot --from, rbd lock nodes) checked against the entries for
// their own name and address only, never the primary's aliases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SshHost, type SshOptions } from '../../src/host/ssh.js';
import { HostPool } from '../../src/host/pool.js';
import { HostUnreachableError } from '../../src/core/errors.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { tempDir, testConfigYaml } from '../support/config.js';
import { clientKey, knownHostsLine, startSshd, type TestSshd } from '../support/sshd.js';

let primary: TestSshd;
let node: TestSshd;
let work: string;
let key: { priv: string; pub: string };

const keyOf = (s: TestSshd) => s.hostKeyPub.split(/\s+/).slice(0, 2).join(' ');
const accepted = (s: TestSshd) =>
  s
    .log()
    .split('\n')
    .filter((l) => l.includes('Accepted publickey')).length;
function kh(name: string, text: string): string {
  const f = join(work, name);
  writeFileSync(f, text);
  return f;
}
function sshHost(s: TestSshd, knownHosts: string, extra: Partial<SshOptions> = {}) {
  return new SshHost('primary', '127.0.0.1', {
    user: 'root',
    port: s.port,
    identity: key.priv,
    knownHosts,
    sudo: false,
    connectTimeoutMs: 5_000,
    commandTimeoutMs: 20_000,
    ...extra,
  });
}
/** The pair's config: the primary's key is also filed under its alias "nfs-primary". */
function pairConfig(knownHosts: string): Config {
  const c = parseConfig(testConfigYaml(tempDir('nfsctl-khcfg-')));
  c.hosts.primary.ssh = {
    ...c.hosts.primary.ssh,
    port: primary.port,
    identity: key.priv,
    knownHosts,
    hostKeyAliases: ['nfs-primary'],
  };
  return c;
}

beforeAll(async () => {
  work = tempDir('nfsctl-kh-');
  key = clientKey(work);
  [primary, node] = await Promise.all([startSshd(key.pub), startSshd(key.pub)]);
});
afterAll(async () => {
  await Promise.all([primary?.stop(), node?.stop()]);
});

describe('known_hosts markers', () => {
  it('@revoked: the key is refused even when also listed as valid', async () => {
    const f = kh('kh-revoked', knownHostsLine(primary) + `@revoked * ${keyOf(primary)}\n`);
    const before = accepted(primary);
    const err = await sshHost(primary, f)
      .run(['true'])
      .catch((e) => e);
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect(err.message).toMatch(/is marked @revoked \(line 2\)/);
    expect(accepted(primary)).toBe(before);
  });

  it('@cert-authority only: refused, saying host certificates are not supported', async () => {
    const ca = join(work, 'ca_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', ca]);
    const f = kh(
      'kh-ca',
      `@cert-authority [127.0.0.1]:${primary.port} ${readFileSync(`${ca}.pub`, 'utf8').split(/\s+/).slice(0, 2).join(' ')}\n`,
    );
    const err = await sshHost(primary, f)
      .run(['true'])
      .catch((e) => e);
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect(err.message).toContain('nfsctl does not support SSH host certificates');
    expect(err.message).toContain('@cert-authority entry');
    expect(err.message).toMatch(/line 1/);
  });

  it('hashed [host]:port entries are matched', async () => {
    const f = kh('kh-hashed', knownHostsLine(primary));
    execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
    expect(readFileSync(f, 'utf8')).toMatch(/^\|1\|/);
    const h = sshHost(primary, f);
    expect((await h.run(['echo', 'ok'])).stdout).toBe('ok\n');
    await h.close();
  });

  it('an entry for the host on port 22 does not cover another port', async () => {
    const f = kh('kh-port22', `127.0.0.1 ${keyOf(primary)}\n`);
    const err = await sshHost(primary, f)
      .run(['true'])
      .catch((e) => e);
    expect(err.message).toContain(`no known_hosts entry for [127.0.0.1]:${primary.port}`);
  });
});

describe('nodes are verified under their own names only', () => {
  it("a node presenting the primary's key is refused (the primary's alias does not cover it)", async () => {
    // the "node" is the primary's sshd: it presents the primary's host key
    const f = kh('kh-alias', `[nfs-primary]:* ${keyOf(primary)}\n`);
    const pool = new HostPool(pairConfig(f));
    const before = accepted(primary);
    const err = await pool
      .node('node-y', '127.0.0.1', { port: primary.port })
      .run(['true'])
      .catch((e) => e);
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect(err.message).toContain(`no known_hosts entry for [127.0.0.1]:${primary.port} or [node-y]:${primary.port}`);
    expect(accepted(primary)).toBe(before);
    await pool.closeAll();
  });

  it('a node filed under its own name is accepted, not refused as HOST KEY CHANGED', async () => {
    const f = kh('kh-own', `[nfs-primary]:* ${keyOf(primary)}\n[node-x]:${node.port} ${keyOf(node)}\n`);
    const pool = new HostPool(pairConfig(f));
    const before = accepted(node);
    const h = pool.node('node-x', '127.0.0.1', { port: node.port });
    expect((await h.run(['echo', 'node'])).stdout).toBe('node\n');
    expect(accepted(node)).toBe(before + 1);
    await pool.closeAll();
  });

  it('a node with another key than the one filed under its name: HOST KEY CHANGED', async () => {
    const f = kh('kh-changed', `[node-x]:${node.port} ${keyOf(primary)}\n`);
    const pool = new HostPool(pairConfig(f));
    const err = await pool
      .node('node-x', '127.0.0.1', { port: node.port })
      .run(['true'])
      .catch((e) => e);
    expect(err.message).toContain('HOST KEY CHANGED');
    await pool.closeAll();
  });
});
