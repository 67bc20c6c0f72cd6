#!/bin/bash
# host-config.sh HOST [PV_LOOPDEV]
# Runs INSIDE lab host HOST (via hx, so /etc, /var/lib, /run, ... are the host's own) and writes
# its configuration: /etc/hosts, sshd, keepalived, rsyncd, ganesha, LVM, the nfsctl config, the
# seed export. Storage hosts also get their volume group. Daemons are started later by lab up.
set -euo pipefail
h=$1 pvdev=${2:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"
# shellcheck source=../ganesha-conf.sh
. "$here/../ganesha-conf.sh"

echo "$h" >/etc/hostname
{
  echo "# nfslab hosts"
  for n in primary backup client ceph; do echo "${IP[$n]} $n"; done
  echo "$VIP nfs-vip"
} >>/etc/hosts

mkdir -p /etc/labsvc/enabled /run/lock /var/log/nfsctl /etc/nfsctl /etc/ceph /run/ceph

# ---- sshd (primary, backup, client): own host key, key login for root only
if [ "$h" != ceph ]; then
  # the overlay shows the machine's own host keys: never let a lab host reuse them
  rm -f /etc/ssh/ssh_host_*
  ssh-keygen -q -t ed25519 -N '' -C "root@$h" -f /etc/ssh/ssh_host_ed25519_key
  cat >/etc/ssh/sshd_config.d/nfslab.conf <<'EOF'
# nfslab: key login for root only; no PAM (no logind/systemd in the lab)
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
EOF
  touch /etc/labsvc/enabled/sshd
fi

# ---- nfsctl config: storage hosts name themselves in `this`; the client is not a pair member
if [ "$h" != ceph ]; then
  if is_storage "$h"; then this="this: $h"; else this="# this: (client is not a pair member)"; fi
  cat >/etc/nfsctl/config.yaml <<EOF
$this
hosts:
  primary:
    address: ${IP[primary]}
    ssh: { user: root, port: 22, identity: /root/.ssh/id_ed25519, knownHosts: /root/.ssh/known_hosts }
  backup:
    address: ${IP[backup]}
    ssh: { user: root, port: 22, identity: /root/.ssh/id_ed25519, knownHosts: /root/.ssh/known_hosts }
vip: $VIP
nfs:
  root: /nfs
  pathTemplate: "{root}/{namespace}_{name}"
  server: ganesha
  exportsFile: /etc/exports.d/nfsctl.exports
  ganeshaExportsDir: /etc/ganesha/nfsctl
  clients: [$LAB_NET]
  options: [rw, sync, no_root_squash, no_subtree_check]
backends:
  default: xfsquota
  # this tier has no device-mapper and no krbd: LVs stay inactive, images are not mapped
  lvm: { vg: vgnfs, metadataOnly: true }
  rbd: { pool: rbd, cephConf: /etc/ceph/ceph.conf, id: admin, keyring: /etc/ceph/ceph.client.admin.keyring, map: false }
  # CephFS subvolumes, served by both hosts' ganesha (FSAL CEPH) at once
  cephfs: { fs: cephfs, group: nfsctl, cephConf: /etc/ceph/ceph.conf, id: admin, keyring: /etc/ceph/ceph.client.admin.keyring }
  # quota: false where the kernel lacks XFS quota support (sizes recorded, not enforced)
  xfsquota: { root: /nfs, quota: $([ "${3:-yes}" = yes ] && echo true || echo false) }
keepalived: { config: /etc/keepalived/keepalived.conf, instance: VI_NFS, interface: eth0 }
rsync: { module: nfs, interval: 15m }
services:
  manager: command
  command: ["labsvc", "{action}", "{service}"]
  names: { keepalived: keepalived, nfs: nfs-ganesha, rsyncd: rsync }
timeouts: { connect: 5s, command: 60s }
state: { auditLog: /var/log/nfsctl/audit.jsonl, lockDir: /run/lock/nfsctl, stateDir: /var/lib/nfsctl }
EOF
fi

is_storage "$h" || exit 0

# ---- keepalived: fixed roles, MASTER 150 on primary, BACKUP 100 on backup, multicast VRRP
if [ "$h" = primary ]; then state=MASTER prio=150; else state=BACKUP prio=100; fi
install -m 755 "$here/files/notify.sh" /etc/keepalived/notify.sh
cat >/etc/keepalived/keepalived.conf <<EOF
global_defs {
    router_id $h
    script_user root
    enable_script_security
}
vrrp_instance VI_NFS {
    state $state
    interface eth0
    virtual_router_id 51
    priority $prio
    advert_int 1
    virtual_ipaddress {
        $VIP/24 dev eth0
    }
    notify /etc/keepalived/notify.sh
}
EOF
# nfsctl's freshness track_file (a stale host stays in FAULT), added by the very function
# `nfsctl ha install` uses, so the lab's keepalived.conf is what production gets
[ -f "$IN_HOST_CHECKOUT/dist/ha/freshness.js" ] || { echo "host-config: $IN_HOST_CHECKOUT/dist is not built (npm run build)" >&2; exit 1; }
mkdir -p /var/lib/nfsctl/freshness
echo 0 >/var/lib/nfsctl/freshness/stale
node --input-type=module -e '
const { withFreshnessTrack } = await import(process.argv[1] + "/dist/ha/freshness.js");
const fs = await import("node:fs");
const f = "/etc/keepalived/keepalived.conf";
const out = withFreshnessTrack(fs.readFileSync(f, "utf8"), "VI_NFS", "/var/lib/nfsctl/freshness/stale");
if (out !== null) fs.writeFileSync(f, out);
' "$IN_HOST_CHECKOUT"

# ---- the sync timer on the backup, as `nfsctl sync install-timer` writes it (no cron daemon
# runs in the lab: health checks it is installed, nothing fires it)
if [ "$h" = backup ]; then
  mkdir -p /etc/cron.d
  printf '%s\n' '# Managed by nfsctl (nfsctl sync install-timer): the periodic backup pull.' 'SHELL=/bin/sh' 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' '*/15 * * * * root /usr/local/sbin/nfsctl sync --yes --json >> /var/log/nfsctl/sync.log 2>&1' >/etc/cron.d/nfsctl-sync
fi

# ---- rsync daemon: read-only module `nfs` for the backup's pull
cat >/etc/rsyncd.conf <<EOF
uid = root
gid = root
use chroot = no
pid file = /run/rsyncd.pid
log file = /var/log/rsyncd.log
[nfs]
    path = /nfs
    read only = yes
    hosts allow = $LAB_NET
EOF

# ---- nfs-ganesha: NFSv3+4 over VFS. The seed export lives here; nfsctl owns only the included file.
# (cephfs volumes are served over FSAL CEPH: libcephfs reads /etc/ceph/ceph.conf, written by lab up.)
mkdir -p /etc/ganesha/nfsctl /etc/exports.d /var/lib/nfs/ganesha
: >/etc/exports
{
  echo "# nfslab ganesha.conf ($h). Volume exports: nfsctl's $GANESHA_EXPORTS (one EXPORT block per volume)."
  ganesha_core
  cat <<'EOF'
# lab seed export (not nfsctl's): lets the lab prove NFS works through the VIP
EXPORT {
    Export_Id = 1;
    Path = /nfs/lab-seed;
    Pseudo = /nfs/lab-seed;
    Access_Type = RW;
    Squash = No_Root_Squash;
    SecType = sys;
    Protocols = 3, 4;
    Transports = TCP, UDP;
    FSAL { Name = VFS; }
}
EOF
  ganesha_include
} >/etc/ganesha/ganesha.conf
ganesha_exports_header >"$GANESHA_EXPORTS"
mkdir -p /nfs/lab-seed
echo "hello from $h" >/nfs/lab-seed/hello.txt

# ---- LVM: metadata only (no device-mapper here). Both hosts name their VG vgnfs, so each host's
# filter admits ONLY its own loop device; activation is off so lvcreate -an -Zn works.
cat >/etc/lvm/lvm.conf <<EOF
# nfslab ($h): only $pvdev is a PV candidate on this host
devices {
    filter = [ "a|^${pvdev}\$|", "r|.*|" ]
    global_filter = [ "a|^${pvdev}\$|", "r|.*|" ]
    use_devicesfile = 0
    obtain_device_list_from_udev = 0
    external_device_info_source = "none"
}
global {
    activation = 0
    use_lvmpolld = 0
}
activation {
    udev_sync = 0
    udev_rules = 0
    monitoring = 0
}
EOF
pvcreate -q -y -ff "$pvdev" >/dev/null
vgcreate -q vgnfs "$pvdev" >/dev/null

for s in sshd rpcbind dbus keepalived nfs-ganesha rsync; do touch "/etc/labsvc/enabled/$s"; done
