#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# lab.sh -- the nfsctl test lab (run as root; `npm run lab -- <cmd>` runs `bash lab/lab.sh <cmd>`).
#
#   up                         build the netns lab: primary, backup, client, ceph (+ bridge)
#   up --vm [args]             the qemu tier: delegated to lab/vm/vm.sh up
#   down [--netns-only]        remove everything (also a half-built lab; fine when nothing is up);
#                              also runs lab/vm/vm.sh down unless --netns-only
#   status                     hosts, daemons, VIP holder(s), active faults; rc 1 if no complete lab
#   facts                      key=value facts of this machine's lab (e.g. xfs_prjquota=yes|no)
#   exec HOST [--] [cmd...]    run cmd in HOST (net+mount+uts ns); bash without cmd; rc passes through
#   fault list | NAME [HOST] [--port N] [--path P] [--undo] | undo-all
#
# Hosts: primary 198.51.100.11, backup .12, client .21, ceph .31, VIP 198.51.100.100 (lab-only
# TEST-NET-2 addresses inside nfslab-* namespaces; nothing is routed off this machine).
# State dir: $NFSLAB_DIR (default /tmp/nfslab).
set -euo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB/.." && pwd)
# shellcheck source=netns/common.sh
. "$LAB/netns/common.sh"
# shellcheck source=netns/up.sh
. "$LAB/netns/up.sh"
# shellcheck source=netns/down.sh
. "$LAB/netns/down.sh"
# shellcheck source=faults/faults.sh
. "$LAB/faults/faults.sh"

usage() { sed -n '3,17s/^# \{0,1\}//p' "$LAB/lab.sh"; }

# fd 9 = a lock per lab (NFSLAB_NS): one up/down at a time for each lab. Commands run inside hosts never inherit it.
exec 9<>"/run/$NS.lab.lock"

lab_status() {
  local h f svc pid rc=0 st n
  if [ -z "$(lab_netns)" ] && [ ! -e "$L" ]; then echo "no lab is up"; return 1; fi
  if lab_complete; then
    echo "lab: up since $(date -d "@$(cat "$L/up.done")" '+%F %T')  (state dir $L)"
  else
    echo "lab: INCOMPLETE (half-built or partly removed; run: npm run lab -- down)"; rc=1
  fi
  for h in "${HOSTS[@]}"; do
    if [ -e "/run/netns/$NS-$h" ]; then n="${IP[$h]}"; else n="(no namespace)"; rc=1; fi
    printf '%-8s %-15s' "$h" "$n"
    for f in "$L/hosts/$h"/run/labsvc/*.pid "$L/hosts/$h"/run/ceph/*.pid; do
      [ -f "$f" ] || continue
      svc=$(basename "$f" .pid); pid=$(cat "$f" 2>/dev/null || true)
      if [ -n "$pid" ] && pid_alive "$pid"; then st=up; else st=DOWN; fi
      printf ' %s:%s' "$svc" "$st"
    done
    echo
  done
  echo "VIP $VIP on: $(vip_holders | sed 's/^$/(nobody)/')"
  fault_active_list | sed 's/^/fault: /'
  return "$rc"
}

lab_exec() {
  local h=${1:-}
  [ -n "$h" ] || die "usage: lab.sh exec HOST [--] [cmd...]"
  shift
  [ "${1:-}" = -- ] && shift
  is_host "$h" || die "unknown host: $h (hosts: ${HOSTS[*]})"
  [ -e "$L/ns/$h.mnt" ] || die "lab host $h is not up"
  # no subshell: the command's exit code and stdio are ours. Other inherited descriptors are
  # closed (LVM tools complain about each one; a daemon started from here must not keep them).
  cd /
  local fd
  for fd in "/proc/$$/fd"/*; do
    fd=${fd##*/}
    case "$fd" in 0|1|2|255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
  done
  exec nsenter --net="/run/netns/$NS-$h" --mount="$L/ns/$h.mnt" --uts="$L/ns/$h.uts" -- \
    env HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${@:-bash}"
}

cmd=${1:-help}
[ $# -gt 0 ] && shift
case "$cmd" in
  up)
    if [ "${1:-}" = --vm ]; then
      shift
      [ -f "$LAB/vm/vm.sh" ] || die "the vm tier is not available (lab/vm/vm.sh does not exist)"
      export NFSLAB_DIR
      exec bash "$LAB/vm/vm.sh" up "$@" 9<&-
    fi
    flock -n 9 || die "another 'lab up' or 'lab down' is running"
    lab_up "$@" ;;
  down) lab_down "$@" ;;
  status) lab_status ;;
  facts) cat "$L/facts" 2>/dev/null || die "no lab is up" ;;
  exec) lab_exec "$@" ;;
  fault) lab_fault "$@" ;;
  help|-h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
