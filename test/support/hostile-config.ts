// A valid config with every key the hostile-input corpus corrupts on a line of its own,
// and a helper that replaces one value and says where it is (line, column).
import { tempDir } from './config.js';

export const DIR = tempDir('nfsctl-hostile-');

/** A valid config with every key the corpus corrupts on a line of its own. */
export const BASE = `this: primary
hosts:
  primary:
    address: 198.51.100.11
    ssh:
      user: root
      port: 22
      identity: /root/.ssh/id_ed25519
      knownHosts: /root/.ssh/known_hosts
      hostKeyAliases: [nfs-vip.example.com]
  backup:
    address: 198.51.100.12
vip: 198.51.100.100
nfs:
  root: /nfs
  pathTemplate: "{root}/{namespace}_{name}"
  server: ganesha
  exportsFile: /etc/exports.d/nfsctl.exports
  ganeshaExportsDir: /etc/ganesha/nfsctl
  clients: [198.51.100.0/24]
  options: [rw, sync, root_squash, no_subtree_check]
backends:
  default: lvm
  lvm:
    vg: vgnfs
  rbd:
    pool: rbd
    id: admin
    cephConf: /etc/ceph/ceph.conf
    keyring: /etc/ceph/ceph.client.admin.keyring
  xfsquota:
    root: /srv/nfs
keepalived:
  config: /etc/keepalived/keepalived.conf
  instance: VI_NFS
  interface: eth0
rsync:
  module: nfs
  interval: 15m
services:
  manager: systemctl
  names:
    keepalived: keepalived
    nfs: nfs-ganesha
    rsyncd: rsync
timeouts:
  connect: 5s
  command: 60s
  check: 5s
state:
  auditLog: ${DIR}/log/audit.jsonl
  lockDir: ${DIR}/lock
  stateDir: ${DIR}/state
`;

/** Replace the value of `key` (dotted, block style) with `raw` YAML; returns the text and the value's line/column. */
export function withValue(key: string, raw: string, base = BASE): { text: string; line: number; col: number } {
  const lines = base.split('\n');
  const parts = key.split('.');
  let from = 0;
  let line = -1;
  for (let depth = 0; depth < parts.length; depth++) {
    const prefix = `${'  '.repeat(depth)}${parts[depth]}:`;
    line = lines.findIndex((l, i) => i >= from && (l === prefix || l.startsWith(`${prefix} `)));
    if (line < 0) throw new Error(`no key ${key} in the base config`);
    from = line + 1;
  }
  const prefix = `${'  '.repeat(parts.length - 1)}${parts[parts.length - 1]}: `;
  lines[line] = prefix + raw;
  return { text: lines.join('\n'), line: line + 1, col: prefix.length + 1 };
}
