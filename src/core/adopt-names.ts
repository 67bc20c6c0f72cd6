// Pure rules for taking over volumes made by the old provisioning service, which mounted
// each volume at `/nfs/{namespace}{name}` with no separator: which namespace/name splits a
// directory name allows, an explicit mapping file, and the PV list (`kubectl get pv -o json`)
// that tells which claim really uses a path. Nothing here runs a command.
import { z } from 'zod';
import { UsageError } from './errors.js';
import { formatVolumeRef, NAMESPACE_MAX, volumeRef, type VolumeRef } from './names.js';

function valid(ns: string, name: string): VolumeRef | null {
  try {
    return volumeRef(ns, name);
  } catch {
    return null;
  }
}

/**
 * Every (namespace, name) whose concatenation with `sep` between them is `dir`
 * (`sep` = "" for the old `{namespace}{name}` layout), both parts valid Kubernetes names.
 */
export function splitCandidates(dir: string, sep = ''): VolumeRef[] {
  const out: VolumeRef[] = [];
  for (let i = 1; i < dir.length && i <= NAMESPACE_MAX; i++) {
    const ns = dir.slice(0, i);
    const rest = dir.slice(i);
    if (!rest.startsWith(sep)) continue;
    const r = valid(ns, rest.slice(sep.length));
    if (r && (sep !== '' || r.name.length > 0)) out.push(r);
  }
  return out;
}

/** The separator a `{root}/{namespace}<sep>{name}` template puts between the parts, or null for other shapes. */
export function templateSeparator(template: string): string | null {
  const m = /^\{root\}\/\{namespace\}([^{}/]*)\{name\}$/.exec(template);
  return m ? m[1]! : null;
}

/**
 * A mapping file: one `<path> <namespace>/<name>` per line; `#` starts a comment. Every
 * line is checked (absolute path, valid names, no path or volume twice) before it is used.
 */
export function parseMappingFile(text: string, file = 'mapping file'): Map<string, VolumeRef> {
  const out = new Map<string, VolumeRef>();
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const where = `${file} line ${i + 1}`;
    const f = line.split(/\s+/);
    if (f.length !== 2)
      throw new UsageError(
        `${where}: expected "<path> <namespace>/<name>", got ${JSON.stringify(raw.trim().slice(0, 120))}`,
      );
    const [path, id] = f as [string, string];
    if (
      !/^\/[A-Za-z0-9._+@/-]+$/.test(path) ||
      path
        .split('/')
        .slice(1)
        .some((s) => s === '' || s === '.' || s === '..')
    )
      throw new UsageError(`${where}: ${JSON.stringify(path)} is not a normalised absolute path`);
    const parts = id.split('/');
    if (parts.length !== 2) throw new UsageError(`${where}: ${JSON.stringify(id)} is not <namespace>/<name>`);
    let ref: VolumeRef;
    try {
      ref = volumeRef(parts[0]!, parts[1]!);
    } catch (err) {
      throw new UsageError(`${where}: ${(err as Error).message}`);
    }
    if (out.has(path)) throw new UsageError(`${where}: ${path} is mapped twice (also line ${seen.get(path)})`);
    const dup = [...out].find(([, r]) => formatVolumeRef(r) === formatVolumeRef(ref));
    if (dup) throw new UsageError(`${where}: ${formatVolumeRef(ref)} is mapped to two paths (${dup[0]} and ${path})`);
    out.set(path, ref);
    seen.set(path, i + 1);
  });
  return out;
}

// ---------------------------------------------------------------------------
// The PV list: what `kubectl get pv -o json` prints (a v1 List of PersistentVolumes).
// ---------------------------------------------------------------------------

const Quantity = z.union([z.string(), z.number()]);
export const PvSchema = z
  .object({
    apiVersion: z.literal('v1'),
    kind: z.literal('PersistentVolume'),
    metadata: z.object({ name: z.string().min(1), labels: z.record(z.string()).optional() }).passthrough(),
    spec: z
      .object({
        capacity: z.object({ storage: Quantity }).passthrough().optional(),
        accessModes: z.array(z.string()).optional(),
        persistentVolumeReclaimPolicy: z.string().optional(),
        storageClassName: z.string().optional(),
        mountOptions: z.array(z.string()).optional(),
        nfs: z
          .object({ server: z.string().min(1), path: z.string().min(1), readOnly: z.boolean().optional() })
          .passthrough()
          .optional(),
        claimRef: z.object({ namespace: z.string().optional(), name: z.string().optional() }).passthrough().optional(),
      })
      .passthrough(),
    status: z.object({ phase: z.string().optional() }).passthrough().optional(),
  })
  .passthrough();
export type Pv = z.infer<typeof PvSchema>;
const PvListSchema = z
  .object({ apiVersion: z.literal('v1'), kind: z.literal('List'), items: z.array(z.unknown()) })
  .passthrough();

/** Parse `kubectl get pv -o json` output; a PV kubectl would not print is refused with its index and name. */
export function parsePvList(text: string, file = 'PV list'): Pv[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `${file} is not JSON (expected the output of \`kubectl get pv -o json\`): ${(err as Error).message}`,
    );
  }
  const list = PvListSchema.safeParse(doc);
  if (!list.success) {
    const kind = (doc as { kind?: unknown } | null)?.kind;
    throw new UsageError(
      `${file} is not a v1 List${kind ? ` (kind ${JSON.stringify(kind)})` : ''}: expected the output of \`kubectl get pv -o json\``,
    );
  }
  return list.data.items.map((item, i) => {
    const p = PvSchema.safeParse(item);
    if (!p.success) {
      const name = (item as { metadata?: { name?: unknown } } | null)?.metadata?.name;
      throw new UsageError(
        `${file}: item ${i}${typeof name === 'string' ? ` (${name})` : ''} is not a PersistentVolume: ${p.error.issues.map((x) => `${x.path.join('.') || '(item)'}: ${x.message}`).join('; ')}`,
      );
    }
    return p.data;
  });
}

/** NFS PVs whose server is one of `servers` (the VIP and the hosts); PVs for other servers are left out. */
export function pvsForServers(pvs: readonly Pv[], servers: readonly string[]): Pv[] {
  const s = new Set(servers);
  return pvs.filter((p) => p.spec.nfs !== undefined && s.has(p.spec.nfs.server));
}

function normPath(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/**
 * path -> the claim bound to it, from PVs of this pair. A path claimed by two different
 * claims is left out (and reported by the caller as ambiguous); a PV without a claimRef says nothing.
 */
export function claimsByPath(pvs: readonly Pv[]): { map: Map<string, VolumeRef>; conflicts: Map<string, string[]> } {
  const byPath = new Map<string, Set<string>>();
  for (const p of pvs) {
    const c = p.spec.claimRef;
    if (!p.spec.nfs || !c?.namespace || !c.name) continue;
    const key = normPath(p.spec.nfs.path);
    byPath.set(key, (byPath.get(key) ?? new Set()).add(`${c.namespace}/${c.name}`));
  }
  const map = new Map<string, VolumeRef>();
  const conflicts = new Map<string, string[]>();
  for (const [path, ids] of byPath) {
    if (ids.size > 1) {
      conflicts.set(path, [...ids].sort());
      continue;
    }
    const [id] = [...ids] as [string];
    const [ns, name] = id.split('/') as [string, string];
    const r = valid(ns, name);
    if (r) map.set(path, r);
  }
  return { map, conflicts };
}

export type NameResolution =
  | { ok: true; ref: VolumeRef; source: 'given' | 'mapping' | 'pv' | 'only-split' }
  | { ok: false; reason: string; candidates: VolumeRef[] };

/**
 * The namespace/name of the volume at `path` (a directory `dir` under the root): the
 * mapping file first, then the PV list, then the only possible split. Several possible
 * splits and nothing to decide between them: refused, with the candidates.
 */
export function resolveName(
  path: string,
  dir: string,
  sep: string | null,
  sources: { mapping?: Map<string, VolumeRef>; pvs?: Map<string, VolumeRef>; pvConflicts?: Map<string, string[]> },
): NameResolution {
  const m = sources.mapping?.get(path);
  if (m) return { ok: true, ref: m, source: 'mapping' };
  const conflict = sources.pvConflicts?.get(path);
  if (conflict)
    return { ok: false, reason: `PVs of several claims point at ${path}: ${conflict.join(', ')}`, candidates: [] };
  const p = sources.pvs?.get(path);
  if (p) return { ok: true, ref: p, source: 'pv' };
  const candidates = sep === null ? [] : splitCandidates(dir, sep);
  if (candidates.length === 1) return { ok: true, ref: candidates[0]!, source: 'only-split' };
  if (candidates.length === 0)
    return {
      ok: false,
      reason: `${JSON.stringify(dir)} does not split into a valid <namespace> and <name>`,
      candidates,
    };
  return {
    ok: false,
    reason: `${JSON.stringify(dir)} splits ${candidates.length} ways (${candidates.slice(0, 6).map(formatVolumeRef).join(', ')}${candidates.length > 6 ? ', …' : ''})`,
    candidates,
  };
}
