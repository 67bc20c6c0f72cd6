# shellcheck shell=bash disable=SC2034  # the variables are used by the files that source this
# common.sh -- shared facts and helpers of the netns lab tier. Sourced by lab/lab.sh (never run).
#
# Address plan: the lab lives in 198.51.100.0/24 (TEST-NET-2) and ONLY inside nfslab-* namespaces.
# The machine's own network is 192.0.2.0/24: never use that range here. No lab namespace gets a
# default route, and while the lab exists the root namespace carries
# `unreachable 198.51.100.0/24`, so a stray lab packet from the root namespace fails fast.

# State dir: everything the lab creates lives here (disks, per-host trees, ns files, logs).
# Namespace prefix: NFSLAB_NS lets several labs run side by side (e.g. parallel test runs):
# each has its own bridge, so the same lab addresses never meet. It must start with "nfslab".
NS=${NFSLAB_NS:-nfslab}
case "$NS" in nfslab*) ;; *) echo "lab: NFSLAB_NS must start with nfslab (got $NS)" >&2; exit 2 ;; esac
NFSLAB_DIR=${NFSLAB_DIR:-/tmp/$NS}
# Shared by all labs: who made the root fs /nfs mount point (the last lab down removes it).
ROOT_NFS_MARK=/run/nfslab-created-root-nfs
L=$NFSLAB_DIR

LAB_NET=198.51.100.0/24
VIP=198.51.100.100
HOSTS=(primary backup client ceph)   # every lab host (namespace nfslab-<host>)
STORAGE=(primary backup)             # the NFS pair
SSH_HOSTS=(primary backup client)    # hosts that run sshd
declare -A IP=([primary]=198.51.100.11 [backup]=198.51.100.12 [client]=198.51.100.21 [ceph]=198.51.100.31)
declare -A PEER=([primary]=backup [backup]=primary)

# Sizes of the sparse backing files (nothing is allocated until written).
XFS_SIZE=${NFSLAB_XFS_SIZE:-2G}
PV_SIZE=${NFSLAB_PV_SIZE:-4G}

# Where the repo checkout is visible inside every host (read-only bind mount).
IN_HOST_CHECKOUT=/opt/nfsctl

T0=${T0:-$(date +%s.%N)}
elapsed() { awk -v t0="$T0" -v t="$(date +%s.%N)" 'BEGIN{printf "%.1f", t-t0}'; }
log() { printf '[lab +%ss] %s\n' "$(elapsed)" "$*"; }
warn() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

is_host() { local h; for h in "${HOSTS[@]}"; do [ "$h" = "${1:-}" ] && return 0; done; return 1; }
is_storage() { [ "${1:-}" = primary ] || [ "${1:-}" = backup ]; }

# Namespaces of THIS tier (the switch plus hosts) that exist right now. Only these: the vm tier
# (lab/vm/vm.sh) owns nfslab-vm* namespaces and may run at the same time.
lab_netns() {
  local n
  for n in sw "${HOSTS[@]}"; do [ -e "/run/netns/$NS-$n" ] && echo "$NS-$n"; done
  return 0
}

# hx HOST [cmd...]: run cmd inside lab host HOST (net + mount + uts namespace); bash by default.
# exec keeps the exit code and stdio untouched, so it works with and without a TTY.
hx() {
  local h=$1; shift
  if [ ! -e "$L/ns/$h.mnt" ] || [ ! -e "/run/netns/$NS-$h" ]; then
    warn "no such lab host (or lab not up): $h"; return 2
  fi
  # fd 9 (lab.sh's lock) must not leak into anything started inside a host
  (cd / && exec nsenter --net="/run/netns/$NS-$h" --mount="$L/ns/$h.mnt" --uts="$L/ns/$h.uts" -- \
    env HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${@:-bash}" 9<&-)
}

# lab_complete: a finished `lab up` whose namespaces all still exist
lab_complete() {
  local h
  [ -f "$L/up.done" ] && [ -e /run/netns/$NS-sw ] || return 1
  for h in "${HOSTS[@]}"; do [ -e "/run/netns/$NS-$h" ] && [ -e "$L/ns/$h.mnt" ] || return 1; done
}

# pid_alive PID: process exists and is not a zombie (orphaned daemons are reaped late by PID 1).
# No forks: down and status call it for every lab process.
pid_alive() {
  local line st
  read -r line 2>/dev/null <"/proc/$1/stat" || return 1
  st=${line##*) }; st=${st%% *}
  [ -n "$st" ] && [ "$st" != Z ]
}

# vip_holders: storage hosts whose eth0 carries the VIP, space separated.
vip_holders() {
  local h out=()
  for h in "${STORAGE[@]}"; do
    [ -e "/run/netns/$NS-$h" ] || continue
    ip -n "$NS-$h" -o -4 addr show dev eth0 2>/dev/null | grep -q " $VIP/" && out+=("$h")
  done
  echo "${out[*]}"
}
