// A fake pair with xfsquota volumes at chosen use (quota report), and LVM volumes mounted
// with a df line each: for usage, list filters, health thresholds and metrics.
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { volumeRef } from '../../src/core/names.js';
import { identify } from '../../src/volume/identity.js';
import { encodeMetaTags } from '../../src/core/lvm-json.js';
import { fakeStorageHost } from './fake-pair.js';
import { testConfigYaml } from './config.js';
import type { FakeHost } from '../../src/host/fake.js';
import { ganeshaBlock } from '../../src/volume/exporter.js';

export const MiB = 2 ** 20;

export interface UsageVolume {
  ns: string;
  name: string;
  backend: 'xfsquota' | 'lvm';
  size: number;
  used: number;
  labels?: Record<string, string>;
  inodes?: [number, number];
  /** Export options (default rw,sync,no_root_squash,no_subtree_check). */
  options?: string[];
}

export function usageConfig(stateRoot: string, extra = ''): Config {
  return parseConfig(
    testConfigYaml(stateRoot, extra).replace(
      'default: lvm\n  lvm: { vg: vgnfs }',
      'default: xfsquota\n  lvm: { vg: vgnfs }\n  xfsquota: { root: /nfs }',
    ),
    'test.yaml',
  );
}

function meta(v: UsageVolume) {
  return {
    v: 1 as const,
    namespace: v.ns,
    name: v.name,
    labels: v.labels ?? {},
    createdAt: '2026-11-22T10:00:00Z',
    createdBy: 'alice@primary',
    backend: v.backend === 'xfsquota' ? ('xfs' as const) : ('lvm' as const),
    size: v.size,
  };
}

/** One storage host holding every volume in `vols`, each exported and served (ganesha). */
export function usageHost(config: Config, role: 'primary' | 'backup', vols: UsageVolume[]): FakeHost {
  const ids = vols.map((v) => ({ v, id: identify(config, volumeRef(v.ns, v.name)) }));
  const xfs = ids.filter((x) => x.v.backend === 'xfsquota');
  const lvm = ids.filter((x) => x.v.backend === 'lvm');
  const ganeshaFiles: Record<string, string> = {};
  for (const { v, id } of ids)
    ganeshaFiles[`${id.project}.conf`] = ganeshaBlock(id, {
      clients: ['198.51.100.0/24'],
      options: v.options ?? ['rw', 'sync', 'no_root_squash', 'no_subtree_check'],
    });
  const h = fakeStorageHost(role, {
    vip: role === 'primary',
    dirs: ids.map((x) => x.id.path),
    metas: Object.fromEntries(xfs.map(({ v, id }) => [`${id.project}.json`, JSON.stringify(meta(v))])),
    projects:
      xfs
        .map(
          ({ v, id }) =>
            `#${id.projectId} ${Math.floor(v.used / 1024)} 0 ${Math.floor(v.size / 1024)} 00 [------] ${v.inodes?.[0] ?? 10} 0 ${v.inodes?.[1] ?? 0} 00 [------]`,
        )
        .join('\n') + '\n',
    lvs: lvm.map(({ v, id }) => ({ name: id.lv, size: v.size, tags: encodeMetaTags(meta(v)) })),
    mounts: lvm.map(({ id }) => `/dev/vgnfs/${id.lv} ${id.path} xfs rw 0 0`).join('\n') + '\n',
    ganeshaFiles,
    showExports: `method return time=1 sender=:1.1 -> destination=:1.2 serial=3 reply_serial=2\n   struct {\n      int64 1\n      int32 0\n   }\n   array [\n${ids.map(({ id }) => `      struct {\n         uint16 ${id.exportId}\n         string "${id.path}"\n         string "${id.path}"\n      }\n`).join('')}   ]\n`,
  });
  h.on(['df', '-l'], () => ({
    stdout: `   1B-blocks        Used       Avail   Inodes  IUsed    IFree Mounted on\n${lvm.map(({ v, id }) => `${v.size} ${v.used} ${v.size - v.used} ${v.inodes?.[1] ?? 1000} ${v.inodes?.[0] ?? 3} 997 ${id.path}`).join('\n')}\n 270553174016 28373131264 80571162624 16777216 939700 15837516 /\n`,
  }));
  return h;
}
