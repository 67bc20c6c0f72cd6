# shellcheck shell=bash
# faults.sh -- `lab fault ...`: break the lab on purpose, and repair it. Sourced by lab/lab.sh.
#
#   lab.sh fault list
#   lab.sh fault NAME [HOST] [--port N] [--path P] [--undo]
#   lab.sh fault undo-all
#
# Every applied fault is recorded as a file in $L/faults (shown by `status`, undone by undo-all);
# --undo removes the record. Undo is idempotent: undoing a fault that is not there is fine.
# Faults that move the VIP wait until the VIP settled, so a test can assert right afterwards.

FAULT_HELP="\
stop-SVC [host]        labsvc stop SVC (SVC: sshd rpcbind dbus keepalived ganesha rsyncd); default primary
kill-SVC [host]        SIGKILL the daemon and its process group: stale pid files, no cleanup
                       (kill-keepalived leaves the VIP on the host: see split-brain)
no-vip                 stop keepalived on primary AND backup: the VIP is on neither host
split-brain [host]     SIGKILL keepalived (parent + VRRP child) on the VIP holder (normally primary):
                       it keeps the VIP, the peer takes it too -> VIP on BOTH; undo restarts it
reject [host] [--port N]  iptables REJECT (tcp-reset / icmp-port-unreachable) of tcp+udp to
                       111, 2049, 20048 (or only N) on host (default primary)
drop [host] [--port N] same with DROP (clients hang until their own timeout)
cut-link               primary and backup drop every packet from each other (VRRP too, so both
                       become MASTER: VIP on both); the client still reaches both
fill-vg [host]         lvcreate an LV 'nfslab-fill' over all free extents of vgnfs (default primary)
remove-export --path P [host]   ganesha stops serving P (dbus RemoveExport); the config file still
                       has it ('export in file but not served')
drop-export-line --path P [host]  delete P's EXPORT block from the ganesha config file (and P's line
                       from /etc/exports.d/nfsctl.exports); ganesha keeps serving it ('export line missing')
hide-dir --path P [host]  rename directory P to P.nfslab-hidden ('missing dir')
unmount [--path P] [host] lazily unmount P (default /nfs) on host ('not mounted'); undo mounts it again
stale-sync [host]      primary gets a file the backup lacks (/nfs/.nfslab-stale-sync), and nfsctl's sync
                       records on host (default backup), /var/lib/nfsctl/sync/{last,last-ok}.json, are
                       set one day back (without records the backup counts as never synced)"

fault_svc() { # name suffix -> labsvc service
  case "$1" in
    sshd|ssh) echo sshd ;; rpcbind) echo rpcbind ;; dbus) echo dbus ;; keepalived) echo keepalived ;;
    ganesha|nfs-ganesha|nfs) echo nfs-ganesha ;; rsyncd|rsync) echo rsync ;;
    *) return 1 ;;
  esac
}

# wait_vip EXPECTED SECONDS: until vip_holders prints EXPECTED ("primary", "primary backup", "")
wait_vip() {
  local want=$1 i
  for ((i = 0; i < $2 * 10; i++)); do [ "$(vip_holders)" = "$want" ] && return 0; sleep 0.1; done
  warn "VIP holders are '$(vip_holders)', expected '$want' after $2 s"; return 1
}

# svc_kill HOST SVC: SIGKILL the daemon's whole process group (it is a setsid session leader)
svc_kill() {
  local pid
  pid=$(cat "$L/hosts/$1/run/labsvc/$2.pid" 2>/dev/null) || die "$2 is not running on $1 (no pid file)"
  pid_alive "$pid" || die "$2 is not running on $1"
  kill -KILL -- "-$pid"
  for _ in $(seq 50); do pid_alive "$pid" || return 0; sleep 0.1; done
}

# the iptables rule specs of reject/drop on HOST: one line per rule
nfs_port_rules() { # TARGET PORT...
  local t=$1 p; shift
  for p in "$@"; do
    if [ "$t" = REJECT ]; then
      echo "-p tcp --dport $p -m comment --comment nfslab-fault -j REJECT --reject-with tcp-reset"
      echo "-p udp --dport $p -m comment --comment nfslab-fault -j REJECT --reject-with icmp-port-unreachable"
    else
      echo "-p tcp --dport $p -m comment --comment nfslab-fault -j DROP"
      echo "-p udp --dport $p -m comment --comment nfslab-fault -j DROP"
    fi
  done
}
ipt_add() { # HOST RULESPEC...: insert each rule (one per line on stdin) unless present
  local h=$1 r
  while read -r r; do
    # shellcheck disable=SC2086
    hx "$h" iptables -C INPUT $r 2>/dev/null || hx "$h" iptables -I INPUT $r
  done
}
ipt_del() { # HOST: delete each rule (stdin) as often as it is present
  local h=$1 r
  while read -r r; do
    # shellcheck disable=SC2086
    while hx "$h" iptables -C INPUT $r 2>/dev/null; do hx "$h" iptables -D INPUT $r; done
  done
}

# export_id HOST PATH: Export_Id under which ganesha serves PATH right now (dbus ShowExports)
export_id() {
  hx "$1" dbus-send --system --print-reply --dest=org.ganesha.nfsd /org/ganesha/nfsd/ExportMgr \
    org.ganesha.nfsd.exportmgr.ShowExports 2>/dev/null |
    awk -v p="\"$2\"" '$1 == "uint16" {id = $2} $1 == "string" && $2 == p {print id; exit}'
}
# export_file HOST PATH: the ganesha config file holding PATH's EXPORT block
export_file() {
  hx "$1" bash -c 'for f in /etc/ganesha/nfsctl/*.conf /etc/ganesha/ganesha.conf; do
      [ -f "$f" ] && grep -qiE "(^|[^a-z_])path *= *\"?$1\"? *;" "$f" && { echo "$f"; exit 0; }; done; exit 1' _ "$2"
}

fault_apply() { # NAME HOST PORT PATH
  local name=$1 h=$2 port=$3 path=$4 svc id f free
  case "$name" in
    stop-*) svc=$(fault_svc "${name#stop-}"); hx "$h" labsvc stop "$svc" >/dev/null
      if [ "$svc" = keepalived ] && [ "$h" = primary ]; then wait_vip backup 10 || true; fi ;;
    kill-*) svc=$(fault_svc "${name#kill-}"); svc_kill "$h" "$svc" ;;
    no-vip)
      hx primary labsvc stop keepalived >/dev/null; hx backup labsvc stop keepalived >/dev/null
      wait_vip "" 10 ;;
    split-brain)
      [ "$(vip_holders)" = "$h" ] || die "split-brain: $h does not hold the VIP alone (holders: '$(vip_holders)')"
      hx "${PEER[$h]}" labsvc status keepalived >/dev/null || die "split-brain: keepalived is not running on ${PEER[$h]}"
      svc_kill "$h" keepalived
      wait_vip "primary backup" 15 ;;
    reject|drop)
      local t=REJECT ports=(111 2049 20048)
      [ "$name" = drop ] && t=DROP
      [ -z "$port" ] || ports=("$port")
      nfs_port_rules "$t" "${ports[@]}" | ipt_add "$h" ;;
    cut-link)
      echo "-s ${IP[backup]} -m comment --comment nfslab-fault -j DROP" | ipt_add primary
      echo "-s ${IP[primary]} -m comment --comment nfslab-fault -j DROP" | ipt_add backup
      wait_vip "primary backup" 15 || true ;;
    fill-vg)
      free=$(hx "$h" vgs --noheadings -o vg_free_count vgnfs 2>/dev/null | tr -d ' ')
      [ "${free:-0}" -gt 0 ] || { log "vgnfs on $h has no free extents already"; return 0; }
      hx "$h" lvcreate -q -an -Zn -y -l 100%FREE -n nfslab-fill vgnfs >/dev/null 2>&1 ;;
    remove-export)
      id=$(export_id "$h" "$path"); [ -n "$id" ] || die "ganesha on $h does not serve $path"
      hx "$h" dbus-send --system --print-reply --dest=org.ganesha.nfsd /org/ganesha/nfsd/ExportMgr \
        org.ganesha.nfsd.exportmgr.RemoveExport "uint16:$id" >/dev/null ;;
    drop-export-line)
      f=$(export_file "$h" "$path") || die "no EXPORT block for $path in $h's ganesha config"
      hx "$h" bash -ec 'f=$1 p=$2 x=/etc/exports.d/nfsctl.exports
        rm -f /run/nfslab-export-block /run/nfslab-export-line
        awk -v path="$p" -v save=/run/nfslab-export-block -f "$3" "$f" >"$f.nfslab-tmp"
        cat "$f.nfslab-tmp" >"$f"; rm -f "$f.nfslab-tmp"      # cat keeps inode and mode
        if [ -f "$x" ]; then
          awk -v p="$p" "\$1 == p" "$x" >/run/nfslab-export-line
          awk -v p="$p" "\$1 != p" "$x" >"$x.nfslab-tmp"; cat "$x.nfslab-tmp" >"$x"; rm -f "$x.nfslab-tmp"
        fi' _ "$f" "$path" "$IN_HOST_CHECKOUT/lab/faults/export-block.awk"
      hx "$h" cat /run/nfslab-export-block >"$L/faults/.block-$h-${path//\//_}"
      hx "$h" cat /run/nfslab-export-line >"$L/faults/.line-$h-${path//\//_}" 2>/dev/null || true
      echo "$f" >"$L/faults/.file-$h-${path//\//_}" ;;
    hide-dir)
      hx "$h" test -d "$path" || die "$path is not a directory on $h"
      hx "$h" mv -T "$path" "$path.nfslab-hidden" ;;
    unmount)
      path=${path:-/nfs}
      hx "$h" findmnt -n -o SOURCE,FSTYPE -M "$path" | tail -n 1 >"$L/faults/.mount-$h-${path//\//_}"
      [ -s "$L/faults/.mount-$h-${path//\//_}" ] || die "$path is not a mount point on $h"
      hx "$h" umount -l "$path" ;;
    stale-sync)
      # the primary gets data the backup lacks, and nfsctl's sync records on the backup
      # (/var/lib/nfsctl/sync/{last,last-ok}.json, "time" in ISO-8601) are set back one day;
      # originals are kept for the undo. No record at all is "never synced" already.
      hx primary bash -c 'date +%s >/nfs/.nfslab-stale-sync'
      hx "$h" bash -ec 'd=/var/lib/nfsctl/sync; old=$(date -u -d "-1 day" +%Y-%m-%dT%H:%M:%S.000Z)
        for n in last last-ok; do
          [ -f "$d/$n.json" ] || continue
          [ -f "$d/.nfslab-$n.orig" ] || cp -p "$d/$n.json" "$d/.nfslab-$n.orig"
          sed -E "s/\"time\" *: *\"[^\"]*\"/\"time\":\"$old\"/" "$d/.nfslab-$n.orig" >"$d/$n.json"
          cp "$d/$n.json" "$d/.nfslab-$n.stale"
        done' ;;
    *) die "unknown fault: $name (see: lab.sh fault list)" ;;
  esac
}

fault_undo() { # NAME HOST PORT PATH
  local name=$1 h=$2 port=$3 path=$4 svc id f k
  k="$h-${path//\//_}"
  case "$name" in
    stop-*|kill-*)
      svc=$(fault_svc "${name#*-}"); hx "$h" labsvc start "$svc" >/dev/null
      if [ "$svc" = keepalived ] && [ "$h" = primary ]; then wait_vip primary 15 || true; fi ;;
    no-vip)
      hx primary labsvc start keepalived >/dev/null; hx backup labsvc start keepalived >/dev/null
      wait_vip primary 15 ;;
    split-brain)
      hx "$h" labsvc start keepalived >/dev/null
      wait_vip primary 15 ;;
    reject|drop)
      local t=REJECT ports=(111 2049 20048)
      [ "$name" = drop ] && t=DROP
      [ -z "$port" ] || ports=("$port")
      nfs_port_rules "$t" "${ports[@]}" | ipt_del "$h" ;;
    cut-link)
      echo "-s ${IP[backup]} -m comment --comment nfslab-fault -j DROP" | ipt_del primary
      echo "-s ${IP[primary]} -m comment --comment nfslab-fault -j DROP" | ipt_del backup
      wait_vip primary 15 || true ;;
    fill-vg)
      if hx "$h" lvs vgnfs/nfslab-fill >/dev/null 2>&1; then hx "$h" lvremove -q -y vgnfs/nfslab-fill >/dev/null 2>&1; fi ;;
    remove-export)
      if [ -z "$(export_id "$h" "$path")" ]; then
        f=$(export_file "$h" "$path") || die "no EXPORT block for $path in $h's ganesha config to add back"
        hx "$h" dbus-send --system --print-reply --dest=org.ganesha.nfsd /org/ganesha/nfsd/ExportMgr \
          org.ganesha.nfsd.exportmgr.AddExport "string:$f" "string:EXPORT(Path=$path)" >/dev/null
      fi ;;
    drop-export-line)
      if [ -f "$L/faults/.block-$k" ]; then
        f=$(cat "$L/faults/.file-$k")
        hx "$h" bash -c 'cat >>"$1"' _ "$f" <"$L/faults/.block-$k"
        if [ -s "$L/faults/.line-$k" ]; then
          hx "$h" bash -c 'cat >>/etc/exports.d/nfsctl.exports' <"$L/faults/.line-$k"
        fi
        rm -f "$L/faults/.block-$k" "$L/faults/.line-$k" "$L/faults/.file-$k"
      fi ;;
    hide-dir)
      if hx "$h" test -d "$path.nfslab-hidden" && ! hx "$h" test -e "$path"; then
        hx "$h" mv -T "$path.nfslab-hidden" "$path"
      fi ;;
    unmount)
      path=${path:-/nfs}; k="$h-${path//\//_}"
      # mount again unless the recorded filesystem is already the top mount on path
      if [ -f "$L/faults/.mount-$k" ] && \
        [ "$(hx "$h" findmnt -n -o SOURCE,FSTYPE -M "$path" | tail -n 1)" != "$(cat "$L/faults/.mount-$k")" ]; then
        local src fstype opts=
        read -r src fstype <"$L/faults/.mount-$k"
        # /nfs is the XFS root: mount it back with project quotas when this kernel has them
        if [ "$path" = /nfs ] && grep -q '^xfs_prjquota=yes' "$L/facts" 2>/dev/null; then opts="-o prjquota"; fi
        # shellcheck disable=SC2086
        hx "$h" mount -t "$fstype" $opts "$src" "$path"
      fi
      rm -f "$L/faults/.mount-$k" ;;
    stale-sync)
      hx primary rm -f /nfs/.nfslab-stale-sync
      # put the records back, unless a real sync wrote newer ones meanwhile
      hx "$h" bash -ec 'rm -f /nfs/.nfslab-stale-sync; d=/var/lib/nfsctl/sync
        for n in last last-ok; do
          [ -f "$d/.nfslab-$n.orig" ] || continue
          if cmp -s "$d/$n.json" "$d/.nfslab-$n.stale"; then cp -p "$d/.nfslab-$n.orig" "$d/$n.json"; fi
          rm -f "$d/.nfslab-$n.orig" "$d/.nfslab-$n.stale"
        done' ;;
    *) die "unknown fault: $name (see: lab.sh fault list)" ;;
  esac
}

# fault_active_list: one line per recorded fault: "NAME HOST [port N] [path P]"
fault_active_list() {
  local f
  for f in "$L"/faults/*; do
    [ -f "$f" ] || continue
    cat "$f"
  done
  return 0
}

lab_fault() {
  local name=${1:-} h='' port='' path='' undo=0 a id def
  [ -n "$name" ] || die "usage: lab.sh fault list | NAME [HOST] [--port N] [--path P] [--undo] | undo-all"
  shift
  case "$name" in
    list) echo "$FAULT_HELP"; return 0 ;;
    undo-all)
      local rec recs rc=0
      # newest first; one failing undo does not stop the others (each runs in a subshell: die exits)
      mapfile -t recs < <(ls -t "$L/faults/" 2>/dev/null)
      for rec in "${recs[@]}"; do
        # shellcheck disable=SC2046  # the record is a plain argument list
        ( lab_fault $(cat "$L/faults/$rec") --undo ) || rc=1
      done
      return "$rc" ;;
  esac
  while [ $# -gt 0 ]; do
    a=$1; shift
    case "$a" in
      --undo) undo=1 ;;
      --port) port=${1:?--port needs a number}; shift ;;
      --port=*) port=${a#--port=} ;;
      --path) path=${1:?--path needs a path}; shift ;;
      --path=*) path=${a#--path=} ;;
      /*) path=$a ;;
      *) is_host "$a" || die "fault $name: unknown host or argument: $a"; h=$a ;;
    esac
  done
  [ -z "$port" ] || [[ "$port" =~ ^[0-9]+$ ]] || die "--port must be a number"
  lab_complete || [ "$undo" = 1 ] || die "no complete lab is up"

  # default host per fault; pair-wide faults have none
  case "$name" in
    no-vip|cut-link) def=pair; h= ;;
    split-brain) def=$(vip_holders); [ "$def" = backup ] || def=primary ;;
    stale-sync) def=backup ;;
    *) def=primary ;;
  esac
  [ "$def" = pair ] || h=${h:-$def}
  case "$name" in
    stop-*|kill-*) fault_svc "${name#*-}" >/dev/null || die "unknown service in $name (sshd rpcbind dbus keepalived ganesha rsyncd)"
      if [ "$h" = ceph ] || { [ "$h" = client ] && [ "$(fault_svc "${name#*-}")" != sshd ]; }; then die "$name: no such daemon on $h"; fi ;;
    remove-export|drop-export-line|hide-dir) [ -n "$path" ] || die "fault $name needs --path P" ;;
    reject|drop|fill-vg|split-brain|unmount|stale-sync) is_storage "$h" || die "fault $name: host must be primary or backup" ;;
  esac
  id="$name${h:+@$h}${port:+:$port}${path:+:${path//\//_}}"

  if [ "$undo" = 1 ]; then
    fault_undo "$name" "$h" "$port" "$path"
    rm -f "$L/faults/$id"
    echo "fault $name${h:+ on $h}${port:+ port $port}${path:+ $path}: undone"
  else
    fault_apply "$name" "$h" "$port" "$path"
    # the record is the argument list again, so undo-all can replay it with --undo
    echo "$name${h:+ $h}${port:+ --port $port}${path:+ --path $path}" >"$L/faults/$id"
    echo "fault $name${h:+ on $h}${port:+ port $port}${path:+ $path}: applied"
  fi
}
