// Parse `exportfs -v` (what the kernel NFS server really exports right now). Long paths
// push the client list onto the next, indented line:
//   /nfs/team-a_data
//   		198.51.100.0/24(sync,wdelay,hide,no_subtree_check,fsid=...,sec=sys,rw,secure,no_root_squash,no_all_squash)
//   /nfs/x        <world>(ro,...)

export interface ServedExport {
  path: string;
  clients: { host: string; options: string[] }[];
  /** NFS-Ganesha: the Export_Id it serves the path under (it may differ from the one nfsctl would pick). */
  exportId?: number;
}

export function parseExportfsV(text: string): ServedExport[] {
  const out: ServedExport[] = [];
  let current: ServedExport | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let rest = line;
    if (!/^\s/.test(line)) {
      const m = /^(\S+)(.*)$/.exec(line)!;
      current = { path: m[1]!, clients: [] };
      out.push(current);
      rest = m[2]!;
    }
    if (!current) continue;
    for (const tok of rest.trim().split(/\s+/).filter(Boolean)) {
      const m = /^([^()]*)\((.*)\)$/.exec(tok);
      if (m)
        current.clients.push({ host: m[1] === '<world>' ? '*' : m[1]!, options: m[2]!.split(',').filter(Boolean) });
      else current.clients.push({ host: tok, options: [] });
    }
  }
  return out;
}

/**
 * What of `exportfs -v`'s list the kernel really serves. A client carrying `mountpoint`
 * (exports(5) `mp`, or `mp=<dir>`) is listed whatever the state of the disk, but rpc.mountd
 * gives it to the kernel only while that directory (the export's own path by default) is a
 * mount point: until then it serves nothing to that client. Entries left with no client go.
 */
export function servedWhileMounted(served: readonly ServedExport[], mountTargets: ReadonlySet<string>): ServedExport[] {
  const mounted = (dir: string) => mountTargets.has(dir.length > 1 ? dir.replace(/\/+$/, '') : dir);
  const out: ServedExport[] = [];
  for (const e of served) {
    const clients = e.clients.filter((c) => {
      const mp = c.options.find((o) => o === 'mountpoint' || o.startsWith('mountpoint='));
      return mp === undefined || mounted(mp === 'mountpoint' ? e.path : mp.slice('mountpoint='.length));
    });
    if (clients.length === e.clients.length) out.push(e);
    else if (clients.length > 0) out.push({ ...e, clients });
  }
  return out;
}
