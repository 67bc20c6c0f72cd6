// The body of `nfsctl volume resize` (runResize) against the fake pair: bad input and a shrink
// are refused before anything changes; --dry-run shows the plan and runs no mutating command.
import { describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { runResize } from '../../src/commands/volume/resize.run.js';
import { encodeMetaTags } from '../../src/core/lvm-json.js';
import { tempDir, testConfig } from '../support/config.js';
import { captureOutput } from '../support/capture.js';
import { fakeStorageHost, type FakeStorage } from '../support/fake-pair.js';

const G = 2 ** 30;
const meta = {
  v: 1,
  namespace: 'team-a',
  name: 'data',
  labels: {},
  createdAt: 'x',
  createdBy: 'y',
  backend: 'lvm',
  size: G,
} as const;
const present: FakeStorage = {
  lvs: [{ name: 'pv.team-a.data', size: G, tags: encodeMetaTags(meta as never) }],
  mounts: '/dev/mapper/vgnfs-pv.team--a.data /nfs/team-a_data xfs rw 0 0\n',
  dirs: ['/nfs/team-a_data'],
};

function setup(o: { dryRun?: boolean } = {}) {
  const config = testConfig(tempDir());
  const hosts = {
    primary: fakeStorageHost('primary', { vip: true, ...present }),
    backup: fakeStorageHost('backup', present),
  };
  const cap = captureOutput();
  // as the CLI builds it: the command's own --dry-run is among the context's options too
  const ctx = new Context('test.yaml', config, o.dryRun ? { dryRun: true } : {}, hosts, cap.out);
  const lines = () => [...hosts.primary.commandLines(), ...hosts.backup.commandLines()];
  const mutations = () => lines().filter((l) => /^(lvextend|lvresize|xfs_growfs|mkdir|rm |rmdir)\b/.test(l));
  return { ctx, hosts, cap, lines, mutations };
}

describe('volume resize (command body)', () => {
  it('--dry-run shows the grow plan for both hosts, takes no lock and runs no mutating command', async () => {
    const { ctx, cap, mutations, hosts } = setup({ dryRun: true });
    await runResize(ctx, 'team-a/data', { size: '2G', dryRun: true });
    expect(cap.stdout.text).toMatch(/Plan \S+: .*team-a\/data/);
    expect(cap.stdout.text).toMatch(/\[primary\].*\n.*lvextend/);
    expect(cap.stdout.text).toMatch(/\[backup\].*\n.*lvextend/);
    expect(cap.stdout.text).toContain('dry run: nothing was changed');
    expect(mutations()).toEqual([]);
    for (const h of Object.values(hosts)) expect(h.writes).toEqual([]);
  });

  it('a malformed size or name is a usage error before any host is contacted', async () => {
    for (const [target, size] of [
      ['team-a/data', '2 G'],
      ['team-a/data', '-1G'],
      ['Team_A/data', '2G'],
    ] as const) {
      const { ctx, lines } = setup();
      const err = await runResize(ctx, target, { size, yes: true }).catch((e) => e);
      expect(err.exitCode, `${target} ${size}`).toBe(2);
      expect(lines()).toEqual([]);
    }
  });

  it('a shrink is refused and nothing is changed', async () => {
    const { ctx, mutations } = setup({ dryRun: true });
    const err = await runResize(ctx, 'team-a/data', { size: '512M', dryRun: true }).catch((e) => e);
    expect(err.message).toMatch(/refusing to shrink team-a\/data/);
    expect(err.exitCode).not.toBe(0);
    expect(mutations()).toEqual([]);
  });
});
