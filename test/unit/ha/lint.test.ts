import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { testConfigYaml } from '../../support/config.js';
import { defaultsVar, lintPair, lintRules, portOption, type LintHostFacts } from '../../../src/ha/lint.js';
import { parseNfsConf, confValue } from '../../../src/core/nfs-conf.js';
import { FakeHost } from '../../../src/host/fake.js';
import type { Config } from '../../../src/config/schema.js';

const cfg = (): Config =>
  parseConfig(testConfigYaml('/tmp/nfsctl-unit-lint').replace('server: ganesha', 'server: kernel'));
const KA = (state: string, prio: number, extra = '') =>
  `vrrp_instance VI_NFS {\n  state ${state}\n  interface eth0\n  priority ${prio}\n${extra}  notify "/usr/local/sbin/nfsctl ha notify"\n}\n`;
const GOOD_NFS =
  '[nfsd]\nscope=198.51.100.100\ngrace-time=90\nlease-time=90\n[mountd]\nport=20048\n[statd]\nport=20049\n[lockd]\nport=20050\nudp-port=20050\n';
const served = (fsid: string | null) => [
  { path: '/nfs/a_b', clients: [{ host: '198.51.100.0/24', options: ['rw', ...(fsid ? [`fsid=${fsid}`] : [])] }] },
];
const NOW = Date.parse('2026-01-01T01:00:00Z');
function facts(role: 'primary' | 'backup', o: Partial<LintHostFacts> = {}): LintHostFacts {
  return {
    role,
    reachable: true,
    keepalivedConf: role === 'primary' ? KA('MASTER', 150) : KA('BACKUP', 100),
    nfsConf: parseNfsConf(GOOD_NFS),
    served: served('1111-2222'),
    servedOk: true,
    cron: role === 'backup' ? '*/15 * * * * root /usr/local/sbin/nfsctl sync --yes --json\n' : null,
    lastOk: {
      time: '2026-01-01T00:55:00Z',
      ok: true,
      direction: 'primary->backup',
      source: 'primary',
      destination: 'backup',
      bytes: 1,
      durationMs: 1,
    },
    defaults: { kernelServer: null, common: null },
    probe: ['sm-notify', 'rpc.statd', 'nfsdcld-running', 'dir:nfsdcld', 'nlm_tcpport=0'],
    ...o,
  };
}
const bad = (f: ReturnType<typeof lintRules>) =>
  f.filter((x) => x.status !== 'ok').map((x) => `${x.id}${x.host ? `@${x.host}` : ''}`);

describe('ha lint rules', () => {
  it('a pair set up as the seed wants: nothing to fix', () => {
    expect(bad(lintRules(cfg(), { primary: facts('primary'), backup: facts('backup') }, NOW))).toEqual([]);
  });
  it('each problem named, with its fix', () => {
    const f = lintRules(
      cfg(),
      {
        primary: facts('primary', {
          lastOk: null,
          keepalivedConf: KA('BACKUP', 100, '  nopreempt\n'),
          nfsConf: parseNfsConf('[nfsd]\ngrace-time=10\nlease-time=60\n'),
        }),
        backup: facts('backup', {
          served: served('9999'),
          cron: null,
          keepalivedConf: 'vrrp_instance VI_NFS {\n state BACKUP\n priority 120\n}\n',
          lastOk: null,
        }),
      },
      NOW,
    );
    expect(bad(f).sort()).toEqual(
      [
        'fsid',
        'nfsd-scope',
        'nfsd-grace-time',
        'nfsd-lease-time',
        'nfsd-grace-lease',
        'port-mountd',
        'port-statd',
        'port-lockd',
        'keepalived-role@primary',
        'keepalived-nopreempt@primary',
        'keepalived-priority',
        'notify-hook@backup',
        'sync-timer@backup',
        'sync-last-run',
      ].sort(),
    );
    for (const x of f.filter((y) => y.status !== 'ok')) expect(x.fix, x.id).toBeTruthy();
    expect(f.find((x) => x.id === 'fsid')!.evidence).toContain(
      'fsid differs: /nfs/a_b (primary 1111-2222, backup 9999)',
    );
    expect(f.find((x) => x.id === 'nfsd-scope')!.fix).toContain('[nfsd] scope=198.51.100.100');
    expect(f.find((x) => x.id === 'port-lockd')!.fix).toContain('[lockd] port=20050 and udp-port=20050');
    expect(f.find((x) => x.id === 'sync-timer')!.fix).toBe('nfsctl sync install-timer --yes');
  });
  it('an export without fsid is critical', () => {
    const f = lintRules(cfg(), { primary: facts('primary', { served: served(null) }), backup: facts('backup') }, NOW);
    expect(f.find((x) => x.id === 'fsid')).toMatchObject({ status: 'critical', evidence: 'no fsid: primary:/nfs/a_b' });
  });
  it('an unreachable host: said, nothing else guessed', () => {
    const f = lintRules(
      cfg(),
      { primary: facts('primary'), backup: { ...facts('backup'), reachable: false, error: 'timed out' } },
      NOW,
    );
    expect(f.map((x) => x.id)).toEqual(['reachable']);
  });
});

describe('nfs.conf', () => {
  it('sections, comments, later files win', () => {
    const c = parseNfsConf('# c\n[nfsd]\n scope = a  # trailing\n;x\n[Mountd]\nport=1\n', '[nfsd]\nscope=b\n');
    expect(confValue(c, 'nfsd', 'scope')).toBe('b');
    expect(confValue(c, 'mountd', 'port')).toBe('1');
    expect(confValue(c, 'statd', 'port')).toBeNull();
  });
});

describe('ha lint reads both hosts in one batch each and changes nothing', () => {
  it('reads keepalived.conf, nfs.conf(.d), the exports, the cron entry, the sync record', async () => {
    const mk = (role: 'primary' | 'backup') => {
      const h = new FakeHost(role);
      h.files.set('/etc/keepalived/keepalived.conf', role === 'primary' ? KA('MASTER', 150) : KA('BACKUP', 100));
      h.files.set('/etc/nfs.conf', '[nfsd]\nscope=x\n');
      h.on((a) => a[0] === 'sh' && a[3] === 'nfsctl-nfsconf', {
        stdout: '==> 10-ports.conf <==\n[mountd]\nport=20048\n\n',
      });
      h.on(['exportfs', '-v'], { stdout: '/nfs/a_b\t198.51.100.0/24(rw,fsid=1234)\n' });
      if (role === 'backup') h.files.set('/etc/cron.d/nfsctl-sync', '*/15 * * * * root nfsctl sync --yes\n');
      return h;
    };
    const hosts = { primary: mk('primary'), backup: mk('backup') };
    const f = await lintPair(cfg(), hosts);
    expect(f.find((x) => x.id === 'nfsd-scope')!.status).toBe('ok');
    expect(f.find((x) => x.id === 'port-mountd')!.status).toBe('ok');
    expect(f.find((x) => x.id === 'fsid')!.status).toBe('ok');
    expect(f.find((x) => x.id === 'sync-timer')!.status).toBe('ok');
    expect(hosts.primary.writes.length + hosts.backup.writes.length).toBe(0);
  });
});

describe('ha lint: ports on the command line (Debian defaults files), lock recovery, NFSv4 records', () => {
  const NO_PORTS = parseNfsConf('[nfsd]\nscope=198.51.100.100\ngrace-time=90\nlease-time=90\n');
  const seedDefaults = {
    kernelServer: 'RPCNFSDCOUNT=8\nRPCMOUNTDOPTS="--manage-gids --port 20048"\n',
    common: "NEED_STATD=\nSTATDOPTS='--port 20049 --outgoing-port 20051'\n",
  };
  it('defaultsVar and portOption: the last assignment, quotes off; --outgoing-port is not the port', () => {
    expect(defaultsVar('A=1\n# A=2\nexport A="x y"\n', 'A')).toBe('x y');
    expect(defaultsVar('B=1\n', 'A')).toBeNull();
    expect(portOption('--manage-gids --port 20048')).toBe('20048');
    expect(portOption('--port=20048')).toBe('20048');
    expect(portOption('-p 20049 -o 20051')).toBe('20049');
    expect(portOption('--outgoing-port 20051')).toBeNull();
    expect(portOption('--manage-gids')).toBeNull();
  });
  it("the seed pair: mountd's and statd's ports on the command line, lockd's in the live sysctl: pinned", () => {
    const probe = ['sm-notify', 'rpc.statd', 'nfsdcld-running', 'nlm_tcpport=20050'];
    const f = lintRules(
      cfg(),
      {
        primary: facts('primary', { nfsConf: NO_PORTS, defaults: seedDefaults, probe }),
        backup: facts('backup', { nfsConf: NO_PORTS, defaults: seedDefaults, probe }),
      },
      NOW,
    );
    expect(bad(f)).toEqual([]);
    expect(f.find((x) => x.id === 'port-mountd')!.evidence).toBe(
      'primary: 20048 (RPCMOUNTDOPTS in /etc/default/nfs-kernel-server), backup: 20048 (RPCMOUNTDOPTS in /etc/default/nfs-kernel-server)',
    );
    expect(f.find((x) => x.id === 'port-statd')!.evidence).toContain('20049 (STATDOPTS in /etc/default/nfs-common)');
    expect(f.find((x) => x.id === 'port-lockd')!.evidence).toContain('20050 (sysctl fs.nfs.nlm_tcpport)');
  });
  it('the command line wins over nfs.conf, and says so; a port nowhere is not pinned, with both fixes', () => {
    const conf = parseNfsConf(GOOD_NFS.replace('[mountd]\nport=20048', '[mountd]\nport=1111'));
    const f = lintRules(
      cfg(),
      {
        primary: facts('primary', { nfsConf: conf, defaults: seedDefaults }),
        backup: facts('backup', { nfsConf: NO_PORTS }),
      },
      NOW,
    );
    const m = f.find((x) => x.id === 'port-mountd')!;
    expect(m.status).toBe('warn');
    expect(m.evidence).toBe(
      "primary: 20048 (RPCMOUNTDOPTS in /etc/default/nfs-kernel-server, over nfs.conf's 1111), backup: not pinned",
    );
    expect(m.fix).toContain('[mountd] port=20048 (or --port 20048 in RPCMOUNTDOPTS, /etc/default/nfs-kernel-server)');
    expect(f.find((x) => x.id === 'port-lockd')!.evidence).toContain('backup: not pinned'); // nlm_tcpport=0: not pinned
  });
  it('sm-notify or rpc.statd missing on a host: a warning naming what and where, with the fix', () => {
    const f = lintRules(
      cfg(),
      { primary: facts('primary'), backup: facts('backup', { probe: ['rpc.statd', 'nfsdcld-running'] }) },
      NOW,
    );
    expect(bad(f)).toEqual(['statd-tools@backup']);
    const t = f.find((x) => x.id === 'statd-tools' && x.host === 'backup')!;
    expect(t.evidence).toContain('sm-notify not found');
    expect(t.fix).toBe('apt-get install nfs-common on backup');
    expect(f.find((x) => x.id === 'statd-tools' && x.host === 'primary')!.evidence).toContain(
      'runs sm-notify -f -v 198.51.100.100',
    );
  });
  it('NFSv4 client records kept differently on the two hosts: a warning; the same way: ok, still saying they are per host', () => {
    const differ = lintRules(
      cfg(),
      {
        primary: facts('primary'),
        backup: facts('backup', { probe: ['sm-notify', 'rpc.statd', 'dir:v4recovery'] }),
      },
      NOW,
    ).find((x) => x.id === 'nfsv4-recovery')!;
    expect(differ.status).toBe('warn');
    expect(differ.evidence).toContain('primary: nfsdcld (running), backup: legacy /var/lib/nfs/v4recovery');
    expect(differ.fix).toBeTruthy();
    const same = lintRules(cfg(), { primary: facts('primary'), backup: facts('backup') }, NOW).find(
      (x) => x.id === 'nfsv4-recovery',
    )!;
    expect(same.status).toBe('ok');
    expect(same.evidence).toContain('the records are per host');
    expect(same.evidence).toContain('NFS4ERR_NO_GRACE');
  });
  it('ganesha: none of the kernel checks (no nfs.conf ports, no statd, no nfsd records)', () => {
    const g = parseConfig(testConfigYaml('/tmp/nfsctl-unit-lint'));
    expect(g.nfs.server).toBe('ganesha');
    const ids = lintRules(
      g,
      { primary: facts('primary', { probe: [] }), backup: facts('backup', { probe: [] }) },
      NOW,
    ).map((x) => x.id);
    for (const id of ['statd-tools', 'nfsv4-recovery', 'port-mountd']) expect(ids).not.toContain(id);
  });
  it('lintPair reads the defaults files and the probe on each host', async () => {
    const mk = (role: 'primary' | 'backup') => {
      const h = new FakeHost(role);
      h.files.set('/etc/default/nfs-kernel-server', seedDefaults.kernelServer);
      h.on((a) => a[0] === 'sh' && a[1] === '-c' && a[2]!.includes('command -v sm-notify'), {
        stdout: 'sm-notify\nrpc.statd\nnlm_tcpport=20050\n',
      });
      return h;
    };
    const hosts = { primary: mk('primary'), backup: mk('backup') };
    const f = await lintPair(cfg(), hosts);
    expect(f.find((x) => x.id === 'port-mountd')).toMatchObject({ status: 'ok' });
    expect(f.find((x) => x.id === 'port-lockd')).toMatchObject({ status: 'ok' });
    expect(f.find((x) => x.id === 'statd-tools' && x.host === 'primary')).toMatchObject({ status: 'ok' });
    expect(f.find((x) => x.id === 'nfsv4-recovery')).toMatchObject({ status: 'warn' }); // none found on either
    expect(hosts.primary.writes.length + hosts.backup.writes.length).toBe(0);
  });
});
