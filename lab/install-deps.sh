#!/usr/bin/env bash
# Installs the Debian packages the lab (and the shell-completion / man-page tests) need.
# Idempotent: packages already present are skipped by apt. Run as root.
set -euo pipefail
PKGS=(
  # netns tier: hosts, daemons and the tools nfsctl wraps
  iproute2 iptables nftables util-linux mount e2fsprogs procps psmisc uuid-runtime kmod
  openssh-server openssh-client rsync keepalived rpcbind dbus
  nfs-kernel-server nfs-common nfs-ganesha nfs-ganesha-vfs libnfs-utils
  lvm2 xfsprogs
  ceph-mon ceph-osd ceph-mgr ceph-common rbd-fuse
  ceph-mds ceph-mgr-modules-core nfs-ganesha-ceph   # the cephfs backend: MDS, mgr volumes, FSAL CEPH
  # vm tier
  qemu-system-x86 qemu-utils busybox-static cpio xz-utils
  prometheus   # promtool: nfsctl metrics output is checked with `promtool check metrics`
  fio   # the kernel-client drill (test/lab/vm.test.ts): a verifying writer on the NFS mount
  drbd-utils   # --replication drbd: drbdadm/drbdsetup in the vm guests (their kernel has drbd.ko)
  # operator-experience tests
  bash-completion zsh fish mandoc groff-base man-db tmux
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "lab deps: all present"; exit 0; fi
echo "lab deps: installing ${missing[*]}"
# No init system here: keep package scripts from trying to start the daemons they ship.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/nfsctl-apt.log 2>&1 || { tail -40 /tmp/nfsctl-apt.log >&2; exit 1; }
echo "lab deps: installed"
