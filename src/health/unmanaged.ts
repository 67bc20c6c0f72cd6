// The health finding for volumes nfsctl does not manage (see volume/unmanaged.ts): an LV,
// a mount or an export line present and consistent is a warning (nfsctl cannot fail them over or resize them), differing
// between the hosts is critical (a VIP move would serve clients something else).
import type { Config, PairRole } from '../config/schema.js';
import type { Finding } from './check.js';
import type { HostInventory } from '../volume/inventory.js';
import { mergeVolumes } from '../volume/state.js';
import { findUnmanaged, type ForeignReads } from '../volume/unmanaged.js';

export function unmanagedFindings(
  config: Config,
  inv: Map<PairRole, HostInventory>,
  foreign: Map<PairRole, ForeignReads>,
  roles: PairRole[],
): Finding[] {
  const p = inv.get('primary');
  const b = inv.get('backup');
  const fp = foreign.get('primary');
  const fb = foreign.get('backup');
  if (roles.length < 2 || !p || !b || !fp || !fb) return [];
  const full = { primary: p, backup: b };
  const all = findUnmanaged(config, full, { primary: fp, backup: fb }, mergeVolumes(config, full));
  // A plain directory that no exports file names and that is not a mount is not volume-shaped
  // on its own (volume list still shows it); only LVs, mounts and export lines are findings.
  const exported = (u: (typeof all)[number]) => u.hosts.primary.exports.length + u.hosts.backup.exports.length > 0;
  const list = all.filter((u) => u.kind !== 'dir' || exported(u));
  const plainDirs = all.length - list.length;
  const dirsNote = plainDirs
    ? `; ${plainDirs} plain director${plainDirs === 1 ? 'y' : 'ies'} that no export line names (see \`nfsctl volume list\`)`
    : '';
  if (list.length === 0)
    return [
      {
        id: 'unmanaged',
        host: null,
        status: 'ok',
        title: `nothing unmanaged under ${config.nfs.root}`,
        evidence: `every mount and export line under the root is an nfsctl volume${dirsNote}`,
      },
    ];
  const out: Finding[] = [];
  for (const u of list.filter((x) => x.differences.length > 0)) {
    out.push({
      id: `unmanaged:${u.path}`,
      host: null,
      status: u.kind === 'lv' || exported(u) ? 'critical' : 'warn',
      title: `unmanaged ${u.path} consistent on both hosts`,
      evidence: u.differences.join('; '),
      fix: 'make both hosts agree by hand, then `nfsctl volume adopt`',
    });
  }
  const ok = list.length - out.length;
  out.push({
    id: 'unmanaged',
    host: null,
    status: 'warn',
    title: `volumes under ${config.nfs.root} managed by nfsctl`,
    evidence: `${list.length} unmanaged (${ok} consistent on both hosts): ${list
      .slice(0, 5)
      .map((u) => u.path)
      .join(', ')}${list.length > 5 ? ', …' : ''}; nfsctl does not sync, resize or fail them over${dirsNote}`,
    fix: 'nfsctl volume adopt --all --dry-run',
  });
  return out;
}
