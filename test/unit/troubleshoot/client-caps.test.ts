// The trial mount picks the kernel client on a node whose nfs module is not loaded yet (it
// never mounted NFS; mount(8) would load it), instead of reporting "no NFS client, install
// nfs-common" on a node that has it. Run for real with sh, a fake modprobe first on PATH.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { NFS_CLIENT_CAPS } from '../../../src/troubleshoot/node-probes.js';

const loaded = /\bnfs\b/.test(readFileSync('/proc/filesystems', 'utf8'));
const bin = mkdtempSync(join(tmpdir(), 'nfsctl-caps-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));
const caps = (modprobeExit: number) => {
  const f = join(bin, 'modprobe');
  writeFileSync(f, `#!/bin/sh\n[ "$1 $2 $3" = "-n -q nfs" ] || exit 9\nexit ${modprobeExit}\n`);
  chmodSync(f, 0o755);
  return execFileSync('sh', ['-c', NFS_CLIENT_CAPS], {
    encoding: 'utf8',
    env: { PATH: `${bin}:/usr/bin:/bin` },
  }).split('\n');
};

describe.skipIf(loaded)('NFS client capabilities (this kernel has no nfs loaded)', () => {
  it('a loadable nfs module counts as the kernel client', () => {
    expect(caps(0)).toContain('kernel');
  });
  it('no module: not the kernel client', () => {
    expect(caps(1)).not.toContain('kernel');
  });
});
