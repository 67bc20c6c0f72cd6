// Day one on an existing pair, on the netns tier (LVM metadata only, no kernel nfsd: exportfs
// keeps its table in /var/lib/nfs/etab; the vm tier covers real mounts and a kernel client).
// The old provisioning service's layout on both hosts: an untagged LV per volume, its
// directory at /nfs/{namespace}{name}, its fstab entry, a line in /etc/exports. `volume list`
// and `health` show them as unmanaged; each inconsistent one is refused with the difference
// and nothing changes; `volume adopt --all --map` takes over the consistent one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labExec, labExecOk, NS, VIP, vipHolders, waitFor } from './helpers.js';

const CFG = '/etc/nfsctl/adopt.yaml'; // the lab's config with nfs.server: kernel (the old lines are kernel exports)
const nfsctl = (args: string[], host: 'primary' | 'backup' = 'primary') =>
  labExec(host, ['nfsctl', '-c', CFG, ...args], { timeoutMs: 120_000 });
const OPTS = 'rw,sync,no_root_squash,no_subtree_check';
const LVM = "--config 'global { activation = 0 }'";
const VOLS = ['teamadata', 'teambweb', 'teamcweb', 'plaindir'];
// This tier has no kernel nfsd: ganesha stands in for it and serves /nfs/teamadata on both hosts
// from a static EXPORT in ganesha.conf (outside nfsctl's files), so a client writes through the
// VIP into the very directory the kernel export lines name. With nfs.server: kernel, nfsctl's
// freeze stops the NFS service (nfs-ganesha here) and its start serves the export again, as
// stopping and starting nfsd would.
const STANDIN_BEGIN = '# adopt-test stand-in for kernel nfsd: begin';
const STANDIN = [
  STANDIN_BEGIN,
  'EXPORT { Export_Id = 9017; Path = /nfs/teamadata; Pseudo = /nfs/teamadata; Access_Type = RW; Squash = No_Root_Squash; SecType = sys; Protocols = 3, 4; Transports = TCP; FSAL { Name = VFS; } }',
  '# adopt-test stand-in: end',
].join('\n');
const dropStandin = `sed -i '/^# adopt-test stand-in for kernel nfsd: begin$/,/^# adopt-test stand-in: end$/d' /etc/ganesha/ganesha.conf`;
const URL = `nfs://${VIP}/nfs/teamadata`;
// the old service's backup pull (no cron daemon runs in the lab: the line is only read and edited)
const OLD_PULL = '*/15 * * * * root rsync -a --delete 198.51.100.11::nfs /nfs >/var/log/old-pull.log 2>&1';
const OLD_CRON = `# old provisioning service: pull the volumes every 15 minutes\nMAILTO=root\n${OLD_PULL}\n`;
/** sha256 of every file of the adopted volume on one host, sorted by name. */
const sums = (h: 'primary' | 'backup') =>
  labExecOk(h, ['bash', '-c', 'cd /nfs/teamadata && find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2']);

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
      `lvremove ${LVM} -q -y vgnfs/${d} >/dev/null 2>&1; rm -rf -- /nfs/${d}; sed -i -e '\\#/nfs/${d} #d' /etc/fstab /etc/exports; [ -f /etc/exports.d/nfsctl.exports ] && sed -i '\\#/nfs/${d} #d' /etc/exports.d/nfsctl.exports`,
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
          ...(h === 'backup'
            ? [
                'cp -p /etc/cron.d/nfsctl-sync /tmp/adopt-nfsctl-sync.orig',
                `printf '%s' '${OLD_CRON}' > /etc/cron.d/nfs-backup`,
              ]
            : []),
          'exportfs -ra',
          dropStandin,
          `printf '%s\\n' '${STANDIN}' >> /etc/ganesha/ganesha.conf`,
          'labsvc restart nfs-ganesha >/dev/null',
        ].join('\n'),
      ]);
    }
    await nfsctl(['lock', 'break', '--yes']);
    // a client's file from before the adoption, written through the VIP (the old cron pull has not run)
    await waitFor(
      async () =>
        (
          await labExec('client', [
            'bash',
            '-c',
            `head -c 65536 /dev/urandom > /tmp/adopt-before && timeout -k 1 10 nfs-cp /tmp/adopt-before ${URL}/before.bin`,
          ])
        ).exitCode === 0,
      60_000, // ganesha was just restarted on both hosts
    );
  }, 120_000);
  afterAll(async () => {
    // a failed handover test may leave the VIP on the backup: hand it back first
    if ((await vipHolders()).join() !== 'primary') await nfsctl(['failback', '--yes']);
    for (const h of ['primary', 'backup'] as const)
      await labExec(h, [
        'bash',
        '-c',
        `${teardown}\nrm -f ${CFG} /etc/cron.d/nfs-backup\n[ -f /tmp/adopt-nfsctl-sync.orig ] && mv /tmp/adopt-nfsctl-sync.orig /etc/cron.d/nfsctl-sync\n${dropStandin}\nlabsvc restart nfs-ganesha >/dev/null`,
      ]);
  }, 180_000);

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

  it('on the adopted volume, resize, sync, switchover and failback lose nothing a client wrote through the VIP before and during them', async () => {
    // the client writes a numbered file every 0.1 s through the VIP; each write it saw succeed must survive
    const writer = labExec(
      'client',
      [
        'bash',
        '-c',
        `rm -f /tmp/adopt-stop /tmp/adopt-writes; i=0; while [ ! -e /tmp/adopt-stop ] && [ $i -lt 3000 ]; do i=$((i+1)); head -c 2048 /dev/urandom > /tmp/adopt-w; if timeout -k 1 10 nfs-cp /tmp/adopt-w ${URL}/w$i >/dev/null 2>&1; then echo "$(sha256sum < /tmp/adopt-w | cut -d' ' -f1)  ./w$i" >> /tmp/adopt-writes; fi; sleep 0.1; done`,
      ],
      { timeoutMs: 600_000 },
    );
    const okWrites = async () =>
      (await labExec('client', ['bash', '-c', 'cat /tmp/adopt-writes 2>/dev/null'])).stdout.split('\n').filter(Boolean);
    const moreWrites = async () => {
      const n = (await okWrites()).length;
      await waitFor(async () => (await okWrites()).length >= n + 3, 30_000);
    };
    try {
      await moreWrites();
      const resize = await nfsctl(['volume', 'resize', 'team-a/data', '-s', '64Mi', '--yes']);
      expect(resize.exitCode, resize.stdout + resize.stderr).toBe(0);
      for (const h of ['primary', 'backup'] as const) {
        const lv = await labExecOk(h, ['bash', '-c', `lvs ${LVM} --noheadings --units b -o lv_size vgnfs/teamadata`]);
        expect(lv.trim()).toBe('67108864B');
      }
      const sync = await nfsctl(['sync', '--yes']);
      expect(sync.exitCode, sync.stdout + sync.stderr).toBe(0);
      expect((await labExecOk('backup', ['sha256sum', '/nfs/teamadata/before.bin'])).split(' ')[0]).toBe(
        (await labExecOk('primary', ['sha256sum', '/nfs/teamadata/before.bin'])).split(' ')[0],
      );
      await moreWrites();
      const sw = await nfsctl(['switchover', '--yes']);
      expect(sw.exitCode, sw.stdout + sw.stderr).toBe(0);
      expect(await vipHolders()).toEqual(['backup']);
      await moreWrites(); // served by the backup now
      const fb = await nfsctl(['failback', '--yes']);
      expect(fb.exitCode, fb.stdout + fb.stderr).toBe(0);
      expect(await vipHolders()).toEqual(['primary']);
      await moreWrites();
    } finally {
      await labExec('client', ['touch', '/tmp/adopt-stop']);
      await writer;
    }
    // what the primary took after the failback's final copy reaches the backup with the next sync
    const last = await nfsctl(['sync', '--yes']);
    expect(last.exitCode, last.stdout + last.stderr).toBe(0);
    const [p, b] = [await sums('primary'), await sums('backup')];
    expect(b).toBe(p);
    const written = await okWrites();
    expect(written.length).toBeGreaterThanOrEqual(12);
    const have = new Set(p.split('\n'));
    expect(written.filter((w) => !have.has(w))).toEqual([]);
    expect(p).toContain(`./before.bin`);
    const list = JSON.parse((await nfsctl(['volume', 'list', '--json'])).stdout) as {
      volumes: { id: string; sizeBytes?: number; drift: string[] }[];
    };
    expect(list.volumes.find((v) => v.id === 'team-a/data')).toMatchObject({ sizeBytes: 67108864, drift: [] });
  }, 300_000);

  it('--replace-cron: refused while the old pull still copies unadopted volumes; then turns off exactly its line and installs the sync timer', async () => {
    const cronState = () =>
      labExecOk('backup', ['bash', '-c', 'cat /etc/cron.d/nfs-backup; echo ==; cat /etc/cron.d/nfsctl-sync']);
    const before = await cronState();
    const refused = await nfsctl(['volume', 'adopt', '--all', '--replace-cron', '--yes']);
    expect(refused.exitCode, refused.stdout + refused.stderr).toBe(4);
    expect(refused.stderr).toMatch(/--replace-cron: the old pull still copies .*\/nfs\/teambweb.*nothing was changed/);
    expect(await cronState()).toBe(before);
    // the operator settles the inconsistent ones (here: they go); teamadata is adopted already
    for (const h of ['primary', 'backup'] as const)
      await labExecOk(h, [
        'bash',
        '-c',
        ['teambweb', 'teamcweb', 'plaindir']
          .map(
            (d) =>
              `lvremove ${LVM} -q -y vgnfs/${d} >/dev/null 2>&1; rm -rf -- /nfs/${d}; sed -i -e '\\#/nfs/${d} #d' /etc/fstab /etc/exports`,
          )
          .concat('exportfs -ra')
          .join('\n'),
      ]);
    const r = await nfsctl(['volume', 'adopt', '--all', '--replace-cron', '--yes']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('turned off the old rsync pull at backup:/etc/cron.d/nfs-backup line 3');
    const [oldFile, timer] = (await cronState()).split('==\n');
    expect(oldFile).toBe(
      OLD_CRON.replace(
        `${OLD_PULL}\n`,
        `# nfsctl: the old rsync pull below is off; nfsctl sync runs from /etc/cron.d/nfsctl-sync instead (volume adopt --replace-cron)\n#${OLD_PULL}\n`,
      ),
    );
    expect(timer).toMatch(
      /^\*\/15 \* \* \* \* root \/usr\/local\/sbin\/nfsctl sync --yes --json >> \/var\/log\/nfsctl\/sync\.log 2>&1$/m,
    );
    // health sees the timer installed with rsync.interval's schedule
    const h = JSON.parse((await nfsctl(['health', '--json'])).stdout) as { checks: { id: string; status: string }[] };
    expect(h.checks.find((c) => c.id === 'sync-timer')).toMatchObject({ status: 'ok' });
  }, 120_000);
});

// ROX on the lab's own config (ganesha, xfsquota): the export is read-only for a real client.
describe.sequential(`ROX volume on lab ${NS}`, () => {
  const ROX = 'team-r/ro';
  const PATH = '/nfs/team-r_ro';
  const main = (args: string[]) => labExec('primary', ['nfsctl', ...args], { timeoutMs: 120_000 });
  afterAll(async () => {
    await main(['volume', 'delete', ROX, '--yes', '--force', '--ignore-not-found']);
  }, 120_000);

  it('--access-mode ROX: ganesha serves it Access_Type = RO, a client reads through the VIP and cannot write; the PV says readOnly', async () => {
    const r = await main([
      'volume',
      'create',
      ROX,
      '-s',
      '16M',
      '--access-mode',
      'ROX',
      '--yes',
      '--output',
      'pv-json',
    ]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const pv = JSON.parse(r.stdout) as { spec: { accessModes: string[]; nfs: { readOnly?: boolean } } };
    expect(pv.spec.accessModes).toEqual(['ReadOnlyMany']);
    expect(pv.spec.nfs.readOnly).toBe(true);
    for (const h of ['primary', 'backup'] as const)
      expect(
        await labExecOk(h, ['bash', '-c', `cat /etc/ganesha/nfsctl/*.conf | grep -c 'Access_Type = RO;'`]),
      ).not.toBe('0');
    await labExecOk('primary', ['bash', '-c', `echo readable > ${PATH}/r.txt`]);
    const url = `nfs://${VIP}${PATH}`;
    const read = await labExec('client', ['timeout', '-k', '1', '20', 'nfs-cat', `${url}/r.txt`]);
    expect(read.stdout, read.stderr).toBe('readable\n');
    const write = await labExec('client', [
      'bash',
      '-c',
      `echo no > /tmp/rox-w && timeout -k 1 20 nfs-cp /tmp/rox-w ${url}/w.txt`,
    ]);
    expect(write.exitCode, write.stdout + write.stderr).not.toBe(0);
    expect((await labExec('primary', ['test', '-e', `${PATH}/w.txt`])).exitCode).not.toBe(0);
    const show = await main(['volume', 'show', ROX, '--output', 'pv-json']);
    expect(JSON.parse(show.stdout).spec).toMatchObject({ accessModes: ['ReadOnlyMany'], nfs: { readOnly: true } });
  }, 120_000);
});
