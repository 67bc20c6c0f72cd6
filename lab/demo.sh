#!/bin/bash
# demo.sh -- the README's main command (`npm run demo`): bring up the lab and walk through
# nfsctl's job as an operator would, printing every nfsctl command before running it.
#   --keep   leave the lab up afterwards (npm run lab -- down removes it)
# Runs in its own lab instance (NFSLAB_NS=nfslab-demo) so it never disturbs another lab.
set -euo pipefail
LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export NFSLAB_NS=${NFSLAB_NS:-nfslab-demo}
KEEP=0; [ "${1:-}" = --keep ] && KEEP=1
VIP=198.51.100.100
T0=$(date +%s.%N)
declare -a SUMMARY=()
lab() { bash "$LAB/lab.sh" "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
# step TITLE: start a timed step of the summary
STEP_T=; STEP_NAME=
step() { [ -n "$STEP_NAME" ] && SUMMARY+=("$(printf '%6ss  %s' "$(secs "$STEP_T")" "$STEP_NAME")"); STEP_NAME=$1; STEP_T=$(now); printf '\n'; bold "== $1"; }
# on HOST: show and run a command as the operator types it on that host
on() { local h=$1; shift; printf '%s\n' "[$h]\$ $*"; lab exec "$h" -- "$@"; }
# expect_fail HOST cmd...: a command that must fail (a diagnosis finding a cause)
expect_fail() { local h=$1; shift; printf '%s\n' "[$h]\$ $*"; if lab exec "$h" -- "$@"; then echo "demo: expected this to report a problem" >&2; exit 1; fi; }
cleanup() { local rc=$?; if [ "$KEEP" = 1 ]; then echo "lab kept (NFSLAB_NS=$NFSLAB_NS): npm run lab -- down"; else lab down --netns-only >/dev/null 2>&1 || true; fi; exit "$rc"; }
trap cleanup EXIT

step "bring up the lab: primary, backup, client and a Ceph cluster"
lab up
step "create two volumes, one per backend the netns tier supports, with their PersistentVolumes"
on primary nfsctl volume create demo/web --size 256M --backend xfsquota --label app=web --output pv-yaml --yes
on primary nfsctl volume create demo/db --size 128M --backend rbd --output pv-yaml --yes
on primary nfsctl volume list
step "a client writes through the VIP"
on client sh -c "for i in 1 2 3; do echo \"order \$i\" > /tmp/o\$i; nfs-cp /tmp/o\$i 'nfs://$VIP/nfs/demo_web/order-'\$i'.txt?version=3' >/dev/null; done; nfs-ls 'nfs://$VIP/nfs/demo_web?version=3'"
step "the backup pulls /nfs (what the timer runs), and the pair is healthy"
on backup nfsctl sync --yes
on primary nfsctl health
step "a fault: a firewall on the primary silently drops NFS; troubleshoot-mount finds it"
lab fault drop primary --port 2049
expect_fail primary nfsctl troubleshoot-mount demo/web --from client
lab fault drop primary --port 2049 --undo
on primary nfsctl troubleshoot-mount demo/web --from client
step "a stale kubelet RBD lock: listed and removed safely"
on primary rbd lock add rbd/pv.demo.db kubelet_lock_magic_node-gone
on primary nfsctl rbd lock list --pool rbd
on primary nfsctl rbd lock remove rbd/pv.demo.db --yes
on primary nfsctl rbd blocklist list
step "the primary fails: the VIP moves to the backup and the client carries on"
on primary labsvc stop keepalived
on primary labsvc stop nfs-ganesha
for _ in $(seq 50); do [ "$(lab status | sed -n 's/^VIP .* on: //p')" = backup ] && break; sleep 0.2; done
lab status | grep '^VIP'
on client sh -c "echo 'written during the outage' > /tmp/o4; nfs-cp /tmp/o4 'nfs://$VIP/nfs/demo_web/order-4.txt?version=3' >/dev/null && nfs-ls 'nfs://$VIP/nfs/demo_web?version=3'"
step "the primary is back (without keepalived): failback copies the outage's writes home, then moves the VIP"
on primary labsvc start nfs-ganesha
on primary nfsctl status
on primary nfsctl failback --yes
step "verify: the VIP is home and every byte the client wrote is on the primary"
lab status | grep '^VIP'
on primary sh -c 'cd /nfs/demo_web && sha256sum order-*.txt'
on backup sh -c 'cd /nfs/demo_web && sha256sum order-*.txt'
on client nfs-cat "nfs://$VIP/nfs/demo_web/order-4.txt?version=3"
a=$(lab exec primary -- sh -c 'cd /nfs/demo_web && sha256sum order-*.txt')
b=$(lab exec backup -- sh -c 'cd /nfs/demo_web && sha256sum order-*.txt')
[ "$a" = "$b" ] && [ "$(printf '%s\n' "$a" | wc -l)" = 4 ] || { echo "demo: data differs between primary and backup" >&2; exit 1; }
on primary nfsctl health
step "clean up"
# --force: nfs-ganesha cannot tell which clients mount a volume, and the demo's client is done
on primary nfsctl volume delete demo/web --yes --force
on primary nfsctl volume delete demo/db --yes --force
step done
printf '\n'; bold "Summary (total $(secs "$T0") s)"; printf '%s\n' "${SUMMARY[@]}"
