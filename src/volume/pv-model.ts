// The PV model flags of `volume create` (--access-mode, --reclaim-policy, --claim/--no-claim,
// --storage-class), checked before anything runs. Pure.
import { UsageError } from '../core/errors.js';
import { parseVolumeRef, type VolumeRef } from '../core/names.js';

export interface PvModel {
  accessModes: string[];
  reclaimPolicy: 'Retain' | 'Delete';
  /** The claim the PV is pre-bound to; null: unbound (claims pick it by label selector). */
  claim: VolumeRef | null;
  storageClass: string;
}

const MODES: Record<string, string> = {
  RWO: 'ReadWriteOnce',
  ROX: 'ReadOnlyMany',
  RWX: 'ReadWriteMany',
  ReadWriteOnce: 'ReadWriteOnce',
  ReadOnlyMany: 'ReadOnlyMany',
  ReadWriteMany: 'ReadWriteMany',
};

export function parsePvModel(
  self: VolumeRef,
  o: { accessMode?: string[]; reclaimPolicy?: string; claim?: string; noClaim?: boolean; storageClass?: string },
): PvModel {
  const accessModes = [
    ...new Set(
      (o.accessMode ?? ['RWX']).map((m) => {
        const full = MODES[m];
        if (!full)
          throw new UsageError(
            `--access-mode ${JSON.stringify(m)}: expected RWO, ROX or RWX (ReadWriteOncePod needs CSI, which NFS PVs do not use)`,
          );
        return full;
      }),
    ),
  ];
  const rp = o.reclaimPolicy ?? 'Retain';
  if (rp === 'Recycle')
    throw new UsageError(
      '--reclaim-policy Recycle is refused: Kubernetes deprecated it (it runs `rm -rf` in a pod on release, with no way to check ownership); use Retain and `nfsctl volume delete`, or Delete',
    );
  if (rp !== 'Retain' && rp !== 'Delete')
    throw new UsageError(`--reclaim-policy ${JSON.stringify(rp)}: expected Retain or Delete`);
  if (o.claim !== undefined && o.noClaim) throw new UsageError('--claim and --no-claim contradict each other');
  const claim = o.noClaim ? null : o.claim !== undefined ? parseVolumeRef(o.claim) : self;
  const sc = o.storageClass ?? '';
  if (sc !== '' && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(sc))
    throw new UsageError(`--storage-class ${JSON.stringify(sc)}: a storage class name is a DNS-1123 subdomain`);
  if (sc.length > 253) throw new UsageError('--storage-class: at most 253 characters');
  return { accessModes, reclaimPolicy: rp, claim, storageClass: sc };
}

/** Only ReadOnlyMany: the export itself is read-only (ro; Access_Type = RO) and so is the PV's volume source. */
export function isReadOnlyModel(m: Pick<PvModel, 'accessModes'>): boolean {
  return m.accessModes.length > 0 && m.accessModes.every((a) => a === 'ReadOnlyMany');
}

/**
 * The export options for this PV model: ROX alone turns `rw` into `ro`; a read-write mode on
 * a read-only export is refused (the PV would promise writes the export refuses). `explicit`:
 * the options came from --options (then a contradicting `rw` is an error, not silently dropped).
 */
export function exportOptionsFor(
  m: Pick<PvModel, 'accessModes'>,
  options: readonly string[],
  explicit: boolean,
): string[] {
  if (isReadOnlyModel(m)) {
    if (explicit && options.includes('rw'))
      throw new UsageError(
        '--access-mode ROX makes the export read-only: --options must not say rw (leave it out, or say ro)',
      );
    return ['ro', ...options.filter((o) => o !== 'rw' && o !== 'ro')];
  }
  if (options.includes('ro'))
    throw new UsageError(
      `the export options say ro, but --access-mode ${m.accessModes.join(', ')} promises writes: a pod would mount it and fail at its first write; use --access-mode ROX`,
    );
  return [...options];
}
