// Fake storage hosts that answer the inventory commands like real ones would, for plan tests.
import { FakeHost } from '../../src/host/fake.js';

export interface FakeStorage {
  vgFree?: number;
  lvs?: { name: string; size: number; tags: string[] }[];
  xfsFree?: number;
  projects?: string; // xfs_quota report text
  metas?: Record<string, string>;
  exports?: string | null;
  exportfsV?: string;
  mounts?: string;
  fstab?: string;
  dirs?: string[];
  ganeshaFiles?: Record<string, string>;
  showExports?: string;
  vip?: boolean;
  /** /proc/drbd (absent: the module is not loaded). */
  drbdProc?: string;
  /** Files of the DRBD resource directory, by file name. */
  drbdFiles?: Record<string, string>;
}

export function fakeStorageHost(name: string, s: FakeStorage = {}): FakeHost {
  const h = new FakeHost(name);
  const lvs = s.lvs ?? [];
  h.on(['lvs'], () => ({
    stdout: JSON.stringify({
      report: [
        {
          lv: lvs.map((l) => ({
            lv_name: l.name,
            vg_name: 'vgnfs',
            lv_size: String(l.size),
            lv_tags: l.tags.join(','),
            lv_attr: '-wi-------',
            lv_path: '',
            lv_uuid: 'x',
          })),
        },
      ],
    }),
  }));
  h.on(['vgs'], () => ({
    stdout: JSON.stringify({
      report: [
        {
          vg: [
            {
              vg_name: 'vgnfs',
              vg_size: '4294967296',
              vg_free: String(s.vgFree ?? 4294967296),
              vg_extent_size: '4194304',
            },
          ],
        },
      ],
    }),
  }));
  h.on(['xfs_quota'], () => ({ stdout: s.projects ?? '' }));
  h.on(['df'], () => ({ stdout: `1B-blocks Avail\n2147483648 ${s.xfsFree ?? 2000000000}\n` }));
  h.on(
    (a) => a[0] === 'sh' && a[3] === 'nfsctl-meta',
    () => ({
      stdout: Object.entries(s.metas ?? {})
        .map(([f, c]) => `==> ${f} <==\n${c}\n`)
        .join(''),
    }),
  );
  h.on(
    (a) => a[0] === 'sh' && a[3] === 'nfsctl-ganesha',
    () => ({
      stdout: Object.entries(s.ganeshaFiles ?? {})
        .map(([f, c]) => `==> ${f} <==\n${c}\n`)
        .join(''),
    }),
  );
  h.on(
    (a) => a[0] === 'sh' && a[3] === 'nfsctl-drbd',
    () => ({
      stdout: Object.entries(s.drbdFiles ?? {})
        .map(([f, c]) => `==> ${f} <==\n${c}\n`)
        .join(''),
    }),
  );
  if (s.drbdProc !== undefined) h.files.set('/proc/drbd', s.drbdProc);
  h.on(['exportfs', '-v'], () => ({ stdout: s.exportfsV ?? '' }));
  h.on(['dbus-send'], (argv) =>
    argv.some((a) => a.endsWith('ShowExports'))
      ? {
          stdout:
            s.showExports ??
            'method return time=1 sender=:1.1 -> destination=:1.2 serial=3 reply_serial=2\n   struct {\n      int64 1\n      int32 0\n   }\n   array [\n   ]\n',
        }
      : { exitCode: 0 },
  );
  h.on(['find'], () => ({ stdout: (s.dirs ?? []).join('\n') + '\n' }));
  h.on(['ip', '-j', 'addr', 'show'], () => ({
    stdout: JSON.stringify([
      { ifname: 'eth0', addr_info: [{ local: '198.51.100.11' }, ...(s.vip ? [{ local: '198.51.100.100' }] : [])] },
    ]),
  }));
  h.files.set('/proc/mounts', s.mounts ?? '');
  h.files.set('/etc/fstab', s.fstab ?? '# static file system information\n');
  if (s.exports !== null && s.exports !== undefined) h.files.set('/etc/exports.d/nfsctl.exports', s.exports);
  return h;
}
