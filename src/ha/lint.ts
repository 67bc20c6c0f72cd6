// `nfsctl ha lint`: everything a takeover depends on, read on both hosts and checked side by
// side, each finding with its fix. Read-only. The rules (lintRules) are pure; lintFacts reads.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { Finding } from '../health/check.js';
import { confValue, parseNfsConf, type NfsConf } from '../core/nfs-conf.js';
import { parseKeepalivedConf, instanceBlock } from './status.js';
import { parseServed, servedArgv, catDirArgv, splitCat } from '../volume/inventory.js';
import { exporterOf } from '../volume/nfs-server/registry.js';
import type { ServedExport } from '../core/exportfs-v.js';
import { readSyncRecord, type SyncRecord } from './sync-state.js';
import { fileContent } from '../host/host.js';
import { readFileArgv } from '../host/atomic-write.js';
import { lintDrbd } from './lint-drbd.js';
import { runsNfsctlHook } from './notify-wrapper.js';

export interface LintHostFacts {
  role: PairRole;
  reachable: boolean;
  error?: string;
  keepalivedConf: string | null;
  nfsConf: NfsConf;
  served: ServedExport[];
  servedOk: boolean;
  cron: string | null;
  lastOk: SyncRecord | null;
  /** /etc/default/nfs-kernel-server and /etc/default/nfs-common (Debian: options on the daemons' command lines). */
  defaults?: { kernelServer: string | null; common: string | null };
  /** What the NFS lock and v4-recovery probe found (PROBE_SCRIPT's words), null: not read. */
  probe?: string[] | null;
}

export const DEFAULT_FILES = {
  kernelServer: '/etc/default/nfs-kernel-server',
  common: '/etc/default/nfs-common',
};

// fixed text, no values: the tools statd lock recovery needs, and how nfsd keeps its NFSv4
// client records (nfsdcld's database, the legacy recovery directory, nfsdcltrack's)
const PROBE_SCRIPT = [
  'command -v sm-notify >/dev/null 2>&1 && echo sm-notify',
  'command -v rpc.statd >/dev/null 2>&1 && echo rpc.statd',
  'pidof nfsdcld >/dev/null 2>&1 && echo nfsdcld-running',
  '[ -d /var/lib/nfs/nfsdcld ] && echo dir:nfsdcld',
  '[ -d /var/lib/nfs/v4recovery ] && echo dir:v4recovery',
  '[ -d /var/lib/nfs/nfsdcltrack ] && echo dir:nfsdcltrack',
  'p=$(cat /proc/sys/fs/nfs/nlm_tcpport 2>/dev/null) && echo "nlm_tcpport=$p"',
  'true',
].join('\n');

/** The value of `VAR=` in a shell defaults file (the last assignment; quotes taken off). */
export function defaultsVar(text: string | null, name: string): string | null {
  if (text === null) return null;
  let v: string | null = null;
  for (const line of text.split('\n')) {
    const m = new RegExp(`^\\s*(?:export\\s+)?${name}=(.*)$`).exec(line);
    if (m) v = m[1]!.trim().replace(/^(["'])(.*)\1$/, '$2');
  }
  return v;
}

/** `--port N`, `--port=N` or `-p N` in a daemon's options (not --outgoing-port). */
export function portOption(opts: string | null): string | null {
  if (opts === null) return null;
  const m = /(?:^|\s)(?:--port|-p)(?:=|\s+)(\d{1,5})(?=\s|$)/.exec(opts);
  return m ? m[1]! : null;
}

export const CRON_PATH = '/etc/cron.d/nfsctl-sync';
/** The seed's fixed ports (firewall rules rely on them). */
export const SEED_PORTS = { mountd: '20048', statd: '20049', lockd: '20050' };

export async function lintFacts(config: Config, role: PairRole, host: Host): Promise<LintHostFacts> {
  const f: LintHostFacts = {
    role,
    reachable: true,
    keepalivedConf: null,
    nfsConf: new Map(),
    served: [],
    servedOk: false,
    cron: null,
    lastOk: null,
  };
  try {
    const [ka, nfs, nfsd, served, cron, dks, dcm, probe] = await host.runMany([
      readFileArgv(config.keepalived.config),
      readFileArgv('/etc/nfs.conf'),
      catDirArgv('/etc/nfs.conf.d', '.conf', 'nfsctl-nfsconf'),
      servedArgv(config),
      readFileArgv(CRON_PATH),
      readFileArgv(DEFAULT_FILES.kernelServer),
      readFileArgv(DEFAULT_FILES.common),
      ['sh', '-c', PROBE_SCRIPT],
    ]);
    f.defaults = {
      kernelServer: fileContent(dks!, DEFAULT_FILES.kernelServer),
      common: fileContent(dcm!, DEFAULT_FILES.common),
    };
    f.probe = probe!.exitCode === 0 ? probe!.stdout.split('\n').filter(Boolean) : null;
    f.keepalivedConf = fileContent(ka!, config.keepalived.config);
    const extra = [...splitCat(nfsd!.stdout).entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, t]) => t);
    f.nfsConf = parseNfsConf(fileContent(nfs!, '/etc/nfs.conf') ?? '', ...extra);
    f.servedOk = served!.exitCode === 0;
    f.served = f.servedOk ? parseServed(config, served!.stdout) : [];
    f.cron = fileContent(cron!, CRON_PATH);
    f.lastOk = await readSyncRecord(host, config.state.stateDir, 'last-ok').catch(() => null);
  } catch (err) {
    return { ...f, reachable: false, error: (err as Error).message };
  }
  return f;
}

/** Where `daemon`'s port is pinned on one host, and to what (null: nowhere). */
export function pinnedPort(
  f: LintHostFacts,
  daemon: 'mountd' | 'statd' | 'lockd',
): { port: string; where: string } | null {
  const conf = confValue(f.nfsConf, daemon, 'port');
  if (daemon === 'lockd') {
    if (conf) return { port: conf, where: 'nfs.conf' };
    const live = f.probe?.find((l) => l.startsWith('nlm_tcpport='))?.slice(12) ?? null;
    return live && live !== '0' ? { port: live, where: 'sysctl fs.nfs.nlm_tcpport' } : null;
  }
  const [file, name] =
    daemon === 'mountd' ? [DEFAULT_FILES.kernelServer, 'RPCMOUNTDOPTS'] : [DEFAULT_FILES.common, 'STATDOPTS'];
  const cmd = portOption(defaultsVar(f.defaults?.[daemon === 'mountd' ? 'kernelServer' : 'common'] ?? null, name));
  if (cmd) return { port: cmd, where: `${name} in ${file}${conf && conf !== cmd ? `, over nfs.conf's ${conf}` : ''}` };
  return conf ? { port: conf, where: 'nfs.conf' } : null;
}

/** statd lock recovery tools, and how each host keeps its NFSv4 client records (kernel nfsd). */
function lintLockRecovery(config: Config, f: Record<PairRole, LintHostFacts>, add: (x: Finding) => void): void {
  const roles: PairRole[] = ['primary', 'backup'];
  for (const r of roles) {
    const p = f[r].probe;
    if (p === null || p === undefined) {
      add({
        id: 'statd-tools',
        host: r,
        status: 'warn',
        title: 'sm-notify and rpc.statd are installed (NFSv3 lock recovery)',
        evidence: 'could not ask the host',
        fix: `check that ${r} runs commands over ssh`,
      });
      continue;
    }
    const missing = ['sm-notify', 'rpc.statd'].filter((t) => !p.includes(t));
    add({
      id: 'statd-tools',
      host: r,
      status: missing.length ? 'warn' : 'ok',
      title: 'sm-notify and rpc.statd are installed (NFSv3 lock recovery)',
      evidence: missing.length
        ? `${missing.join(' and ')} not found: after a move to ${r} NFSv3 clients are not told to reclaim their locks (nfsctl skips sm-notify)`
        : `both found; on taking the VIP, ${r} runs sm-notify -f -v ${config.vip}`,
      ...(missing.length ? { fix: `apt-get install nfs-common on ${r}` } : {}),
    });
  }
  const tracking = (p: string[] | null | undefined): string =>
    !p
      ? 'unknown'
      : p.includes('nfsdcld-running')
        ? 'nfsdcld (running)'
        : p.includes('dir:v4recovery')
          ? 'legacy /var/lib/nfs/v4recovery'
          : p.includes('dir:nfsdcltrack')
            ? 'nfsdcltrack'
            : p.includes('dir:nfsdcld')
              ? 'nfsdcld (database present, daemon not running)'
              : 'none found';
  const t = roles.map((r) => tracking(f[r].probe));
  const same = t[0] === t[1] && t[0] !== 'unknown' && t[0] !== 'none found';
  add({
    id: 'nfsv4-recovery',
    host: null,
    status: same ? 'ok' : 'warn',
    title: 'both hosts keep NFSv4 client records the same way',
    evidence: `primary: ${t[0]}, backup: ${t[1]}; the records are per host (nfsctl does not share them) and nfsd accepts reclaims only during its grace period: after a move, NFSv4 clients of RBD/DRBD volumes may get NFS4ERR_NO_GRACE and lose their locks (see volume show)`,
    ...(same
      ? {}
      : {
          fix: 'set up the same NFSv4 client tracking on both hosts (nfsdcld running on both, where nfs-utils ships it), then restart the NFS server',
        }),
  });
}

function nopreempt(text: string, instance: string): boolean {
  const b = instanceBlock(text, instance);
  return b !== null && /^\s*nopreempt\b/m.test(text.slice(b.start, b.end).replace(/[#!].*$/gm, ''));
}

/** The rules: pure, over both hosts' facts. */
export function lintRules(config: Config, f: Record<PairRole, LintHostFacts>, now = Date.now()): Finding[] {
  const out: Finding[] = [];
  const roles: PairRole[] = ['primary', 'backup'];
  const add = (x: Finding) => out.push(x);
  for (const r of roles)
    if (!f[r].reachable)
      add({
        id: 'reachable',
        host: r,
        status: 'critical',
        title: 'host answers',
        evidence: f[r].error ?? 'no answer',
        fix: `check ${r} and its sshd`,
      });
  if (roles.some((r) => !f[r].reachable)) return out;
  const exporter = exporterOf(config);
  const root = config.nfs.root.replace(/\/+$/, '');

  // exports: every nfsctl volume export carries an fsid, the same on both hosts
  if (exporter.fsidInExports) {
    const fsidOf = (e: ServedExport) =>
      e.clients
        .flatMap((c) => c.options)
        .find((o) => o.startsWith('fsid='))
        ?.slice(5) ?? null;
    const bad: string[] = [];
    const differ: string[] = [];
    const byPath = new Map<string, Partial<Record<PairRole, string | null>>>();
    for (const r of roles)
      for (const e of f[r].served.filter((x) => x.path.startsWith(`${root}/`)))
        byPath.set(e.path, { ...byPath.get(e.path), [r]: fsidOf(e) });
    for (const [p, v] of byPath) {
      for (const r of roles) if (r in v && !v[r]) bad.push(`${r}:${p}`);
      if (v.primary && v.backup && v.primary !== v.backup)
        differ.push(`${p} (primary ${v.primary}, backup ${v.backup})`);
    }
    if (!f.primary.servedOk || !f.backup.servedOk)
      add({
        id: 'fsid',
        host: null,
        status: 'warn',
        title: 'every export has the same fsid on both hosts',
        evidence: 'exportfs -v failed on a host',
        fix: 'start the NFS server on both hosts',
      });
    else if (bad.length || differ.length)
      add({
        id: 'fsid',
        host: null,
        status: 'critical',
        title: 'every export has the same fsid on both hosts',
        evidence: [
          bad.length ? `no fsid: ${bad.join(', ')}` : '',
          differ.length ? `fsid differs: ${differ.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
        fix: 'nfsctl volume export <volume> --yes on both hosts (nfsctl writes the fsid derived from the name)',
      });
    else
      add({
        id: 'fsid',
        host: null,
        status: 'ok',
        title: 'every export has the same fsid on both hosts',
        evidence: `${byPath.size} export(s) under ${root}`,
      });
  }

  // nfsd server scope, grace and lease: the same on both hosts
  if (exporter.usesNfsConf) {
    const v = (r: PairRole, s: string, k: string) => confValue(f[r].nfsConf, s, k);
    const scope = roles.map((r) => v(r, 'nfsd', 'scope'));
    if (!scope[0] || !scope[1] || scope[0] !== scope[1]) {
      add({
        id: 'nfsd-scope',
        host: null,
        status: 'warn',
        title: 'the same nfsd server scope on both hosts',
        evidence: `primary: ${scope[0] ?? 'unset'}, backup: ${scope[1] ?? 'unset'} (unset: each host's own name, so NFSv4 clients see another server after a move)`,
        fix: `on both hosts, in /etc/nfs.conf: [nfsd] scope=${config.vip}; then restart the NFS server`,
      });
    } else
      add({
        id: 'nfsd-scope',
        host: null,
        status: 'ok',
        title: 'the same nfsd server scope on both hosts',
        evidence: `scope=${scope[0]}`,
      });
    for (const k of ['grace-time', 'lease-time', 'udp'] as const) {
      const vals = roles.map((r) => v(r, 'nfsd', k));
      if (vals[0] !== vals[1])
        add({
          id: `nfsd-${k}`,
          host: null,
          status: 'warn',
          title: `nfsd ${k} is the same on both hosts`,
          evidence: `primary: ${vals[0] ?? 'default'}, backup: ${vals[1] ?? 'default'}`,
          fix: `set [nfsd] ${k}= to one value in /etc/nfs.conf on both hosts; restart the NFS server`,
        });
      else
        add({
          id: `nfsd-${k}`,
          host: null,
          status: 'ok',
          title: `nfsd ${k} is the same on both hosts`,
          evidence: `${vals[0] ?? 'default'} on both`,
        });
    }
    const grace = Number(v('primary', 'nfsd', 'grace-time') ?? 90);
    const lease = Number(v('primary', 'nfsd', 'lease-time') ?? 90);
    if (grace < lease)
      add({
        id: 'nfsd-grace-lease',
        host: null,
        status: 'warn',
        title: 'grace time at least the lease time',
        evidence: `grace-time ${grace} < lease-time ${lease}: NFSv4 clients may not reclaim their state in time`,
        fix: `[nfsd] grace-time=${lease} (or more) on both hosts`,
      });
    // ports pinned so firewall rules hold: nfs.conf, or the daemon's command line from the
    // Debian defaults files (which wins over nfs.conf when both set it), or lockd's live sysctl
    for (const [s, want] of [
      ['mountd', SEED_PORTS.mountd],
      ['statd', SEED_PORTS.statd],
      ['lockd', SEED_PORTS.lockd],
    ] as const) {
      const found = roles.map((r) => pinnedPort(f[r], s));
      const vals = found.map((x) => x?.port ?? null);
      const okBoth = vals[0] !== null && vals[0] === vals[1];
      add({
        id: `port-${s}`,
        host: null,
        status: okBoth ? 'ok' : 'warn',
        title: `${s} listens on a fixed port, the same on both hosts`,
        evidence: roles
          .map((r, i) => `${r}: ${found[i] ? `${found[i]!.port} (${found[i]!.where})` : 'not pinned'}`)
          .join(', '),
        ...(okBoth
          ? {}
          : {
              fix: `on both hosts, in /etc/nfs.conf: [${s}] port=${want}${s === 'lockd' ? ` and udp-port=${want}` : ''}${s === 'mountd' ? ` (or --port ${want} in RPCMOUNTDOPTS, ${DEFAULT_FILES.kernelServer})` : s === 'statd' ? ` (or --port ${want} in STATDOPTS, ${DEFAULT_FILES.common})` : ''}; then restart the NFS services (firewall rules for ${want})`,
            }),
      });
    }
    lintLockRecovery(config, f, add);
  }

  // keepalived: fixed roles, primary preferred, preempting
  const ka = roles.map((r) =>
    f[r].keepalivedConf === null ? null : parseKeepalivedConf(f[r].keepalivedConf!, config.keepalived.instance),
  );
  for (const [i, r] of roles.entries()) {
    const c = ka[i];
    const want = r === 'primary' ? 'MASTER' : 'BACKUP';
    if (!c || c.state === null)
      add({
        id: 'keepalived-role',
        host: r,
        status: 'critical',
        title: `keepalived ${config.keepalived.instance} is ${want} here`,
        evidence: c
          ? `no vrrp_instance ${config.keepalived.instance} with a state in ${config.keepalived.config}`
          : `${config.keepalived.config} is missing`,
        fix: `write vrrp_instance ${config.keepalived.instance} { state ${want} ... } in ${config.keepalived.config}`,
      });
    else
      add({
        id: 'keepalived-role',
        host: r,
        status: c.state === want ? 'ok' : 'critical',
        title: `keepalived ${config.keepalived.instance} is ${want} here`,
        evidence: `state ${c.state}, priority ${c.priority ?? '?'}`,
        ...(c.state === want
          ? {}
          : { fix: `state ${want} in ${config.keepalived.config} on ${r}; restart keepalived` }),
      });
    if (f[r].keepalivedConf && nopreempt(f[r].keepalivedConf!, config.keepalived.instance))
      add({
        id: 'keepalived-nopreempt',
        host: r,
        status: 'warn',
        title: 'nopreempt is absent',
        evidence:
          'nopreempt is set: the VIP does not return to the primary by itself, and the roles the pair assumes (fixed master/backup) do not hold',
        fix: `remove nopreempt from vrrp_instance ${config.keepalived.instance} on ${r}; restart keepalived`,
      });
  }
  const [pp, bp] = [ka[0]?.priority ?? null, ka[1]?.priority ?? null];
  if (pp !== null && bp !== null)
    add({
      id: 'keepalived-priority',
      host: null,
      status: pp > bp ? 'ok' : 'critical',
      title: "the primary's keepalived priority is above the backup's",
      evidence: `primary ${pp}, backup ${bp}`,
      ...(pp > bp ? {} : { fix: 'priority 150 on the primary, 100 on the backup; restart keepalived' }),
    });
  const rbd = config.backends.rbd !== undefined;
  for (const [i, r] of roles.entries()) {
    const hooked = runsNfsctlHook(ka[i]?.notify ?? null);
    add({
      id: 'notify-hook',
      host: r,
      status: hooked ? 'ok' : rbd ? 'critical' : 'warn',
      title: 'the keepalived notify hook runs `nfsctl ha notify`',
      evidence: hooked
        ? `notify ${ka[i]!.notify}`
        : `no nfsctl notify hook${rbd ? ': RBD volumes will not follow the VIP' : ' (needed once RBD volumes exist; it also records each transition)'}`,
      ...(hooked ? {} : { fix: 'nfsctl ha install --yes' }),
    });
  }

  // the periodic sync: installed on the backup, and its last good run
  const cron = f.backup.cron;
  const installed = cron !== null && /\bnfsctl\b.*\bsync\b/.test(cron);
  add({
    id: 'sync-timer',
    host: 'backup',
    status: installed ? 'ok' : 'critical',
    title: 'the sync timer is installed',
    evidence: installed
      ? `${CRON_PATH}: ${
          cron!
            .split('\n')
            .find((l) => /\bsync\b/.test(l) && !l.startsWith('#'))
            ?.trim() ?? ''
        }`
      : `${CRON_PATH} is missing: nothing keeps the backup's copies current`,
    ...(installed ? {} : { fix: 'nfsctl sync install-timer --yes' }),
  });
  const last = [f.primary.lastOk, f.backup.lastOk]
    .filter((x): x is SyncRecord => x !== null)
    .sort((a, b) => b.time.localeCompare(a.time))[0];
  const age = last ? Math.round((now - Date.parse(last.time)) / 1000) : null;
  const overdue = age === null || age > 1.5 * (config.rsync.interval / 1000);
  add({
    id: 'sync-last-run',
    host: null,
    status: overdue ? 'warn' : 'ok',
    title: 'the last good sync is recent',
    evidence: last
      ? `${last.direction} ${Math.round(age! / 60)} min ago (interval ${Math.round(config.rsync.interval / 60_000)} min)`
      : 'no good sync recorded',
    ...(overdue ? { fix: 'nfsctl sync --yes; check the timer' } : {}),
  });
  return out;
}

export async function lintPair(config: Config, hosts: Record<PairRole, Host>): Promise<Finding[]> {
  const [p, b] = await Promise.all([
    lintFacts(config, 'primary', hosts.primary),
    lintFacts(config, 'backup', hosts.backup),
  ]);
  return [...lintRules(config, { primary: p!, backup: b! }), ...(await lintDrbd(config, hosts))];
}
