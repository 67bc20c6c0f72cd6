#!/bin/bash
# PID 1 of a vm-tier guest, right after switch_root. The root is an overlay: tmpfs over the
# host's / (read-only 9p), so every host binary is here and nothing written reaches the host.
# Brings the guest up for its role, starts sshd LAST (so "answers SSH" == "ready"), then
# execs busybox init as a zombie reaper.
#   storage role (primary, backup): LVM VG vgnfs on /dev/vda (real activation), kernel nfsd,
#                                    rpcbind, rpc.mountd -p 20048, rpc.statd, keepalived, rsyncd,
#                                    drbd (8.4, the kernel's) with nfsctl's resources up as Secondary;
#                                    /dev/vdb keeps what a server keeps across a reboot (below)
#   client role:                     kernel NFS client modules, rpcbind, rpc.statd
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DM_DISABLE_UDEV=1 LANG=C.UTF-8
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t tmpfs -o mode=755 run /run
mkdir -p /run/lock /run/lvm /run/rpcbind /run/sshd /run/labsvc

NAME=; IP=; STATE=; ROLE=; REPO=; REPO_NM=0
for a in $(cat /proc/cmdline); do
  case $a in
    nfslab.name=*) NAME=${a#nfslab.name=} ;;
    nfslab.ip=*) IP=${a#nfslab.ip=} ;;
    nfslab.state=*) STATE=${a#nfslab.state=} ;;
    nfslab.role=*) ROLE=${a#nfslab.role=} ;;
    nfslab.repo=*) REPO=${a#nfslab.repo=} ;;
    nfslab.repo_nm=*) REPO_NM=${a#nfslab.repo_nm=} ;;
  esac
done
up() { cut -d' ' -f1 /proc/uptime; }
log() { echo "nfslab[$NAME] $(up)s: $*" >/dev/console; }
INITLOG=/run/nfslab-init.log
step() {
  echo "+ $(up)s $*" >>$INITLOG
  "$@" >>$INITLOG 2>&1 || { local rc=$?; log "FAILED rc=$rc: $*"; echo "! rc=$rc" >>$INITLOG; }
}
log "guest init (role $ROLE, ip $IP, kernel $(uname -r))"

# Per-guest files the host prepared (host keys, ops key, known_hosts, configs, helpers).
# /root is the guest's own (not the host's home with its dotfiles and shell init).
mount -t tmpfs -o mode=700 roothome /root
mount -t tmpfs -o mode=755 varlibnfs /var/lib/nfs
cp -a "$STATE/guests/$NAME/root/." / || log "copying the guest files failed"
chmod 600 /etc/ssh/ssh_host_*_key /root/.ssh/id_ed25519
chmod 700 /root/.ssh
mkdir -p /var/lib/nfs/sm /var/lib/nfs/sm.bak /var/lib/nfs/v4recovery /var/lib/nfs/rpc_pipefs
: >/var/lib/nfs/etab; : >/var/lib/nfs/rmtab
mkdir -p /var/log/nfsctl /var/lib/nfsctl /run/lock/nfsctl /etc/exports.d /mnt
hostname "$NAME"

# The nfsctl checkout: uncached (fresh builds visible at once), node_modules cached.
O9=trans=virtio,version=9p2000.L,ro,msize=512000
if [ -n "$REPO" ]; then
  mkdir -p "$REPO"   # a checkout under /root is under this guest's own /root tmpfs
  step mount -t 9p -o $O9,cache=none repo "$REPO"
  [ "$REPO_NM" = 1 ] && step mount -t 9p -o $O9,cache=loose repo_nm "$REPO/node_modules"
fi

ip link set lo up
ip addr add "$IP/24" dev eth0
ip link set eth0 up

# What a real server keeps on its root filesystem across a reboot lives on /dev/vdb (the root
# here is a tmpfs overlay): the first boot copies these paths there, every boot binds them back
# over the fresh root, so `vm.sh kill` + `vm.sh start` is a crash and a reboot of the same server.
PERSIST_DIRS="/etc/drbd.d /etc/keepalived /etc/exports.d /var/lib/nfsctl /var/log/nfsctl /var/lib/nfs /var/lib/drbd"
# (directories only: nfsctl writes files atomically, by a rename in the same directory, and a
# rename over a bind-mounted file fails; so /etc/fstab and /etc/exports do not persist, and an
# lvm volume is not mounted again at boot)
persist() {
  mkdir -p /persist
  if ! mount -t ext4 /dev/vdb /persist 2>/dev/null; then
    mkfs.ext4 -q -F -L nfslab-persist /dev/vdb && mount -t ext4 /dev/vdb /persist || return 1
  fi
  local p
  for p in $PERSIST_DIRS; do
    mkdir -p "$p"
    [ -d "/persist$p" ] || { mkdir -p "/persist$p" && cp -a "$p/." "/persist$p/"; }
    mount --bind "/persist$p" "$p"
  done
  [ -e /persist/boots ] && echo "persist: boot $(( $(cat /persist/boots) + 1 )) of this server" || echo "persist: first boot"
  echo $(( $(cat /persist/boots 2>/dev/null || echo 0) + 1 )) >/persist/boots
}

case $ROLE in
  storage)
    for m in dm_mod xfs nfsd drbd ext4; do step modprobe $m; done
    step persist
    : >/var/lib/nfs/etab; : >/var/lib/nfs/rmtab
    mkdir -p /var/lib/nfs/sm /var/lib/nfs/sm.bak /var/lib/nfs/v4recovery /var/lib/nfs/rpc_pipefs
    if ! vgs vgnfs >/dev/null 2>&1; then
      step pvcreate -y -q /dev/vda
      step vgcreate -q vgnfs /dev/vda
    fi
    step vgchange -q -ay vgnfs
    # the DRBD resources, the way drbd.service does (`drbdadm adjust all`: attach + connect, as
    # Secondary; keepalived's notify hook promotes on the VIP holder)
    ls /etc/drbd.d/*.res >/dev/null 2>&1 && step drbdadm adjust all
    mkdir -p /nfs
    step labsvc start nfs-kernel
    [ -e /etc/labsvc/enabled/rsync ] && step labsvc start rsync
    [ -e /etc/labsvc/enabled/keepalived ] && step labsvc start keepalived
    ;;
  client)
    for m in nfs nfsv3; do step modprobe $m; done
    mkdir -p /mnt/x
    step labsvc start nfs-client
    ;;
esac
step labsvc start sshd
touch /run/nfslab-ready
log "ready (guest clock $(date +%T.%N | cut -c1-12))"

cat >/etc/inittab <<'EOF'
::shutdown:/bin/sync
EOF
exec /bin/busybox init
