import { describe, expect, it } from 'vitest';
import { parseCronRsync, parseVrrpInstances } from '../../../src/core/discover-parse.js';

const KA = `! Configuration File for keepalived
global_defs {
   router_id nfs1   # this host
}
vrrp_script chk_nfs { script "/usr/local/bin/check_nfs" }
vrrp_instance VI_NFS {
    state MASTER
    interface ens192
    virtual_router_id 51
    priority 150   ! higher wins
    advert_int 1
    unicast_src_ip 198.51.100.11
    unicast_peer {
        198.51.100.12
    }
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        198.51.100.100/24 dev ens192 label ens192:nfs
    }
    track_script { chk_nfs }
}
vrrp_instance VI_OTHER { state BACKUP
  interface eth1
  priority 90
  virtual_ipaddress { 203.0.113.5 }
}
`;

describe('parseVrrpInstances', () => {
  it('reads state, interface, router id, priority, unicast peers and VIPs of every instance', () => {
    expect(parseVrrpInstances(KA)).toEqual([
      {
        name: 'VI_NFS',
        state: 'MASTER',
        interface: 'ens192',
        virtualRouterId: 51,
        priority: 150,
        unicastSrcIp: '198.51.100.11',
        unicastPeers: ['198.51.100.12'],
        vips: ['198.51.100.100'],
      },
      {
        name: 'VI_OTHER',
        state: 'BACKUP',
        interface: 'eth1',
        virtualRouterId: null,
        priority: 90,
        unicastSrcIp: null,
        unicastPeers: [],
        vips: ['203.0.113.5'],
      },
    ]);
  });

  it('comments and quoted strings do not open or close blocks; nothing outside vrrp_instance counts', () => {
    const t =
      'vrrp_instance A {\n  state BACKUP # { not a block\n  notify "/x {y}"\n  priority 100\n}\nvirtual_server 1.2.3.4 80 { priority 7 }\n';
    expect(parseVrrpInstances(t)).toEqual([
      {
        name: 'A',
        state: 'BACKUP',
        interface: null,
        virtualRouterId: null,
        priority: 100,
        unicastSrcIp: null,
        unicastPeers: [],
        vips: [],
      },
    ]);
    expect(parseVrrpInstances('')).toEqual([]);
  });
});

describe('parseCronRsync', () => {
  it('finds the old pull of /nfs in /etc/crontab and /etc/cron.d (user field) and in a user crontab', () => {
    const sys =
      'SHELL=/bin/sh\n# m h dom mon dow user command\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n*/15 * * * * root /usr/bin/rsync -a --delete 198.51.100.11::nfs/ /nfs/ >/var/log/nfs-sync.log 2>&1\n';
    expect(parseCronRsync(sys, true)).toEqual([
      {
        schedule: '*/15 * * * *',
        user: 'root',
        command: '/usr/bin/rsync -a --delete 198.51.100.11::nfs/ /nfs/ >/var/log/nfs-sync.log 2>&1',
        host: '198.51.100.11',
        module: 'nfs',
        dest: '2>&1',
      },
    ]);
    const user =
      '@hourly rsync -aH rsync://nfs1.example.org/exports/ /nfs\n0 3 * * * rsync -a -e ssh root@nfs1:/nfs/ /nfs/\n';
    expect(parseCronRsync(user, false).map((r) => [r.schedule, r.user, r.host, r.module, r.dest])).toEqual([
      ['@hourly', null, 'nfs1.example.org', 'exports', '/nfs'],
      ['0 3 * * *', null, 'nfs1', null, '/nfs/'],
    ]);
  });
  it('ignores comments, variables, short lines and lines without rsync', () => {
    expect(
      parseCronRsync(
        '# */5 * * * * root rsync a::b c\nMAILTO=root\n* * * *\n0 * * * * root backup.sh rsync-like\n',
        true,
      ),
    ).toEqual([]);
  });
});
