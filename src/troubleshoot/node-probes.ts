// Probes run ON the client node (this host, or --from over SSH): can it reach rpcbind,
// mountd and nfs on the VIP over tcp and udp, and can it really mount, write and read.
// Every command is wrapped in `timeout -k 1 N`: rpcinfo/showmount/mount ignore signals
// other than KILL, and a dead server must never hang the node.
import type { Host } from '../host/host.js';

export type PortState = 'open' | 'refused' | 'silent' | 'error';

export interface PortProbe {
  service: string;
  port: number;
  proto: 'tcp' | 'udp';
  state: PortState;
  detail: string;
  ms: number;
}

// --foreground: signal only the command, never timeout's own process group (over SSH that
// group is the session, and killing it would look like a lost host).
const T = (secs: number, argv: string[]) => ['timeout', '--foreground', '-k', '1', String(secs), ...argv];

/** TCP connect from the node: open, refused (RST / icmp-port-unreachable) or silent (DROP). */
async function tcp(
  node: Host,
  addr: string,
  port: number,
  secs: number,
): Promise<{ state: PortState; ms: number; detail: string }> {
  const r = await node.run(T(secs, ['bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'nfsctl-probe', addr, String(port)]), {
    timeoutMs: (secs + 3) * 1000,
  });
  const state: PortState =
    r.exitCode === 0
      ? 'open'
      : r.exitCode === 124 || r.exitCode === 137 || r.timedOut
        ? 'silent'
        : /refused/i.test(r.stderr)
          ? 'refused'
          : /unreachable|no route/i.test(r.stderr)
            ? 'refused'
            : 'error';
  return { state, ms: r.durationMs, detail: r.stderr.trim().split('\n').pop() ?? '' };
}

/** UDP has no handshake: ask rpcbind/the program itself with rpcinfo over udp. */
async function udp(
  node: Host,
  addr: string,
  prog: string,
  vers: string,
  secs: number,
): Promise<{ state: PortState; ms: number; detail: string }> {
  const r = await node.run(T(secs, ['rpcinfo', '-u', addr, prog, vers]), { timeoutMs: (secs + 3) * 1000 });
  const text = (r.stdout + r.stderr).trim();
  const state: PortState =
    r.exitCode === 0
      ? 'open'
      : r.exitCode === 124 || r.exitCode === 137 || r.timedOut || /timed out/i.test(text)
        ? 'silent'
        : /refused|unreachable/i.test(text)
          ? 'refused'
          : 'error';
  return { state, ms: r.durationMs, detail: text.split('\n').pop() ?? '' };
}

export async function probePorts(node: Host, addr: string, secs: number): Promise<PortProbe[]> {
  const specs: [string, number, string, string][] = [
    ['rpcbind', 111, 'portmapper', '2'],
    ['mountd', 20048, 'mountd', '3'],
    ['nfs', 2049, 'nfs', '3'],
  ];
  const all = await Promise.all(
    specs.flatMap(([service, port, prog, vers]) => [
      tcp(node, addr, port, secs).then((r) => ({ service, port, proto: 'tcp' as const, ...r })),
      udp(node, addr, prog, vers, secs).then((r) => ({ service, port, proto: 'udp' as const, ...r })),
    ]),
  );
  return all;
}

export interface TrialMount {
  method: 'kernel' | 'libnfs' | 'none';
  ok: boolean;
  steps: string[];
  error?: string;
  /** Where a failed trial stopped: the mount itself, the probe write, or reading it back. */
  stage?: 'mount' | 'write' | 'read';
  udpNote?: string;
  ms: number;
}

/** The stage a failed trial stopped at, from the steps it got through. */
export function failedStage(steps: readonly string[]): 'mount' | 'write' | 'read' {
  const last = steps.at(-1) ?? '';
  return /^(write|nfs-cp)/.test(last) ? 'write' : /^(read|nfs-cat)/.test(last) ? 'read' : 'mount';
}

/**
 * Mount (kernel client when the node has one, else the libnfs tools), write a probe file,
 * read it back, remove it, unmount: all under hard timeouts.
 */
export const PROBE_PREFIX = '.nfsctl-probe-';

/**
 * What NFS client the node has: `kernel` (nfs in /proc/filesystems, or a module modprobe can
 * load: a node that never mounted NFS has not loaded it yet, and mount(8) loads it itself),
 * `mount.nfs`, `libnfs`.
 */
export const NFS_CLIENT_CAPS =
  '{ grep -qw nfs /proc/filesystems || modprobe -n -q nfs 2>/dev/null; } && echo kernel; [ -x /sbin/mount.nfs ] && echo mount.nfs; command -v nfs-cp >/dev/null && echo libnfs; true';

export async function trialMount(
  node: Host,
  vip: string,
  path: string,
  secs: number,
  probeName = `${PROBE_PREFIX}${Date.now()}-${process.pid}`,
): Promise<TrialMount> {
  const started = Date.now();
  const caps = await node.run(['sh', '-c', NFS_CLIENT_CAPS]);
  // A fresh name each time (nfs-cp cannot overwrite); the caller removes it on the server,
  // since libnfs-utils has no nfs-rm.
  const probe = probeName;
  const payload = `nfsctl trial mount ${new Date().toISOString()}`;
  if (caps.stdout.includes('kernel') && caps.stdout.includes('mount.nfs')) {
    const script = [
      'set -e',
      'vip=$1 path=$2 secs=$3 probe=$4 payload=$5',
      'dir=$(mktemp -d /tmp/nfsctl-trial.XXXXXX)',
      // a plain umount first: it tells mountd (UMNT), so the server's rmtab does not keep us;
      // force+lazy only when the server is gone
      'cleanup() { timeout -k 1 "$secs" umount "$dir" 2>/dev/null || timeout -k 1 "$secs" umount -f -l "$dir" 2>/dev/null; rmdir "$dir" 2>/dev/null; }',
      'trap cleanup EXIT',
      'echo "mount -t nfs -o vers=3,proto=tcp,timeo=50,retrans=1,soft $vip:$path"',
      'timeout -k 1 "$secs" mount -t nfs -o vers=3,proto=tcp,timeo=50,retrans=1,soft,retry=0 "$vip:$path" "$dir"',
      'echo "write $probe"; printf "%s" "$payload" > "$dir/$probe"',
      'echo "read back"; got=$(cat "$dir/$probe"); [ "$got" = "$payload" ] || { echo "read back differs: $got" >&2; exit 5; }',
      'rm -f "$dir/$probe"',
      // mount's complaint kept in a variable, not a file under a fixed name in /tmp
      'if err=$(timeout -k 1 "$secs" mount -t nfs -o vers=3,proto=udp,retry=0 "$vip:$path" "$dir" 2>&1 >/dev/null); then echo "udp ok"; timeout -k 1 "$secs" umount "$dir"; else echo "udp failed: $err" | tr "\\n" " "; echo; fi',
    ].join('\n');
    const r = await node.run(['sh', '-c', script, 'nfsctl-trial', vip, path, String(secs), probe, payload], {
      timeoutMs: (secs * 4 + 5) * 1000,
    });
    const steps = r.stdout.trim().split('\n').filter(Boolean);
    const udpLine = steps.find((s) => s.startsWith('udp failed'));
    const res: TrialMount = {
      method: 'kernel',
      ok: r.exitCode === 0,
      steps: steps.filter((s) => !s.startsWith('udp')),
      ms: Date.now() - started,
    };
    if (r.exitCode !== 0) res.stage = failedStage(res.steps);
    if (r.exitCode !== 0)
      res.error =
        r.exitCode === 124
          ? `timed out after ${secs}s (${steps.at(-1) ?? 'mount'})`
          : r.stderr.trim() || `exit ${r.exitCode}`;
    if (udpLine)
      res.udpNote = /not supported|EPROTONOSUPPORT|Protocol/i.test(udpLine)
        ? 'NFS over UDP is disabled in this kernel (CONFIG_NFS_DISABLE_UDP_SUPPORT); clients must use tcp'
        : udpLine;
    return res;
  }
  if (caps.stdout.includes('libnfs')) {
    // libnfs URL: nfs://server/path/file?version=3; tcp-syncnt bounds the SYN retries.
    const url = (f = '') => `nfs://${vip}${path}/${f}?version=3&tcp-syncnt=2`;
    const steps: string[] = [];
    const run = async (label: string, argv: string[], input?: string) => {
      steps.push(label);
      return node.run(T(secs, argv), { timeoutMs: (secs + 3) * 1000, ...(input !== undefined ? { input } : {}) });
    };
    const fail = (r: { exitCode: number; stderr: string; stdout: string }, what: string): TrialMount => ({
      method: 'libnfs',
      ok: false,
      steps,
      error:
        r.exitCode === 124
          ? `${what}: timed out after ${secs}s`
          : `${what}: ${(r.stderr || r.stdout).trim().split('\n').pop() || `exit ${r.exitCode}`}`,
      stage: failedStage(steps),
      ms: Date.now() - started,
    });
    const ls = await run(`nfs-ls ${url()}`, ['nfs-ls', url()]);
    if (ls.exitCode !== 0) return fail(ls, 'mount (nfs-ls)');
    // the local copy of the probe in a private directory (mktemp -d: 0700, unpredictable name)
    const wr = await run(`nfs-cp <probe> ${url(probe)}`, [
      'sh',
      '-c',
      'd=$(mktemp -d) || exit 1; printf "%s" "$1" > "$d/probe" && nfs-cp "$d/probe" "$2"; rc=$?; rm -rf -- "$d"; exit $rc',
      'nfsctl-trial',
      payload,
      url(probe),
    ]);
    if (wr.exitCode !== 0) return fail(wr, 'write (nfs-cp)');
    const rd = await run(`nfs-cat ${url(probe)}`, ['nfs-cat', url(probe)]);
    if (rd.exitCode !== 0) return fail(rd, 'read back (nfs-cat)');
    if (rd.stdout !== payload)
      return {
        method: 'libnfs',
        ok: false,
        steps,
        stage: 'read',
        error: `read back differs: ${JSON.stringify(rd.stdout.slice(0, 80))}`,
        ms: Date.now() - started,
      };
    return { method: 'libnfs', ok: true, steps, ms: Date.now() - started };
  }
  return {
    method: 'none',
    ok: false,
    steps: [],
    error: caps.stdout.includes('mount.nfs')
      ? 'mount.nfs is installed, but the kernel has no NFS client: nfs is not in /proc/filesystems and modprobe finds no nfs module (and the libnfs tools are not there either)'
      : 'the node has neither a kernel NFS client (mount.nfs) nor the libnfs tools',
    ms: Date.now() - started,
  };
}
