// The config file reference for the man page: keys, types and defaults are read from the
// zod schema (src/config/schema.ts), so they cannot drift; what each key means is kept
// here, and a unit test fails when a schema key has no entry (or an entry no key).
import type { ZodTypeAny } from 'zod';
import { configSchema } from '../config/schema.js';
import { BACKEND_LIST } from '../volume/backend/registry.js';

export interface ConfigKey {
  /** Dotted path; keys sharing one schema are merged: `hosts.{primary,backup}.address`. */
  key: string;
  type: string;
  /** Present when the key has a default (shown as YAML would write it). */
  default?: string;
  /** Must be set (inside its section, when that section is optional). */
  required: boolean;
  /** A section (an object): its keys follow. */
  section: boolean;
  doc: string | undefined;
}

/** What each key means. Types and defaults come from the schema. */
export const CONFIG_DOCS: Record<string, string> = {
  this: 'Which host of the pair this file is installed on. Lets nfsctl run commands for this host locally instead of over SSH.',
  hosts: 'The two storage hosts.',
  'hosts.{primary,backup}':
    'One storage host. The primary normally holds the VIP; the backup takes it over on failover.',
  'hosts.{primary,backup}.address':
    "What nfsctl connects to over SSH (not the VIP): an IPv4 address (four decimal parts, no leading zeros), an IPv6 address, or a fully qualified DNS name (RFC 1123 labels, at least two; a single-label name is refused because it depends on the resolver's search list, and so is a last label of digits, which is a mistyped address).",
  'hosts.{primary,backup}.hostname':
    "The host's own name as `uname -n` prints it there (DRBD's `on` sections are matched against it; used only by backends.drbd). Default: the role name (primary, backup).",
  'hosts.{primary,backup}.ssh': 'How to log in to the host.',
  'hosts.{primary,backup}.ssh.user': 'Login name.',
  'hosts.{primary,backup}.ssh.port': 'SSH port.',
  'hosts.{primary,backup}.ssh.identity':
    'Private key file. Like every path in this file: absolute, normalised (no "..", ".", "//" or trailing "/") and made of letters, digits and / . _ + @ - only, because paths end up in ssh and rsync command lines, exports and ganesha files.',
  'hosts.{primary,backup}.ssh.knownHosts':
    'known_hosts file used to verify the host key. Unknown or changed host keys are refused.',
  'hosts.{primary,backup}.ssh.sudo': 'Run commands through sudo (for a non-root login).',
  'hosts.{primary,backup}.ssh.hostKeyAliases':
    'Other names the host key may be recorded under in knownHosts (for example the VIP): host names, addresses or [host]:port.',
  vip: "The virtual IP address (managed by keepalived) that Kubernetes nodes mount from. An IP literal (keepalived cannot add a DNS name to an interface), not a loopback, multicast or unspecified address, and not either host's own address.",
  nfs: 'The NFS exports.',
  'nfs.root':
    'Directory under which volumes are mounted and exported (and deleted). Not /, not a system directory (/var, /run, /tmp, /root, /home, /srv, ...) and not inside /etc, /usr, /boot, /proc, /sys, /dev, /bin, /sbin or /lib*.',
  'nfs.pathTemplate':
    'Where a volume lives: {root}/ followed by {namespace} and {name} (once each) and literal letters, digits, ".", "_", "+", "@", "-" or "/", so that every volume is strictly under nfs.root: no "..", ".", empty or hidden (.nfsctl) segments, no other placeholders.',
  'nfs.server': 'NFS server implementation: kernel (exportfs) or ganesha (NFS-Ganesha).',
  'nfs.exportsFile': 'The exports file nfsctl owns (kernel server).',
  'nfs.ganeshaExportsDir': 'Directory of the export blocks nfsctl owns (ganesha server).',
  'nfs.clients':
    'Who may mount: hosts, networks (CIDR) or * for everyone. `config check` warns about * with rw, and about no_root_squash to anything wider than one host.',
  'nfs.options':
    'Export options for every volume (exports(5) names, checked). `config check` warns about insecure, no_auth_nlm and insecure_locks.',
  backends: 'Where volume storage comes from.',
  'backends.default': 'Backend for new volumes; its section below must be present.',
  // each backend documents its own section (src/volume/backend/<name>.ts)
  ...Object.fromEntries(BACKEND_LIST.flatMap((b) => Object.entries(b.configDocs))),
  keepalived: 'The keepalived VRRP instance that moves the VIP.',
  'keepalived.config': 'keepalived configuration file.',
  'keepalived.instance': 'Name of the vrrp_instance that holds the VIP (letters, digits, _ . -).',
  'keepalived.interface':
    "Network interface the VIP is bound to: 1-15 characters (the kernel's IFNAMSIZ), letters, digits, _ . -.",
  rsync: 'Replication from the active host to the standby.',
  'rsync.module': 'rsync daemon module on the standby host (letters, digits, _ . -; no /, not starting with .).',
  capacity: 'What health accepts as comparable room on the two hosts.',
  'capacity.tolerancePercent':
    "How far apart (in percent of the larger) the two hosts' volume group / XFS root sizes and free space may be before health warns (0 to 100, default 10): the next mirrored create must fit on both.",
  'rsync.interval': 'How often data is synchronised to the standby (1m to 1d).',
  'rsync.ioTimeout':
    'How long a copy may move no data before rsync ends it (rsync --timeout; 10s to 1h). Ends a copy left hanging, e.g. when half of rsync was killed; rsync keeps a slow copy alive.',
  services: 'How services are started, stopped and queried.',
  'services.manager': 'systemctl, or command to use services.command (hosts without systemd).',
  'services.command':
    'With manager command: the argv to run, with {action} and {service} placeholders, e.g. ["svc", "{action}", "{service}"].',
  'services.names': 'Service (unit) names on the storage hosts (letters, digits, _ . @ -; not starting with -).',
  'services.names.keepalived': 'The keepalived service.',
  'services.names.nfs': 'The NFS server service.',
  'services.names.rsyncd': 'The rsync daemon service.',
  health: 'Thresholds of `health` and the health server (`nfsctl health serve`).',
  'health.usageWarnPercent':
    "A volume whose use (used against its size, from the backend's accounting) reaches this percentage is a health warning naming it (a plain number, 0 < n <= 100, below usageCriticalPercent).",
  'health.usageCriticalPercent': 'At or above this use a volume is a critical health finding.',
  'health.cacheTtl':
    '`health serve`: how long one round of checks answers requests (GET /health and /metrics) before the hosts are asked again (0s to 1h).',
  'health.listen':
    '`health serve`: address and port to listen on, IPv4:PORT or [IPv6]:PORT (default loopback only; --listen overrides it).',
  timeouts: 'Time limits.',
  'timeouts.connect': 'Connecting to a host over SSH (100ms to 5m).',
  'timeouts.command': 'One command on a host (1s to 1d).',
  'timeouts.check': 'One health check (100ms to 10m).',
  state: 'Where nfsctl keeps its own state (on each storage host).',
  'state.auditLog': 'The audit log: one JSON line per action (who, what, where, result).',
  'state.lockDir': 'Directory of the pair lock (pair.lock) that keeps two runs from changing the pair at once.',
  'state.stateDir': 'Plan journals and the shell completion cache.',
};

/** A complete, valid config (a unit test parses it). Shown in the man page. */
export const EXAMPLE_CONFIG = `# /etc/nfsctl/config.yaml
this: primary
hosts:
  primary:
    address: 10.0.0.11
  backup:
    address: 10.0.0.12
    ssh:
      user: nfsctl
      sudo: true
vip: 10.0.0.10
nfs:
  server: kernel
  clients: [10.0.1.0/24]
backends:
  default: lvm
  lvm:
    vg: vgnfs
rsync:
  interval: 5m
`;

/** Path-valued keys without a default (those with one are recognised by it). */
const PATH_KEYS: string[] = BACKEND_LIST.flatMap((b) => [...b.configPathKeys]);

type Def = { typeName?: string; [k: string]: unknown };
const def = (s: ZodTypeAny) => s._def as Def;

interface Unwrapped {
  base: ZodTypeAny;
  optional: boolean;
  defaultValue?: unknown;
  transformed: boolean;
}

function unwrap(schema: ZodTypeAny): Unwrapped {
  let s = schema;
  const out: Omit<Unwrapped, 'base'> = { optional: false, transformed: false };
  for (;;) {
    const d = def(s);
    if (d.typeName === 'ZodDefault') {
      if (!('defaultValue' in out)) out.defaultValue = (d.defaultValue as () => unknown)();
      s = d.innerType as ZodTypeAny;
    } else if (d.typeName === 'ZodOptional') {
      out.optional = true;
      s = d.innerType as ZodTypeAny;
    } else if (d.typeName === 'ZodEffects') {
      if ((d.effect as { type: string }).type === 'transform') out.transformed = true;
      s = d.schema as ZodTypeAny;
    } else return { base: s, ...out };
  }
}

function typeName(u: Unwrapped, key: string): string {
  const d = def(u.base);
  switch (d.typeName) {
    case 'ZodString':
      if (u.transformed) return 'duration (500ms, 5s, 15m, 1h, 1d)';
      if (typeof u.defaultValue === 'string' && u.defaultValue.startsWith('/')) return 'path';
      if (PATH_KEYS.includes(key)) return 'path';
      return 'string';
    case 'ZodNumber':
      return (d.checks as { kind: string }[]).some((c) => c.kind === 'int') ? 'integer' : 'number';
    case 'ZodBoolean':
      return 'boolean';
    case 'ZodEnum':
      return (d.values as string[]).join(' | ');
    case 'ZodArray':
      return `list of ${typeName(unwrap(d.type as ZodTypeAny), key).replace(/ \(.*\)$/, '')}s`;
    case 'ZodObject':
      return 'section';
    default:
      return String(d.typeName ?? 'value')
        .replace(/^Zod/, '')
        .toLowerCase();
  }
}

function showDefault(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) return undefined; // a section's {}
  if (Array.isArray(v)) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Every key of the config file, in schema order. */
export function configReference(schema: ZodTypeAny = configSchema): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const walk = (obj: ZodTypeAny, prefix: string) => {
    const shape = (obj as unknown as { shape: Record<string, ZodTypeAny> }).shape;
    const names = Object.keys(shape);
    const done = new Set<string>();
    for (const name of names) {
      if (done.has(name)) continue;
      const u = unwrap(shape[name]!);
      // Keys sharing one object schema (hosts.primary, hosts.backup) are documented once.
      const same =
        def(u.base).typeName === 'ZodObject'
          ? names.filter((n) => n !== name && unwrap(shape[n]!).base === u.base)
          : [];
      const group = [name, ...same];
      group.forEach((n) => done.add(n));
      const key = prefix + (group.length > 1 ? `{${group.join(',')}}` : name);
      const section = def(u.base).typeName === 'ZodObject';
      const entry: ConfigKey = {
        key,
        type: typeName(u, key),
        required: !u.optional && u.defaultValue === undefined,
        section,
        doc: CONFIG_DOCS[key],
      };
      const shown = showDefault(u.defaultValue);
      if (shown !== undefined) entry.default = shown;
      keys.push(entry);
      if (section) walk(u.base, `${key}.`);
    }
  };
  walk(unwrap(schema).base, '');
  return keys;
}
