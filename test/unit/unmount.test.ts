// The retried unmount, run by sh with fake umount/release commands: it retries a busy
// unmount, runs the server's release command between tries, and gives up with the last error.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { UNMOUNT_RETRY_S, unmountArgv, unmountStep } from '../../src/volume/unmount.js';
import { parseConfig } from '../../src/config/load.js';
import { removeAfterFile, tempDir, testConfigYaml } from '../support/config.js';

function fakeBin(umountBody: string): { bin: string; dir: string } {
  const dir = removeAfterFile(mkdtempSync('/var/tmp/nfsctl-umount-'));
  const bin = join(dir, 'bin');
  spawnSync('mkdir', [bin]);
  writeFileSync(join(bin, 'umount'), `#!/bin/sh\n${umountBody}\n`);
  chmodSync(join(bin, 'umount'), 0o755);
  writeFileSync(join(bin, 'release'), `#!/bin/sh\necho released >> ${dir}/released\n`);
  chmodSync(join(bin, 'release'), 0o755);
  return { bin, dir };
}

function runArgv(argv: string[], bin: string) {
  return spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    timeout: (UNMOUNT_RETRY_S + 10) * 1000,
  });
}

describe('retried unmount', () => {
  it('busy twice, then unmounted: exit 0, the release command ran between the tries', () => {
    // the fake umount counts its calls in a file and succeeds on the third
    const { bin, dir } = fakeBin(
      `n=$(cat "${'$'}{0%/bin/umount}/n" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${'$'}{0%/bin/umount}/n"; [ $n -ge 3 ] && exit 0; echo "umount: $1: target is busy." >&2; exit 32`,
    );
    const r = runArgv(unmountArgv('/nfs/team-a_data', ['release']), bin);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'n'), 'utf8').trim()).toBe('3');
    expect(readFileSync(join(dir, 'released'), 'utf8')).toBe('released\nreleased\n');
  });

  it('unmounted at once: no release, no wait', () => {
    const { bin, dir } = fakeBin('exit 0');
    const r = runArgv(unmountArgv('/nfs/team-a_data', ['release']), bin);
    expect(r.status).toBe(0);
    expect(existsSync(join(dir, 'released'))).toBe(false);
  });

  it(
    `busy for good: exit 1 after ${UNMOUNT_RETRY_S} tries, with umount's own error; without a release command too`,
    () => {
      const { bin, dir } = fakeBin('echo "umount: $1: target is busy." >&2; exit 32');
      const r = runArgv(unmountArgv('/nfs/it has spaces', null), bin);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        `nfsctl: umount /nfs/it has spaces failed for ${UNMOUNT_RETRY_S} s: umount: /nfs/it has spaces: target is busy.`,
      );
      expect(existsSync(join(dir, 'released'))).toBe(false);
    },
    (UNMOUNT_RETRY_S + 15) * 1000,
  );

  it("the step carries the configured server's release command (kernel: exportfs -f; ganesha: none) and a timeout above the retries", () => {
    const ganesha = parseConfig(testConfigYaml(tempDir()));
    const kernel = parseConfig(testConfigYaml(tempDir()).replace('server: ganesha', 'server: kernel'));
    const argvOf = (c: typeof kernel) => {
      const s = unmountStep(c, 'backup', 'backup:umount', '/nfs/team-a_data', null);
      if (s.action.kind !== 'run') throw new Error('not a run step');
      expect(s.action.timeoutMs).toBeGreaterThan(UNMOUNT_RETRY_S * 1000);
      expect(s.action.summary).toMatch(/^umount \/nfs\/team-a_data /);
      return s.action.argv;
    };
    expect(argvOf(kernel).slice(-4)).toEqual(['/nfs/team-a_data', String(UNMOUNT_RETRY_S), 'exportfs', '-f']);
    expect(argvOf(ganesha).slice(-2)).toEqual(['/nfs/team-a_data', String(UNMOUNT_RETRY_S)]);
  });
});
