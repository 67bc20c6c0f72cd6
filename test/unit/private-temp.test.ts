// Temporary and backup files never sit at a name another user can predict: a symlink
// planted there must not make root overwrite the file it points to. Each case plants a
// real symlink on this machine and checks the root-owned target is untouched.
// The tree digest and the udp probe named their files after the shell's pid ($$): they run
// here as pid 1 of a fresh pid namespace (with a private /tmp), so the old name is known.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync as mkdtempRaw,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { atomicWriteArgv } from '../../src/host/atomic-write.js';
import { LocalHost } from '../../src/host/local.js';
import type { Host, RunOptions, RunResult } from '../../src/host/host.js';
import { treeDigest } from '../../src/ha/sync.js';
import { trialMount } from '../../src/troubleshoot/node-probes.js';
import { tempDir } from '../support/config.js';
import type { Config } from '../../src/config/schema.js';

// everything made under /var/tmp goes again at the end
const made: string[] = [];
const mkdtempSync = (prefix: string) => {
  const d = mkdtempRaw(prefix);
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const canUnshare = isRoot && spawnSync('unshare', ['-mpf', 'true']).status === 0;

/** A victim outside /tmp (the namespaced runs get their own /tmp). */
function victim(): { dir: string; file: string } {
  const dir = mkdtempSync('/var/tmp/nfsctl-victim-');
  const file = join(dir, 'root-owned');
  writeFileSync(file, 'ORIGINAL\n');
  chmodSync(file, 0o644);
  return { dir, file };
}

/**
 * A local host whose commands run as pid 1 of a new pid + mount namespace with an empty
 * tmpfs on /tmp, where `plant` symlinks are made first; `bin` goes first on PATH.
 */
class NamespacedHost implements Host {
  readonly kind = 'local' as const;
  readonly name = 'ns';
  readonly address = '127.0.0.1';
  private readonly local = new LocalHost('ns', '127.0.0.1', 20_000);
  constructor(
    private readonly plant: Record<string, string>,
    private readonly bin?: string,
    private readonly answer?: (argv: string[]) => RunResult | undefined,
  ) {}
  async run(argv: string[], opts?: RunOptions): Promise<RunResult> {
    const fixed = this.answer?.(argv);
    if (fixed) return fixed;
    const links = Object.entries(this.plant).flatMap(([link, target]) => [target, link]);
    const prelude =
      '/bin/mount -t tmpfs nfsctl-test /tmp || exit 99; n=$1; shift; while [ "$n" -gt 0 ]; do ln -s "$1" "$2" || exit 98; shift 2; n=$((n-2)); done; exec "$@"';
    const path = this.bin ? `PATH=${this.bin}:${process.env.PATH}` : `PATH=${process.env.PATH}`;
    return this.local.run(
      ['unshare', '-mpf', 'env', path, '/bin/sh', '-c', prelude, 'nfsctl-ns', String(links.length), ...links, ...argv],
      opts,
    );
  }
  runMany(argvs: string[][], opts?: RunOptions): Promise<RunResult[]> {
    return Promise.all(argvs.map((a) => this.run(a, opts)));
  }
  readFile(): Promise<string | null> {
    throw new Error('not used');
  }
  writeFileAtomic(): Promise<never> {
    throw new Error('not used');
  }
  async close(): Promise<void> {}
}

describe('backup copies of replaced files', () => {
  it('a symlink planted at the backup name is not followed: the root-owned target keeps its content', () => {
    const d = tempDir('nfsctl-bak-');
    const target = join(d, 'exports');
    writeFileSync(target, 'old exports\n');
    chmodSync(target, 0o640);
    const v = victim();
    const now = new Date('2026-12-01T10:00:00.123Z');
    // the name the old code used: <file>.nfsctl-<stamp>.bak (the stamp is the time of the write)
    const planted = `${target}.nfsctl-20261201T100000123Z.bak`;
    symlinkSync(v.file, planted);
    const argv = atomicWriteArgv(target, 'new exports\n', 0o644, true, now);
    const r = spawnSync(argv[0]!, argv.slice(1), { input: 'new exports\n', encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(v.file, 'utf8')).toBe('ORIGINAL\n');
    expect(lstatSync(planted).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('new exports\n');
    // the real backup: a fresh file with an unpredictable name, the old content and mode
    const bak = r.stdout;
    expect(bak).toMatch(/exports\.nfsctl-20261201T100000123Z\.[A-Za-z0-9]{6}\.bak$/);
    expect(lstatSync(bak).isFile()).toBe(true);
    expect(readFileSync(bak, 'utf8')).toBe('old exports\n');
    expect(statSync(bak).mode & 0o777).toBe(0o640);
    expect(readdirSync(d).filter((n) => n.startsWith('.exports'))).toEqual([]);
  });
});

describe.skipIf(!canUnshare)('the tree digest (sync verification)', () => {
  it('writes no file under /tmp: a symlink at the old name /tmp/nfsctl-tree.$$ leaves its target alone', async () => {
    const v = victim();
    const root = mkdtempSync('/var/tmp/nfsctl-tree-');
    mkdirSync(join(root, 'team-a_data'));
    writeFileSync(join(root, 'team-a_data', 'f'), 'hello\n');
    const host = new NamespacedHost({ '/tmp/nfsctl-tree.1': v.file });
    const config = { nfs: { root } } as unknown as Config;
    const d = await treeDigest(config, host, false);
    expect(d).toMatchObject({ files: 1, bytes: 6 });
    expect(d.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(v.file, 'utf8')).toBe('ORIGINAL\n');
    // the same answer as an unconfined run (the digest is the listing's sha256)
    expect(await treeDigest(config, new LocalHost('p'), false)).toEqual(d);
    expect((await treeDigest(config, host, true)).files).toBe(1);
  });
});

describe.skipIf(!canUnshare)('troubleshoot trial mount on the node', () => {
  const fake = (name: string, body: string, dir: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  const caps =
    (stdout: string) =>
    (argv: string[]): RunResult | undefined =>
      argv[0] === 'sh' && argv[2]?.includes('/proc/filesystems')
        ? { host: 'ns', argv, exitCode: 0, stdout, stderr: '', durationMs: 0, timedOut: false }
        : undefined;

  it("kernel client: the udp attempt keeps mount's error in memory, not in /tmp/nfsctl-udp.$$", async () => {
    const v = victim();
    const bin = mkdtempSync('/var/tmp/nfsctl-bin-');
    fake(
      'mount',
      'case "$*" in *proto=udp*) echo "mount.nfs: Protocol not supported" >&2; exit 32 ;; esac; exit 0',
      bin,
    );
    fake('umount', 'exit 0', bin);
    const host = new NamespacedHost({ '/tmp/nfsctl-udp.1': v.file }, bin, caps('kernel\nmount.nfs\n'));
    const r = await trialMount(host, '198.51.100.100', '/nfs/team-a_data', 5, '.nfsctl-probe-test');
    expect(r.method).toBe('kernel');
    expect(r.ok, r.error).toBe(true);
    expect(r.udpNote).toMatch(/UDP is disabled/);
    expect(readFileSync(v.file, 'utf8')).toBe('ORIGINAL\n');
  });

  it('libnfs tools: the local probe copy is private, a symlink at /tmp/<probe> is not followed', async () => {
    const v = victim();
    const bin = mkdtempSync('/var/tmp/nfsctl-bin-');
    const store = mkdtempSync('/var/tmp/nfsctl-store-');
    fake('nfs-ls', 'exit 0', bin);
    fake('nfs-cp', `cat "$1" > ${store}/probe`, bin);
    fake('nfs-cat', `cat ${store}/probe`, bin);
    const probe = '.nfsctl-probe-1700000000000-4242';
    const host = new NamespacedHost({ [`/tmp/${probe}`]: v.file }, bin, caps('libnfs\n'));
    const r = await trialMount(host, '198.51.100.100', '/nfs/team-a_data', 5, probe);
    expect(r.method).toBe('libnfs');
    expect(r.ok, r.error).toBe(true);
    expect(readFileSync(v.file, 'utf8')).toBe('ORIGINAL\n');
    expect(existsSync(join(store, 'probe'))).toBe(true);
  });
});
