# shellcheck shell=bash
# down.sh -- `lab down`. Sourced by lab/lab.sh. Removes everything `lab up` created, in an order
# that works on a complete lab, a half-built one (up killed midway) and when nothing is up:
#   1. a still running `lab up` (and its root-namespace children)
#   2. every lab process: recorded pids (labsvc, ceph pid files) + `ip netns pids` of nfslab-*
#   3. the nfslab-* namespaces and the bind-mounted mount/uts namespace files
#   4. loop devices backed by files in the state dir, the unreachable route, /nfs if we made it
#   5. the state dir itself (only when no mount is left below it)

# descendants PID: all descendants of PID (children first listed last, so kill order is fine)
descendants() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do descendants "$c"; echo "$c"; done
}

# kill_all SECONDS PID...: TERM, wait up to SECONDS, then KILL whatever is left (0: KILL at once)
kill_all() {
  local wait_s=$1 p i left=(); shift
  [ $# -gt 0 ] || return 0
  [ "$wait_s" = 0 ] || kill -TERM "$@" 2>/dev/null || true
  left=("$@")
  for ((i = 0; i < wait_s * 10; i++)); do
    left=(); for p in "$@"; do pid_alive "$p" && left+=("$p"); done
    [ ${#left[@]} -eq 0 ] && return 0
    sleep 0.1
  done
  [ ${#left[@]} -eq 0 ] || kill -KILL "${left[@]}" 2>/dev/null || true
}

# the lab's processes right now: recorded pids (checked: alive and inside a lab netns, since pids
# get reused) + everything in a lab netns
lab_pids() {
  local f p n
  for f in "$L"/hosts/*/run/labsvc/*.pid "$L"/hosts/*/run/ceph/*.pid; do
    [ -f "$f" ] || continue
    read -r p <"$f" 2>/dev/null || continue
    if [ -z "$p" ] || ! pid_alive "$p"; then continue; fi
    for n in $(lab_netns); do
      # -ef compares device + inode: the same network namespace (no fork per pid)
      if [ "/proc/$p/ns/net" -ef "/run/netns/$n" ]; then echo "$p"; break; fi
    done
  done
  for n in $(lab_netns); do ip netns pids "$n" 2>/dev/null || true; done
}

lab_down() {
  local p pids n f m b dev i rc=0 up_pid left mounts
  [ "$(id -u)" = 0 ] || die "lab down must run as root"
  # shellcheck disable=SC2034  # read by log()
  T0=$(date +%s.%N)

  # the vm tier belongs to another script; it cleans up after itself
  if [ "${1:-}" != --netns-only ] && [ -f "$LAB/vm/vm.sh" ]; then
    bash "$LAB/vm/vm.sh" down 9<&- || { warn "lab/vm/vm.sh down failed"; rc=1; }
  fi

  # 1. an interrupted or still running `lab up`: stop it and its helpers in the root namespace
  if [ -f "$L/up.pid" ]; then
    up_pid=$(cat "$L/up.pid")
    if [ -n "$up_pid" ] && [ "$up_pid" != "$$" ] && pid_alive "$up_pid" \
      && tr '\0' ' ' <"/proc/$up_pid/cmdline" 2>/dev/null | grep -q 'lab\.sh'; then
      log "stopping the running 'lab up' (pid $up_pid)"
      kill -STOP "$up_pid" 2>/dev/null || true   # freeze it so it spawns nothing new
      # shellcheck disable=SC2046
      kill_all 2 $(descendants "$up_pid")
      kill -KILL "$up_pid" 2>/dev/null || true
    fi
  fi
  # no other up/down may run from now on (fd 9 = lock on lab.sh, see lab.sh)
  flock -w 20 9 || warn "could not take the lab lock; going on anyway"

  # 2. lab processes: SIGKILL at once. Everything they could save is deleted below anyway, and
  # graceful stops cost seconds (ganesha, a memstore osd). Repeat: something may have been
  # spawned meanwhile (an ssh session, a keepalived notify script).
  for i in 1 2 3 4 5; do
    mapfile -t pids < <(lab_pids | sort -un)
    [ ${#pids[@]} -gt 0 ] || break
    [ "$i" = 1 ] && log "killing ${#pids[@]} lab processes"
    kill_all 0 "${pids[@]}"
    for _ in $(seq 50); do
      left=(); for p in "${pids[@]}"; do pid_alive "$p" && left+=("$p"); done
      [ ${#left[@]} -eq 0 ] && break
      sleep 0.1
    done
  done
  mapfile -t pids < <(lab_pids | sort -un)
  [ ${#pids[@]} -eq 0 ] || { warn "lab processes survived: ${pids[*]}"; rc=1; }

  # 3. namespaces
  for n in $(lab_netns); do ip netns del "$n" || { warn "ip netns del $n failed"; rc=1; }; done
  for f in "$L"/ns/*.mnt "$L"/ns/*.uts; do
    [ -e "$f" ] || continue
    if mountpoint -q "$f"; then umount "$f" || umount -l "$f" || rc=1; fi
  done
  # anything else mounted below the state dir in the root namespace (innermost first)
  mapfile -t mounts < <(awk -v d="$L/" 'index($2, d) == 1 || $2 == substr(d, 1, length(d) - 1) {print $2}' /proc/mounts | sort -r)
  for m in "${mounts[@]}"; do timeout 10 umount "$m" 2>/dev/null || umount -l "$m" || rc=1; done

  # 4. loop devices whose backing file is ours (read from /sys: losetup -a may stat the file).
  # A loop still held by a dying namespace's mount is flagged autoclear by -d and goes away
  # as soon as that mount is released.
  for i in $(seq 50); do
    left=()
    for b in /sys/block/loop*/loop/backing_file; do
      [ -r "$b" ] || continue
      case "$(cat "$b" 2>/dev/null)" in
        "$L"/*) dev=${b#/sys/block/}; dev=/dev/${dev%%/*}; left+=("$dev"); losetup -d "$dev" 2>/dev/null || true ;;
      esac
    done
    [ ${#left[@]} -eq 0 ] && break
    sleep 0.1
  done
  [ ${#left[@]} -eq 0 ] || { warn "loop devices still attached: ${left[*]}"; rc=1; }

  # the guard route is shared with the vm tier: it goes when no nfslab-* namespace is left
  if ip route show type unreachable | grep -q "^unreachable $LAB_NET" \
    && ! ip netns list 2>/dev/null | awk '{print $1}' | grep -q '^nfslab-'; then
    ip route del unreachable "$LAB_NET"
  fi
  # /nfs is shared by every lab on this machine: the last one down removes it
  if [ -f "$ROOT_NFS_MARK" ] && [ -d /nfs ] && ! mountpoint -q /nfs \
    && ! ip netns list 2>/dev/null | awk '{print $1}' | grep -Eq '^nfslab-(.*-)?(sw|primary|backup|client|ceph)$'; then
    rm -f "$ROOT_NFS_MARK"
    chattr -i /nfs 2>/dev/null || true
    rmdir /nfs 2>/dev/null || warn "/nfs (created by lab up) is not empty; left in place"
  fi

  # 5. state dir: never remove through a mount
  if [ -d "$L" ]; then
    # "$L/" (with the slash): /tmp/nfslab must not see another lab's /tmp/nfslab-adopt mounts
    if awk -v d="$L/" 'index($2, d) == 1 || $2 == substr(d, 1, length(d) - 1) {found=1} END {exit !found}' /proc/mounts; then
      warn "mounts remain below $L; not removing it"; rc=1
    else
      rm -rf --one-file-system "$L"
    fi
  fi
  if [ "$rc" = 0 ]; then log "lab down in $(elapsed)s"; else warn "lab down finished with leftovers (see above)"; fi
  return "$rc"
}
