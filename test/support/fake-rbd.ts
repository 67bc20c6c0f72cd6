// A fake Ceph pool for FakeHost: `rbd ls` lists one nfsctl image (pv.<namespace>.<name>, 1 GiB),
// `rbd image-meta get` answers its nfsctl.meta, every other rbd call exits 0.
import type { FakeHost } from '../../src/host/fake.js';

export function rbdMeta(namespace: string, name: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    v: 1,
    namespace,
    name,
    labels: {},
    createdAt: '2026-11-22T10:00:00Z',
    createdBy: 'a',
    backend: 'rbd',
    size: 2 ** 30,
    ...extra,
  });
}

/** Answer `rbd` on `host` as a pool holding nfsctl's image for namespace/name (`extra`: more of its nfsctl.meta, e.g. an intent). */
export function withRbdImage<T extends FakeHost>(
  host: T,
  namespace: string,
  name: string,
  extra: Record<string, unknown> = {},
): T {
  const meta = rbdMeta(namespace, name, extra);
  return host.on(['rbd'], (argv) =>
    argv.includes('ls')
      ? { stdout: JSON.stringify([{ image: `pv.${namespace}.${name}`, id: 'x', size: 2 ** 30, format: 2 }]) }
      : argv.includes('image-meta')
        ? { stdout: meta }
        : { exitCode: 0 },
  );
}
