#!/bin/bash
# ceph-up.sh ADDR -- runs INSIDE the lab host `ceph` (its own /etc, /var/lib, /run, /var/log).
# A throw-away Ceph Pacific cluster: 1 mon, 1 mgr, 1 osd (memstore), 1 mds, bound to ADDR, adapted
# from the proven lab-reference/ceph/cephlab-start.sh. Default ports (mon v2 3300, v1 6789) are fine:
# the host has its own network namespace. Then creates pool `rbd` and initialises it, and the
# CephFS filesystem `cephfs` (pools cephfs_metadata + cephfs_data; subvolumes through the mgr
# volumes module, which Pacific always runs).
# Afterwards the admin client works inside the host with the default /etc/ceph/ceph.conf.
# The daemons fork into the background; pid files in /run/ceph (lab down also uses `ip netns pids`).
set -euo pipefail
ADDR=${1:?usage: ceph-up.sh ADDR}
DIR=/var/lib/ceph/lab
T0=$(date +%s.%N)
ts() { awk -v t0="$T0" -v now="$(date +%s.%N)" -v m="$*" 'BEGIN{printf "[ceph +%.2fs] %s\n", now-t0, m}'; }

[ ! -e /etc/ceph/ceph.conf ] || { echo "ceph host already has a cluster" >&2; exit 1; }
mkdir -p "$DIR"/{mon/a,mgr/x,osd/0,mds/a} /run/ceph /var/log/ceph
FSID=$(uuidgen); OSD_UUID=$(uuidgen)
MONS="[v2:$ADDR:3300,v1:$ADDR:6789]"
CONF=/etc/ceph/ceph.conf
cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon_host = $MONS
public_addr = $ADDR
cluster_addr = $ADDR
ms_bind_ipv6 = false
keyring = $DIR/keyring
run_dir = /run/ceph
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 2
mon_data_avail_crit = 1
mgr_initial_modules = iostat
# commit mon changes (pool create, blocklist add, ...) sooner than the 1 s default
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
[mon]
mon_data = $DIR/mon/\$id
log_file = /var/log/ceph/\$name.log
pid_file = /run/ceph/\$name.pid
mon_cluster_log_file = /var/log/ceph/cluster.log
[mgr]
mgr_data = $DIR/mgr/\$id
log_file = /var/log/ceph/\$name.log
pid_file = /run/ceph/\$name.pid
[osd]
osd_data = $DIR/osd/\$id
log_file = /var/log/ceph/\$name.log
pid_file = /run/ceph/\$name.pid
osd_objectstore = memstore
# memstore keeps data in RAM: a modest cap (images are thin, tests write little)
memstore_device_bytes = 3221225472
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 1
# a SIGKILLed client stops being a watcher after 5 s instead of 30 s (the vm tier sets 30:
# krbd under TCG pings its watch every 5 s and would lose it at every ping)
osd_client_watch_timeout = ${CEPH_LAB_WATCH_TIMEOUT:-5}
[mds]
mds_data = $DIR/mds/\$id
log_file = /var/log/ceph/\$name.log
pid_file = /run/ceph/\$name.pid
[client]
# layering only, like the k8s in-tree rbd plugin: with exclusive-lock an advisory
# 'rbd lock add' makes librbd writers (rbd-fuse) block forever
rbd_default_features = layering
log_file = /var/log/ceph/client.log
admin_socket = /run/ceph/\$name.\$pid.asok
EOF

# all keys up front; the mon imports them (with caps) at mkfs
KR=$DIR/keyring
ceph-authtool "$KR" --create-keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$KR" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
ceph-authtool "$KR" --gen-key -n mgr.x --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *' >/dev/null
ceph-authtool "$KR" --gen-key -n mds.a --cap mon 'allow profile mds' --cap osd 'allow rwx' --cap mds 'allow *' --cap mgr 'allow profile mds' >/dev/null
ceph-authtool "$KR" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
chmod 600 "$KR"

monmaptool --create --fsid "$FSID" --addv a "$MONS" "$DIR/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$DIR/monmap" --keyring "$KR"
ceph-mon -i a
ts "mon started"
ceph-mgr -i x &   # its parent returns after init; let it do so in parallel
MGRP=$!
ceph-mds -i a >/dev/null   # forks; a standby until the filesystem below exists
# the CephFS filesystem needs only the mon: made while the osd is created (one ceph process)
printf '%s\n' 'osd pool create cephfs_metadata' 'osd pool create cephfs_data' \
  'fs new cephfs cephfs_metadata cephfs_data' | ceph --connect-timeout 30 >/var/log/ceph/fs-new.log 2>&1 &
FSP=$!
ceph-osd -i 0 --mkfs --osd-uuid "$OSD_UUID" 2>/var/log/ceph/osd-mkfs.err || { cat /var/log/ceph/osd-mkfs.err >&2; exit 1; }
ceph --connect-timeout 30 osd new "$OSD_UUID" 0 >/dev/null
ceph-osd -i 0 2>/dev/null
wait "$MGRP"
wait "$FSP" || { cat /var/log/ceph/fs-new.log >&2; exit 1; }
ts "mgr + osd + mds started, filesystem cephfs made"

# the admin keyring alone, for the storage hosts' /etc/ceph/ceph.client.admin.keyring
ceph auth get client.admin -o /etc/ceph/ceph.client.admin.keyring 2>/dev/null
chmod 600 /etc/ceph/ceph.client.admin.keyring

# RBD needs the osd up (not the mgr); HEALTH_OK also needs the mgr, which follows ~3 s later
for _ in $(seq 1 300); do
  ceph osd stat 2>/dev/null | grep -q '1 up' && break
  sleep 0.1
done
ceph osd pool create rbd >/dev/null 2>&1
rbd pool init rbd
ts "pool rbd ready"
# HEALTH_OK, and the filesystem's MDS active (subvolume calls wait for it otherwise)
h= m=
for _ in $(seq 1 300); do
  h=$(ceph health 2>/dev/null || true); m=$(ceph mds stat 2>/dev/null || true)
  [ "$h" = HEALTH_OK ] && [[ $m == *up:active* ]] && break
  sleep 0.2
done
ts "health: $h; mds: $m"
[ "$h" = HEALTH_OK ] || { echo "ceph did not become healthy ($h); see /var/log/ceph" >&2; exit 1; }
[[ $m == *up:active* ]] || { echo "cephfs has no active MDS ($m); see /var/log/ceph/mds.a.log" >&2; exit 1; }
