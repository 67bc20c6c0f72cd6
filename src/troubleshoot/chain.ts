// The mount-failure runbook as code: walk from the disk to the client and stop at the first
// broken link, naming the cause and the fix (findings like `linstor advise`).
import type { Config, PairRole } from '../config/schema.js';
import type { HostPool } from '../host/pool.js';
import type { Host } from '../host/host.js';
import type { Finding } from '../health/check.js';
import { bounded } from '../health/check.js';
import { parseVolumeRef } from '../core/names.js';
import { parseNodeTarget } from '../core/node-target.js';
import { loadPairState } from '../volume/pair-state.js';
import { findVolume, ROLES } from '../volume/plans.js';
import { identify } from '../volume/identity.js';
import { BACKEND_LIST, backendNamed } from '../volume/backend/registry.js';
import { hasCopyPerHost, type BackendFinding } from '../volume/backend/contract.js';
import { exporterOf } from '../volume/nfs-server/registry.js';
import { serviceCommand } from '../ha/services.js';
import { persistentVolume } from '../volume/pv.js';
import { probePorts, trialMount, PROBE_PREFIX } from './node-probes.js';
import { quoteArgv } from '../host/quote.js';
import { explainTrialFailure, mountHelperFinding } from './why-facts.js';
import { checkNodeMounts } from './stale.js';
import { pickPv, pvFinding, type PvNfs } from './pv-check.js';
import { pvName } from '../volume/pv.js';

export interface Diagnosis {
  volume: string;
  from: string;
  causeFound: boolean;
  findings: Finding[];
  /** When everything passed: what works. */
  mountCommand?: string;
  pv?: unknown;
}

/** The hosts troubleshoot talks to: the pair, this machine, and the node a client mounts from. */
export type TroubleshootHosts = Pick<HostPool, 'get' | 'node' | 'local'>;

export async function troubleshoot(
  config: Config,
  hosts: TroubleshootHosts,
  target: string,
  fromNode: string | undefined,
  opts: { pv?: PvNfs[] } = {},
): Promise<Diagnosis> {
  const ref = parseVolumeRef(target);
  // [user@]node[:port], checked before any host is contacted
  const nodeTarget = fromNode !== undefined ? parseNodeTarget(fromNode) : undefined;
  const v = identify(config, ref);
  const t = config.timeouts.check;
  const findings: Finding[] = [];
  const from = fromNode ?? 'this host';
  const stop = (): Diagnosis => ({ volume: v.id, from, causeFound: true, findings });
  const ok = (id: string, host: string | null, title: string, evidence: string) =>
    findings.push({ id, host, status: 'ok', title, evidence });
  const bad = (id: string, host: string | null, title: string, evidence: string, fix: string) =>
    findings.push({ id, host, status: 'critical', title, evidence, fix });

  // 1. the volume exists, on both hosts for mirrored backends, and the backend is healthy
  const state = await loadPairState(config, { primary: hosts.get('primary'), backup: hosts.get('backup') });
  for (const r of ROLES) {
    if (!state.inv[r].reachable) {
      bad(
        'host',
        r,
        `${r} reachable`,
        state.inv[r].error ?? 'no answer',
        `check ${r} (${config.hosts[r].address}) and its sshd`,
      );
      if (r === 'primary' || state.vipHolder !== 'backup') return stop();
    }
  }
  const view = findVolume(state, ref);
  if (!view) {
    bad(
      'exists',
      null,
      `${v.id} exists`,
      `no ${orList(BACKEND_LIST.map((b) => b.noun))} carries ${v.id}'s metadata on either host`,
      `nfsctl volume list  # check the name; create it with: nfsctl volume create ${v.id} --size <size>`,
    );
    return stop();
  }
  const backend = backendNamed(view.backend);
  const roles = hasCopyPerHost(backendNamed(view.backend))
    ? ROLES.filter((r) => state.inv[r].reachable)
    : ROLES.filter((r) => r === (state.vipHolder ?? 'primary'));
  for (const r of hasCopyPerHost(backendNamed(view.backend)) ? roles : ['primary' as PairRole]) {
    const h = view.hosts[r];
    if (!h.present) {
      const what = backend.describe(config, v);
      bad(
        'exists',
        r,
        `${what} present`,
        `missing on ${r}`,
        `restore it from the other host, or recreate: nfsctl volume delete ${v.id} --keep-data && nfsctl volume create ${v.id} --size ${view.sizeBytes}B`,
      );
      return stop();
    }
  }
  ok(
    'exists',
    null,
    `${v.id} exists`,
    `${view.backend}, present on ${hasCopyPerHost(backendNamed(view.backend)) ? roles.join(' and ') : 'the pool'}`,
  );
  const health = await backend.troubleshoot.backend(config, hosts.get(state.vipHolder ?? 'primary'), t);
  if (health) {
    findings.push(withHost(health, null));
    if (health.status === 'critical') return stop();
  }

  // 4 (needed first to know where to look). The VIP: exactly one holder.
  const holder = state.vipHolder;
  if (!holder) {
    const holders = await Promise.all(
      ROLES.map(async (r) =>
        (
          await hosts
            .get(r)
            .run(['ip', '-j', 'addr', 'show'], { timeoutMs: t })
            .catch(() => null)
        )?.stdout.includes(`"${config.vip}"`)
          ? r
          : null,
      ),
    );
    const both = holders.filter(Boolean).length === 2;
    bad(
      'vip',
      null,
      `VIP ${config.vip} held by exactly one host`,
      both ? 'SPLIT BRAIN: both hosts hold it' : 'no host holds it',
      both
        ? `stop keepalived on the backup (${serviceCommand(config, 'stop', 'keepalived')}), check VRRP between the hosts, then start it again`
        : `start keepalived on the primary: ${serviceCommand(config, 'start', 'keepalived')}`,
    );
    return stop();
  }

  // 2. mounted at its path on the VIP holder (backends that mount a device)
  const hv = view.hosts[holder];
  if (backend.makesFilesystem(config)) {
    if (!hv.mounted) {
      bad(
        'mounted',
        holder,
        `${v.path} mounted`,
        `not mounted on ${holder}: clients would see an empty directory or ESTALE`,
        `mount ${v.path}  # on ${holder}; fstab has the entry`,
      );
      return stop();
    }
    ok('mounted', holder, `${v.path} mounted`, 'in /proc/mounts');
  } else {
    const inPlace = await backend.troubleshoot.inPlace(config, holder, hosts.get(holder), v, t);
    if (inPlace) {
      findings.push(withHost(inPlace, holder));
      if (inPlace.status === 'critical') return stop();
    }
  }

  // 3. in the exports config AND served, on the VIP holder
  if (!hv.configured) {
    bad(
      'exported',
      holder,
      `${v.path} in the exports config`,
      `missing from ${exporterOf(config).configLocation(config)} on ${holder}`,
      `nfsctl volume export ${v.id}`,
    );
    return stop();
  }
  if (!hv.served) {
    bad(
      'served',
      holder,
      `${v.path} served by the NFS server`,
      `configured but not served by ${exporterOf(config).servedBy} on ${holder}${state.inv[holder].servedError ? `: ${state.inv[holder].servedError}` : ''}`,
      state.inv[holder].servedError
        ? `start the NFS server on ${holder}: ${serviceCommand(config, 'start', 'nfs')}`
        : `nfsctl volume export ${v.id}  # re-applies it`,
    );
    return stop();
  }
  ok('exported', holder, `${v.path} exported and served`, `to ${hv.clients.join(' ') || '?'}`);
  ok('vip', null, `VIP ${config.vip} held by exactly one host`, `${holder}, which serves the export`);

  // 5. from the node: rpcbind, mountd and nfs over tcp and udp
  let node: Host;
  if (nodeTarget) {
    node = hosts.node(nodeTarget.host, nodeTarget.host, {
      ...(nodeTarget.user !== undefined ? { user: nodeTarget.user } : {}),
      ...(nodeTarget.port !== undefined ? { port: nodeTarget.port } : {}),
    });
  } else {
    node = hosts.local();
  }
  const secs = Math.max(1, Math.ceil(t / 1000));
  // 5a. log in to the node first: an SSH failure is that, not "cannot reach the NFS services"
  if (nodeTarget) {
    const login = await sshLogin(node, config.timeouts.connect + t);
    if (login !== null) {
      bad(
        'ssh',
        fromNode ?? null,
        `SSH to ${from}`,
        login,
        `check that ${from} is up and runs sshd, that its host key is in ${config.hosts.primary.ssh.knownHosts} under its own name or address, and that ${config.hosts.primary.ssh.identity} is authorised for ${nodeTarget.user ?? config.hosts.primary.ssh.user} there`,
      );
      return stop();
    }
    ok('ssh', fromNode ?? null, `SSH to ${from}`, 'logged in');
  }
  const [probes] = await Promise.all([
    bounded('ports', fromNode ?? null, 'reach the NFS services', (secs * 2 + 6) * 1000, async () => {
      const ps = await probePorts(node, config.vip, secs);
      const broken = ps.filter((p) => p.state !== 'open');
      const tcpBroken = broken.filter((p) => p.proto === 'tcp');
      return [
        {
          id: 'ports',
          host: fromNode ?? null,
          status: tcpBroken.length ? 'critical' : broken.length ? 'warn' : 'ok',
          title: `reach rpcbind/mountd/nfs on ${config.vip} from ${from}`,
          evidence: ps
            .map(
              (p) =>
                `${p.service} ${p.port}/${p.proto} ${p.state === 'silent' ? 'SILENT (dropped)' : p.state === 'refused' ? 'REFUSED (rejected)' : p.state}`,
            )
            .join(', '),
          ...(broken.length
            ? {
                fix: tcpBroken.some((p) => p.state === 'silent')
                  ? `packets are DROPped between ${from} and ${holder}: check \`iptables -S INPUT\` on ${holder} (and any firewall in between) for ports ${[...new Set(broken.map((p) => p.port))].join(',')}`
                  : `connections are REFUSED: the service is down or REJECTed on ${holder}: check \`iptables -S INPUT\` and ${serviceCommand(config, 'status', 'nfs')}`,
              }
            : {}),
        },
      ];
    }),
  ]);
  findings.push(...probes!);
  if (probes!.some((f) => f.status === 'critical')) return stop();

  // 5b. kubelet mounts with mount(8): the node needs /sbin/mount.nfs whatever the trial uses
  const helper = await mountHelperFinding(node, from, fromNode ?? null, secs);
  findings.push(helper);
  if (helper.status === 'critical') return stop();

  // 6. a trial mount with the options clients use
  const trial = await trialMount(node, config.vip, v.path, secs * 2);
  // the probe file is written through NFS; remove it on the server (libnfs cannot)
  await hosts
    .get(holder)
    .run(['sh', '-c', 'rm -f -- "$1"/' + PROBE_PREFIX + '*', 'nfsctl-probe-clean', v.path])
    .catch(() => undefined);
  if (!trial.ok) {
    // why: the first cause the export, identity, owner/mode, space and quota explain, or the raw error
    findings.push(
      await explainTrialFailure(
        {
          config,
          v,
          backend: view.backend,
          holder,
          holderHost: hosts.get(holder),
          inv: state.inv[holder],
          node,
          nodeName: from,
          nodeId: fromNode ?? null,
          secs,
        },
        trial,
      ),
    );
    return stop();
  }
  ok(
    'trial-mount',
    fromNode ?? null,
    `trial mount from ${from} (${trial.method})`,
    `${trial.steps.join(' -> ')} in ${trial.ms} ms`,
  );
  if (trial.udpNote)
    findings.push({
      id: 'udp',
      host: fromNode ?? null,
      status: 'warn',
      title: 'NFS over UDP',
      evidence: trial.udpNote,
    });

  // 6b. the node's own mounts of the volume still answer (not stale after a failover)
  const mounts = await checkNodeMounts(node, v.path, from, fromNode ?? null, secs);
  if (mounts) findings.push(mounts);
  if (mounts?.status === 'critical') return stop();
  // 6c. the PV the pod uses points at this volume through the VIP
  if (opts.pv) {
    const pv = pvFinding(pickPv(opts.pv, v.path, pvName(v)), {
      vip: config.vip,
      path: v.path,
      volume: v.id,
      hostAddresses: { primary: config.hosts.primary.address, backup: config.hosts.backup.address },
    });
    findings.push(pv);
    if (pv.status === 'critical') return stop();
  }

  // 7. everything passed: what works
  return {
    volume: v.id,
    from,
    causeFound: false,
    findings,
    mountCommand: quoteArgv(['mount', '-t', 'nfs', '-o', 'vers=3,proto=tcp,hard', `${config.vip}:${v.path}`, '/mnt']),
    pv: persistentVolume(config, v, view.sizeBytes, view.labels, { source: backend.pvSource(config, v) }),
  };
}

/** null when a trivial command runs on the node, else why it did not (the SSH error). */
async function sshLogin(node: Host, ms: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>(
    (resolve) => (timer = setTimeout(() => resolve(`no SSH session within ${ms} ms`), ms)),
  );
  try {
    return await Promise.race([
      node.run(['true']).then(
        (r) => (r.exitCode === 0 ? null : `logged in, but \`true\` exited ${r.exitCode}: ${r.stderr.trim()}`),
        (err: Error) => err.message,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** "a, b or c" */
function orList(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function withHost(f: BackendFinding, host: string | null): Finding {
  return {
    id: f.id,
    host,
    status: f.status,
    title: f.title,
    evidence: f.evidence,
    ...(f.fix !== undefined ? { fix: f.fix } : {}),
  };
}
