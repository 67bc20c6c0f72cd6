// `troubleshoot-mount rbd:<pool>/<image> --from <node>`: a pod that cannot attach an RBD PV
// kubelet maps itself. Walk from the cluster to the node and stop at the first broken link:
// the image and Ceph's health, its locks and watchers (the verdict of `nfsctl rbd lock list`),
// the node's address in the OSD blocklist, the monitors from the node, the keyring there,
// `rbd` on the running kubelet's own PATH, the krbd module, and what the node maps.
import type { Host } from '../host/host.js';
import type { Finding } from '../health/check.js';
import { parseNodeTarget } from '../core/node-target.js';
import { addressHost, parseCephHealth, parseRbdShowmapped } from '../core/ceph-json.js';
import { Ceph, cephArgs, cephTarget, classifyFailure, type CephTarget } from '../rbd/ceph.js';
import { Blocklist } from '../rbd/blocklist.js';
import { scanImage } from '../rbd/locks.js';
import { SshNodeProber } from '../rbd/nodes.js';
import { parseImageSpec, specString, type ImageSpec } from '../rbd/validate.js';
import { quoteArg } from '../host/quote.js';
import type { Diagnosis, TroubleshootHosts } from './chain.js';
import type { Config } from '../config/schema.js';

const T = (secs: number, argv: string[]) => ['timeout', '--foreground', '-k', '1', String(secs), ...argv];
/** systemd's default PATH, what a service without Environment=PATH gets. */
export const SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** "rbd:pool/image" -> the spec; null when the target is not an RBD one. Throws UsageError on a bad spec. */
export function rbdTarget(target: string, defaultPool?: string): ImageSpec | null {
  if (!target.startsWith('rbd:')) return null;
  return parseImageSpec(target.slice(4), defaultPool);
}

/** `ceph mon dump --format json` -> every monitor address "ip:port" (v2 and v1). */
export function parseMonAddrs(stdout: string): { host: string; port: number }[] {
  const doc = JSON.parse(stdout) as { mons?: { public_addrs?: { addrvec?: { addr?: string }[] }; addr?: string }[] };
  const out: { host: string; port: number }[] = [];
  for (const m of doc.mons ?? []) {
    const addrs =
      m.public_addrs?.addrvec?.map((a) => a.addr).filter((a): a is string => !!a) ?? (m.addr ? [m.addr] : []);
    for (const a of addrs) {
      const hp = a.replace(/\/\d+$/, '');
      const i = hp.lastIndexOf(':');
      const host = hp.slice(0, i).replace(/^\[|\]$/g, '');
      const port = Number(hp.slice(i + 1));
      if (host && port > 0 && !out.some((o) => o.host === host && o.port === port)) out.push({ host, port });
    }
  }
  return out;
}

export interface NodeRbdFacts {
  uid: string | null;
  kubelet: { pid: number; path: string | null } | null;
  rbd: string | null;
  krbd: 'loaded' | 'loadable' | 'missing';
  kernel: string;
  keyrings: string[];
  conf: boolean;
  src: string | null;
}

/** The one script the node runs (bounded); its output is parsed by parseNodeRbdFacts. */
export const NODE_RBD_SCRIPT = [
  'echo "uid $(id -u)"',
  // the running kubelet: argv[0]'s base name, not the comm (a wrapper may rename it)
  // (in this network namespace: a kubelet of another container or lab sharing the kernel is not ours)
  'me=$(readlink /proc/$$/ns/net); pid=""; for c in $(ps -eo pid=,args= | awk \'{ n = $2; sub(".*/", "", n); if (n == "kubelet") print $1 }\'); do [ "$(readlink "/proc/$c/ns/net" 2>/dev/null)" = "$me" ] && { pid=$c; break; }; done',
  'if [ -n "$pid" ]; then echo "kubelet $pid"; if tr "\\000" "\\n" < "/proc/$pid/environ" | grep -q "^PATH="; then path=$(tr "\\000" "\\n" < "/proc/$pid/environ" | sed -n "s/^PATH=//p" | head -n 1); echo "kubelet-path $path"; else path=""; echo "kubelet-path-unset"; fi; else path=$2; fi',
  'found=""; IFS=:; for d in $path; do [ -n "$d" ] && [ -f "$d/rbd" ] && [ -x "$d/rbd" ] && { found="$d/rbd"; break; }; done; unset IFS',
  'echo "rbd-binary ${found:-none}"',
  'if [ -d /sys/module/rbd ]; then echo "krbd loaded"; elif modinfo rbd >/dev/null 2>&1; then echo "krbd loadable"; else echo "krbd missing"; fi',
  'echo "uname-r $(uname -r)"',
  'for k in $1; do [ -r "$k" ] && echo "keyring $k"; done',
  '[ -r /etc/ceph/ceph.conf ] && echo "conf /etc/ceph/ceph.conf"',
  '[ -n "$3" ] && ip -o route get "$3" 2>/dev/null | sed -n "s/.* src \\([^ ]*\\).*/src \\1/p" | head -n 1',
  'true',
].join('\n');

export function parseNodeRbdFacts(text: string): NodeRbdFacts {
  const f: NodeRbdFacts = {
    uid: null,
    kubelet: null,
    rbd: null,
    krbd: 'missing',
    kernel: '?',
    keyrings: [],
    conf: false,
    src: null,
  };
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    const k = sp < 0 ? line : line.slice(0, sp);
    const v = sp < 0 ? '' : line.slice(sp + 1).trim();
    if (k === 'uid') f.uid = v;
    else if (k === 'kubelet' && /^\d+$/.test(v)) f.kubelet = { pid: Number(v), path: null };
    else if (k === 'kubelet-path' && f.kubelet) f.kubelet.path = v;
    else if (k === 'kubelet-path-unset' && f.kubelet) f.kubelet.path = '';
    else if (k === 'rbd-binary') f.rbd = v === 'none' ? null : v;
    else if (k === 'krbd' && (v === 'loaded' || v === 'loadable' || v === 'missing')) f.krbd = v;
    else if (k === 'uname-r') f.kernel = v;
    else if (k === 'keyring') f.keyrings.push(v);
    else if (k === 'conf') f.conf = true;
    else if (k === 'src') f.src = v;
  }
  return f;
}

/** The kubelet PATH link: ok, or why kubelet's `rbd map` says "executable file not found in $PATH". */
export function kubeletPathFinding(f: NodeRbdFacts, node: string, nodeId: string | null): Finding {
  const title = `rbd on kubelet's PATH on ${node}`;
  const where = f.kubelet
    ? `kubelet (pid ${f.kubelet.pid}) runs with PATH=${f.kubelet.path === '' ? '(unset)' : f.kubelet.path}`
    : `no kubelet process on ${node}; checked systemd's default PATH ${SYSTEMD_PATH}`;
  if (f.rbd)
    return {
      id: 'rbd-kubelet-path',
      host: nodeId,
      status: f.kubelet ? 'ok' : 'warn',
      title,
      evidence: `${f.rbd}; ${where}`,
    };
  return {
    id: 'rbd-kubelet-path',
    host: nodeId,
    status: 'critical',
    title,
    evidence: `${where}: no rbd in it, so kubelet's map fails with "rbd: map failed executable file not found in $PATH"`,
    fix: `on ${node}: apt-get install ceph-common (puts /usr/bin/rbd), or add its directory to kubelet's unit: systemctl edit kubelet  # [Service] Environment=PATH=${SYSTEMD_PATH}; then systemctl restart kubelet`,
  };
}

/** Every rbd/ceph call of the chain under a hard timeout: a cluster that hangs is a finding, not a hang. */
class BoundedCeph extends Ceph {
  constructor(
    host: Host,
    target: CephTarget,
    private readonly secs: number,
  ) {
    super(host, target);
  }
  override rbd(args: string[]) {
    return this.host.run(T(this.secs, ['rbd', ...cephArgs(this.target), ...args]), {
      timeoutMs: (this.secs + 3) * 1000,
    });
  }
  override ceph(args: string[]) {
    return this.host.run(T(this.secs, ['ceph', ...cephArgs(this.target), ...args]), {
      timeoutMs: (this.secs + 3) * 1000,
    });
  }
}

export async function troubleshootRbd(
  config: Config,
  hosts: TroubleshootHosts,
  spec: ImageSpec,
  fromNode: string | undefined,
): Promise<Diagnosis> {
  const nodeTarget = fromNode !== undefined ? parseNodeTarget(fromNode) : undefined;
  const target = cephTarget(config, {});
  const t = config.timeouts.check;
  const secs = Math.max(1, Math.ceil(t / 1000));
  const from = fromNode ?? 'this host';
  const nodeId = fromNode ?? null;
  const findings: Finding[] = [];
  const volume = `rbd:${specString(spec)}`;
  const stop = (): Diagnosis => ({ volume, from, causeFound: true, findings });
  const ok = (id: string, host: string | null, title: string, evidence: string, status: 'ok' | 'warn' = 'ok') =>
    findings.push({ id, host, status, title, evidence });
  const bad = (id: string, host: string | null, title: string, evidence: string, fix: string) =>
    findings.push({ id, host, status: 'critical', title, evidence, fix });
  const cephHost = hosts.get(config.this ?? 'primary');
  const ceph = new BoundedCeph(cephHost, target, secs * 2);
  const last = (s: string) => s.trim().split('\n').filter(Boolean).pop() ?? '';
  const node: Host = nodeTarget
    ? hosts.node(nodeTarget.host, nodeTarget.host, {
        ...(nodeTarget.user !== undefined ? { user: nodeTarget.user } : {}),
        ...(nodeTarget.port !== undefined ? { port: nodeTarget.port } : {}),
      })
    : hosts.local();
  const keyrings = [
    ...new Set(
      [target.keyring, `/etc/ceph/ceph.client.${target.id}.keyring`, '/etc/ceph/keyring'].filter(
        (k): k is string => !!k,
      ),
    ),
  ];

  // Every read starts at once (each bounded); the links are then judged in chain order.
  const loginP: Promise<string | null> = nodeTarget
    ? Promise.race([
        node.run(['true']).then(
          (r) => (r.exitCode === 0 ? null : `exit ${r.exitCode}`),
          (e: Error) => e.message,
        ),
        new Promise<string>((res) =>
          setTimeout(() => res('no SSH session in time'), config.timeouts.connect + t).unref(),
        ),
      ])
    : Promise.resolve(null);
  const monDumpP = ceph.ceph(['mon', 'dump', '--format', 'json']);
  const monsP = monDumpP.then((r) => {
    try {
      return r.exitCode === 0 ? parseMonAddrs(r.stdout.slice(r.stdout.indexOf('{'))) : [];
    } catch {
      return [];
    }
  });
  const nodeP = Promise.all([loginP, monsP]).then(async ([login, mons]) => {
    if (login !== null) return null;
    return Promise.all([
      node.run(
        T(secs, [
          'sh',
          '-c',
          NODE_RBD_SCRIPT,
          'nfsctl-rbd-node',
          keyrings.join(' '),
          SYSTEMD_PATH,
          mons[0]?.host ?? '',
        ]),
        { timeoutMs: (secs + 3) * 1000 },
      ),
      Promise.all(
        mons.map(async (m) => ({
          ...m,
          r: await node.run(
            T(secs, ['bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'nfsctl-probe', m.host, String(m.port)]),
            { timeoutMs: (secs + 3) * 1000 },
          ),
        })),
      ),
    ] as const);
  });
  nodeP.catch(() => undefined);
  const [health, info] = await Promise.all([
    cephHost.run(T(secs, ['ceph', ...cephArgs(target), 'health', '--format', 'json']), {
      timeoutMs: (secs + 3) * 1000,
    }),
    ceph.rbd(['info', '--format', 'json', '--', specString(spec)]),
  ]);
  const locksP =
    info.exitCode === 0
      ? scanImage(
          ceph,
          spec,
          new SshNodeProber({
            connectTimeoutMs: config.timeouts.connect,
            sshPort: config.hosts.primary.ssh.port,
            open: (name, address) => hosts.node(name, address),
          }),
        ).catch((e: Error) => e)
      : Promise.resolve(new Error('no image'));
  const blocklistP = new Blocklist(ceph).list().catch((e: Error) => e);

  // 1. Ceph answers and is healthy; the image exists
  const status =
    health.exitCode === 0
      ? parseCephHealth(health.stdout).status
      : `no answer: ${last(health.stderr) || `exit ${health.exitCode}`}`;
  if (status !== 'HEALTH_OK' && status !== 'HEALTH_WARN') {
    bad('rbd-ceph-health', cephHost.name, 'Ceph healthy', status, 'ceph health detail');
    return stop();
  }
  ok('rbd-ceph-health', cephHost.name, 'Ceph healthy', status);
  if (info.exitCode !== 0) {
    bad(
      'rbd-exists',
      null,
      `image ${specString(spec)} exists`,
      classifyFailure(info, spec).message,
      `rbd ls ${quoteArg(spec.pool)}  # check the PV's spec.rbd.pool/image`,
    );
    return stop();
  }
  ok('rbd-exists', null, `image ${specString(spec)} exists`, 'rbd info answers');

  // 2. the node: logged in, then its facts and the monitors
  const login = await loginP;
  if (nodeTarget) {
    if (login !== null) {
      bad(
        'ssh',
        nodeId,
        `SSH to ${from}`,
        login,
        `check that ${from} is up and runs sshd and that its host key is in ${config.hosts.primary.ssh.knownHosts}`,
      );
      return stop();
    }
    ok('ssh', nodeId, `SSH to ${from}`, 'logged in');
  }
  const [monDump, mons, nodeRes, locks, blocklist] = await Promise.all([monDumpP, monsP, nodeP, locksP, blocklistP]);
  const [factsR, monProbes] = nodeRes!;
  const facts = parseNodeRbdFacts(factsR.stdout);

  // 3. locks and watchers: a stale lock, or the image in use by another node
  if (locks instanceof Error)
    ok('rbd-lock', null, `locks on ${specString(spec)}`, `could not read them: ${locks.message}`, 'warn');
  else {
    const nodeHost = nodeTarget?.host ?? null;
    const stale = locks.filter((l) => l.verdict === 'stale');
    const elsewhere = locks.filter((l) => l.verdict === 'live' && l.node !== null && l.node !== nodeHost);
    if (stale.length) {
      const l = stale[0]!;
      bad(
        'rbd-lock',
        null,
        `no stale lock on ${specString(spec)}`,
        `${l.lockId} by ${l.locker} (${l.address}): stale: ${l.reason}; kubelet's map fails with "image is locked by other nodes"`,
        `nfsctl rbd lock remove ${quoteArg(specString(spec))} ${quoteArg(l.lockId)} ${quoteArg(l.locker)}`,
      );
      return stop();
    }
    if (elsewhere.length) {
      const l = elsewhere[0]!;
      bad(
        'rbd-lock',
        null,
        `${specString(spec)} not in use by another node`,
        `${l.lockId}: live: ${l.reason}`,
        `stop the pod using it on ${l.node} first (a ReadWriteOnce image is attached to one node at a time)`,
      );
      return stop();
    }
    const unknown = locks.filter((l) => l.verdict === 'unknown');
    if (unknown.length)
      ok(
        'rbd-lock',
        null,
        `locks on ${specString(spec)}`,
        unknown.map((l) => `${l.lockId}: unknown: ${l.reason}`).join('; '),
        'warn',
      );
    else
      ok(
        'rbd-lock',
        null,
        `locks on ${specString(spec)}`,
        locks.length ? locks.map((l) => `${l.lockId}: ${l.verdict}`).join('; ') : 'none',
      );
  }

  // 4. the node's address in the OSD blocklist
  const addr = facts.src ?? nodeTarget?.host ?? null;
  if (blocklist instanceof Error)
    ok(
      'rbd-blocklist',
      nodeId,
      `${from} not blocklisted`,
      `could not read the blocklist: ${blocklist.message}`,
      'warn',
    );
  else if (addr) {
    const hits = blocklist.entries.filter((e) => {
      try {
        return e.kind === 'addr' && addressHost(e.addr) === addr;
      } catch {
        return false;
      }
    });
    if (hits.length) {
      bad(
        'rbd-blocklist',
        nodeId,
        `${from} (${addr}) not blocklisted`,
        `ceph osd ${blocklist.word} ls: ${hits.map((h) => `${h.addr} until ${h.until}`).join(', ')}: the OSDs refuse that client (a lock broken with rbd lock rm blocklists its locker)`,
        hits.map((h) => `nfsctl rbd blocklist remove ${quoteArg(h.addr)}`).join(' && '),
      );
      return stop();
    }
    ok(
      'rbd-blocklist',
      nodeId,
      `${from} (${addr}) not blocklisted`,
      `${blocklist.entries.length} entr${blocklist.entries.length === 1 ? 'y' : 'ies'}, none for ${addr}`,
    );
  }

  // 5. the monitors from the node
  if (mons.length === 0)
    ok(
      'rbd-monitors',
      nodeId,
      `reach the monitors from ${from}`,
      `could not list them (ceph mon dump: ${last(monDump.stderr) || `exit ${monDump.exitCode}`})`,
      'warn',
    );
  else {
    const open = monProbes.filter((p) => p.r.exitCode === 0);
    const evidence = monProbes
      .map(
        (p) =>
          `${p.host}:${p.port} ${p.r.exitCode === 0 ? 'open' : p.r.exitCode === 124 || p.r.exitCode === 137 || p.r.timedOut ? 'SILENT (dropped)' : /refused/i.test(p.r.stderr) ? 'REFUSED' : `error: ${last(p.r.stderr)}`}`,
      )
      .join(', ');
    if (open.length === 0) {
      bad(
        'rbd-monitors',
        nodeId,
        `reach the monitors from ${from}`,
        evidence,
        `open tcp ${[...new Set(mons.map((m) => m.port))].join(',')} from ${from} to ${[...new Set(mons.map((m) => m.host))].join(', ')}: check \`iptables -S\` on ${from} (OUTPUT) and on the monitors (INPUT), and any firewall in between`,
      );
      return stop();
    }
    ok(
      'rbd-monitors',
      nodeId,
      `reach the monitors from ${from}`,
      evidence,
      open.length === monProbes.length ? 'ok' : 'warn',
    );
  }

  // 6. the keyring (or a secret in the PV) on the node
  if (facts.keyrings.length === 0 || !facts.conf) {
    bad(
      'rbd-keyring',
      nodeId,
      `Ceph keyring and ceph.conf on ${from}`,
      `${facts.conf ? '' : '/etc/ceph/ceph.conf missing; '}${facts.keyrings.length ? '' : `none of ${keyrings.join(', ')} readable`}`,
      `copy them from ${cephHost.name}: ${[...(facts.conf ? [] : ['/etc/ceph/ceph.conf']), ...(facts.keyrings.length ? [] : [keyrings[0]!])].join(' ')} (mode 0600 for the keyring), or give the PV a secretRef`,
    );
    return stop();
  }
  ok('rbd-keyring', nodeId, `Ceph keyring and ceph.conf on ${from}`, facts.keyrings.join(', '));

  // 7. rbd on kubelet's own PATH (read from /proc/<pid>/environ, not our login shell's)
  const path = kubeletPathFinding(facts, from, nodeId);
  findings.push(path);
  if (path.status === 'critical') return stop();

  // 8. krbd
  if (facts.krbd === 'missing') {
    bad(
      'rbd-krbd',
      nodeId,
      `krbd module on ${from}`,
      `/sys/module/rbd absent and modinfo rbd finds no module for kernel ${facts.kernel}`,
      `on ${from}: install the kernel's modules (Debian: linux-image-${facts.kernel} carries rbd.ko; Ubuntu: linux-modules-extra-${facts.kernel}), then modprobe rbd`,
    );
    return stop();
  }
  ok(
    'rbd-krbd',
    nodeId,
    `krbd module on ${from}`,
    facts.krbd === 'loaded' ? '/sys/module/rbd present' : 'not loaded, loadable (rbd map loads it)',
  );

  // 9. what the node maps
  const shown = await node.run(T(secs, [facts.rbd ?? 'rbd', 'showmapped', '--format', 'json']), {
    timeoutMs: (secs + 3) * 1000,
  });
  if (shown.exitCode !== 0)
    ok(
      'rbd-mapped',
      nodeId,
      `rbd showmapped on ${from}`,
      `failed: ${last(shown.stderr) || `exit ${shown.exitCode}`}`,
      'warn',
    );
  else {
    const maps = parseRbdShowmapped(shown.stdout).filter((m) => m.pool === spec.pool && m.image === spec.image);
    ok(
      'rbd-mapped',
      nodeId,
      `rbd showmapped on ${from}`,
      maps.length
        ? `${specString(spec)} mapped at ${maps.map((m) => m.device).join(', ')}`
        : `${specString(spec)} not mapped (kubelet maps it when the pod starts)`,
    );
  }
  return { volume, from, causeFound: false, findings };
}
