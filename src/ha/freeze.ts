// The write freeze of a handover and its undo: stop serving the mirrored volumes on the VIP
// holder (ganesha: remove the exports; kernel nfsd: stop the server), serve them again, and
// wait for the VIP to settle on one host. Used by failback and switchover (handover.ts).
import type { Config, PairRole } from '../config/schema.js';
import { peerOf } from '../core/roles.js';
import type { Host } from '../host/host.js';
import { runChecked } from '../host/host.js';
import { NfsctlError } from '../core/errors.js';
import { serviceArgv } from './services.js';
import { vipState } from './vip.js';
import { parseServed, servedArgv } from '../volume/inventory.js';
import { exporterOf } from '../volume/nfs-server/registry.js';
import { bothHostsServe, mirrored, type VolumeView } from '../volume/state.js';

async function servedPaths(config: Config, host: Host): Promise<string[]> {
  return parseServed(config, (await runChecked(host, servedArgv(config))).stdout).map((e) => e.path);
}

/**
 * One command line that runs `cmds` one after the other on a host, stopping at the first
 * failure, then `last` (whose output is the result): one SSH round trip however many
 * commands. The arguments travel as positional parameters, separated by a marker; the
 * script only ever evals references to them ("${3}" "${4}" ...), never their values.
 */
export const SEQUENCE_SEP = '--nfsctl-sequence-next--';
export const SEQUENCE_SCRIPT = `sep=$1; shift
cmd=; i=0
for a do
  i=$((i + 1))
  if [ "$a" = "$sep" ]; then
    eval "$cmd" >/dev/null || { rc=$?; echo "nfsctl sequence: command failed (exit $rc)" >&2; exit "$rc"; }
    cmd=
  else
    cmd="$cmd \\"\\\${$i}\\""
  fi
done
eval "exec $cmd"
`;
export function sequenceArgv(cmds: string[][], last: string[]): string[] {
  if (last.length === 0) throw new Error('sequence: empty last command');
  for (const c of [...cmds, last])
    if (c.includes(SEQUENCE_SEP)) throw new Error(`sequence: an argument is the separator ${SEQUENCE_SEP}`);
  return [
    'sh',
    '-c',
    SEQUENCE_SCRIPT,
    'nfsctl-sequence',
    SEQUENCE_SEP,
    ...cmds.flatMap((c) => [...c, SEQUENCE_SEP]),
    ...last,
  ];
}

/**
 * Stop serving every mirrored nfsctl volume on `host`: the write freeze. Clients of a
 * removed export hang until the VIP moves, so this is short: one round trip to read what is
 * served, one to remove it all and read again. Returns what it removed.
 */
export async function freezeExports(config: Config, host: Host, views: VolumeView[]): Promise<string[]> {
  // ganesha: remove each export under the id it is served with (hand-made or legacy exports
  // may carry another Export_Id than nfsctl's own; RemoveExport of a wrong id fails)
  const liveIds = new Map(
    parseServed(config, (await runChecked(host, servedArgv(config))).stdout).map((e) => [e.path, e.exportId] as const),
  );
  const served = new Set(liveIds.keys());
  const removed: string[] = [];
  const cmds: string[][] = [];
  for (const v of views.filter((x) => mirrored(x.backend) && served.has(x.path))) {
    cmds.push(
      ...exporterOf(config).unserveArgvs(
        config,
        v.identity,
        v.hosts[host.name as PairRole]?.clients ?? ['*'],
        liveIds.get(v.path) ?? undefined,
      ),
    );
    removed.push(v.path);
  }
  const after = cmds.length
    ? parseServed(config, (await runChecked(host, sequenceArgv(cmds, servedArgv(config)))).stdout).map((e) => e.path)
    : [...served];
  const still = after.filter((p) => removed.includes(p));
  if (still.length > 0) throw new NfsctlError(`${host.name}: still serving ${still.join(', ')} after the freeze`);
  return removed;
}

/**
 * The write freeze with the kernel NFS server: stop it (rpc.nfsd 0). Unexporting a path
 * (exportfs -u) made kernel nfsd answer every client request on it with ESTALE for the whole
 * freeze (seen on the vm tier: ~300 errors per workload in a 60 s freeze); with the server
 * stopped, hard-mounted clients get no answer and retry until the VIP has moved: a stall,
 * not errors. Checked: no nfsd thread left. Returns the mirrored paths it was serving.
 */
export async function freezeKernelNfs(config: Config, host: Host, views: VolumeView[]): Promise<string[]> {
  const served = new Set(await servedPaths(config, host));
  await runChecked(host, serviceArgv(config, 'stop', 'nfs'), { timeoutMs: 60_000 });
  const t = await host.run(['sh', '-c', 'cat /proc/fs/nfsd/threads 2>/dev/null || echo 0']);
  if (Number(t.stdout.trim() || '0') !== 0)
    throw new NfsctlError(
      `${host.name}: nfsd still runs ${t.stdout.trim()} thread(s) after \`${serviceArgv(config, 'stop', 'nfs').join(' ')}\``,
    );
  return views.filter((v) => mirrored(v.backend) && served.has(v.path)).map((v) => v.path);
}

/** Undo of the kernel freeze, and the standby's unfreeze: start the NFS server, serve everything. */
export async function unfreezeKernelNfs(config: Config, host: Host, views: VolumeView[]): Promise<string[]> {
  const st = await host.run(serviceArgv(config, 'status', 'nfs'));
  if (st.exitCode !== 0) await runChecked(host, serviceArgv(config, 'start', 'nfs'), { timeoutMs: 120_000 });
  return ensureExports(config, host, views);
}

/**
 * Serve every nfsctl volume both hosts serve (mirrored copies, shared storage such as CephFS)
 * that is configured on `host` and not served now.
 */
export async function ensureExports(config: Config, host: Host, views: VolumeView[]): Promise<string[]> {
  const role = host.name as PairRole;
  // the kernel re-reads its whole exports file at once; ganesha adds each missing export
  const servedBefore = new Set(await servedPaths(config, host));
  const missingBefore = views
    .filter((x) => bothHostsServe(x.backend) && x.hosts[role]?.configured && !servedBefore.has(x.path))
    .map((v) => v.identity);
  // nothing missing, nothing run: the kernel's `exportfs -ra` would also re-read lines that
  // are not the mirrored volumes' (a DRBD line this host kept from before a crash) and fail on them
  if (missingBefore.length > 0)
    for (const argv of exporterOf(config).serveArgvs(config, missingBefore)) await runChecked(host, argv);
  const served = new Set(await servedPaths(config, host));
  const missing = views
    .filter((x) => bothHostsServe(x.backend) && x.hosts[role]?.configured && !served.has(x.path))
    .map((v) => v.path);
  if (missing.length > 0) throw new NfsctlError(`${host.name}: not serving ${missing.join(', ')}`);
  return [...served];
}

export async function waitVip(
  config: Config,
  hosts: Record<PairRole, Host>,
  want: PairRole,
  timeoutMs: number,
): Promise<number> {
  const t0 = Date.now();
  const other = peerOf(want);
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    const [a, b] = await Promise.all([
      vipState(config, want, hosts[want], 3000),
      vipState(config, other, hosts[other], 3000),
    ]);
    if (a.holds === true && b.holds === false) return Date.now() - t0;
    last = `${want}: ${a.holds ?? a.error}, ${other}: ${b.holds ?? b.error}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new NfsctlError(`the VIP did not settle on ${want} alone within ${timeoutMs} ms (${last})`);
}
