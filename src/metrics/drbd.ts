// The replication state of DRBD volumes as metric families: per volume and host the role,
// connection and disk state (an info series, as kube-state-metrics does for phases), the
// bytes still out of sync, and the pair's judgement of the volume's replication (the same
// drbdHealth the `drbd:<id>` health check uses, so the metric and the check never disagree).
// The rsync mirror's replication state is the nfsctl_sync_* families. Pure.
import type { PairRole } from '../config/schema.js';
import { drbdHealth, ROLES, type DrbdVolume } from '../ha/drbd-pair.js';
import type { Family } from './exposition.js';

/** 0 replicating (Connected, UpToDate on both), 1 resyncing, 2 broken or split brain: as the health ranks. */
const KIND_RANK = { ok: 0, syncing: 1, bad: 2, 'split-brain': 2 } as const;

export function drbdFamilies(dvs: readonly DrbdVolume[], reachable: (r: PairRole) => boolean): Family[] {
  const state: Family = {
    name: 'nfsctl_drbd_state',
    help: 'DRBD state of the volume on this host (role, connection, disk as drbd reports them; absent where the resource is not up)',
    type: 'gauge',
    samples: [],
  };
  const oos: Family = {
    name: 'nfsctl_drbd_out_of_sync_bytes',
    help: 'Bytes of the DRBD volume this host knows to be out of sync with its peer (/proc/drbd oos)',
    type: 'gauge',
    samples: [],
  };
  const repl: Family = {
    name: 'nfsctl_volume_replication_status',
    help: 'Replication of a DRBD volume as the drbd health check judges it: 0 replicating, 1 resyncing, 2 broken or split brain',
    type: 'gauge',
    samples: [],
  };
  for (const dv of dvs) {
    const vl = { volume: dv.id, namespace: dv.view.namespace, name: dv.view.name };
    repl.samples.push({ labels: { ...vl, resource: dv.resource }, value: KIND_RANK[drbdHealth(dv).kind] });
    for (const r of ROLES) {
      const st = dv.hosts[r].state;
      if (!reachable(r) || !st) continue;
      state.samples.push({
        labels: { ...vl, host: r, role: st.role, connection: st.cstate, disk: st.disk },
        value: 1,
      });
      if (st.outOfSyncKiB !== null) oos.samples.push({ labels: { ...vl, host: r }, value: st.outOfSyncKiB * 1024 });
    }
  }
  return [state, oos, repl];
}
