// Parsers for the usage reports of each backend's own accounting: df of mounted filesystems
// (an LV's or a mapped RBD image's XFS), the XFS project quota report, and `rbd du`. Pure:
// text in, numbers out; a line that does not parse is left out, never guessed at.

/** What one accounting source says about one volume. Capacity is the denominator of use%. */
export interface Usage {
  usedBytes: number;
  capacityBytes: number;
  inodesUsed: number | null;
  inodesTotal: number | null;
  /** Where the numbers come from: `df`, `xfs_quota`, `rbd du` or a CephFS `subvolume info` (its quota and bytes used). */
  source: 'df' | 'xfs_quota' | 'rbd du' | 'subvolume info';
}

/** The argv whose output parseDf reads: local filesystems only (never hang on an NFS mount). */
export const DF_ARGV = ['df', '-l', '-B1', '--output=size,used,avail,itotal,iused,iavail,target'];

export interface DfEntry {
  target: string;
  sizeBytes: number;
  usedBytes: number;
  availBytes: number;
  inodesTotal: number | null;
  inodesUsed: number | null;
}

const UINT = /^(0|[1-9][0-9]*)$/;

/**
 * `df -B1 --output=size,used,avail,itotal,iused,iavail,target`: the mount point is the last
 * column and may hold spaces (df prints it raw). Inode columns are `-` on filesystems without
 * inodes (null here). Keyed by mount point.
 */
export function parseDf(text: string): Map<string, DfEntry> {
  const out = new Map<string, DfEntry>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\/.*)$/.exec(line);
    if (!m) continue;
    const [size, used, avail, itotal, iused] = [m[1]!, m[2]!, m[3]!, m[4]!, m[5]!];
    if (![size, used, avail].every((x) => UINT.test(x))) continue; // the header, or garbage
    const inode = (x: string) => (UINT.test(x) ? Number(x) : null);
    out.set(m[7]!, {
      target: m[7]!,
      sizeBytes: Number(size),
      usedBytes: Number(used),
      availBytes: Number(avail),
      inodesTotal: inode(itotal),
      inodesUsed: inode(iused),
    });
  }
  return out;
}

/** The use% df shows: used / (used + avail), what a full filesystem means to its writers. */
export function dfUsage(e: DfEntry): Usage {
  return {
    usedBytes: e.usedBytes,
    capacityBytes: e.usedBytes + e.availBytes || e.sizeBytes,
    inodesUsed: e.inodesUsed,
    inodesTotal: e.inodesTotal,
    source: 'df',
  };
}

export interface XfsProjectQuota {
  id: number;
  usedBytes: number;
  softBytes: number;
  hardBytes: number;
  inodesUsed: number | null;
  inodesSoft: number | null;
  inodesHard: number | null;
}

/**
 * `xfs_quota -x -c 'report -p -b -i -n [-N]' ROOT`: one line per project,
 * `#<id>  <used> <soft> <hard>  <warns> [<grace>]  <iused> <isoft> <ihard>  <iwarns> [<grace>]`,
 * block numbers in KiB. The grace field is bracketed and may hold spaces (`[6 days]`). Header
 * lines (without -N) and anything else that does not start with `#<number>` are skipped. A
 * report of blocks only (`report -p -b`) parses too, with null inodes.
 */
export function parseXfsQuotaReport(text: string): Map<number, XfsProjectQuota> {
  const out = new Map<number, XfsProjectQuota>();
  for (const line of text.split('\n')) {
    const head = /^\s*#([0-9]+)\s+(.*)$/.exec(line);
    if (!head) continue;
    const id = Number(head[1]);
    const groups = [...head[2]!.matchAll(/([0-9]+)\s+([0-9]+)\s+([0-9]+)\s+([0-9]+)\s+\[[^\]]*\]/g)];
    let blocks: number[];
    let inodes: number[] | null = null;
    if (groups.length > 0) {
      blocks = groups[0]!.slice(1, 4).map(Number);
      if (groups[1]) inodes = groups[1].slice(1, 4).map(Number);
    } else {
      // an older layout without the grace brackets: the first three numbers are the blocks
      const nums = head[2]!.trim().split(/\s+/);
      if (nums.length < 3 || !nums.slice(0, 3).every((x) => UINT.test(x))) continue;
      blocks = nums.slice(0, 3).map(Number);
    }
    out.set(id, {
      id,
      usedBytes: blocks[0]! * 1024,
      softBytes: blocks[1]! * 1024,
      hardBytes: blocks[2]! * 1024,
      inodesUsed: inodes?.[0] ?? null,
      inodesSoft: inodes?.[1] ?? null,
      inodesHard: inodes?.[2] ?? null,
    });
  }
  return out;
}

/** A project's use against its hard limit (soft when no hard one); null without any limit. */
export function xfsQuotaUsage(q: XfsProjectQuota): Usage | null {
  const cap = q.hardBytes || q.softBytes;
  if (!cap) return null;
  return {
    usedBytes: q.usedBytes,
    capacityBytes: cap,
    inodesUsed: q.inodesUsed,
    inodesTotal: q.inodesHard || q.inodesSoft || null,
    source: 'xfs_quota',
  };
}

export interface RbdDuEntry {
  name: string;
  provisionedBytes: number;
  usedBytes: number;
}

/**
 * `rbd du --format json --pool POOL`: {"images":[{"name","id","provisioned_size","used_size"}, ...]}.
 * Snapshot rows (with "snapshot") are left out: the image's own row is its head.
 */
export function parseRbdDu(text: string): Map<string, RbdDuEntry> {
  const out = new Map<string, RbdDuEntry>();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return out;
  }
  const images = (doc as { images?: unknown })?.images;
  if (!Array.isArray(images)) return out;
  for (const i of images as Record<string, unknown>[]) {
    if (typeof i?.name !== 'string' || i.snapshot !== undefined) continue;
    const p = i.provisioned_size;
    const u = i.used_size;
    if (typeof p !== 'number' || typeof u !== 'number' || !Number.isFinite(p) || !Number.isFinite(u)) continue;
    out.set(i.name, { name: i.name, provisionedBytes: p, usedBytes: u });
  }
  return out;
}

export function rbdDuUsage(e: RbdDuEntry): Usage | null {
  if (!e.provisionedBytes) return null;
  return {
    usedBytes: e.usedBytes,
    capacityBytes: e.provisionedBytes,
    inodesUsed: null,
    inodesTotal: null,
    source: 'rbd du',
  };
}

/** used / capacity in percent (0-100+, one decimal), or null when unknown. */
export function usedPercent(u: Usage | null | undefined): number | null {
  if (!u || !u.capacityBytes) return null;
  return Math.round((u.usedBytes / u.capacityBytes) * 1000) / 10;
}

/**
 * A percentage as given on the command line or in the config: `80%` or `80` (plain decimal,
 * 0-100, at most one fraction part). Returns null when it is not one.
 */
export function parsePercent(text: string): number | null {
  const m = /^(100(?:\.0+)?|[1-9]?[0-9](?:\.[0-9]+)?)%?$/.exec(text);
  return m ? Number(m[1]) : null;
}
