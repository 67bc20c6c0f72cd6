// `ha lint` for the DRBD volumes: nfsctl's resource file of each is on both hosts, with the
// same content (DRBD needs both sides to describe the resource alike), and says what the
// volume's metadata and the config say (resource name, minor, port, the two hosts' addresses).
// Pure over both hosts' inventories; lintDrbd reads them.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { Finding } from '../health/check.js';
import { parseDrbdResource } from '../core/drbd.js';
import { pairInventory, type HostInventory } from '../volume/inventory.js';
import { mergeVolumes } from '../volume/state.js';
import { backendNamed, configuredBackends } from '../volume/backend/registry.js';
import { drbdVolumes, ROLES, type DrbdVolume } from './drbd-pair.js';

/** The metadata's `drbd` record of a volume on `role` ({resource, minor, port}), if any. */
function metaDrbd(dv: DrbdVolume, inv: HostInventory): { resource?: string; minor?: number; port?: number } | null {
  const m = backendNamed(dv.view.backend).metaOnHost(inv, dv.view.identity) as
    | { drbd?: Record<string, unknown> }
    | null
    | undefined;
  const d = m?.drbd;
  if (!d || typeof d !== 'object') return null;
  return {
    ...(typeof d.resource === 'string' ? { resource: d.resource } : {}),
    ...(typeof d.minor === 'number' ? { minor: d.minor } : {}),
    ...(typeof d.port === 'number' ? { port: d.port } : {}),
  };
}

export function drbdLintRules(
  config: Config,
  inv: Record<PairRole, HostInventory>,
  dvs: readonly DrbdVolume[],
  metaOf: (dv: DrbdVolume, inv: HostInventory) => ReturnType<typeof metaDrbd> = metaDrbd,
): Finding[] {
  const out: Finding[] = [];
  for (const dv of dvs) {
    const problems: string[] = [];
    const files = { primary: dv.hosts.primary.file, backup: dv.hosts.backup.file };
    for (const r of ROLES)
      if (inv[r].reachable && files[r] === null) problems.push(`${r} has no resource file for ${dv.resource}`);
    if (files.primary !== null && files.backup !== null && files.primary !== files.backup)
      problems.push('the resource files differ between the hosts');
    for (const r of ROLES) {
      const text = files[r];
      if (text === null) continue;
      const spec = parseDrbdResource(text);
      if (!spec) {
        problems.push(`${r}: the resource file does not read as nfsctl's (mark, resource, device, disk, two hosts)`);
        continue;
      }
      if (spec.volumeId !== dv.id) problems.push(`${r}: the file is marked for ${spec.volumeId}, not ${dv.id}`);
      if (spec.resource !== dv.resource)
        problems.push(`${r}: the file names resource ${spec.resource}, the metadata ${dv.resource}`);
      const meta = metaOf(dv, inv[r]);
      if (!meta) problems.push(`${r}: the volume's metadata has no drbd record (resource, minor, port)`);
      else {
        if (meta.minor !== undefined && meta.minor !== spec.minor)
          problems.push(`${r}: the file has minor ${spec.minor}, the metadata ${meta.minor}`);
        if (meta.port !== undefined && meta.port !== spec.port)
          problems.push(`${r}: the file has port ${spec.port}, the metadata ${meta.port}`);
      }
      const addrs = spec.hosts.map((h) => h.address);
      for (const role of ROLES) {
        const a = config.hosts[role].address;
        // only comparable when the config names the host by its IP (DRBD takes no DNS name)
        if (/^[0-9.]+$|:/.test(a) && !addrs.includes(a))
          problems.push(`${r}: the file has no address ${a} (${role} in the config)`);
      }
    }
    out.push({
      id: `drbd-resource:${dv.id}`,
      host: null,
      status: problems.length ? 'critical' : 'ok',
      title: `DRBD resource file of ${dv.id} the same on both hosts and as its metadata says`,
      evidence: problems.length
        ? problems.join('; ')
        : `${dv.resource}: identical on both hosts, minor/port as in the metadata`,
      ...(problems.length
        ? {
            fix: `compare ${dv.resource}.res on both hosts with \`drbdadm dump ${dv.resource}\`; nfsctl wrote it at create (a hand edit is not nfsctl's: restore it from the other host if that one agrees with the metadata, then drbdadm adjust ${dv.resource})`,
          }
        : {}),
    });
  }
  return out;
}

/** Read both hosts and lint their DRBD resource files ([] when no replicated backend is configured). */
export async function lintDrbd(config: Config, hosts: Record<PairRole, Host>): Promise<Finding[]> {
  if (!configuredBackends(config).some((b) => b.placement === 'replicated')) return [];
  const inv = await pairInventory(config, hosts);
  return drbdLintRules(config, inv, drbdVolumes(config, mergeVolumes(config, inv), inv));
}
