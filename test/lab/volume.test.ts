// Volumes on the real lab pair: nfsctl runs ON the primary, as an operator would, against
// real xfs_quota, LVM (metadata only in this tier), Ceph RBD and nfs-ganesha.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { labExec, labExecOk, fault, undoFault, labFacts } from './helpers.js';

// What this machine's kernel allows in the netns tier (the vm tier covers the rest).
let quota = false;
const ALL = [
  'lab-a/data',
  'lab-a/meta',
  'lab-a/blk',
  'lab-a/racer',
  'lab-a/racer2',
  'lab-b/half',
  'lab-a/legacy',
  'lab-a/opts',
];
beforeAll(async () => {
  quota = (await labFacts()).xfs_prjquota === 'yes';
  for (const v of ALL) await nfsctl(['volume', 'delete', v, '--yes', '--force']);
});

const nfsctl = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) =>
  labExec('primary', ['nfsctl', ...args], { timeoutMs: 120_000, ...opts });
const VIP = '198.51.100.100';

async function listJson() {
  const r = await nfsctl(['volume', 'list', '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    volumes: {
      id: string;
      backend: string;
      sizeBytes: number;
      drift: string[];
      labels: Record<string, string>;
      createdBy: string;
      hosts: Record<string, { present: boolean; served: boolean; configured: boolean; usedBytes: number | null }>;
    }[];
  };
}

afterAll(async () => {
  for (const v of ALL) await nfsctl(['volume', 'delete', v, '--yes', '--force']);
});

describe('xfsquota volumes, real data path', () => {
  it('ganesha: export options become the EXPORT block (insecure, anonuid/anongid, sec=sys), the real ganesha serves it, the client writes', async () => {
    const r = await nfsctl([
      'volume',
      'create',
      'lab-a/opts',
      '--size',
      '64M',
      '--backend',
      'xfsquota',
      '--options',
      'rw,sync,no_root_squash,no_subtree_check,insecure,anonuid=1000,anongid=1000,sec=sys',
      '--yes',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const h of ['primary', 'backup'] as const) {
      const block = await labExecOk(h, ['sh', '-c', 'cat /etc/ganesha/nfsctl/*.conf']);
      expect(block, h).toContain('Anonymous_Uid = 1000;');
      expect(block, h).toContain('Anonymous_Gid = 1000;');
      expect(block, h).toContain('PrivilegedPort = false;');
    }
    const v = (await listJson()).volumes.find((x) => x.id === 'lab-a/opts')!;
    expect(v.hosts.primary).toMatchObject({ present: true, served: true });
    expect(v.hosts.backup).toMatchObject({ present: true, served: true });
    await labExecOk('client', [
      'sh',
      '-c',
      `echo opts > /tmp/o && nfs-cp /tmp/o "nfs://${VIP}/nfs/lab-a_opts/o?version=3"`,
    ]);
    expect(await labExecOk('primary', ['cat', '/nfs/lab-a_opts/o'])).toBe('opts\n');
    expect((await nfsctl(['volume', 'delete', 'lab-a/opts', '--yes', '--force'])).exitCode).toBe(0);
  });

  it('creates on both hosts, prints a PV, and the client writes through the VIP', async () => {
    const r = await nfsctl([
      'volume',
      'create',
      'lab-a/data',
      '--size',
      '64M',
      '--backend',
      'xfsquota',
      '--label',
      'tier=gold',
      '--output',
      'pv-yaml',
      '--yes',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('kind: PersistentVolume');
    // a YAML 1.1 reader (kubectl's) reads the VIP back as a string (unquoted it is a 1.1 float)
    expect((parse(r.stdout, { version: '1.1' }) as { spec: { nfs: { server: unknown } } }).spec.nfs.server).toBe(VIP);
    expect(r.stdout).toContain('path: /nfs/lab-a_data');
    expect(r.stdout).toContain('storage: 64Mi');
    expect(r.stdout).toContain('tier: gold');
    // both hosts have the directory (with its quota where the kernel has XFS quota: df inside shows the volume's size)
    for (const h of ['primary', 'backup'] as const) {
      expect((await labExec(h, ['test', '-d', '/nfs/lab-a_data'])).exitCode).toBe(0);
      if (!quota) continue;
      const df = await labExecOk(h, ['df', '-B1', '--output=size', '/nfs/lab-a_data']);
      expect(Number(df.trim().split('\n')[1])).toBe(64 * 2 ** 20);
    }
    const list = await listJson();
    const v = list.volumes.find((x) => x.id === 'lab-a/data')!;
    expect(v).toMatchObject({ backend: 'xfsquota', sizeBytes: 64 * 2 ** 20, labels: { tier: 'gold' }, drift: [] });
    expect(v.hosts.primary).toMatchObject({ present: true, served: true });
    expect(v.hosts.backup).toMatchObject({ present: true, served: true });
    // the client writes and reads through the VIP
    await labExecOk('client', [
      'sh',
      '-c',
      `echo hello-through-vip > /tmp/f && nfs-cp /tmp/f "nfs://${VIP}/nfs/lab-a_data/f?version=3"`,
    ]);
    expect(await labExecOk('client', ['nfs-cat', `nfs://${VIP}/nfs/lab-a_data/f?version=3`])).toBe(
      'hello-through-vip\n',
    );
    expect(await labExecOk('primary', ['cat', '/nfs/lab-a_data/f'])).toBe('hello-through-vip\n');
  });

  it('writing past the size fails with a quota error (needs XFS quota in the kernel: vm tier otherwise)', async (t) => {
    if (!quota) t.skip();
    const r = await labExec(
      'client',
      ['sh', '-c', `head -c 80M /dev/zero > /tmp/big && nfs-cp /tmp/big "nfs://${VIP}/nfs/lab-a_data/big?version=3"`],
      { timeoutMs: 120_000 },
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/quota|EDQUOT|No space|NFS3ERR_DQUOT|NFS3ERR_NOSPC/i);
  });

  it('grows, refuses to shrink, and deletes on both hosts', async () => {
    expect((await nfsctl(['volume', 'resize', 'lab-a/data', '--size', '128M', '--yes'])).exitCode).toBe(0);
    expect((await listJson()).volumes.find((x) => x.id === 'lab-a/data')!.sizeBytes).toBe(128 * 2 ** 20);
    if (quota) {
      const df = await labExecOk('backup', ['df', '-B1', '--output=size', '/nfs/lab-a_data']);
      expect(Number(df.trim().split('\n')[1])).toBe(128 * 2 ** 20);
    }
    const shrink = await nfsctl(['volume', 'resize', 'lab-a/data', '--size', '32M', '--yes']);
    expect(shrink.exitCode).toBe(2);
    expect(shrink.stderr).toContain('refusing to shrink');
    // nfs-ganesha cannot tell who mounts it: refused without --force, the reason last
    const refused = await nfsctl(['volume', 'delete', 'lab-a/data', '--yes']);
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toMatch(/may be in use:\n  primary: clients unknown: nfs-ganesha cannot tell/);
    const del = await nfsctl(['volume', 'delete', 'lab-a/data', '--yes', '--force']);
    expect(del.exitCode, del.stderr).toBe(0);
    for (const h of ['primary', 'backup'] as const)
      expect((await labExec(h, ['test', '-e', '/nfs/lab-a_data'])).exitCode).toBe(1);
    expect((await listJson()).volumes.find((x) => x.id === 'lab-a/data')).toBeUndefined();
    // deleting again: not found is exit 4, or 0 with --ignore-not-found (scripts)
    const again = await nfsctl(['volume', 'delete', 'lab-a/data', '--yes']);
    expect(again.exitCode).toBe(4);
    expect(again.stderr).toContain('does not exist on either host');
    const ignored = await nfsctl(['volume', 'delete', 'lab-a/data', '--yes', '--ignore-not-found']);
    expect(ignored.exitCode).toBe(0);
    expect(ignored.stdout).toContain('does not exist on either host');
  });
});

describe("volume delete removes only what carries nfsctl's metadata", () => {
  const hosts = ['primary', 'backup'] as const;
  it('an unowned directory at the volume path survives delete --yes; an owned one next to it is deleted', async () => {
    for (const h of hosts)
      await labExecOk(h, ['sh', '-c', 'mkdir -p /nfs/lab-c_scratch && echo precious > /nfs/lab-c_scratch/f']);
    try {
      const r = await nfsctl(['volume', 'delete', 'lab-c/scratch', '--yes']);
      expect(r.exitCode, r.stderr).toBe(4);
      expect(r.stderr).toContain('nfsctl deletes only what carries its own metadata');
      expect(r.stderr).toContain('primary: /nfs/lab-c_scratch exists and is not empty');
      for (const h of hosts) expect(await labExecOk(h, ['cat', '/nfs/lab-c_scratch/f'])).toBe('precious\n');
      // a metadata record planted by hand (no XFS project on the directory): the plan goes
      // ahead, and the check on the host itself (xfs_io lsproj on the real XFS) refuses the rm
      const rec = JSON.stringify({
        v: 1,
        namespace: 'lab-c',
        name: 'scratch',
        labels: {},
        createdAt: '2026-01-01T00:00:00Z',
        createdBy: 'x',
        backend: 'xfs',
        size: 1048576,
      });
      for (const h of hosts)
        await labExecOk(
          h,
          ['sh', '-c', 'mkdir -p /nfs/.nfsctl/meta && cat > /nfs/.nfsctl/meta/pv.lab-c.scratch.json'],
          { input: rec + '\n' },
        );
      const planted = await nfsctl(['volume', 'delete', 'lab-c/scratch', '--yes']);
      expect(planted.exitCode).not.toBe(0);
      expect(planted.stderr).toMatch(/refusing to delete \/nfs\/lab-c_scratch: its XFS project id is 0, not \d+/);
      for (const h of hosts) expect(await labExecOk(h, ['cat', '/nfs/lab-c_scratch/f'])).toBe('precious\n');
      for (const h of hosts) await labExecOk(h, ['rm', '-f', '/nfs/.nfsctl/meta/pv.lab-c.scratch.json']);
      // an owned volume is deleted
      expect(
        (await nfsctl(['volume', 'create', 'lab-c/owned', '--size', '16M', '--backend', 'xfsquota', '--yes'])).exitCode,
      ).toBe(0);
      for (const h of hosts) await labExecOk(h, ['sh', '-c', 'echo data > /nfs/lab-c_owned/f']);
      const del = await nfsctl(['volume', 'delete', 'lab-c/owned', '--yes', '--force']); // ganesha cannot tell who mounts it: --force (ownership is checked all the same)
      expect(del.exitCode, del.stderr).toBe(0);
      for (const h of hosts) expect((await labExec(h, ['test', '-e', '/nfs/lab-c_owned'])).exitCode).toBe(1);
    } finally {
      for (const h of hosts)
        await labExec(h, ['rm', '-rf', '/nfs/lab-c_scratch', '/nfs/.nfsctl/meta/pv.lab-c.scratch.json']);
      await nfsctl(['volume', 'delete', 'lab-c/owned', '--yes', '--force']);
    }
  });
});

describe('an export ganesha serves under another Export_Id (added by hand or by an older tool)', () => {
  it('unexport removes it under the id ganesha reports, not the one nfsctl would pick', async () => {
    const c = await nfsctl(['volume', 'create', 'lab-a/legacy', '--size', '16M', '--backend', 'xfsquota', '--yes']);
    expect(c.exitCode, c.stderr).toBe(0);
    // re-export the path on the primary under Export_Id 60123
    const swap = `set -e
id=$(sed -n 's/.*Export_Id *= *\\([0-9]*\\).*/\\1/p' /etc/ganesha/nfsctl/pv.lab-a.legacy.conf | head -1)
d='dbus-send --system --print-reply --dest=org.ganesha.nfsd /org/ganesha/nfsd/ExportMgr'
$d org.ganesha.nfsd.exportmgr.RemoveExport uint16:$id >/dev/null
printf '%s\\n' 'EXPORT { Export_Id = 60123; Path = /nfs/lab-a_legacy; Pseudo = /nfs/lab-a_legacy; Protocols = 3; Access_Type = RW; Squash = No_Root_Squash; FSAL { Name = VFS; } }' > /tmp/legacy.conf
$d org.ganesha.nfsd.exportmgr.AddExport string:/tmp/legacy.conf 'string:EXPORT(Export_Id=60123)' >/dev/null
$d org.ganesha.nfsd.exportmgr.ShowExports`;
    expect(await labExecOk('primary', ['sh', '-c', swap])).toMatch(/uint16 60123\s+string "\/nfs\/lab-a_legacy"/);
    const u = await nfsctl(['volume', 'unexport', 'lab-a/legacy', '--yes']);
    expect(u.exitCode, u.stderr).toBe(0);
    const show = await labExecOk('primary', [
      'dbus-send',
      '--system',
      '--print-reply',
      '--dest=org.ganesha.nfsd',
      '/org/ganesha/nfsd/ExportMgr',
      'org.ganesha.nfsd.exportmgr.ShowExports',
    ]);
    expect(show).not.toContain('/nfs/lab-a_legacy');
    expect((await nfsctl(['volume', 'delete', 'lab-a/legacy', '--yes'])).exitCode).toBe(0);
  });
});

describe('lvm volumes (metadata only in the netns tier) exported by ganesha', () => {
  it('creates a tagged LV on both hosts and lists it back from the tags', async () => {
    const r = await nfsctl(['volume', 'create', 'lab-a/meta', '--size', '100M', '--backend', 'lvm', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const h of ['primary', 'backup'] as const) {
      const lvs = JSON.parse(
        await labExecOk(h, [
          'lvs',
          '--reportformat',
          'json',
          '--units',
          'b',
          '--nosuffix',
          '-o',
          'lv_name,lv_size,lv_tags',
          'vgnfs',
        ]),
      );
      const lv = lvs.report[0].lv.find((l: { lv_name: string }) => l.lv_name === 'pv.lab-a.meta');
      expect(lv.lv_size).toBe(String(100 * 2 ** 20));
      expect(lv.lv_tags).toContain('nfsctl');
    }
    const v = (await listJson()).volumes.find((x) => x.id === 'lab-a/meta')!;
    expect(v).toMatchObject({ backend: 'lvm', sizeBytes: 100 * 2 ** 20 });
    expect(v.createdBy).toMatch(/@primary$/);
    // ganesha serves it: the client lists it through the VIP
    expect((await labExec('client', ['nfs-ls', `nfs://${VIP}/nfs/lab-a_meta?version=3`])).exitCode).toBe(0);
    expect((await nfsctl(['volume', 'resize', 'lab-a/meta', '--size', '200M', '--yes'])).exitCode).toBe(0);
    const size = await labExecOk('backup', [
      'lvs',
      '--noheadings',
      '--units',
      'b',
      '--nosuffix',
      '-o',
      'lv_size',
      'vgnfs/pv.lab-a.meta',
    ]);
    expect(size.trim()).toBe(String(200 * 2 ** 20));
    expect((await nfsctl(['volume', 'delete', 'lab-a/meta', '--yes', '--force'])).exitCode).toBe(0);
    expect((await labExec('backup', ['lvs', 'vgnfs/pv.lab-a.meta'])).exitCode).not.toBe(0);
  });
});

describe('rbd volumes against the lab Ceph', () => {
  it('creates the image once with its metadata, grows it and removes it', async () => {
    const r = await nfsctl(['volume', 'create', 'lab-a/blk', '--size', '64M', '--backend', 'rbd', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    const info = JSON.parse(await labExecOk('backup', ['rbd', 'info', '--format', 'json', 'rbd/pv.lab-a.blk']));
    expect(info.size).toBe(64 * 2 ** 20);
    expect(info.features).toEqual(['layering']);
    const meta = JSON.parse(await labExecOk('backup', ['rbd', 'image-meta', 'get', 'rbd/pv.lab-a.blk', 'nfsctl.meta']));
    expect(meta).toMatchObject({ namespace: 'lab-a', name: 'blk', size: 64 * 2 ** 20 });
    expect((await listJson()).volumes.find((x) => x.id === 'lab-a/blk')).toMatchObject({ backend: 'rbd' });
    expect((await nfsctl(['volume', 'resize', 'lab-a/blk', '--size', '128M', '--yes'])).exitCode).toBe(0);
    expect(JSON.parse(await labExecOk('primary', ['rbd', 'info', '--format', 'json', 'rbd/pv.lab-a.blk'])).size).toBe(
      128 * 2 ** 20,
    );
    expect((await nfsctl(['volume', 'delete', 'lab-a/blk', '--yes', '--force'])).exitCode).toBe(0);
    expect((await labExec('primary', ['rbd', 'info', 'rbd/pv.lab-a.blk'])).exitCode).not.toBe(0);
  });
});

describe('faults during volume changes', () => {
  it('refuses before any change when the backup volume group is full', async () => {
    await fault('fill-vg', 'backup');
    try {
      const r = await nfsctl(['volume', 'create', 'lab-a/meta', '--size', '100M', '--backend', 'lvm', '--yes']);
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toMatch(/backup: vgnfs has .* free, needs 100Mi/);
      expect((await labExec('primary', ['lvs', 'vgnfs/pv.lab-a.meta'])).exitCode).not.toBe(0);
    } finally {
      await undoFault('fill-vg', 'backup');
    }
  });

  it('rolls the primary back when the backup vanishes mid-create, and says what state each host is in', async () => {
    // The backup "vanishes" in the middle of the plan: the first time nfsctl asks it for an
    // XFS project, a wrapper stops sshd and kills every sshd of that host (our session too).
    const wrapper = [
      '#!/bin/sh',
      'case "$*" in *"project -s"*) ;; *) exec /usr/sbin/xfs_quota "$@" ;; esac',
      'rm -f /usr/local/sbin/xfs_quota',
      'labsvc stop sshd >/dev/null 2>&1',
      'me=$(readlink /proc/self/ns/net)',
      'for p in $(pgrep -x sshd); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] && kill -KILL "$p"; done',
      'sleep 30',
    ].join('\n');
    await labExecOk('backup', ['sh', '-c', 'cat > /usr/local/sbin/xfs_quota && chmod 755 /usr/local/sbin/xfs_quota'], {
      input: wrapper + '\n',
    });
    try {
      const r = await nfsctl(['volume', 'create', 'lab-b/half', '--size', '64M', '--backend', 'xfsquota', '--yes']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/backup: UNKNOWN: lost contact during "make \/nfs\/lab-b_half XFS project/);
      expect(r.stderr).toMatch(/primary: rolled back/);
      expect(r.stderr).toContain('nfsctl volume delete lab-b/half');
      // the primary is back as before
      expect((await labExec('primary', ['test', '-e', '/nfs/lab-b_half'])).exitCode).toBe(1);
    } finally {
      await labExec('backup', ['rm', '-f', '/usr/local/sbin/xfs_quota']);
      await labExec('backup', ['labsvc', 'start', 'sshd']);
    }
    // the backup's half of the pair lock could not be released: it is reported stale and broken
    const lock = await nfsctl(['lock', 'status']);
    expect(lock.stdout).toMatch(/backup: locked by .* STALE/);
    expect((await nfsctl(['lock', 'break', '--yes'])).exitCode).toBe(0);
    // and the suggested clean-up finishes the job on the backup
    const clean = await nfsctl(['volume', 'delete', 'lab-b/half', '--yes']);
    expect(clean.exitCode, clean.stderr).toBe(0);
    expect((await labExec('backup', ['test', '-e', '/nfs/lab-b_half'])).exitCode).toBe(1);
  });

  it('refuses to start when the backup is unreachable, changing nothing', async () => {
    await fault('stop-sshd', 'backup');
    try {
      const r = await nfsctl(['volume', 'create', 'lab-b/half', '--size', '64M', '--backend', 'xfsquota', '--yes']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/backup/);
      expect((await labExec('primary', ['test', '-e', '/nfs/lab-b_half'])).exitCode).toBe(1);
    } finally {
      await undoFault('stop-sshd', 'backup');
    }
  });

  it('two creates at the same time: one runs, the other fails fast with exit code 3', async () => {
    const [a, b] = await Promise.all([
      nfsctl(['volume', 'create', 'lab-a/racer', '--size', '16M', '--backend', 'xfsquota', '--yes']),
      labExec(
        'backup',
        ['nfsctl', 'volume', 'create', 'lab-a/racer2', '--size', '16M', '--backend', 'xfsquota', '--yes'],
        { timeoutMs: 120_000 },
      ),
    ]);
    const codes = [a.exitCode, b.exitCode].sort();
    expect(codes).toEqual([0, 3]);
    const loser = a.exitCode === 3 ? a : b;
    expect(loser.stderr).toMatch(/the pair is locked: .* locked by root@(primary|backup) pid \d+/);
    expect(loser.stderr).toContain('nfsctl lock status');
  });

  it('bad names, sizes and options are rejected with exit 2 and nothing runs', async () => {
    const before = await labExecOk('primary', [
      'sh',
      '-c',
      'wc -l < /var/log/nfsctl/audit.jsonl 2>/dev/null || echo 0',
    ]);
    const bad: string[][] = [
      ['volume', 'create', 'Team-A/data', '--size', '1G'],
      ['volume', 'create', 'team-a/da$(id)ta', '--size', '1G'],
      ['volume', 'create', 'team-a/../etc', '--size', '1G'],
      ['volume', 'create', 'team a/data', '--size', '1G'],
      ['volume', 'create', 'team-a/dätä', '--size', '1G'],
      ['volume', 'create', 'team-a/', '--size', '1G'],
      ['volume', 'create', `${'a'.repeat(64)}/data`, '--size', '1G'],
      ['volume', 'create', 'team-a/data', '--size', '0'],
      ['volume', 'create', 'team-a/data', '--size', '-1G'],
      ['volume', 'create', 'team-a/data', '--size', '0.1K'],
      ['volume', 'create', 'team-a/data', '--size', '10GB'],
      ['volume', 'create', 'team-a/data', '--size', '9999P'],
      ['volume', 'create', 'team-a/data', '--size', '1G', '--options', 'rw,bogus'],
      ['volume', 'create', 'team-a/data', '--size', '1G', '--options', 'rw,ro'],
      ['volume', 'create', 'team-a/data', '--size', '1G', '--options', 'rw,fsid=7'],
      ['volume', 'create', 'team-a/data', '--size', '1G', '--options', 'rw,xprtsec=tls'],
      ['volume', 'create', 'team-a/data', '--size', '1G', '--label', 'app.kubernetes.io/managed-by=me'],
      ['volume', 'create', 'team-a/data', '--size', '1G', '--clients', '10.0.0.0/8;reboot'],
      ['volume', 'create', 'team-a/data', '--size', '1G', '--label', 'bad key=v'],
      ['volume', 'create', 'team-a/data', '--size', '1G', '--backend', 'zfs'],
    ];
    for (const args of bad) {
      const r = await nfsctl([...args, '--yes']);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.length).toBeGreaterThan(10);
    }
    const after = await labExecOk('primary', ['sh', '-c', 'wc -l < /var/log/nfsctl/audit.jsonl 2>/dev/null || echo 0']);
    expect(after.trim()).toBe(before.trim());
  });
});
