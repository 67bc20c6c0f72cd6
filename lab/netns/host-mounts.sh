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

mount --bind "$d/root-ssh" /root/.ssh
# /nfs: first a per-host plain dir (what is left when the fault `unmount` takes the fs away),
# then on storage hosts the XFS filesystem with project quotas (xfsquota backend root)
mount --bind "$d/nfs" /nfs
if [ -n "$xfsdev" ]; then mount -t xfs -o prjquota "$xfsdev" /nfs; fi
mount --bind "$d/run" /run
mount --bind "$d/varlog" /var/log
# a sysfs of this network namespace (so /sys/class/net shows eth0 of this host)
umount -l /sys
mount -t sysfs sysfs /sys
# last: $d itself lives under /tmp
mount --bind "$d/tmp" /tmp
