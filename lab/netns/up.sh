# shellcheck shell=bash
# up.sh -- `lab up` for the netns tier. Sourced by lab/lab.sh (needs common.sh, LAB, REPO).
#
#   nfslab-sw       bridge br0, no addresses
#   nfslab-primary  198.51.100.11  sshd rpcbind dbus nfs-ganesha rsyncd keepalived(MASTER 150), XFS /nfs, vgnfs
#   nfslab-backup   198.51.100.12  same, keepalived BACKUP 100
#   nfslab-client   198.51.100.21  sshd, libnfs tools
#   nfslab-ceph     198.51.100.31  ceph mon/mgr/osd (memstore)/mds, pool rbd, filesystem cephfs
# Each host = netns nfslab-<host> + a persistent mount ns and uts ns ($L/ns/<host>.mnt|.uts),
# built by host-mounts.sh and configured by host-config.sh (both run inside the host).
# Daemons are started through labsvc inside the host, so their pids live in the host's
# /run/labsvc ($L/hosts/<host>/run/labsvc) where status, faults and down find them.

# lab_make_host HOST: network namespace + veth on the bridge + the host's mount/uts namespaces
lab_make_host() {
  local h=$1 d=$L/hosts/$1 xfsdev=${2:-}
  ip netns add "$NS-$h"
  ip -n "$NS-sw" link add "p-$h" type veth peer name eth0 netns "$NS-$h"
  ip -n "$NS-sw" link set "p-$h" master br0 up
  ip -n "$NS-$h" link set lo up
  ip -n "$NS-$h" addr add "${IP[$h]}/24" dev eth0
  ip -n "$NS-$h" link set eth0 up
  mkdir -p "$d"/{root-ssh,nfs,run,varlog,tmp}
  chmod 700 "$d/root-ssh"; chmod 755 "$d/run"; chmod 1777 "$d/tmp"
  touch "$L/ns/$h.mnt" "$L/ns/$h.uts"
  unshare --mount="$L/ns/$h.mnt" --uts="$L/ns/$h.uts" --propagation private \
    nsenter --net="/run/netns/$NS-$h" -- \
    bash "$LAB/netns/host-mounts.sh" "$h" "$d" "$L" "$REPO" "$L/bin" "$xfsdev"
}

# lab_disk HOST KIND SIZE: sparse backing file + loop device (recorded in $L/loops for down)
lab_disk() {
  local f=$L/disks/$1-$2.img dev
  truncate -s "$3" "$f"
  dev=$(losetup -f --show "$f")
  echo "$1 $2 $dev $f" >>"$L/loops"
  echo "$dev"
}
loopdev() { awk -v h="$1" -v k="$2" '$1==h && $2==k {print $3}' "$L/loops"; }

# run_bg NAME cmd...: background job with its output in $L/logs/NAME.log; wait_bg NAME checks it
declare -A BG=()
run_bg() { local n=$1; shift; "$@" >"$L/logs/$n.log" 2>&1 9<&- & BG[$n]=$!; }
wait_bg() {
  local n rc=0
  for n in "$@"; do
    if ! wait "${BG[$n]}"; then
      warn "step '$n' failed; last lines of $L/logs/$n.log:"; tail -n 25 "$L/logs/$n.log" >&2; rc=1
    fi
  done
  return "$rc"
}

lab_up_failed() {
  local j
  # background steps still running would go on building; stop them (down cleans the rest)
  for j in "${BG[@]}"; do
    # shellcheck disable=SC2046
    kill -KILL $(descendants "$j") "$j" 2>/dev/null || true
  done
  warn "lab up FAILED after $(elapsed)s. The half-built lab is left for inspection"
  warn "(logs: $L/logs, $L/hosts/<host>/varlog). Clean up with: npm run lab -- down"
}

lab_up() {
  local h d t
  [ "$(id -u)" = 0 ] || die "lab up must run as root"
  if [ -n "$(lab_netns)" ] || [ -e "$L" ]; then
    if lab_complete; then die "a lab is already up (see: npm run lab -- status; remove it with: npm run lab -- down)"; fi
    die "leftovers of an earlier lab exist (${L}, namespaces: $(lab_netns | tr '\n' ' ')); run: npm run lab -- down"
  fi
  # any failure (set -e, die) from here on leaves a hint how to clean up
  trap 'rc=$?; [ "$rc" = 0 ] || lab_up_failed' EXIT
  mkdir -p "$L"/{ns,keys,hosts,disks,faults,bin,logs}
  echo "$$" >"$L/up.pid"
  : >"$L/loops"
  log "state dir $L, checkout $REPO"

  # root namespace: lab packets must never leave this machine
  ip route replace unreachable "$LAB_NET"
  # hosts bind their own /nfs; the root fs needs the mount point (removed again by down)
  # (immutable while we own it: an unmounted host /nfs must not collect files in the root fs)
  if [ ! -d /nfs ]; then mkdir -m 755 /nfs; touch "$ROOT_NFS_MARK"; chattr +i /nfs 2>/dev/null || true; fi
  # lab bin dir: lower layer of /usr/local/sbin in every host
  install -m 755 "$LAB/netns/bin/labsvc" "$LAB/netns/bin/nfsctl" "$L/bin/"
  # namespace files can only be bind-mounted onto a private mount
  mount --bind "$L/ns" "$L/ns"
  mount --make-private "$L/ns"
  ssh-keygen -q -t ed25519 -N '' -C nfslab-ops -f "$L/keys/id_ed25519"

  # ---- switch
  ip netns add "$NS-sw"
  ip -n "$NS-sw" link set lo up
  ip -n "$NS-sw" link add br0 type bridge stp_state 0 mcast_snooping 0
  ip -n "$NS-sw" link set br0 up

  # ---- ceph first: its cluster bootstrap (~5 s) runs while the other hosts are built
  lab_make_host ceph
  run_bg ceph hx ceph bash -c "bash $IN_HOST_CHECKOUT/lab/netns/host-config.sh ceph && bash $IN_HOST_CHECKOUT/lab/ceph/ceph-up.sh ${IP[ceph]}"

  # ---- disks of the storage hosts: XFS (prjquota) for /nfs, and a PV for vgnfs
  for h in "${STORAGE[@]}"; do
    lab_disk "$h" xfs "$XFS_SIZE" >/dev/null
    lab_disk "$h" pv "$PV_SIZE" >/dev/null
    run_bg "mkfs-$h" mkfs.xfs -q -L "nfs-$h" "$(loopdev "$h" xfs)"
  done
  wait_bg mkfs-primary mkfs-backup

  # ---- hosts (namespaces + mounts), then their configuration in parallel
  for h in primary backup client; do lab_make_host "$h" "$(loopdev "$h" xfs)"; done
  # lab facts: what this machine's kernel allows (tests skip what cannot work here)
  local q=yes
  for h in "${STORAGE[@]}"; do [ "$(cat "$L/hosts/$h/nfs-quota")" = prjquota ] || q=no; done
  printf 'kernel=%s\nxfs_prjquota=%s\nlvm_activation=no\nkernel_nfsd=no\n' "$(uname -r)" "$q" >"$L/facts"
  [ "$q" = yes ] || log "NOTE: this kernel has no XFS quota support (CONFIG_XFS_QUOTA); /nfs is XFS without prjquota"
  log "namespaces, bridge, mounts ready"
  for h in primary backup client; do
    run_bg "config-$h" hx "$h" bash "$IN_HOST_CHECKOUT/lab/netns/host-config.sh" "$h" "$(loopdev "$h" pv)" "$q"
  done
  wait_bg config-primary config-backup config-client
  for h in "${HOSTS[@]}"; do hx "$h" bash -c 'mkdir -p /etc/nfslab && cat >/etc/nfslab/facts' <"$L/facts"; done

  # ---- ssh: one ops key everywhere, one known_hosts (the VIP may present either server's key)
  : >"$L/keys/known_hosts"
  for h in "${SSH_HOSTS[@]}"; do
    t=$(hx "$h" cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f1,2)
    echo "${IP[$h]},$h $t" >>"$L/keys/known_hosts"
    if is_storage "$h"; then echo "$VIP,nfs-vip $t" >>"$L/keys/known_hosts"; fi
  done
  for h in "${SSH_HOSTS[@]}"; do
    d=$L/hosts/$h/root-ssh
    install -m 600 "$L/keys/id_ed25519" "$d/id_ed25519"
    install -m 644 "$L/keys/id_ed25519.pub" "$d/id_ed25519.pub"
    install -m 600 "$L/keys/id_ed25519.pub" "$d/authorized_keys"
    install -m 644 "$L/keys/known_hosts" "$d/known_hosts"
  done
  log "hosts configured (ssh keys, ganesha, keepalived, rsyncd, vgnfs, nfsctl config)"

  # ---- daemons, via labsvc (it waits for each to be ready). keepalived early: a starting
  # instance sits ~3.5 s in BACKUP before it claims the VIP, so let that overlap ganesha's start.
  # The primary's first, so the backup never holds the VIP (its notify log starts clean).
  run_bg svc-client hx client labsvc start sshd
  for h in "${STORAGE[@]}"; do run_bg "svc-$h" hx "$h" bash -ec 'labsvc start rpcbind; labsvc start dbus'; done
  wait_bg svc-primary svc-backup
  hx primary labsvc start keepalived >/dev/null
  hx backup labsvc start keepalived >/dev/null
  for h in "${STORAGE[@]}"; do
    run_bg "svc-$h" hx "$h" bash -ec 'for s in sshd nfs-ganesha rsync; do labsvc start "$s"; done'
  done
  wait_bg svc-client svc-primary svc-backup
  log "daemons started; waiting for the VIP and NFS through it"
  for _ in $(seq 100); do [ "$(vip_holders)" = primary ] && break; sleep 0.1; done
  [ "$(vip_holders)" = primary ] || die "VIP not on primary (holders: '$(vip_holders)')"
  for _ in $(seq 50); do
    hx client timeout -k 1 5 nfs-ls "nfs://$VIP/nfs/lab-seed" 2>/dev/null | grep -q hello.txt && break
    sleep 0.2
  done
  hx client timeout -k 1 5 nfs-ls "nfs://$VIP/nfs/lab-seed" | grep -q hello.txt || die "seed export not listed through the VIP"
  log "VIP on primary, seed export served through it"

  # ---- ceph clients: primary, backup, client get a client-side ceph.conf + admin keyring
  wait_bg ceph
  local fsid mons keyring
  fsid=$(hx ceph ceph-conf --lookup fsid)
  mons=$(hx ceph ceph-conf --lookup mon_host)
  keyring=$(hx ceph cat /etc/ceph/ceph.client.admin.keyring)
  for h in primary backup client; do
    hx "$h" bash -ec 'mkdir -p /etc/ceph /var/log/ceph /run/ceph
      cat >/etc/ceph/ceph.conf <<EOF
# nfslab: client side of the lab cluster on host ceph
[global]
fsid = $1
mon_host = $2
ms_bind_ipv6 = false
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
[client]
keyring = /etc/ceph/ceph.client.admin.keyring
rbd_default_features = layering
log_file = /var/log/ceph/client.log
admin_socket = /run/ceph/\$name.\$pid.asok
EOF
      printf "%s\n" "$3" >/etc/ceph/ceph.client.admin.keyring
      chmod 600 /etc/ceph/ceph.client.admin.keyring' _ "$fsid" "$mons" "$keyring"
  done
  hx primary timeout -k 1 20 rbd ls rbd >/dev/null || die "rbd ls rbd fails on primary"
  log "ceph cluster healthy, pool rbd reachable from primary"

  # ---- safety net: no default route anywhere in the lab, no lab address in the root namespace
  for t in $(lab_netns); do
    [ -z "$(ip -n "$t" route show default)" ] || die "default route in $t"
  done
  ! ip -o addr show | grep -q ' 198\.51\.100\.' || die "a lab address leaked into the root namespace"

  trap - EXIT
  rm -f "$L/up.pid"
  date +%s >"$L/up.done"
  log "lab up in $(elapsed)s  (VIP $VIP on: $(vip_holders); enter a host: npm run lab -- exec primary)"
}
