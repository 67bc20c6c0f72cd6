// `config init`: read what an existing storage host has (keepalived.conf, addresses, VGs, the
// NFS server in use and its export lines, the crontab rsync pull, Ceph, systemd) and draft
// nfsctl's config from it. Reads only; every value says where it came from, and what could
// not be discovered is listed with the flag that gives it.
import type { Host, RunResult } from '../host/host.js';
import { fileContent } from '../host/host.js';
import { readFileArgv } from '../host/atomic-write.js';
import { catDirArgv, splitCat } from '../volume/inventory.js';
import { parseCronRsync, parseVrrpInstances, type VrrpInstance } from '../core/discover-parse.js';
import { parseExports } from '../core/exports-file.js';
import { EXPORTER_LIST } from '../volume/nfs-server/registry.js';
import type { NfsServerName as NfsServerKind } from '../volume/nfs-server/registry.js';
import { parseVgsJson } from '../core/lvm-json.js';
// a JSON string is a YAML double-quoted scalar: any value stays one scalar, and the schema checks it

export interface InitFlags {
  this?: 'primary' | 'backup';
  address?: string;
  peer?: string;
  vip?: string;
  interface?: string;
  instance?: string;
  vg?: string;
  root?: string;
  server?: NfsServerKind;
  rbdPool?: string;
  keepalivedConf?: string;
}

export interface Draft {
  values: Record<string, string | string[] | null>;
  /** key -> where the value came from ("keepalived.conf VI_NFS", "--peer", "default"). */
  sources: Record<string, string>;
  /** Values nothing gave: key -> the flag that does. */
  missing: Record<string, string>;
  notes: string[];
}

const KA_DEFAULT = '/etc/keepalived/keepalived.conf';

/** Everything config init reads, in one batch on the host. */
export async function discover(host: Host, flags: InitFlags): Promise<Draft> {
  const ka = flags.keepalivedConf ?? KA_DEFAULT;
  const argvs = [
    readFileArgv(ka),
    ['ip', '-j', 'addr', 'show'],
    ['vgs', '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'vg_name,vg_size,vg_free,vg_extent_size'],
    readFileArgv('/etc/exports'),
    catDirArgv('/etc/exports.d', '.exports', 'nfsctl-exports-d'),
    [
      'sh',
      '-c',
      'if [ -r /proc/fs/nfsd/threads ] && [ "$(cat /proc/fs/nfsd/threads)" -gt 0 ] 2>/dev/null; then echo kernel; fi; if pgrep -x ganesha.nfsd >/dev/null 2>&1; then echo ganesha; fi; if [ -d /run/systemd/system ]; then echo systemd; fi; if [ -e /etc/ceph/ceph.conf ]; then echo ceph; fi',
    ],
    readFileArgv('/etc/crontab'),
    catDirArgv('/etc/cron.d', '', 'nfsctl-cron-d'),
    ['crontab', '-l'],
  ];
  const r = await host.runMany(argvs);
  const text = (x: RunResult, path: string) => {
    try {
      return fileContent(x, path);
    } catch {
      return null;
    }
  };
  const kaText = text(r[0]!, ka);
  const addrs: string[] = [];
  try {
    for (const i of JSON.parse(r[1]!.stdout || '[]') as { addr_info?: { local?: string }[] }[])
      for (const a of i.addr_info ?? []) if (a.local) addrs.push(a.local);
  } catch {
    /* no ip -j: addresses unknown */
  }
  let vgs: string[] = [];
  try {
    vgs = r[2]!.exitCode === 0 ? parseVgsJson(r[2]!.stdout).map((v) => v.name) : [];
  } catch {
    vgs = [];
  }
  const exportTexts = [text(r[3]!, '/etc/exports') ?? '', ...splitCat(r[4]!.stdout).values()];
  const facts = new Set(r[5]!.stdout.split('\n').filter(Boolean));
  const cron = [
    ...parseCronRsync(text(r[6]!, '/etc/crontab') ?? '', true),
    ...[...splitCat(r[7]!.stdout).values()].flatMap((t) => parseCronRsync(t, true)),
    ...(r[8]!.exitCode === 0 ? parseCronRsync(r[8]!.stdout, false) : []),
  ];
  return draftFrom({ kaPath: ka, kaText, addrs, vgs, exportTexts, facts, cron }, flags);
}

export interface Observed {
  kaPath: string;
  kaText: string | null;
  addrs: string[];
  vgs: string[];
  exportTexts: string[];
  facts: Set<string>;
  cron: ReturnType<typeof parseCronRsync>;
}

/** The draft from what was read (pure: unit-tested without a host). Flags win over discovery. */
export function draftFrom(o: Observed, flags: InitFlags): Draft {
  const values: Draft['values'] = {};
  const sources: Draft['sources'] = {};
  const missing: Draft['missing'] = {};
  const notes: string[] = [];
  const set = (k: string, v: string | string[] | null | undefined, src: string, flag?: string) => {
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) {
      if (flag) missing[k] = flag;
      values[k] = null;
      return;
    }
    values[k] = v;
    sources[k] = src;
  };
  const instances = o.kaText ? parseVrrpInstances(o.kaText) : [];
  if (!o.kaText) notes.push(`${o.kaPath} not found: give the pair's values as flags`);
  let inst: VrrpInstance | undefined;
  if (flags.instance) inst = instances.find((i) => i.name === flags.instance);
  else {
    const withVip = instances.filter((i) => i.vips.length > 0);
    if (withVip.length === 1) inst = withVip[0];
    else if (withVip.length > 1)
      notes.push(
        `${o.kaPath} has ${withVip.length} vrrp_instances with a VIP (${withVip.map((i) => i.name).join(', ')}): pick one with --instance`,
      );
  }
  const src = inst ? `${o.kaPath}, vrrp_instance ${inst.name}` : '';
  set('keepalived.instance', flags.instance ?? inst?.name, flags.instance ? '--instance' : src, '--instance NAME');
  set(
    'keepalived.interface',
    flags.interface ?? inst?.interface,
    flags.interface ? '--interface' : src,
    '--interface IFACE',
  );
  set('keepalived.config', o.kaPath, o.kaText ? 'found' : 'default');
  set('vip', flags.vip ?? inst?.vips[0], flags.vip ? '--vip' : src, '--vip ADDRESS');
  const role = flags.this ?? (inst?.state === 'MASTER' ? 'primary' : inst?.state === 'BACKUP' ? 'backup' : undefined);
  set('this', role, flags.this ? '--this' : `${src}: state ${inst?.state}`, '--this primary|backup');
  const vip = values.vip as string | null;
  const mine =
    flags.address ??
    inst?.unicastSrcIp ??
    (o.addrs.filter((a) => a !== vip && !a.startsWith('127.') && a !== '::1' && !a.startsWith('fe80:')).length === 1
      ? o.addrs.filter((a) => a !== vip && !a.startsWith('127.') && a !== '::1' && !a.startsWith('fe80:'))[0]
      : undefined);
  const peer = flags.peer ?? (inst && inst.unicastPeers.length === 1 ? inst.unicastPeers[0] : undefined);
  if (!flags.peer && inst && inst.unicastPeers.length > 1)
    notes.push(
      `vrrp_instance ${inst.name} has ${inst.unicastPeers.length} unicast peers: give the storage peer with --peer`,
    );
  const mineKey = role === 'backup' ? 'hosts.backup.address' : 'hosts.primary.address';
  const peerKey = role === 'backup' ? 'hosts.primary.address' : 'hosts.backup.address';
  set(
    mineKey,
    mine,
    flags.address ? '--address' : inst?.unicastSrcIp ? `${src}: unicast_src_ip` : 'the only address of this host',
    '--address ADDRESS',
  );
  set(peerKey, peer, flags.peer ? '--peer' : `${src}: unicast_peer`, '--peer ADDRESS');
  if (flags.vg) set('backends.lvm.vg', flags.vg, '--vg');
  else if (o.vgs.length === 1) set('backends.lvm.vg', o.vgs[0], 'the only volume group');
  else {
    if (o.vgs.length > 1)
      notes.push(`several volume groups (${o.vgs.join(', ')}): pick the one the volumes live in with --vg`);
    set('backends.lvm.vg', undefined, '', '--vg NAME');
  }
  const root = flags.root ?? '/nfs';
  set('nfs.root', root, flags.root ? '--root' : 'default');
  const kernelLines = o.exportTexts.flatMap((t) => parseExports(t).entries).filter((e) => e.kind === 'export');
  // the probe names each NFS server kind it finds running by the kind's own name; with both
  // (or none but export lines), the one that reads exports files is the one those lines feed
  const running = EXPORTER_LIST.filter((e) => o.facts.has(e.name));
  const linesServer = EXPORTER_LIST.find((e) => e.readsExportsFile);
  const picked =
    running.length === 1
      ? running[0]
      : running.length > 1 || kernelLines.length
        ? (running.find((e) => e.readsExportsFile) ?? linesServer)
        : undefined;
  const server = flags.server ?? picked?.name;
  set(
    'nfs.server',
    server,
    flags.server
      ? '--server'
      : running.length
        ? `${running.map((e) => e.name).join(' and ')} NFS server running`
        : 'export lines in /etc/exports',
    `--server ${EXPORTER_LIST.map((e) => e.name).join('|')}`,
  );
  // the clients and options the existing lines use under the root (fsid= is per volume, never a default)
  const under = kernelLines.filter((e) => e.path.startsWith(`${root}/`));
  const counts = new Map<string, number>();
  for (const e of under) {
    const key = JSON.stringify([
      e.clients.map((c) => c.host || '*'),
      (e.clients[0]?.options.length ? e.clients[0].options : e.defaultOptions).filter((x) => !x.startsWith('fsid=')),
    ]);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const top = [...counts].sort((a, b) => b[1] - a[1])[0];
  if (top) {
    const [clients, options] = JSON.parse(top[0]) as [string[], string[]];
    set('nfs.clients', clients, `${top[1]} of ${under.length} export lines under ${root}`);
    set('nfs.options', options, `${top[1]} of ${under.length} export lines under ${root}`);
    if (counts.size > 1)
      notes.push(
        `export lines under ${root} use ${counts.size} different client/option sets; the most common one is the default for new volumes (adopted volumes keep their own)`,
      );
  }
  const pull = o.cron.find((c) => c.module !== null) ?? o.cron[0];
  if (pull) {
    if (pull.module) set('rsync.module', pull.module, `crontab: ${pull.command.slice(0, 80)}`);
    const m = /^\*\/(\d+) \* \* \* \*$/.exec(pull.schedule);
    if (m) set('rsync.interval', `${m[1]}m`, `crontab schedule ${pull.schedule}`);
    notes.push(
      `the old rsync pull runs from cron (${pull.schedule} ${pull.command.slice(0, 100)}): it and nfsctl sync must not both run: \`nfsctl volume adopt --all --replace-cron\` turns that exact line off and installs nfsctl's sync timer`,
    );
  }
  set(
    'services.manager',
    o.facts.has('systemd') ? 'systemctl' : 'command',
    o.facts.has('systemd') ? '/run/systemd/system exists' : 'no systemd',
  );
  if (o.facts.has('systemd') === false)
    notes.push(
      'no systemd: services.manager is "command"; set services.command to how this host starts and stops services',
    );
  if (flags.rbdPool) set('backends.rbd.pool', flags.rbdPool, '--rbd-pool');
  else if (o.facts.has('ceph'))
    notes.push('/etc/ceph/ceph.conf exists: give --rbd-pool POOL to manage RBD volumes too');
  return { values, sources, missing, notes };
}

const q = (v: string) => JSON.stringify(v);

/** The config file text for a complete draft (callers check `missing` first). */
export function renderDraft(d: Draft): string {
  const v = (k: string) => d.values[k] as string;
  const list = (k: string) => `[${(d.values[k] as string[]).map(q).join(', ')}]`;
  const ssh = '{ user: root, port: 22, identity: /root/.ssh/id_ed25519, knownHosts: /root/.ssh/known_hosts }';
  const lines = [
    '# Written by `nfsctl config init` from what this host has; check it with `nfsctl config check`.',
    `this: ${v('this')}`,
    'hosts:',
    `  primary: { address: ${q(v('hosts.primary.address'))}, ssh: ${ssh} }`,
    `  backup: { address: ${q(v('hosts.backup.address'))}, ssh: ${ssh} }`,
    `vip: ${q(v('vip'))}`,
    'nfs:',
    `  root: ${q(v('nfs.root'))}`,
    '  pathTemplate: "{root}/{namespace}_{name}"   # new volumes; adopted ones keep their own path',
    `  server: ${v('nfs.server')}`,
    '  exportsFile: /etc/exports.d/nfsctl.exports',
    ...(d.values['nfs.clients'] ? [`  clients: ${list('nfs.clients')}`] : []),
    ...(d.values['nfs.options'] ? [`  options: ${list('nfs.options')}`] : []),
    'backends:',
    '  default: lvm',
    `  lvm: { vg: ${q(v('backends.lvm.vg'))} }`,
    ...(d.values['backends.rbd.pool']
      ? [`  rbd: { pool: ${q(v('backends.rbd.pool'))}, cephConf: /etc/ceph/ceph.conf, id: admin }`]
      : []),
    `keepalived: { config: ${q(v('keepalived.config'))}, instance: ${q(v('keepalived.instance'))}, interface: ${q(v('keepalived.interface'))} }`,
    `rsync: { module: ${q((d.values['rsync.module'] as string | null) ?? 'nfs')}, interval: ${(d.values['rsync.interval'] as string | null) ?? '15m'} }`,
    v('services.manager') === 'systemctl'
      ? 'services: { manager: systemctl }'
      : 'services: { manager: command, command: ["service", "{service}", "{action}"] }   # no systemd: check the command and services.names',
  ];
  return lines.join('\n') + '\n';
}
