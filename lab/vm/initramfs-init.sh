#!/bin/sh
# /init of the vm tier's busybox initramfs (runs as PID 1 under busybox sh).
# Loads the few modules needed to reach the host, mounts the host's / read-only over 9p with
# a tmpfs overlay on top, binds the cached kernel modules at /lib/modules/$(uname -r) and
# switch_roots into the guest init script named on the kernel command line (nfslab.init=).
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /mods.list); do insmod "/mods/$m" || echo "initramfs: insmod $m failed"; done
INIT=; KMOD=; TMPSZ=768m
for a in $(cat /proc/cmdline); do
  case $a in
    nfslab.init=*) INIT=${a#nfslab.init=} ;;
    nfslab.kmod=*) KMOD=${a#nfslab.kmod=} ;;
    nfslab.tmpfs=*) TMPSZ=${a#nfslab.tmpfs=} ;;
  esac
done
die() { echo "initramfs: $*"; poweroff -f; }
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower || die "9p mount failed"
mount -t tmpfs -o size="$TMPSZ",mode=755 upper /upper || die "tmpfs failed"
mkdir -p /upper/u /upper/w
mount -t overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w overlay /newroot || die "overlay failed"
V=$(uname -r)
if [ -n "$KMOD" ]; then
  mkdir -p "/newroot/lib/modules/$V"
  mount --bind "/newroot$KMOD" "/newroot/lib/modules/$V" || die "modules bind failed"
fi
[ -n "$INIT" ] || die "no nfslab.init= on the kernel command line"
umount /proc /sys /dev
exec switch_root /newroot /bin/bash "$INIT"
