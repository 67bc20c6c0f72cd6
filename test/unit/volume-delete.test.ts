// volume delete refusals: a volume nfs-ganesha serves (it cannot tell who mounts it) is
// refused without --force, with the reason; a volume that does not exist is exit 4 unless
// --ignore-not-found; the confirmation's last lines say what is destroyed and what was forced.
import { describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import { runDelete } from '../../src/commands/volume/delete.run.js';
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
const served = (path: string) =>
  `method return time=1 sender=:1.1 -> destination=:1.2 serial=3 reply_serial=2\n   struct {\n      int64 1\n      int32 0\n   }\n   array [\n      struct {\n         uint16 4242\n         string "${path}"\n      }\n   ]\n`;

function setup(s: FakeStorage) {
  const d = tempDir();
  const config = testConfig(d); // nfs.server: ganesha
  const hosts = { primary: fakeStorageHost('primary', { vip: true, ...s }), backup: fakeStorageHost('backup', s) };
  for (const h of Object.values(hosts)) h.on(['fuser'], { exitCode: 1 }); // no local process uses the mount
  const cap = captureOutput();
  const ctx = new Context('test.yaml', config, {}, hosts, cap.out);
  const mutations = () =>
    [...hosts.primary.commandLines(), ...hosts.backup.commandLines()].filter((l) =>
      /^(lvremove|rm |rmdir|umount|dbus-send .*RemoveExport)/.test(l),
    );
  return { ctx, hosts, cap, mutations };
}

const present: FakeStorage = {
  lvs: [{ name: 'pv.team-a.data', size: G, tags: encodeMetaTags(meta as never) }],
  mounts: '/dev/mapper/vgnfs-pv.team--a.data /nfs/team-a_data xfs rw 0 0\n',
  dirs: ['/nfs/team-a_data'],
  showExports: served('/nfs/team-a_data'),
};

describe('volume delete', () => {
  it('ganesha serves it and cannot tell who mounts it: refused without --force (exit 4), nothing runs', async () => {
    const { ctx, mutations } = setup(present);
    const err = await runDelete(ctx, 'team-a/data', { yes: true }).catch((e) => e);
    expect(err.exitCode).toBe(4);
    expect(err.message).toMatch(
      /team-a\/data may be in use:\n  primary: clients unknown: nfs-ganesha cannot tell which NFS clients mount \/nfs\/team-a_data/,
    );
    expect(err.hint).toMatch(/kubectl get pv nfs-team-a\.data.*then add --force/);
    expect(mutations()).toEqual([]);
  });

  it('with --force it goes ahead, and the last lines above the prompt say what is destroyed and what was forced', async () => {
    const { ctx, cap } = setup(present);
    await runDelete(ctx, 'team-a/data', { force: true, dryRun: true });
    const lines = cap.stdout.text.trim().split('\n');
    const tail = lines.slice(-6).join('\n');
    expect(tail).toMatch(
      /Summary:\n  DESTROYS team-a\/data and its data: lvm 1Gi on primary and backup\n  FORCED: primary: clients unknown/,
    );
    expect(tail).toMatch(/FORCED: backup: clients unknown/);
    expect(tail).toMatch(/step\(s\) on primary \(\d+\) and backup \(\d+\); \d+ cannot be undone/);
  });

  it('a volume that does not exist: exit 4; with --ignore-not-found exit 0; nothing runs either way', async () => {
    const { ctx, cap, mutations } = setup({});
    const err = await runDelete(ctx, 'team-a/nope', { yes: true }).catch((e) => e);
    expect(err.exitCode).toBe(4);
    expect(err.message).toBe('team-a/nope does not exist on either host: nothing to delete');
    expect(err.hint).toContain('--ignore-not-found');
    await runDelete(ctx, 'team-a/nope', { yes: true, ignoreNotFound: true });
    expect(cap.stdout.text).toContain('team-a/nope does not exist on either host');
    expect(mutations()).toEqual([]);
  });
});
