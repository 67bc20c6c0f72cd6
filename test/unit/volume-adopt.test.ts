// volume adopt and unmanaged volumes, on a pair made the way the old provisioning service
// made it: one untagged LV per volume mounted at /nfs/{namespace}{name}, its fstab entry, a
// line in /etc/exports without fsid=. Refusals change nothing (no command but reads runs).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { Context } from '../../src/cli/context.js';
import { runAdopt } from '../../src/commands/volume/adopt.run.js';
import { runList } from '../../src/commands/volume/list.run.js';
import { pairInventory } from '../../src/volume/inventory.js';
import { mergeVolumes } from '../../src/volume/state.js';
import { planResize, type PairState } from '../../src/volume/plans.js';
import { findUnmanaged, readForeignPair } from '../../src/volume/unmanaged.js';
import { markFstab } from '../../src/volume/adopt.js';
import { parseFstab } from '../../src/core/fstab.js';
import { parseExports } from '../../src/core/exports-file.js';
import { volumeRef } from '../../src/core/names.js';
import { planSteps } from '../../src/plan/plan.js';
import { tempDir, testConfigYaml } from '../support/config.js';
import { captureOutput } from '../support/capture.js';
import { fakeStorageHost, type FakeStorage } from '../support/fake-pair.js';
import { FakeHost } from '../../src/host/fake.js';
import { commentOutCronLine, cronRsyncLines, CRON_OFF_MARKER, restoreCronLine } from '../../src/core/cron-edit.js';
import { runningOldJob } from '../../src/volume/adopt-cron.js';

const G = 2 ** 30;
const OLD_OPTS = 'rw,sync,no_root_squash,no_subtree_check';

interface Old {
  dir: string;
  lv?: string;
  size?: number;
  mounted?: boolean;
  fstab?: boolean;
  exportLine?: string | null;
}

/** One host of an old-style pair holding the given volumes. */
function oldHost(name: string, vols: Old[], extra: FakeStorage = {}): FakeHost {
  const lvs = vols
    .filter((v) => v.lv !== undefined)
    .map((v) => ({ name: v.lv!, size: v.size ?? G, tags: [] as string[] }));
  const mounts = vols
    .filter((v) => v.lv && v.mounted !== false)
    .map((v) => `/dev/mapper/vgnfs-${v.lv} /nfs/${v.dir} xfs rw,relatime 0 0\n`)
    .join('');
  const fstab =
    '# static file system information\nUUID=1234 / ext4 defaults 0 1\n' +
    vols
      .filter((v) => v.lv && v.fstab !== false)
      .map((v) => `/dev/vgnfs/${v.lv} /nfs/${v.dir} xfs defaults,nofail 0 0\n`)
      .join('');
  const exportsTxt =
    '# /etc/exports: written by the provisioning service\n' +
    vols
      .map((v) =>
        v.exportLine === undefined
          ? `/nfs/${v.dir} 198.51.100.0/24(${OLD_OPTS})\n`
          : v.exportLine === null
            ? ''
            : `${v.exportLine}\n`,
      )
      .join('');
  const served = vols
    .filter((v) => v.exportLine !== null)
    .map(
      (v) =>
        `/nfs/${v.dir}\n\t\t198.51.100.0/24(sync,wdelay,hide,no_subtree_check,sec=sys,rw,secure,no_root_squash,no_all_squash)\n`,
    )
    .join('');
  const h = fakeStorageHost(name, {
    lvs,
    mounts,
    fstab,
    dirs: vols.map((v) => `/nfs/${v.dir}`),
    exportfsV: served,
    vip: name === 'primary',
    ...extra,
  });
  h.files.set('/etc/exports', exportsTxt);
  return h;
}

function kernelConfig(template = '{root}/{namespace}{name}') {
  const d = tempDir();
  return parseConfig(
    testConfigYaml(d).replace('server: ganesha', `server: kernel\n  pathTemplate: "${template}"`),
    'test.yaml',
  );
}

function setup(p: Old[], b: Old[] = p, template?: string) {
  const config = kernelConfig(template);
  const hosts = { primary: oldHost('primary', p), backup: oldHost('backup', b) };
  const cap = captureOutput();
  const ctx = new Context('test.yaml', config, {}, hosts, cap.out);
  // anything but a read: the lock's own files are allowed
  const mutations = () =>
    [...hosts.primary.calls, ...hosts.backup.calls]
      .map((c) => c.argv.join(' '))
      .filter((l) => /^(lvchange|lvcreate|lvextend|exportfs -r|mount|umount|rm |mkdir -p -m)/.test(l));
  const writes = () =>
    [...hosts.primary.writes, ...hosts.backup.writes].filter(
      (w) => !w.path.includes('/lock') && !w.path.includes('/state') && !w.path.includes('/log'),
    );
  return { config, hosts, ctx, cap, mutations, writes };
}

async function stateOf(
  config: ReturnType<typeof kernelConfig>,
  hosts: Record<'primary' | 'backup', FakeHost>,
): Promise<PairState> {
  const inv = await pairInventory(config, hosts);
  return { inv, vipHolder: 'primary', views: mergeVolumes(config, inv) };
}

const teamA: Old = { dir: 'teamadata', lv: 'teamadata' };

describe('unmanaged volumes', () => {
  it('an old-style LV, its fstab entry and its /etc/exports line are one unmanaged volume, consistent on both hosts', async () => {
    const { config, hosts } = setup([teamA, { dir: 'scratch' }]);
    const state = await stateOf(config, hosts);
    expect(state.views).toEqual([]);
    const list = findUnmanaged(config, state.inv, await readForeignPair(config, hosts), state.views);
    expect(list.map((u) => [u.path, u.kind])).toEqual([
      ['/nfs/scratch', 'dir'],
      ['/nfs/teamadata', 'lv'],
    ]);
    const u = list[1]!;
    expect(u.differences).toEqual([]);
    expect(u.hosts.backup.lv?.name).toBe('teamadata');
    expect(u.hosts.primary.exports.map((e) => e.file)).toEqual(['/etc/exports']);
    // a plain directory exported from the root filesystem is not a volume
    expect(list[0]!.differences).toContain('primary: not a mount (a plain directory on the root filesystem)');
  });

  it('volume list no longer says just "no volumes": the unmanaged ones are shown, marked, with their consistency', async () => {
    const { ctx, cap } = setup([teamA, { dir: 'onlyhere', lv: 'onlyhere' }], [teamA]);
    await runList(ctx);
    const out = cap.stdout.text + cap.stderr.text;
    expect(out).toContain('no volumes managed by nfsctl');
    expect(out).toMatch(/UNMANAGED \(not nfsctl's\)/);
    expect(out).toMatch(/\/nfs\/teamadata\s+lv\s+1Gi\s+lv teamadata\+mnt\+exp\s+lv teamadata\+mnt\+exp\s+consistent/);
    expect(out).toMatch(/\/nfs\/onlyhere\s+lv.*missing\s+differ: present on primary only/);
  });
});

describe('volume adopt', () => {
  it("plans tags, an fstab marker and the same export line in nfsctl's file, with no fsid because the old line had none", async () => {
    const { ctx, cap, hosts, config } = setup([teamA]);
    await runAdopt(ctx, 'team-a/data', { path: '/nfs/teamadata', yes: true });
    expect(cap.stdout.text).toContain('adopted team-a/data: /nfs/teamadata (LV teamadata, no fsid, as before)');
    for (const h of [hosts.primary, hosts.backup]) {
      const lvchange = h.commandLines().find((l) => l.startsWith('lvchange'))!;
      expect(lvchange).toMatch(/^lvchange --addtag nfsctl --addtag nfsctl\.meta\.0\.1=\S+ vgnfs\/teamadata$/);
      // the fstab entry is byte for byte the same, with nfsctl's marker above it
      const fstab = h.files.get('/etc/fstab')!;
      expect(fstab).toContain('# nfsctl:team-a/data\n/dev/vgnfs/teamadata /nfs/teamadata xfs defaults,nofail 0 0\n');
      expect(parseFstab(fstab).entries.find((e) => e.kind === 'mount' && e.file === '/nfs/teamadata')).toMatchObject({
        owner: 'team-a/data',
      });
      // the line left /etc/exports and is nfsctl's now: same clients and options, no fsid added
      expect(h.files.get('/etc/exports')).toBe('# /etc/exports: written by the provisioning service\n');
      const own = parseExports(h.files.get(config.nfs.exportsFile)!).entries.filter((e) => e.kind === 'export');
      expect(own).toHaveLength(1);
      expect(own[0]).toMatchObject({
        path: '/nfs/teamadata',
        owner: 'team-a/data',
        clients: [{ host: '198.51.100.0/24', options: OLD_OPTS.split(',') }],
      });
      expect(h.commandLines()).toContain('exportfs -ra');
      // nfsctl's file is written before the old line goes: never a moment with the line in neither
      expect(h.writes.map((w) => w.path).filter((p) => p.includes('exports'))).toEqual([
        config.nfs.exportsFile,
        '/etc/exports',
      ]);
    }
  });

  it("after adoption the volume is nfsctl's: listed with its own LV and path, and resize extends that LV", async () => {
    const { ctx, hosts, config } = setup([teamA]);
    await runAdopt(ctx, 'team-a/data', { path: '/nfs/teamadata', yes: true });
    // the hosts now answer with the tags lvchange added
    for (const h of [hosts.primary, hosts.backup]) {
      const line = h.commandLines().find((l) => l.startsWith('lvchange'))!;
      const tags = line.split(' ').filter((_, i, a) => a[i - 1] === '--addtag');
      h.on(['lvs'], () => ({
        stdout: JSON.stringify({
          report: [
            {
              lv: [
                {
                  lv_name: 'teamadata',
                  vg_name: 'vgnfs',
                  lv_size: String(G),
                  lv_tags: tags.join(','),
                  lv_attr: '-wi-ao----',
                  lv_path: '/dev/vgnfs/teamadata',
                  lv_uuid: 'x',
                },
              ],
            },
          ],
        }),
      }));
    }
    const state = await stateOf(config, hosts);
    expect(state.views).toHaveLength(1);
    const v = state.views[0]!;
    expect(v).toMatchObject({ id: 'team-a/data', path: '/nfs/teamadata', backend: 'lvm', sizeBytes: G });
    expect(v.identity).toMatchObject({ lv: 'teamadata', adopted: { fsid: null, path: '/nfs/teamadata' } });
    expect(v.drift).toEqual([]);
    const plan = planResize(config, state, volumeRef('team-a', 'data'), 2 * G);
    const lines = planSteps(plan).map((s) => (s.action.kind === 'run' ? s.action.argv.join(' ') : s.id));
    expect(lines).toContain(`lvextend --size ${2 * G}b vgnfs/teamadata`);
    expect(lines).toContain('xfs_growfs /nfs/teamadata');
    expect(findUnmanaged(config, state.inv, await readForeignPair(config, hosts), state.views)).toEqual([]);
  });

  it('an old line with fsid= keeps exactly that fsid', async () => {
    const line = `/nfs/teamadata 198.51.100.0/24(${OLD_OPTS},fsid=17)`;
    const { ctx, hosts, config } = setup([{ ...teamA, exportLine: line }]);
    await runAdopt(ctx, 'team-a/data', { path: '/nfs/teamadata', yes: true });
    expect(hosts.backup.files.get(config.nfs.exportsFile)).toContain(
      `/nfs/teamadata 198.51.100.0/24(${OLD_OPTS},fsid=17) # nfsctl:team-a/data`,
    );
  });

  it('--all names volumes from the PV list (kubectl get pv -o json) and refuses the ambiguous ones with their candidates', async () => {
    const { ctx, cap, hosts } = setup([teamA, { dir: 'teambweb', lv: 'teambweb' }]);
    const d = tempDir();
    const pvs = {
      apiVersion: 'v1',
      kind: 'List',
      metadata: { resourceVersion: '' },
      items: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name: 'pv-teamadata' },
          spec: {
            capacity: { storage: '1Gi' },
            nfs: { server: '198.51.100.100', path: '/nfs/teamadata' },
            claimRef: { namespace: 'team-a', name: 'data' },
          },
          status: { phase: 'Bound' },
        },
        {
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name: 'elsewhere' },
          spec: {
            nfs: { server: '203.0.113.9', path: '/nfs/teambweb' },
            claimRef: { namespace: 'teamb', name: 'web' },
          },
        },
      ],
    };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${d}/pvs.json`, JSON.stringify(pvs));
    const err = await runAdopt(ctx, undefined, { all: true, pvs: `${d}/pvs.json`, yes: true }).catch((e) => e);
    // team-a/data adopted; /nfs/teambweb refused (the PV naming it is for another server) -> exit 4
    expect(err.exitCode).toBe(4);
    expect(cap.stdout.text).toContain('adopted team-a/data');
    expect(cap.stderr.text).toMatch(
      /\/nfs\/teambweb: not adopted:\n\s+ambiguous name: "teambweb" splits \d+ ways \(t\/eambweb, te\/ambweb/,
    );
    expect(hosts.primary.commandLines().filter((l) => l.startsWith('lvchange'))).toHaveLength(1);
  });

  const refusals: [string, Old[], Old[], RegExp][] = [
    ['a volume on one host only', [teamA], [], /present on primary only/],
    [
      'an export line that differs between the hosts',
      [teamA],
      [{ ...teamA, exportLine: '/nfs/teamadata 198.51.100.0/24(rw,async,no_root_squash,no_subtree_check)' }],
      /export line differs: primary 198\.51\.100\.0\/24\(rw,sync,no_root_squash,no_subtree_check\), backup 198\.51\.100\.0\/24\(rw,async,no_root_squash,no_subtree_check\)/,
    ],
    [
      'a directory that is not a mount',
      [{ ...teamA, mounted: false }],
      [{ ...teamA, mounted: false }],
      /primary: not a mount \(the directory is on the root filesystem\)/,
    ],
    [
      'sizes that differ',
      [teamA],
      [{ ...teamA, size: 2 * G }],
      /size differs: primary 1073741824 B, backup 2147483648 B/,
    ],
    ['no export line', [{ ...teamA, exportLine: null }], [{ ...teamA, exportLine: null }], /primary: not exported/],
  ];
  for (const [what, p, b, reason] of refusals) {
    it(`refuses ${what}, shows the difference, and changes nothing`, async () => {
      const { ctx, mutations, writes } = setup(p, b);
      const err = await runAdopt(ctx, 'team-a/data', { path: '/nfs/teamadata', yes: true }).catch((e) => e);
      expect(err.exitCode).toBe(4);
      expect(err.message).toMatch(/nothing was adopted, nothing was changed/);
      expect(err.message).toMatch(reason);
      expect(mutations()).toEqual([]);
      expect(writes()).toEqual([]);
    });
  }

  it('--all with an ambiguous name and no PV list: refused with the candidates, nothing runs', async () => {
    const { ctx, mutations, writes } = setup([teamA]);
    const err = await runAdopt(ctx, undefined, { all: true, yes: true }).catch((e) => e);
    expect(err.exitCode).toBe(4);
    expect(err.message).toMatch(
      /ambiguous name: "teamadata" splits 8 ways \(t\/eamadata, te\/amadata, tea\/madata, team\/adata, teama\/data, teamad\/ata/,
    );
    expect(err.message).toContain('--pvs FILE');
    expect(mutations()).toEqual([]);
    expect(writes()).toEqual([]);
  });

  it('bad input is a usage error before any host is asked', async () => {
    const { ctx, hosts } = setup([teamA]);
    for (const [t, o, msg] of [
      ['team-a/data', { path: '/etc/passwd' }, /directly under \/nfs/],
      ['team-a/data', { path: '/nfs/a;b' }, /directly under \/nfs/],
      [undefined, {}, /which volume/],
      ['team-a/data', { all: true }, /not both/],
      ['Team/x', {}, /invalid namespace/],
    ] as const) {
      const err = await runAdopt(ctx, t, o).catch((e) => e);
      expect(err.exitCode, String(msg)).toBe(2);
      expect(err.message).toMatch(msg);
    }
    expect([...hosts.primary.calls, ...hosts.backup.calls]).toEqual([]);
  });

  it('--dry-run shows the plan and runs nothing but reads', async () => {
    const { ctx, cap, mutations, writes } = setup([teamA]);
    await runAdopt(ctx, 'team-a/data', { path: '/nfs/teamadata', dryRun: true });
    expect(cap.stdout.text).toMatch(/stays without one/);
    expect(mutations()).toEqual([]);
    expect(writes()).toEqual([]);
  });
});

describe('markFstab', () => {
  it('puts the marker above the entry and leaves every byte of the file otherwise alone (CRLF too)', () => {
    const text = 'UUID=1 / ext4 defaults 0 1\r\n/dev/vgnfs/a  /nfs/a\txfs  defaults 0 0\r\n# tail\r\n';
    expect(markFstab(text, new Map([['/nfs/a', 'ns/a']]))).toBe(
      'UUID=1 / ext4 defaults 0 1\r\n# nfsctl:ns/a\r\n/dev/vgnfs/a  /nfs/a\txfs  defaults 0 0\r\n# tail\r\n',
    );
  });
});

// ---------------------------------------------------------------- the old crontab pull
const OLD_PULL = '*/15 * * * * root rsync -a --delete 198.51.100.11::nfs /nfs';
const CRON_D =
  '# written by the provisioning service\nMAILTO=ops\n' +
  `${OLD_PULL}\n` +
  '0 3 * * * root /usr/local/bin/cleanup --older-than 7d\n';

/** Serve /etc/cron.d/* of the fake's files the way catDirArgv's command prints them. */
function withCronD(h: FakeHost): FakeHost {
  return h.on(
    (argv) => argv[0] === 'sh' && argv[3] === 'nfsctl-cron-d',
    () => ({
      stdout: [...h.files]
        .filter(([p]) => p.startsWith('/etc/cron.d/'))
        .map(([p, t]) => `==> ./${p.slice('/etc/cron.d/'.length)} <==\n${t}${t.endsWith('\n') ? '' : '\n'}`)
        .join(''),
    }),
  );
}

function cronSetup(backupCron: Record<string, string>, p: Old[] = [teamA]) {
  const s = setup(p);
  for (const h of [s.hosts.primary, s.hosts.backup]) withCronD(h);
  for (const [f, t] of Object.entries(backupCron)) s.hosts.backup.files.set(f, t);
  return s;
}

describe('volume adopt --replace-cron', () => {
  it('turns off exactly the discovered line in the file it was found in, then installs the sync timer; every other byte stays', async () => {
    const { ctx, cap, hosts } = cronSetup({ '/etc/cron.d/nfs-backup': CRON_D });
    await runAdopt(ctx, 'team-a/data', { path: '/nfs/teamadata', replaceCron: true, yes: true });
    const after = hosts.backup.files.get('/etc/cron.d/nfs-backup')!;
    expect(after).toBe(CRON_D.replace(`${OLD_PULL}\n`, `${CRON_OFF_MARKER}\n#${OLD_PULL}\n`));
    const timer = hosts.backup.files.get('/etc/cron.d/nfsctl-sync')!;
    expect(timer).toMatch(/^\*\/15 \* \* \* \* root \/usr\/local\/sbin\/nfsctl sync --yes --json >> /m);
    // the old line goes before the timer comes: never both at once
    const order = hosts.backup.writes.map((w) => w.path).filter((p) => p.startsWith('/etc/cron.d/'));
    expect(order).toEqual(['/etc/cron.d/nfs-backup', '/etc/cron.d/nfsctl-sync']);
    expect(hosts.backup.writes.find((w) => w.path === '/etc/cron.d/nfs-backup')!.backup).toBe(true);
    expect(hosts.primary.writes.filter((w) => w.path.startsWith('/etc/cron'))).toEqual([]);
    expect(cap.stdout.text).toContain('turned off the old rsync pull at backup:/etc/cron.d/nfs-backup line 3');
    // the plan said why and what
    expect(cap.stdout.text + cap.stderr.text).toMatch(
      /it is turned off first, then nfsctl's sync timer .* never run side by side/,
    );
  });

  it('without --replace-cron the plan names the old line and the flag, and no crontab is touched', async () => {
    const { ctx, cap, hosts } = cronSetup({ '/etc/cron.d/nfs-backup': CRON_D });
    await runAdopt(ctx, 'team-a/data', { path: '/nfs/teamadata', yes: true });
    expect(cap.stdout.text + cap.stderr.text).toMatch(
      /the old rsync pull at backup:\/etc\/cron\.d\/nfs-backup line 3 still runs; .*--replace-cron turns it off/,
    );
    expect(hosts.backup.files.get('/etc/cron.d/nfs-backup')).toBe(CRON_D);
    expect(hosts.backup.writes.filter((w) => w.path.startsWith('/etc/cron'))).toEqual([]);
  });

  it("root's own crontab: changed through crontab -, only that line", async () => {
    const tab = `MAILTO=""\n${OLD_PULL.replace(' root ', ' ')}\n@reboot /usr/local/bin/other\n`;
    const { ctx, hosts } = cronSetup({});
    hosts.backup.on(['crontab', '-l'], { stdout: tab });
    await runAdopt(ctx, 'team-a/data', { path: '/nfs/teamadata', replaceCron: true, yes: true });
    const put = hosts.backup.calls.find((c) => c.argv.join(' ') === 'crontab -');
    expect(put?.input).toBe(tab.replace(/^(\*\/15.*)$/m, `${CRON_OFF_MARKER}\n#$1`));
  });

  it('a line edited since it was found is not touched: the step fails, the plan is undone, the file is as it was', async () => {
    const { ctx, hosts } = cronSetup({ '/etc/cron.d/nfs-backup': CRON_D });
    const edited = CRON_D.replace(OLD_PULL, `${OLD_PULL} `); // one trailing space more
    // discovery sees the old text; the file itself changed before the step reads it
    hosts.backup.on(
      (argv) => argv[0] === 'sh' && argv[3] === 'nfsctl-cron-d',
      () => {
        hosts.backup.files.set('/etc/cron.d/nfs-backup', edited);
        return { stdout: `==> ./nfs-backup <==\n${CRON_D}` };
      },
    );
    const err = await runAdopt(ctx, 'team-a/data', { path: '/nfs/teamadata', replaceCron: true, yes: true }).catch(
      (e) => e,
    );
    expect(String(err.message)).toMatch(/no longer there exactly as it was found/);
    expect(hosts.backup.files.get('/etc/cron.d/nfs-backup')).toBe(edited);
    expect(hosts.backup.files.has('/etc/cron.d/nfsctl-sync')).toBe(false);
  });

  it('refused before anything runs: no old pull found; an unmanaged volume the old pull still copies', async () => {
    {
      const { ctx, mutations, writes } = cronSetup({});
      const err = await runAdopt(ctx, 'team-a/data', { path: '/nfs/teamadata', replaceCron: true, yes: true }).catch(
        (e) => e,
      );
      expect(err.exitCode).toBe(4);
      expect(err.message).toMatch(/--replace-cron: no rsync line pulling into \/nfs/);
      expect(mutations()).toEqual([]);
      expect(writes()).toEqual([]);
    }
    {
      const { ctx, mutations, writes } = cronSetup({ '/etc/cron.d/nfs-backup': CRON_D }, [
        teamA,
        { dir: 'teambweb', lv: 'teambweb' },
      ]);
      const err = await runAdopt(ctx, 'team-a/data', { path: '/nfs/teamadata', replaceCron: true, yes: true }).catch(
        (e) => e,
      );
      expect(err.exitCode).toBe(4);
      expect(err.message).toMatch(/the old pull still copies \/nfs\/teambweb, which is not adopted/);
      expect(mutations()).toEqual([]);
      expect(writes()).toEqual([]);
    }
  });

  it('with every volume adopted already, --all --replace-cron converts the cron line alone; --dry-run changes nothing', async () => {
    const { ctx, cap, hosts, writes } = cronSetup({ '/etc/crontab': `SHELL=/bin/sh\n${OLD_PULL}\n` }, []);
    await runAdopt(ctx, undefined, { all: true, replaceCron: true, dryRun: true });
    expect(cap.stdout.text + cap.stderr.text).toMatch(/turn off the old rsync pull/);
    expect(writes()).toEqual([]);
    await runAdopt(ctx, undefined, { all: true, replaceCron: true, yes: true });
    expect(hosts.backup.files.get('/etc/crontab')).toBe(`SHELL=/bin/sh\n${CRON_OFF_MARKER}\n#${OLD_PULL}\n`);
  });
});

describe('crontab line edits (hostile corpus)', () => {
  const corpus: [string, string, string][] = [
    // [what, file text, the discovered line]
    ['percent signs (cron: stdin)', `a\n*/5 * * * * root rsync -a x::nfs /nfs >/tmp/log-$(date +\\%F)% 2>&1\nb\n`, ''],
    ['a CRLF file', `x=1\r\n*/5 * * * * root rsync -a h::nfs /nfs\r\n# tail\r\n`, ''],
    ['no newline at the end', `# head\n*/5 * * * * root rsync -a h::nfs /nfs`, ''],
    ['tabs and double spaces', `*/5\t*  * * *\troot  rsync -a h::nfs   /nfs\n`, ''],
    ['leading blanks', `   */5 * * * * root rsync -a h::nfs /nfs\n`, ''],
    ['shell metacharacters', `*/5 * * * * root cd / && rsync -a "h::nfs" /nfs; echo '$(x)' \`y\` | logger\n`, ''],
    ['unicode', `# é\n*/5 * * * * root rsync -a h::nfs /nfs # ünïcødé\n`, ''],
  ];
  for (const [what, text] of corpus) {
    it(`${what}: only that line changes, and the undo gives back every byte`, () => {
      const found = cronRsyncLines(text, true);
      expect(found).toHaveLength(1);
      const raw = found[0]!.raw;
      const off = commentOutCronLine(text, raw, 'f');
      // cron no longer sees an rsync job in it
      expect(cronRsyncLines(off, true)).toEqual([]);
      expect(off.split('\n').filter((l) => !text.split('\n').includes(l))).toEqual([
        `${CRON_OFF_MARKER}${raw.endsWith('\r') ? '\r' : ''}`,
        `#${raw}`,
      ]);
      expect(restoreCronLine(off, raw, 'f')).toBe(text);
    });
  }
  it('refuses a line that is not exactly the discovered one, or is there twice', () => {
    const line = '*/5 * * * * root rsync -a h::nfs /nfs';
    expect(() => commentOutCronLine(`${line} \n`, line, 'f')).toThrow(/no longer there exactly/);
    expect(() => commentOutCronLine(`${line}x\n`, line, 'f')).toThrow(/no longer there exactly/);
    expect(() => commentOutCronLine(`#${line}\n`, line, 'f')).toThrow(/no longer there exactly/);
    expect(() => commentOutCronLine(`${line}\n${line}\n`, line, 'f')).toThrow(/there 2 times/);
    expect(() => commentOutCronLine(`${line}\n`, `${line}\nrm -rf /`, 'f')).toThrow(/not one crontab line/);
    // the undo touches only the pair nfsctl wrote
    expect(() => restoreCronLine(`#${line}\n`, line, 'f')).toThrow(/put .* back by hand/);
  });
  it('finds a run of the old job by its command line (cron runs sh -c COMMAND), not a similar one', async () => {
    const h = new FakeHost('backup').on(['ps'], {
      stdout:
        '  101 /usr/sbin/cron -f\n  202 /bin/sh -c rsync -a h::nfs /nfs\n  203 rsync -a h::nfs /nfs\n  204 rsync -a h::nfs /nfs2\n  205 vi /etc/crontab\n',
    });
    expect(await runningOldJob(h, 'rsync -a h::nfs /nfs')).toEqual(['202', '203']);
    expect(await runningOldJob(h, 'rsync -a h::nfs /nfs2 % input')).toEqual(['204']);
  });
});
