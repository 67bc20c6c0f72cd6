import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rsyncEWord, rsyncRemoteShell, splitRsyncRemoteShell } from '../../../src/core/rsync-e.js';
import { rsyncArgv } from '../../../src/ha/sync.js';
import { tempDir, testConfig } from '../../support/config.js';

const HOSTILE = [
  '/root/.ssh/id x -oProxyCommand=touch /tmp/pwn',
  '-oProxyCommand=sh -c id',
  "it's",
  "''",
  '"',
  '""',
  'a "b" c',
  "a 'b' c",
  '',
  ' ',
  '  lead',
  'tab\there',
  'new\nline',
  '$(id)',
  '`id`',
  ';|&<>*?',
  '%h %p',
  '\\',
  'ünï',
];

const HAVE_RSYNC = spawnSync('rsync', ['--version']).status === 0;

/** Run the real rsync with `-e value` and a fake `ssh` that records the argv it was given. */
function realRsyncSshArgv(argv: string[]): string[] {
  const dir = tempDir('nfsctl-rsync-e-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const out = join(dir, 'argv.json');
  writeFileSync(
    join(bin, 'ssh'),
    `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(2)));\nprocess.exit(255);\n`,
  );
  chmodSync(join(bin, 'ssh'), 0o755);
  const r = spawnSync(argv[0]!, argv.slice(1), {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    encoding: 'utf8',
  });
  expect(existsSync(out), `rsync did not run the fake ssh: ${r.stderr}`).toBe(true);
  expect(existsSync('/tmp/pwn')).toBe(false);
  return JSON.parse(readFileSync(out, 'utf8')) as string[];
}

describe("rsync -e: rsync's own word splitting", () => {
  it('every hostile word comes back as itself (our reading of rsync main.c)', () => {
    expect(splitRsyncRemoteShell(rsyncRemoteShell(['ssh', ...HOSTILE]))).toEqual(['ssh', ...HOSTILE]);
    for (const w of HOSTILE) expect(splitRsyncRemoteShell(rsyncEWord(w)), JSON.stringify(w)).toEqual([w]);
  });
  it.skipIf(!HAVE_RSYNC)('and the real rsync hands exactly those words to ssh', () => {
    const dest = tempDir('nfsctl-rsync-dest-');
    const got = realRsyncSshArgv([
      'rsync',
      '-a',
      '--dry-run',
      '-e',
      rsyncRemoteShell(['ssh', ...HOSTILE]),
      '--',
      'root@198.51.100.11:/nfs/',
      `${dest}/`,
    ]);
    expect(got.slice(0, HOSTILE.length)).toEqual(HOSTILE);
  });
  it.skipIf(!HAVE_RSYNC)(
    'sync --ssh: the real rsync runs ssh with strict host key checking, our known_hosts and identity, and the host as its own word',
    () => {
      const config = testConfig();
      const argv = rsyncArgv({ config, source: 'primary', dryRun: true, ssh: true });
      const dest = tempDir('nfsctl-rsync-dest-');
      argv[argv.length - 1] = `${dest}/`;
      expect(argv.slice(-3, -1)).toEqual(['--', 'root@198.51.100.11:/nfs/']);
      const got = realRsyncSshArgv(argv);
      expect(got.slice(0, 10)).toEqual([
        '-p',
        '22',
        '-i',
        '/root/.ssh/id_ed25519',
        '-o',
        'UserKnownHostsFile=/root/.ssh/known_hosts',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'BatchMode=yes',
      ]);
      expect(got).toContain('198.51.100.11');
    },
  );
  it('an identity or known_hosts path that ssh would split or expand is refused (exit 2), not run', () => {
    for (const bad of [
      '/root/.ssh/id x -oProxyCommand=touch /tmp/pwn',
      '/root/.ssh/id_%u',
      '~/.ssh/id',
      '/root/.ssh/id"x',
      '/root/.ssh/id\nx',
    ]) {
      for (const key of ['identity', 'knownHosts'] as const) {
        const config = testConfig();
        (config.hosts.primary.ssh as Record<string, unknown>)[key] = bad;
        let err: unknown;
        try {
          rsyncArgv({ config, source: 'primary', dryRun: true, ssh: true });
        } catch (e) {
          err = e;
        }
        expect(err, `${key}=${JSON.stringify(bad)}`).toMatchObject({
          exitCode: 2,
          message: expect.stringContaining(`hosts.primary.ssh.${key}`),
        });
      }
    }
  });
});
