// Day one on an existing pair, on the netns tier (LVM metadata only, no kernel nfsd: exportfs
// keeps its table in /var/lib/nfs/etab; the vm tier covers real mounts and a kernel client).
// The old provisioning service's layout on both hosts: an untagged LV per volume, its
// directory at /nfs/{namespace}{name}, its fstab entry, a line in /etc/exports. `volume list`
// and `health` show them as unmanaged; each inconsistent one is refused with the difference
// and nothing changes; `volume adopt --all --map` takes over the consistent one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labExec, labExecOk, NS } from './helpers.js';

const CFG = '/etc/nfsctl/adopt.yaml'; // the lab's config with nfs.server: kernel (the old lines are kernel exports)
const nfsctl = (args: string[], host: 'primary' | 'backup' = 'primary') =>
  labExec(host, ['nfsctl', '-c', CFG, ...args], { timeoutMs: 120_000 });
const OPTS = 'rw,sync,no_root_squash,no_subtree_check';
const LVM = "--config 'global { activation = 0 }'";
const VOLS = ['teamadata', 'teambweb', 'teamcweb', 'plaindir'];

/** Shell that builds one old-style volume on this host. */
const old = (dir: string, o: { lv?: boolean; opts?: string } = {}) =>
  [
    ...(o.lv === false
      ? []
      : [
          `lvcreate ${LVM} -q -y --activate n --zero n -L 32M -n ${dir} vgnfs >/dev/null`,
          `echo '/dev/vgnfs/${dir} /nfs/${dir} xfs defaults 0 0' >> /etc/fstab`,
        ]),
    `mkdir -p /nfs/${dir}`,
    `echo '/nfs/${dir} 198.51.100.0/24(${o.opts ?? OPTS})' >> /etc/exports`,
  ].join('\n');

const teardown = [
  ...VOLS.map(
    (d) =>
      `lvremove ${LVM} -q -y vgnfs/${d} >/dev/null 2>&1; rmdir /nfs/${d} 2>/dev/null; sed -i -e '\\#/nfs/${d} #d' /etc/fstab /etc/exports; [ -f /etc/exports.d/nfsctl.exports ] && sed -i '\\#/nfs/${d} #d' /etc/exports.d/nfsctl.exports`,
  ),
  "sed -i '/^# nfsctl:team-a\\/data$/d' /etc/fstab; exportfs -ra; true",
].join('\n');

/** What a refusal must not have changed: the tags, fstab, the exports files and the kernel's table, on both hosts. */
const snapshot = async () =>
  Promise.all(
    (['primary', 'backup'] as const).map((h) =>
      labExecOk(h, [
        'bash',
        '-c',
        `lvs ${LVM} --noheadings -o lv_name,lv_tags vgnfs; cat /etc/fstab /etc/exports; cat /etc/exports.d/nfsctl.exports 2>/dev/null; exportfs -v`,
      ]),
    ),
  );

describe.sequential(`volume adopt and unmanaged volumes on lab ${NS}`, () => {
  beforeAll(async () => {
    for (const h of ['primary', 'backup'] as const) {
      await labExecOk(h, [
        'bash',
        '-c',
        // kernel exports, as the old service wrote them; cephfs needs ganesha, so its section goes
        `sed -e 's/^  server: ganesha$/  server: kernel/' -e '/^  cephfs: /d' /etc/nfsctl/config.yaml > ${CFG}; grep -q 'server: kernel' ${CFG}`,
      ]);
      await labExec(h, ['bash', '-c', teardown]);
      await labExecOk(h, [
        'bash',
        '-c',
        [
          'set -e',
          old('teamadata'),
          old('teamcweb', { opts: h === 'backup' ? 'rw,async,no_root_squash,no_subtree_check' : OPTS }),
          old('plaindir', { lv: false }),
          ...(h === 'primary' ? [old('teambweb')] : []),
          'exportfs -ra',
        ].join('\n'),
      ]);
    }
    await nfsctl(['lock', 'break', '--yes']);
  }, 120_000);
  afterAll(async () => {
    for (const h of ['primary', 'backup'] as const) await labExec(h, ['bash', '-c', `${teardown}\nrm -f ${CFG}`]);
  }, 120_000);

  it('volume list and health show every unmanaged volume, marked, with whether both hosts agree', async () => {
    const r = await nfsctl(['volume', 'list', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      volumes: { id: string }[];
      unmanaged: { path: string; kind: string; consistent: boolean; differences: string[] }[];
    };
    const u = Object.fromEntries(doc.unmanaged.map((x) => [x.path, x]));
    expect(u['/nfs/teamadata']).toMatchObject({ kind: 'lv', consistent: true, differences: [] });
    expect(u['/nfs/teambweb']).toMatchObject({
      kind: 'lv',
      consistent: false,
      differences: ['present on primary only'],
    });
    expect(u['/nfs/teamcweb']!.differences).toEqual([
      `export line differs: primary 198.51.100.0/24(${OPTS}), backup 198.51.100.0/24(rw,async,no_root_squash,no_subtree_check)`,
    ]);
    expect(u['/nfs/plaindir']).toMatchObject({ kind: 'dir', consistent: true });
    const text = await nfsctl(['volume', 'list']);
    expect(text.stdout).toMatch(/UNMANAGED \(not nfsctl's\)/);
    expect(text.stdout).toMatch(
      /\/nfs\/teambweb\s+lv\s+32Mi\s+lv teambweb\+exp\s+missing\s+differ: present on primary only/,
    );
    const h = JSON.parse((await nfsctl(['health', '--json'])).stdout) as {
      checks: { id: string; status: string; evidence: string }[];
    };
    const byId = Object.fromEntries(h.checks.map((c) => [c.id, c]));
    expect(byId.unmanaged).toMatchObject({ status: 'warn' });
    expect(byId.unmanaged!.evidence).toMatch(/^\d+ unmanaged \(\d+ consistent on both hosts\): .*\/nfs\/teamadata/);
    expect(byId['unmanaged:/nfs/teambweb']).toMatchObject({ status: 'critical', evidence: 'present on primary only' });
  });

  it('refused with the difference shown and nothing changed: one host only, differing export lines, a plain directory, an ambiguous name', async () => {
    const before = await snapshot();
    const cases: [string[], RegExp][] = [
      [['teamb/web', '--path', '/nfs/teambweb'], /present on primary only/],
      [['teamc/web', '--path', '/nfs/teamcweb'], /export line differs: primary .*\(rw,sync,.*backup .*\(rw,async,/],
      [['plain/dir', '--path', '/nfs/plaindir'], /no logical volume of vgnfs is mounted at \/nfs\/plaindir/],
      [['--all'], /\/nfs\/teamadata: not adopted:\n\s+ambiguous name: "teamadata" splits 8 ways/],
    ];
    for (const [args, why] of cases) {
      const r = await nfsctl(['volume', 'adopt', ...args, '--yes']);
      expect(r.exitCode, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(4);
      expect(r.stderr).toMatch(/nothing was adopted, nothing was changed/);
      expect(r.stderr).toMatch(why);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('adopt --all --map takes over the consistent volume on both hosts; the others are left, listed, exit 4', async () => {
    await labExecOk('primary', ['bash', '-c', "printf '/nfs/teamadata team-a/data\\n' > /tmp/adopt.map"]);
    const r = await nfsctl(['volume', 'adopt', '--all', '--map', '/tmp/adopt.map', '--yes']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toContain('adopted team-a/data: /nfs/teamadata (LV teamadata, no fsid, as before)');
    expect(r.stderr).toMatch(/left as they are:[\s\S]*\/nfs\/teambweb: not adopted/);
    for (const h of ['primary', 'backup'] as const) {
      const st = await labExecOk(h, [
        'bash',
        '-c',
        `lvs ${LVM} --noheadings -o lv_tags vgnfs/teamadata | tr -d ' ' | cut -d, -f1; grep -c '^/nfs/teamadata ' /etc/exports; grep '^/nfs/teamadata ' /etc/exports.d/nfsctl.exports; grep -B1 ' /nfs/teamadata ' /etc/fstab; exportfs -v | grep -A1 '^/nfs/teamadata'`,
      ]).catch((e) => String(e));
      expect(st.split('\n').slice(0, 5)).toEqual([
        'nfsctl',
        '0',
        `/nfs/teamadata 198.51.100.0/24(${OPTS}) # nfsctl:team-a/data`,
        '# nfsctl:team-a/data',
        '/dev/vgnfs/teamadata /nfs/teamadata xfs defaults 0 0',
      ]);
      expect(st).not.toContain('fsid=');
    }
    const doc = JSON.parse((await nfsctl(['volume', 'list', '--json'])).stdout) as {
      volumes: { id: string; path: string; drift: string[]; fsid: string | null }[];
      unmanaged: { path: string }[];
    };
    expect(doc.volumes.find((v) => v.id === 'team-a/data')).toMatchObject({ path: '/nfs/teamadata', fsid: null });
    expect(doc.unmanaged.map((u) => u.path)).not.toContain('/nfs/teamadata');
  });
});
