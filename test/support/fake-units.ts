// A fake host's answer to the per-unit facts script of src/ha/sync.ts (UNIT_FACTS).
import type { FakeHost } from '../../src/host/fake.js';

/** What a host answers to the per-unit facts script (sync.ts UNIT_FACTS). */
export interface FakeUnitFacts {
  rootMounted?: boolean;
  rootEntries?: number;
  /** Named top-level entries of the root (after the rootEntries placeholders). */
  rootNames?: string[];
  rootUsed?: number;
  /** path -> what is mounted there; absent = nothing mounted. */
  mounts?: Record<string, { majmin: string; source: string; entries?: number; used?: number }>;
  /** device -> major:minor; absent = no such block device. */
  devices?: Record<string, string>;
}
export function unitFactsOn(h: FakeHost, f: FakeUnitFacts): void {
  h.on(
    (a) => a[0] === 'sh' && a[3] === 'nfsctl-units',
    (argv) => {
      const [root, ...rest] = argv.slice(4);
      const lines: string[] = [];
      if (root !== '-') {
        lines.push(`R\t${f.rootMounted ? 1 : 0}\t${f.rootUsed ?? 0}`);
        for (let i = 0; i < (f.rootEntries ?? 0); i++) lines.push(`N\tentry${i}`);
        for (const n of f.rootNames ?? []) lines.push(`N\t${n}`);
      }
      for (let i = 0; i + 1 < rest.length; i += 2) {
        const p = rest[i]!;
        const m = f.mounts?.[p];
        const dm = f.devices?.[rest[i + 1]!] ?? '';
        lines.push(
          `V\t${p}\t${m?.majmin ?? ''}\t${dm}\t${m ? (m.entries ?? 1) : 0}\t${m?.used ?? 0}\t${m?.source ?? ''}`,
        );
      }
      return { stdout: lines.join('\n') + '\n' };
    },
  );
}
