#!/bin/bash
# host-mounts.sh HOST HOSTDIR STATEDIR CHECKOUT LABBIN [XFS_LOOPDEV]
# Runs INSIDE a freshly unshared (private) mount + uts namespace that is already joined to the
# host's network namespace (see lab_make_host in up.sh). It builds the host's view of the file
# system. Nothing here propagates to the root namespace (propagation is private).
set -euo pipefail
h=$1 d=$2 L=$3 checkout=$4 labbin=$5 xfsdev=${6:-}

hostname "$h"

# This namespace started as a copy of the root mount table, including the bind mounts of the
# OTHER hosts' namespace files under $L/ns. Drop them, or this host would pin those namespaces.
if mountpoint -q "$L/ns"; then umount -l "$L/ns"; fi

ovl() { # ovl NAME LOWER TARGET: per-host writable overlay over a real directory
  mkdir -p "$d/$1-upper" "$d/$1-work"
  mount -t overlay "nfslab-$1-$h" -o "lowerdir=$2,upperdir=$d/$1-upper,workdir=$d/$1-work" "$3"
}
# /etc: per-host files (ssh host keys, keepalived.conf, ganesha, lvm.conf, hosts, nfsctl config)
ovl etc /etc /etc
# /var/lib: per-host /var/lib/nfs, /var/lib/nfsctl, ceph data on the ceph host, ...
ovl varlib /var/lib /var/lib
# /usr/local/sbin: labsvc + the nfsctl wrapper (lab bin dir as an extra lower layer)
ovl sbin "$labbin:/usr/local/sbin" /usr/local/sbin
# /opt: only so /opt/nfsctl can be created without touching the real /opt
ovl opt /opt /opt
mkdir -p /opt/nfsctl
mount --bind "$checkout" /opt/nfsctl
mount -o remount,bind,ro /opt/nfsctl

# /root: a fresh home as a storage node has it (Debian's stock dot files), not this machine's:
# its .bashrc (pyenv, cargo, ...) would run on every SSH command nfsctl sends and put other
# tools first on the PATH. It also gives /root/.ssh a mount point on machines that lack one.
mkdir -p "$d/root"
cp /usr/share/base-files/dot.bashrc "$d/root/.bashrc"
cp /usr/share/base-files/dot.profile "$d/root/.profile"
mkdir -p -m 0700 "$d/root/.ssh"
mount --bind "$d/root" /root
mount --bind "$d/root-ssh" /root/.ssh
# /nfs: on storage hosts the XFS filesystem with project quotas (xfsquota backend root), mounted
# straight onto the root fs's /nfs, so the fault `unmount` leaves a real "not mounted" /nfs (lab up
# made that directory immutable: nothing written there can leak into the machine's root fs).
# Other hosts get a per-host plain directory.
# Some kernels are built without XFS quota support (CONFIG_XFS_QUOTA unset: the mount with
# prjquota fails with EINVAL). Then /nfs is mounted without quotas and $d/nfs-quota says so;
# lab up publishes it as xfs_prjquota=no in the lab facts.
if [ -n "$xfsdev" ]; then
  if mount -t xfs -o prjquota "$xfsdev" /nfs 2>/dev/null; then
    echo prjquota >"$d/nfs-quota"
  else
    mount -t xfs "$xfsdev" /nfs
    echo none >"$d/nfs-quota"
  fi
else
  mount --bind "$d/nfs" /nfs
fi
mount --bind "$d/run" /run
mount --bind "$d/varlog" /var/log
# a sysfs of this network namespace (so /sys/class/net shows eth0 of this host)
umount -l /sys
mount -t sysfs sysfs /sys
# last: $d itself lives under /tmp
mount --bind "$d/tmp" /tmp
