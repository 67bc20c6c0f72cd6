import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { testConfigYaml } from '../../support/config.js';
import { lintPair, lintRules, type LintHostFacts } from '../../../src/ha/lint.js';
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
