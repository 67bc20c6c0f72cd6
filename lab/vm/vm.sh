#!/usr/bin/env bash
# nfsctl lab, vm tier: real Debian kernels under TCG qemu (the host kernel has no
# device-mapper, nfsd, NFS client or rbd).
#
#   bash lab/vm/vm.sh up                      boot primary, backup, client; wait for SSH
#   bash lab/vm/vm.sh down                    kill guests, delete namespaces and state
#   bash lab/vm/vm.sh status                  which guests are up (exit 0 iff all three)
#   bash lab/vm/vm.sh exec <host> [-- cmd…]   run a command in a guest over SSH (exit code passed through)
#   bash lab/vm/vm.sh ssh-config              print ssh options for driving guests by hand
#   bash lab/vm/vm.sh scenario                smoke test: LVM+XFS+nfsd on primary, NFSv3 mount on client
#   bash lab/vm/vm.sh kill <guest>            SIGKILL its qemu (a crash: no shutdown, no flush of the guest's caches)
#   bash lab/vm/vm.sh ceph-up                 a Ceph cluster (1 mon/mgr/osd memstore/mds, pool rbd, fs cephfs) in
#                                             netns nfslab-vmceph at 198.51.100.31 on the guests' bridge; the
#                                             storage guests get its client ceph.conf + admin keyring (krbd, kernel cephfs)
#   bash lab/vm/vm.sh ceph <args…>            run `ceph <args…>` (or `-- cmd…`) on the lab cluster's host
#   bash lab/vm/vm.sh start <guest> [--no-keepalived]
#                                             boot that one guest again (same disks, keys, addresses) and wait for SSH;
#                                             --no-keepalived: this boot does not start keepalived (a crashed primary
#                                             kept out of the VIP until the operator fails back)
#
# Topology (all lab addresses live only inside lab namespaces and guests; no default routes):
#   netns nfslab-vmsw : bridge vmbr0 + taps vm-primary/vm-backup/vm-client (qemu runs here)
#   netns nfslab-vmctl: eth0 198.51.100.5/24 on the same bridge; the host drives guests from here
#   netns nfslab-vmceph: eth0 198.51.100.31/24 on the same bridge (ceph-up only); its daemons run in a
#                        private mount namespace with /etc/ceph, /var/lib/ceph, /run/ceph, /var/log/ceph
#                        bound from $STATE/ceph (nothing of the machine's own Ceph directories is touched)
#   primary 198.51.100.11, backup 198.51.100.12, client 198.51.100.21, VIP 198.51.100.100
#
# Environment:
#   NFSCTL_LAB_VM_STATE   state dir (default /var/tmp/nfsctl-lab-vm). The guests read it over 9p,
#                         so not under /run, /root or /var/lib/nfs (the guests mount their own there)
#   NFSCTL_LAB_CACHE      cache dir for kernel + modules + initramfs (default /var/cache/nfsctl-lab)
#   NFSCTL_LAB_KERNEL     kernel ABI to use, e.g. 6.1.0-56-amd64 (default: newest cached, else the
#                         one linux-image-amd64 depends on)
#   NFSCTL_LAB_VM_MEM     guest memory in MiB (default 1024)
#   NFSCTL_LAB_VM_SMP     vCPUs per guest (default 1; 2 made `nfsctl volume list` ~15% faster on
#                         this 2-core machine, within the noise, so the tests keep 1)
#   NFSCTL_LAB_VM_DISK    storage guest disk size (default 16G, sparse raw)
#   NFSCTL_LAB_VM_TIMEOUT seconds `up` waits for SSH (default 420)
#   NFSCTL_LAB_VM_KEEPALIVED=0  do not start keepalived in the storage guests at boot
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=../ganesha-conf.sh
. "$REPO/lab/ganesha-conf.sh"
STATE=${NFSCTL_LAB_VM_STATE:-/var/tmp/nfsctl-lab-vm}
CACHE=${NFSCTL_LAB_CACHE:-/var/cache/nfsctl-lab}/vm
MEM=${NFSCTL_LAB_VM_MEM:-1024}
DISK_SIZE=${NFSCTL_LAB_VM_DISK:-16G}
UP_TIMEOUT=${NFSCTL_LAB_VM_TIMEOUT:-420}
LOCK=/var/tmp/nfsctl-lab-vm.lock

NS_SW=nfslab-vmsw
NS_CTL=nfslab-vmctl
NS_CEPH=nfslab-vmceph
CEPH_IP=198.51.100.31
BR=vmbr0
NET=198.51.100
CTL_IP=$NET.5
VIP=$NET.100
GUESTS=(primary backup client)
declare -A IPS=([primary]=$NET.11 [backup]=$NET.12 [client]=$NET.21)
declare -A ROLES=([primary]=storage [backup]=storage [client]=client)
declare -A MACS=([primary]=52:54:00:51:64:11 [backup]=52:54:00:51:64:12 [client]=52:54:00:51:64:21)

log() { echo "vm: $*" >&2; }
die() { echo "vm: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }
need_tools() {
  local t missing=()
  for t in qemu-system-x86_64 ip ssh ssh-keygen busybox cpio depmod modprobe dpkg-deb apt-get flock gzip; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (run: bash lab/install-deps.sh)"
}

with_lock() { exec 9>"$LOCK"; flock -w 900 9 || die "another vm.sh holds $LOCK"; }

# ---------------------------------------------------------------- kernel + initramfs cache
kernel_version() {
  if [ -n "${NFSCTL_LAB_KERNEL:-}" ]; then echo "$NFSCTL_LAB_KERNEL"; return; fi
  local c
  c=$(for d in "$CACHE"/kernel-*/.complete; do [ -e "$d" ] && basename "$(dirname "$d")"; done \
      | sed 's/^kernel-//' | sort -V | tail -1)
  if [ -n "$c" ]; then echo "$c"; return; fi
  resolve_kernel_from_apt
}
resolve_kernel_from_apt() {
  local v=
  v=$(apt-cache depends linux-image-amd64 2>/dev/null \
      | awk '$1=="Depends:" && $2 ~ /^linux-image-6\.1\.0-[0-9]+-amd64$/ {sub(/^linux-image-/,"",$2); print $2; exit}')
  if [ -z "$v" ]; then
    log "apt has no linux-image-amd64 candidate yet: apt-get update"
    apt-get update -qq >&2 || true
    v=$(apt-cache depends linux-image-amd64 2>/dev/null \
        | awk '$1=="Depends:" && $2 ~ /^linux-image-6\.1\.0-[0-9]+-amd64$/ {sub(/^linux-image-/,"",$2); print $2; exit}')
  fi
  [ -n "$v" ] || die "cannot resolve a Debian 6.1 kernel from apt (linux-image-amd64); set NFSCTL_LAB_KERNEL=6.1.0-N-amd64"
  echo "$v"
}

# Populates $CACHE/kernel-$KVER/{vmlinuz,lib/modules/$KVER} (apt-get download + dpkg-deb -x + depmod -b).
ensure_kernel() {
  KDIR=$CACHE/kernel-$KVER
  if [ -e "$KDIR/.complete" ]; then
    [ -e "$KDIR/vmlinux" ] || [ -e "$KDIR/.no-vmlinux" ] || extract_vmlinux "$KDIR/vmlinuz" "$KDIR/vmlinux" \
      || { rm -f "$KDIR/vmlinux"; touch "$KDIR/.no-vmlinux"; }
    return 0
  fi
  local t0; t0=$(now)
  log "kernel $KVER not cached: apt-get download linux-image-$KVER"
  mkdir -p "$CACHE"
  local tmp; tmp=$(mktemp -d "$CACHE/.dl.XXXXXX")
  chmod 755 "$tmp"
  if ! (cd "$tmp" && apt-get download -q "linux-image-$KVER" >/dev/null 2>"$tmp/apt.err"); then
    log "apt-get download failed; apt-get update and retry"
    apt-get update -qq >&2 || true
    (cd "$tmp" && apt-get download -q "linux-image-$KVER" >/dev/null 2>"$tmp/apt.err") \
      || { cat "$tmp/apt.err" >&2; rm -rf "$tmp"; die "cannot download linux-image-$KVER"; }
  fi
  local deb; deb=$(ls "$tmp"/linux-image-"$KVER"_*.deb)
  dpkg-deb -x "$deb" "$tmp/x"
  mkdir -p "$tmp/k/lib/modules"
  mv "$tmp/x/boot/vmlinuz-$KVER" "$tmp/k/vmlinuz"
  mv "$tmp/x/boot/config-$KVER" "$tmp/k/config"
  mv "$tmp/x/lib/modules/$KVER" "$tmp/k/lib/modules/$KVER"
  depmod -b "$tmp/k" "$KVER"
  extract_vmlinux "$tmp/k/vmlinuz" "$tmp/k/vmlinux" || { rm -f "$tmp/k/vmlinux"; touch "$tmp/k/.no-vmlinux"; }
  touch "$tmp/k/.complete"
  rm -rf "$KDIR"
  mv "$tmp/k" "$KDIR"
  rm -rf "$tmp"
  log "kernel $KVER cached in $KDIR ($(since "$t0")s)"
}

# The Debian bzImage is xz-compressed, and decompressing it under TCG costs seconds per boot.
# The kernel has CONFIG_PVH, so qemu can boot the uncompressed ELF vmlinux directly.
extract_vmlinux() {
  local in=$1 out=$2 off
  command -v xz >/dev/null 2>&1 || return 1
  grep -q '^CONFIG_PVH=y' "$(dirname "$in")/config" || return 1
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$in" | head -1 | cut -d: -f1)
  [ -n "$off" ] || return 1
  tail -c +$((off + 1)) "$in" | xz -dcq --single-stream >"$out" 2>/dev/null || true
  [ "$(head -c 4 "$out" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]
}

INITRD_MODS=(virtio_pci virtio_blk virtio_net 9pnet_virtio 9p overlay virtio_rng)
ensure_initrd() {
  local h
  h=$( { cat "$HERE/initramfs-init.sh"; echo "${INITRD_MODS[*]}"; sha256sum /bin/busybox; } | sha256sum | cut -c1-12)
  INITRD=$KDIR/initrd-$h.gz
  [ -s "$INITRD" ] && return 0
  log "building initramfs $INITRD"
  local tmp; tmp=$(mktemp -d "$CACHE/.initrd.XXXXXX")
  mkdir -p "$tmp/root"/{bin,sbin,proc,sys,dev,lower,upper,newroot,mods}
  cp /bin/busybox "$tmp/root/bin/busybox"
  local a
  for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] && continue          # a busybox -> busybox link loops and panics
    ln -s busybox "$tmp/root/bin/$a"
  done
  cp "$HERE/initramfs-init.sh" "$tmp/root/init"; chmod 755 "$tmp/root/init"
  local m p
  for m in "${INITRD_MODS[@]}"; do modprobe -d "$KDIR" -S "$KVER" -D "$m"; done \
    | awk '$1=="insmod"{print $2}' | awk '!s[$0]++' | while read -r p; do
        cp "$p" "$tmp/root/mods/"; basename "$p" >>"$tmp/root/mods.list"
      done
  (cd "$tmp/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/initrd.gz"
  mv "$tmp/initrd.gz" "$INITRD"
  rm -rf "$tmp"
}

# ---------------------------------------------------------------- ssh
ssh_opts() {
  SSH_OPTS=(-F /dev/null -i "$STATE/ssh/id_ed25519" -o IdentitiesOnly=yes -o IdentityAgent=none
    -o UserKnownHostsFile="$STATE/ssh/known_hosts" -o GlobalKnownHostsFile=/dev/null
    -o StrictHostKeyChecking=yes -o CheckHostIP=no -o BatchMode=yes -o LogLevel=ERROR
    -o ConnectTimeout=10 -o ServerAliveInterval=10 -o ServerAliveCountMax=6
    -o ControlMaster=auto -o ControlPath="$STATE/ssh/cm-%h" -o ControlPersist=300 -o User=root)
}
host_ip() {
  case $1 in
    primary|backup|client) echo "${IPS[$1]}" ;;
    vip) echo "$VIP" ;;
    "$NET".*) echo "$1" ;;
    *) die "unknown host '$1' (primary, backup, client, vip)" ;;
  esac
}
# POSIX single-quote quoting for the remote shell.
shquote() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

# ---------------------------------------------------------------- state (keys, per-guest files)
gen_state() {
  rm -rf "$STATE"; mkdir -p "$STATE/ssh" "$STATE/guests"; chmod 755 "$STATE"
  echo "$REPO" >"$STATE/repo"
  ssh-keygen -q -t ed25519 -N '' -C nfslab-vm-ops -f "$STATE/ssh/id_ed25519"
  local g kh=$STATE/ssh/known_hosts
  : >"$kh"
  for g in "${GUESTS[@]}"; do
    mkdir -p "$STATE/keys/$g"
    ssh-keygen -q -t ed25519 -N '' -C "nfslab-$g" -f "$STATE/keys/$g/ssh_host_ed25519_key"
    echo "$g,${IPS[$g]} $(cut -d' ' -f1,2 "$STATE/keys/$g/ssh_host_ed25519_key.pub")" >>"$kh"
  done
  # the VIP may sit on either storage node
  for g in primary backup; do
    echo "vip,$VIP $(cut -d' ' -f1,2 "$STATE/keys/$g/ssh_host_ed25519_key.pub")" >>"$kh"
  done
  for g in "${GUESTS[@]}"; do gen_guest "$g"; done
}

gen_guest() {
  local g=$1 r=$STATE/guests/$1/root
  mkdir -p "$r"/etc/{ssh,nfsctl,keepalived,exports.d,labsvc/enabled,lvm} "$r/root/.ssh" "$r"/usr/local/{bin,sbin}
  cp "$STATE/keys/$g/ssh_host_ed25519_key" "$STATE/keys/$g/ssh_host_ed25519_key.pub" "$r/etc/ssh/"
  cp "$STATE/ssh/id_ed25519" "$STATE/ssh/id_ed25519.pub" "$STATE/ssh/known_hosts" "$r/root/.ssh/"
  cp "$STATE/ssh/id_ed25519.pub" "$r/root/.ssh/authorized_keys"
  chmod 700 "$r/root/.ssh"; chmod 600 "$r/root/.ssh/id_ed25519" "$r/etc/ssh/ssh_host_ed25519_key"
  echo "$g" >"$r/etc/hostname"
  # the guest's own /root (a tmpfs): no host dotfiles, a quick non-interactive shell
  cat >"$r/root/.bashrc" <<'EOF'
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DM_DISABLE_UDEV=1
[ -z "${PS1:-}" ] && return
PS1='\u@\h:\w\$ '
EOF
  printf '%s\n' '[ -f ~/.bashrc ] && . ~/.bashrc' >"$r/root/.profile"
  cat >"$r/etc/hosts" <<EOF
127.0.0.1 localhost
${IPS[$g]} $g
${IPS[primary]} primary
${IPS[backup]} backup
${IPS[client]} client
$VIP vip
EOF
  cat >"$r/etc/ssh/sshd_config" <<EOF
# nfslab vm tier
Port 22
ListenAddress 0.0.0.0
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
AuthorizedKeysFile .ssh/authorized_keys
AcceptEnv LANG LC_*
SetEnv DM_DISABLE_UDEV=1
MaxStartups 100
MaxSessions 100
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
  # LVM without udev: lvm creates the /dev nodes itself
  cat >"$r/etc/lvm/lvmlocal.conf" <<'EOF'
activation {
	udev_sync = 0
	udev_rules = 0
}
devices {
	obtain_device_list_from_udev = 0
}
EOF
  : >"$r/etc/exports"
  cat >"$r/usr/local/bin/nfsctl" <<EOF
#!/bin/sh
# nfsctl from the host checkout (the host's / is this guest's read-only lower layer)
export DM_DISABLE_UDEV=1
exec /usr/bin/node $(shquote "$REPO/bin/nfsctl") "\$@"
EOF
  chmod 755 "$r/usr/local/bin/nfsctl"
  install -m 755 "$HERE/labsvc" "$r/usr/local/sbin/labsvc"
  local this="this: $g"
  [ "${ROLES[$g]}" = storage ] || this="# this: (client: not a storage node)"
  cat >"$r/etc/nfsctl/config.yaml" <<EOF
$this
hosts:
  primary: { address: ${IPS[primary]}, ssh: { user: root, port: 22, identity: /root/.ssh/id_ed25519, knownHosts: /root/.ssh/known_hosts } }
  backup:  { address: ${IPS[backup]}, ssh: { user: root, port: 22, identity: /root/.ssh/id_ed25519, knownHosts: /root/.ssh/known_hosts } }
vip: $VIP
nfs: { root: /nfs, pathTemplate: "{root}/{namespace}_{name}", server: kernel, exportsFile: /etc/exports.d/nfsctl.exports, clients: [$NET.0/24], options: [rw, sync, no_root_squash, no_subtree_check] }
backends: { default: lvm, lvm: { vg: vgnfs }, drbd: { vg: vgnfs } }
keepalived: { config: /etc/keepalived/keepalived.conf, instance: VI_NFS, interface: eth0 }
rsync: { module: nfs, interval: 15m }
services: { manager: command, command: ["labsvc", "{action}", "{service}"], names: { keepalived: keepalived, nfs: nfs-kernel, rsyncd: rsync } }
timeouts: { connect: 30s, command: 120s, check: 20s }
state: { auditLog: /var/log/nfsctl/audit.jsonl, lockDir: /run/lock/nfsctl, stateDir: /var/lib/nfsctl }
EOF
  if [ "${ROLES[$g]}" = storage ]; then
    local st=MASTER prio=150
    [ "$g" = backup ] && { st=BACKUP; prio=100; }
    cat >"$r/etc/keepalived/keepalived.conf" <<EOF
global_defs {
  router_id nfslab_$g
  enable_script_security
  script_user root
}
vrrp_instance VI_NFS {
  state $st
  interface eth0
  virtual_router_id 51
  priority $prio
  advert_int 1
  virtual_ipaddress {
    $VIP/24 dev eth0
  }
}
EOF
    cat >"$r/etc/rsyncd.conf" <<EOF
pid file = /run/rsyncd.pid
log file = /var/log/rsyncd.log
use chroot = no
[nfs]
  path = /nfs
  read only = no
  uid = root
  gid = root
  hosts allow = $NET.0/24
EOF
    # NFS-Ganesha, for what the kernel nfsd cannot serve (CephFS over FSAL CEPH): not started at
    # boot (labsvc stop nfs-kernel; labsvc start nfs-ganesha). nfsctl owns only the included file.
    mkdir -p "$r/etc/ganesha/nfsctl"
    { echo "# vm tier ganesha.conf ($g). Volume exports: nfsctl's $GANESHA_EXPORTS (one EXPORT block per volume)."
      ganesha_core; ganesha_include; } >"$r/etc/ganesha/ganesha.conf"
    ganesha_exports_header >"$r$GANESHA_EXPORTS"
    touch "$r/etc/labsvc/enabled/nfs-kernel" "$r/etc/labsvc/enabled/rsync" "$r/etc/labsvc/enabled/sshd"
    [ "${NFSCTL_LAB_VM_KEEPALIVED:-1}" = 0 ] || touch "$r/etc/labsvc/enabled/keepalived"
    truncate -s "$DISK_SIZE" "$STATE/$g.disk"
    truncate -s 64M "$STATE/$g.persist"
  else
    touch "$r/etc/labsvc/enabled/nfs-client" "$r/etc/labsvc/enabled/sshd"
  fi
}

# ---------------------------------------------------------------- network
ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }
net_up() {
  ip netns add "$NS_SW"; echo "$NS_SW" >>"$STATE/netns"
  ip netns add "$NS_CTL"; echo "$NS_CTL" >>"$STATE/netns"
  ip -n "$NS_SW" link set lo up
  ip -n "$NS_SW" link add "$BR" type bridge
  ip netns exec "$NS_SW" sh -c "echo 0 > /sys/class/net/$BR/bridge/multicast_snooping" 2>/dev/null || true
  ip -n "$NS_SW" link set "$BR" up
  local g
  for g in "${GUESTS[@]}"; do
    ip -n "$NS_SW" tuntap add "vm-$g" mode tap
    ip -n "$NS_SW" link set "vm-$g" master "$BR" up
  done
  ip -n "$NS_SW" link add ctl-br type veth peer name eth0 netns "$NS_CTL"
  ip -n "$NS_SW" link set ctl-br master "$BR" up
  ip -n "$NS_CTL" link set lo up
  ip -n "$NS_CTL" addr add "$CTL_IP/24" dev eth0
  ip -n "$NS_CTL" link set eth0 up
  # a stray lab address typed in the root namespace fails fast instead of leaving the machine
  # (shared with the netns tier: the last tier to go down removes it)
  ip route replace unreachable "$NET.0/24"
}

# ---------------------------------------------------------------- guests
start_guest() {
  local g=$1 drive=() repo=() extra=()
  # NFSCTL_LAB_VM_QEMU_EXTRA: extra qemu arguments (split on whitespace), for experiments
  read -r -a extra <<<"${NFSCTL_LAB_VM_QEMU_EXTRA:-}"
  # storage guests: /dev/vda the VG's disk, /dev/vdb a small disk for what a real server keeps
  # on its root filesystem across a reboot (guest-init.sh binds it over /etc/drbd.d, ...)
  if [ "${ROLES[$g]}" = storage ]; then
    [ -e "$STATE/$g.persist" ] || truncate -s 64M "$STATE/$g.persist"
    drive=(-drive "file=$STATE/$g.disk,if=virtio,format=raw,cache=unsafe,discard=unmap"
      -drive "file=$STATE/$g.persist,if=virtio,format=raw,cache=unsafe")
  fi
  # The checkout gets its own 9p shares: without page cache (a rebuilt dist/ is seen at once by
  # a running guest; the host / is mounted cache=loose, which would serve stale files), and
  # node_modules with cache=loose (thousands of files; node start-up is 2x slower uncached).
  local v9=security_model=none,readonly=on,multidevs=remap repo_nm=0
  repo=(-virtfs "local,path=$REPO,mount_tag=repo,$v9")
  if [ -d "$REPO/node_modules" ] && [ ! -L "$REPO/node_modules" ]; then
    repo+=(-virtfs "local,path=$REPO/node_modules,mount_tag=repo_nm,$v9"); repo_nm=1
  fi
  # pci=noacpi: skips the slow ACPI PCI-link setup under TCG but keeps the ACPI tables, so the
  # HPET is there to calibrate the TSC (with acpi=off the guest falls back to jiffies and its
  # clock runs ~8% slow under load)
  local append="console=ttyS0 quiet panic=-1 mitigations=off ${NFSCTL_LAB_VM_ACPI-pci=noacpi} 8250.nr_uarts=1 ${NFSCTL_LAB_VM_APPEND:-} nfslab.init=$HERE/guest-init.sh"
  append+=" nfslab.kmod=$KDIR/lib/modules/$KVER nfslab.name=$g nfslab.ip=${IPS[$g]} nfslab.role=${ROLES[$g]} nfslab.state=$STATE"
  append+=" nfslab.repo=$REPO nfslab.repo_nm=$repo_nm"
  ip netns exec "$NS_SW" qemu-system-x86_64 -name "nfslab-$g" \
    -accel tcg -machine "${NFSCTL_LAB_VM_MACHINE:-pc}" -cpu "${NFSCTL_LAB_VM_CPU:-max}" -smp "${NFSCTL_LAB_VM_SMP:-1}" -m "$MEM" \
    -nodefaults -no-user-config -display none -no-reboot \
    -serial "file:$STATE/$g.console" \
    -kernel "$KIMG" -initrd "$INITRD" -append "$append" \
    -virtfs "local,path=/,mount_tag=hostroot,$v9" "${repo[@]}" \
    "${drive[@]}" \
    -netdev "tap,id=n0,ifname=vm-$g,script=no,downscript=no" -device "virtio-net-pci,netdev=n0,mac=${MACS[$g]}" \
    -device virtio-rng-pci \
    "${extra[@]}" -pidfile "$STATE/$g.pid" -daemonize 9>&-   # the daemon must not inherit the lock fd
}

guest_pid_alive() { local p; p=$(cat "$STATE/$1.pid" 2>/dev/null) && [ -n "$p" ] && pid_live "$p"; }

# (9>&-: a ControlPersist master forked here must not inherit the lock fd)
ssh_ok() { ssh_opts; ip netns exec "$NS_CTL" ssh "${SSH_OPTS[@]}" -o ConnectTimeout=3 -n "${IPS[$1]}" true >/dev/null 2>&1 9>&-; }

# Polls every pending guest in parallel: a guest whose network is not up yet makes ssh wait for
# ARP, which must not delay noticing the others.
wait_ssh() {
  local t0=$1 pending g next
  shift
  if [ $# -gt 0 ]; then pending=("$@"); else pending=("${GUESTS[@]}"); fi
  local deadline=$(( $(date +%s) + UP_TIMEOUT ))
  while [ ${#pending[@]} -gt 0 ]; do
    for g in "${pending[@]}"; do
      guest_pid_alive "$g" || { tail -30 "$STATE/$g.console" >&2 2>/dev/null; die "guest $g died during boot (console: $STATE/$g.console)"; }
    done
    for g in "${pending[@]}"; do ( ssh_ok "$g" && touch "$STATE/ssh-ok-$g" ) & done
    wait
    next=()
    for g in "${pending[@]}"; do
      if [ -e "$STATE/ssh-ok-$g" ]; then log "$g answers SSH after $(since "$t0")s (at $(date +%T.%N | cut -c1-12))"; rm -f "$STATE/ssh-ok-$g"; else next+=("$g"); fi
    done
    pending=("${next[@]}")
    [ ${#pending[@]} -eq 0 ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      for g in "${pending[@]}"; do echo "--- $g console (tail)" >&2; tail -30 "$STATE/$g.console" >&2 2>/dev/null || true; done
      die "timed out after ${UP_TIMEOUT}s waiting for SSH on: ${pending[*]} (left up for inspection; consoles in $STATE; remove with: bash lab/vm/vm.sh down)"
    fi
    sleep 1
  done
}

# The guests' clocks start from the emulated RTC (whole seconds, read late in a slow boot):
# set them to the host's time so timestamps compare across guests and the host.
sync_clocks() {
  local g list=("${GUESTS[@]}")
  [ $# -gt 0 ] && list=("$@")
  ssh_opts
  for g in "${list[@]}"; do
    ip netns exec "$NS_CTL" ssh "${SSH_OPTS[@]}" -n "${IPS[$g]}" "date -s @$(date +%s.%N) >/dev/null" 9>&- || log "could not set the clock of $g" &
  done
  wait
}

is_up() {
  local g
  [ -d "$STATE" ] && ns_exists "$NS_SW" && ns_exists "$NS_CTL" || return 1
  for g in "${GUESTS[@]}"; do guest_pid_alive "$g" || return 1; done
}

# ---------------------------------------------------------------- commands
cmd_up() {
  [ $# -eq 0 ] || die "usage: vm.sh up (no options; see the environment variables at the top of lab/vm/vm.sh)"
  need_root; need_tools; with_lock
  [[ "$REPO$STATE" =~ [[:space:]] ]] && die "paths with whitespace are not supported ($REPO, $STATE)"
  local t0; t0=$(now)
  if is_up; then
    local g ok=1; for g in "${GUESTS[@]}"; do ssh_ok "$g" || ok=0; done
    if [ $ok = 1 ]; then log "vm tier already up"; return 0; fi
    log "vm tier half up: tearing down first"
  fi
  do_down quiet
  KVER=$(kernel_version)
  ensure_kernel
  ensure_initrd
  KIMG=$KDIR/vmlinuz
  [ -s "$KDIR/vmlinux" ] && [ "${NFSCTL_LAB_VM_PVH:-1}" = 1 ] && KIMG=$KDIR/vmlinux
  log "kernel $KVER ($(since "$t0")s)"
  gen_state
  net_up
  local g
  for g in "${GUESTS[@]}"; do start_guest "$g"; done
  log "qemu started ($(since "$t0")s); waiting for SSH"
  wait_ssh "$t0"
  sync_clocks
  echo "$KVER" >"$STATE/kernel"
  echo "vm tier up in $(since "$t0")s (kernel $KVER; primary ${IPS[primary]}, backup ${IPS[backup]}, client ${IPS[client]}, VIP $VIP)"
}

# Kills qemu (recorded PIDs, then any qemu whose cmdline names the state dir), every process
# left in our namespaces, deletes the namespaces and the state dir. Idempotent.
# alive and not a zombie (daemonized qemu is reparented to PID 1, which may reap it late)
pid_live() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ]; }

do_down() {
  local quiet=${1:-} g p pids=()
  for g in "${GUESTS[@]}"; do
    p=$(cat "$STATE/$g.pid" 2>/dev/null || true)
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null && pids+=("$p")
  done
  for p in /proc/[0-9]*; do
    [ -r "$p/cmdline" ] || continue
    local cl; cl=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null || true)
    case $cl in qemu-system-*"$STATE"*|*/qemu-system-*"$STATE"*) pids+=("${p#/proc/}") ;; esac
  done
  local ns
  for ns in "$NS_SW" "$NS_CTL" "$NS_CEPH"; do
    if ns_exists "$ns"; then
      local nsp; mapfile -t nsp < <(ip netns pids "$ns" 2>/dev/null || true)
      pids+=("${nsp[@]}")
    fi
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 50); do
      local alive=0; for p in "${pids[@]}"; do pid_live "$p" && alive=1; done
      [ $alive = 0 ] && break; sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 20); do
      local alive=0; for p in "${pids[@]}"; do pid_live "$p" && alive=1; done
      [ $alive = 0 ] && break; sleep 0.1
    done
  fi
  for ns in "$NS_SW" "$NS_CTL" "$NS_CEPH"; do ns_exists "$ns" && ip netns del "$ns"; done
  # the guard route is shared with the netns tier: it goes when no nfslab-* namespace is left
  if ip route show type unreachable 2>/dev/null | grep -q "^unreachable $NET.0/24" \
    && ! ip netns list 2>/dev/null | awk '{print $1}' | grep -q '^nfslab-'; then
    ip route del unreachable "$NET.0/24" 2>/dev/null || true
  fi
  rm -rf "$STATE"
  [ -n "$quiet" ] || log "vm tier down"
}

cmd_down() { need_root; with_lock; do_down; }

guest_name() {
  case ${1:-} in primary|backup|client) ;; *) die "usage: vm.sh $2 <primary|backup|client>" ;; esac
}

# A crash: SIGKILL to the guest's qemu. What the guest had written to its virtual disks stays
# (the host's page cache has it); what sat in the guest's own caches is gone.
cmd_kill() {
  [ $# -eq 1 ] || die "usage: vm.sh kill <primary|backup|client>"
  local g=$1 p
  guest_name "$g" kill
  need_root; with_lock
  [ -d "$STATE/ssh" ] || die "vm tier is not up (bash lab/vm/vm.sh up)"
  p=$(cat "$STATE/$g.pid" 2>/dev/null || true)
  if [ -n "$p" ] && pid_live "$p"; then
    kill -KILL "$p"
    for _ in $(seq 100); do pid_live "$p" || break; sleep 0.05; done
    pid_live "$p" && die "qemu of $g (pid $p) still alive after SIGKILL"
    log "$g killed (qemu pid $p)"
  else
    log "$g was not running"
  fi
  rm -f "$STATE/$g.pid"
  # the ssh master to a dead guest would make the next exec wait on it
  ssh_opts
  ip netns exec "$NS_CTL" ssh "${SSH_OPTS[@]}" -O exit "${IPS[$g]}" >/dev/null 2>&1 9>&- || true
  rm -f "$STATE/ssh/cm-${IPS[$g]}"
  if [ "$g" != client ]; then
    ip netns exec "$NS_CTL" ssh "${SSH_OPTS[@]}" -O exit "$VIP" >/dev/null 2>&1 9>&- || true
    rm -f "$STATE/ssh/cm-$VIP"
  fi
}

# Boot one guest again with the state `up` made (disks, keys, addresses, per-guest files).
cmd_start() {
  local g=${1:-} ka=1
  guest_name "$g" start
  shift
  while [ $# -gt 0 ]; do
    case $1 in --no-keepalived) ka=0 ;; *) die "usage: vm.sh start <guest> [--no-keepalived]" ;; esac
    shift
  done
  need_root; need_tools; with_lock
  [ -d "$STATE/ssh" ] && ns_exists "$NS_SW" && ns_exists "$NS_CTL" || die "vm tier is not up (bash lab/vm/vm.sh up)"
  guest_pid_alive "$g" && die "$g is running (vm.sh kill $g first)"
  local t0; t0=$(now)
  KVER=$(cat "$STATE/kernel" 2>/dev/null || kernel_version)
  ensure_kernel
  ensure_initrd
  KIMG=$KDIR/vmlinuz
  [ -s "$KDIR/vmlinux" ] && [ "${NFSCTL_LAB_VM_PVH:-1}" = 1 ] && KIMG=$KDIR/vmlinux
  local en=$STATE/guests/$g/root/etc/labsvc/enabled/keepalived
  if [ "${ROLES[$g]}" = storage ]; then
    if [ $ka = 0 ]; then rm -f "$en"; elif [ "${NFSCTL_LAB_VM_KEEPALIVED:-1}" != 0 ]; then touch "$en"; fi
  fi
  rm -f "$STATE/$g.console.prev"; [ -e "$STATE/$g.console" ] && mv "$STATE/$g.console" "$STATE/$g.console.prev"
  start_guest "$g"
  wait_ssh "$t0" "$g"
  sync_clocks "$g"
  echo "$g up again in $(since "$t0")s"
}

cmd_status() {
  local g rc=0 p
  if [ ! -d "$STATE" ]; then echo "vm tier: down"; return 3; fi
  for g in "${GUESTS[@]}"; do
    p=$(cat "$STATE/$g.pid" 2>/dev/null || echo -)
    if guest_pid_alive "$g"; then
      if ns_exists "$NS_CTL" && ssh_ok "$g"; then echo "$g: up (${IPS[$g]}, qemu pid $p, ssh ok)"
      else echo "$g: booting (${IPS[$g]}, qemu pid $p, no ssh yet)"; rc=3; fi
    else echo "$g: down"; rc=3; fi
  done
  return $rc
}

cmd_exec() {
  [ $# -ge 1 ] || die "usage: vm.sh exec <primary|backup|client|vip> [-- cmd…]"
  local h=$1 ip; shift
  ip=$(host_ip "$h")
  [ "${1:-}" = -- ] && shift
  [ -d "$STATE/ssh" ] || die "vm tier is not up (bash lab/vm/vm.sh up)"
  ssh_opts
  local tty=-T remote=
  if [ $# -eq 0 ]; then
    [ -t 0 ] && [ -t 1 ] && tty=-t
  else
    local a; for a in "$@"; do remote+=" $(shquote "$a")"; done
  fi
  # shellcheck disable=SC2086
  exec ip netns exec "$NS_CTL" ssh "${SSH_OPTS[@]}" $tty "$ip" ${remote:+--} ${remote:+"$remote"}
}

cmd_ssh_config() {
  ssh_opts
  echo "ip netns exec $NS_CTL ssh ${SSH_OPTS[*]} <address>"
}

# ---------------------------------------------------------------- ceph (krbd, kernel cephfs)
# The cluster's daemons live in the mount namespace that ceph-up.sh was started in; later
# admin commands join it through the mon's pid.
ceph_pid() { local p; p=$(cat "$STATE/ceph/run/mon.a.pid" 2>/dev/null) && pid_live "$p" && echo "$p"; }
ceph_in() { # ceph_in cmd…: run in the cluster host's network + mount namespace
  local p; p=$(ceph_pid) || die "the vm tier's Ceph cluster is not up (bash lab/vm/vm.sh ceph-up)"
  nsenter -t "$p" -n -m -- env HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" 9>&-
}
cmd_ceph_up() {
  need_root; with_lock
  [ -d "$STATE/ssh" ] && ns_exists "$NS_SW" || die "vm tier is not up (bash lab/vm/vm.sh up)"
  local t0 d=$STATE/ceph; t0=$(now)
  if ! ceph_pid >/dev/null; then
    ns_exists "$NS_CEPH" && ip netns del "$NS_CEPH"
    ip -n "$NS_SW" link del ceph-br 2>/dev/null || true
    rm -rf "$d"; mkdir -p "$d"/{etc,lib,run,log}
    ip netns add "$NS_CEPH"; echo "$NS_CEPH" >>"$STATE/netns"
    ip -n "$NS_SW" link add ceph-br type veth peer name eth0 netns "$NS_CEPH"
    ip -n "$NS_SW" link set ceph-br master "$BR" up
    ip -n "$NS_CEPH" link set lo up
    ip -n "$NS_CEPH" addr add "$CEPH_IP/24" dev eth0
    ip -n "$NS_CEPH" link set eth0 up
    # private mounts: the cluster's files under $STATE/ceph, the machine's Ceph dirs untouched
    ip netns exec "$NS_CEPH" unshare -m --propagation private -- bash -ec '
      d=$1
      mount --bind "$d/etc" /etc/ceph; mount --bind "$d/lib" /var/lib/ceph
      mount --bind "$d/run" /run/ceph; mount --bind "$d/log" /var/log/ceph
       CEPH_LAB_WATCH_TIMEOUT=30 exec bash "$2" "$3"' _ "$d" "$REPO/lab/ceph/ceph-up.sh" "$CEPH_IP" >"$d/up.log" 2>&1 9>&- \
      || { cat "$d/up.log" >&2; die "ceph-up.sh failed (log: $d/up.log)"; }
  fi
  # the storage guests' client side: the cluster's conf (mons, layering-only images as the
  # in-tree kubelet rbd plugin makes them) and the admin keyring
  local fsid mons key g
  fsid=$(ceph_in ceph-conf --lookup fsid); mons=$(ceph_in ceph-conf --lookup mon_host)
  key=$(ceph_in cat /etc/ceph/ceph.client.admin.keyring)
  for g in primary backup; do
    bash "$HERE/vm.sh" exec "$g" -- bash -ec 'mkdir -p /etc/ceph /var/log/ceph /run/ceph
      printf "%s\n" "# nfslab vm tier: client side of the cluster on $4" "[global]" "fsid = $1" "mon_host = $2" \
        "auth_cluster_required = cephx" "auth_service_required = cephx" "auth_client_required = cephx" \
        "keyring = /etc/ceph/ceph.client.admin.keyring" "[client]" "rbd_default_features = layering" \
        "log_file = /var/log/ceph/client.log" >/etc/ceph/ceph.conf
      umask 077; printf "%s\n" "$3" >/etc/ceph/ceph.client.admin.keyring
      modprobe rbd; modprobe ceph' _ "$fsid" "$mons" "$key" "$CEPH_IP" </dev/null \
      || die "could not give $g the cluster's client side"
  done
  log "ceph up at $CEPH_IP in $(since "$t0")s (pool rbd, fs cephfs); storage guests have its conf, rbd + ceph modules"
}
cmd_ceph() {
  need_root
  [ "${1:-}" = -- ] && { shift; ceph_in "$@"; return; }
  ceph_in ceph "$@"
}

# ---- scenario: driven from the host over SSH, one step at a time, timed
sc() { # sc <host> <description> <shell command>
  local h=$1 d=$2 c=$3 t rc=0
  t=$(now)
  bash "$HERE/vm.sh" exec "$h" -- bash -c "$c" </dev/null || rc=$?
  printf '  %-8s %-52s %6ss %s\n' "$h" "$d" "$(since "$t")" "$([ $rc = 0 ] && echo ok || echo "FAILED rc=$rc")"
  [ $rc = 0 ] || { SC_FAIL=1; return $rc; }
}
cmd_scenario() {
  [ -d "$STATE/ssh" ] || die "vm tier is not up (bash lab/vm/vm.sh up)"
  local t0; t0=$(now); SC_FAIL=0
  local tok; tok="hello-from-client-$(date +%s)-$$"
  echo "scenario: LVM + XFS + kernel nfsd on primary, kernel NFSv3 mount on client"
  {
    sc primary "lvcreate -L 512M -n demo_vol vgnfs" \
      'lvcreate -q -y -L 512M -n demo_vol vgnfs >/dev/null && lvs --noheadings -o lv_attr vgnfs/demo_vol | grep -q "^ *-wi-a"' &&
    sc primary "mkfs.xfs /dev/vgnfs/demo_vol" 'mkfs.xfs -q -f /dev/vgnfs/demo_vol' &&
    sc primary "mount at /nfs/demo_vol" 'mkdir -p /nfs/demo_vol && mount /dev/vgnfs/demo_vol /nfs/demo_vol && mountpoint -q /nfs/demo_vol' &&
    sc primary "export via /etc/exports.d + exportfs -ra" \
      "echo '/nfs/demo_vol $NET.0/24(rw,sync,no_root_squash,no_subtree_check)' >/etc/exports.d/demo.exports && exportfs -ra && exportfs -v | grep -q '^/nfs/demo_vol'" &&
    sc client "mount -t nfs -o vers=3 (kernel client)" \
      "mkdir -p /mnt/x && timeout 30 mount -t nfs -o vers=3 ${IPS[primary]}:/nfs/demo_vol /mnt/x && grep -q ' /mnt/x nfs ' /proc/mounts" &&
    sc client "write + read back over NFS" \
      "echo $tok >/mnt/x/hello.txt && sync && [ \"\$(cat /mnt/x/hello.txt)\" = $tok ]" &&
    sc primary "file visible on the server's XFS" "[ \"\$(cat /nfs/demo_vol/hello.txt)\" = $tok ]"
  } || true
  echo "cleanup:"
  sc client "umount /mnt/x" 'if grep -q " /mnt/x " /proc/mounts; then timeout 30 umount /mnt/x || timeout 10 umount -f -l /mnt/x; fi' || true
  sc primary "unexport, umount, lvremove" \
    'rm -f /etc/exports.d/demo.exports; exportfs -ra; if mountpoint -q /nfs/demo_vol; then umount /nfs/demo_vol; fi; rmdir /nfs/demo_vol 2>/dev/null; if lvs vgnfs/demo_vol >/dev/null 2>&1; then lvremove -q -y vgnfs/demo_vol >/dev/null; fi' || true
  if [ "$SC_FAIL" = 0 ]; then echo "scenario OK in $(since "$t0")s"; else echo "scenario FAILED after $(since "$t0")s"; return 1; fi
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  status) shift; cmd_status "$@" ;;
  exec) shift; cmd_exec "$@" ;;
  ssh-config) shift; cmd_ssh_config ;;
  scenario) shift; cmd_scenario "$@" ;;
  kill) shift; cmd_kill "$@" ;;
  start) shift; cmd_start "$@" ;;
  ceph-up) shift; cmd_ceph_up "$@" ;;
  ceph) shift; cmd_ceph "$@" ;;
  *) echo "usage: bash lab/vm/vm.sh up|down|status|exec <host> [-- cmd…]|scenario|ssh-config|kill <guest>|start <guest> [--no-keepalived]|ceph-up|ceph <args…>" >&2; exit 2 ;;
esac
