// config init on a fake storage host shaped like the old pair's primary: the draft comes from
// keepalived.conf, the VG, /etc/exports and the crontab, and passes the schema `config check` uses.
import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../src/host/fake.js';
import { runInit, lineDiff } from '../../src/commands/config/init.run.js';
import { parseConfig } from '../../src/config/load.js';
import { captureOutput } from '../support/capture.js';

const KA = `vrrp_instance VI_NFS {
  state MASTER
  interface ens192
  virtual_router_id 51
  priority 150
  unicast_src_ip 198.51.100.11
  unicast_peer {
    198.51.100.12
  }
  virtual_ipaddress {
    198.51.100.100/24 dev ens192
  }
}
`;

function oldPrimary(o: { ka?: string | null; vgs?: string[] } = {}) {
  const h = new FakeHost('local');
  if (o.ka !== null) h.files.set('/etc/keepalived/keepalived.conf', o.ka ?? KA);
  h.files.set(
    '/etc/exports',
    '/nfs/teamadata 198.51.100.0/24(rw,sync,no_root_squash,no_subtree_check)\n/nfs/teambweb 198.51.100.0/24(rw,sync,no_root_squash,no_subtree_check,fsid=7)\n/srv/other *(ro)\n',
  );
  h.files.set('/etc/crontab', 'SHELL=/bin/sh\n');
  h.on(['ip', '-j', 'addr', 'show'], {
    stdout: JSON.stringify([
      { ifname: 'lo', addr_info: [{ local: '127.0.0.1' }] },
      { ifname: 'ens192', addr_info: [{ local: '198.51.100.11' }, { local: '198.51.100.100' }] },
    ]),
  });
  h.on(['vgs'], {
    stdout: JSON.stringify({
      report: [
        {
          vg: (o.vgs ?? ['vgnfs']).map((n) => ({ vg_name: n, vg_size: '1', vg_free: '1', vg_extent_size: '4194304' })),
        },
      ],
    }),
  });
  h.on((a) => a[0] === 'sh' && (a[2] ?? '').includes('/proc/fs/nfsd/threads'), { stdout: 'kernel\nsystemd\n' });
  h.on(['crontab', '-l'], { exitCode: 1, stderr: 'no crontab for root' });
  return h;
}

describe('config init', () => {
  it('--dry-run prints a config drafted from keepalived.conf, the VG and the export lines; config check accepts it', async () => {
    const cap = captureOutput();
    const h = oldPrimary();
    await runInit({ config: '/tmp/nfsctl-init-test/config.yaml' }, { dryRun: true }, h, cap.out);
    const text = cap.stdout.text;
    const c = parseConfig(text, 'drafted');
    expect(c).toMatchObject({
      this: 'primary',
      vip: '198.51.100.100',
      hosts: { primary: { address: '198.51.100.11' }, backup: { address: '198.51.100.12' } },
      keepalived: { instance: 'VI_NFS', interface: 'ens192' },
      backends: { lvm: { vg: 'vgnfs' } },
      services: { manager: 'systemctl' },
    });
    expect(c.nfs).toMatchObject({
      server: 'kernel',
      root: '/nfs',
      clients: ['198.51.100.0/24'],
      options: ['rw', 'sync', 'no_root_squash', 'no_subtree_check'],
    });
    expect(cap.stderr.text).toMatch(/vip\s+\/etc\/keepalived\/keepalived.conf, vrrp_instance VI_NFS/);
    // nothing was written
    expect(h.writes).toEqual([]);
  });

  it('the old crontab pull gives the rsync module and interval, and a note to retire it', async () => {
    const cap = captureOutput();
    const h = oldPrimary({
      ka: KA.replace('MASTER', 'BACKUP')
        .replace('198.51.100.11', '198.51.100.12')
        .replace('    198.51.100.12\n', '    198.51.100.11\n'),
    });
    h.files.set('/etc/crontab', '*/10 * * * * root rsync -a --delete 198.51.100.11::old/ /nfs/\n');
    await runInit({ config: '/tmp/nfsctl-init-test/config.yaml' }, { dryRun: true }, h, cap.out);
    const c = parseConfig(cap.stdout.text);
    expect(c).toMatchObject({
      this: 'backup',
      hosts: { primary: { address: '198.51.100.11' }, backup: { address: '198.51.100.12' } },
      rsync: { module: 'old', interval: 600_000 },
    });
    expect(cap.stderr.text).toMatch(
      /the old rsync pull runs from cron .* volume adopt --all --replace-cron. turns that exact line off/,
    );
  });

  it('what it cannot discover must be given as a flag: exit 2, the flags named, nothing written', async () => {
    const cap = captureOutput();
    const h = oldPrimary({ ka: null, vgs: ['vg0', 'vgnfs'] });
    const err = await runInit({ config: '/tmp/nfsctl-init-test/config.yaml' }, {}, h, cap.out).catch((e) => e);
    expect(err.exitCode).toBe(2);
    expect(err.hint).toMatch(/--instance NAME.*--vip ADDRESS.*--peer ADDRESS.*--vg NAME/);
    expect(cap.stderr.text).toMatch(/several volume groups \(vg0, vgnfs\)/);
    expect(h.writes).toEqual([]);
    // with the flags it drafts a valid config
    const cap2 = captureOutput();
    await runInit(
      { config: '/tmp/nfsctl-init-test/config.yaml' },
      {
        dryRun: true,
        this: 'primary',
        instance: 'VI_NFS',
        interface: 'eth0',
        vip: '198.51.100.100',
        address: '198.51.100.11',
        peer: '198.51.100.12',
        vg: 'vgnfs',
      },
      h,
      cap2.out,
    );
    expect(parseConfig(cap2.stdout.text).hosts.backup.address).toBe('198.51.100.12');
  });

  it('a hostile flag value stays one YAML scalar and is refused by the schema (exit 2), nothing written', async () => {
    const h = oldPrimary();
    for (const peer of ['198.51.100.12\nvip: 203.0.113.1', '$(id)', '198.51.100.12 # x']) {
      const err = await runInit(
        { config: '/tmp/nfsctl-init-test/config.yaml' },
        { peer, dryRun: true },
        h,
        captureOutput().out,
      ).catch((e) => e);
      expect(err.exitCode, peer).toBe(2);
      expect(err.message, peer).not.toMatch(/could not discover/);
    }
    expect(h.writes).toEqual([]);
  });

  it('lineDiff shows what a replacement changes', () => {
    expect(lineDiff('a\nb\nc\n', 'a\nB\nc\n')).toEqual(['- b', '+ B']);
  });
});
