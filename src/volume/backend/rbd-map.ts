// The RBD image on the VIP holder: map and mount it, let go of it, and fence the old holder's
// mapping when the VIP moves. Used by the rbd backend's create and followVip.
//
// Devices are found through sysfs (/sys/bus/rbd/devices/<id>/{pool,name,current_snap}), not
// udev's /dev/rbd/<pool>/<image> links: a host without udev (a container, the vm lab) has no
// such link, and there `rbd map` must not wait for udev either (krbd's `noudev` option, in
// backends.rbd.mapOptions). A second map of an image already mapped here (a retried MASTER)
// reuses its device instead of mapping it twice.
//
// Fencing: the new holder blocklists the peer's watchers of the images it takes over, each
// one by its entity address (ip:port/nonce, the kernel client instance that maps them), not
// the peer's whole address: blocklisting the address would also refuse every later Ceph call
// from that host for the entry's lifetime (an hour by default), so the old holder could not
// even map the images again on a failback, nor list them. A host that let go before the new
// holder looked has no watcher left and is not fenced at all.
import type { Config, PairRole } from '../../config/schema.js';
import { peerOf } from '../../core/roles.js';
import type { Step } from '../../plan/plan.js';
import { runChecked, type Host } from '../../host/host.js';
import { addressHost, parseRbdStatus } from '../../core/ceph-json.js';
import { canonicalAddress, ipFamily } from '../../core/config-values.js';
import { NfsctlError, UsageError } from '../../core/errors.js';
import { rbdArgs } from '../inventory.js';
import type { VolumeIdentity } from '../identity.js';

/** A krbd map option (rbd map -o): `name` or `name=value`; joined with commas, so none in it. */
const MAP_OPTION = /^[a-z][a-z0-9_]*(=[A-Za-z0-9._:@/+-]+)?$/;

/** Why `o` cannot be a krbd map option, or null. */
export function mapOptionProblem(o: string): string | null {
  return MAP_OPTION.test(o)
    ? null
    : `${JSON.stringify(o)} is not a krbd map option (name or name=value: lowercase letters, digits, "_"; the value letters, digits and . _ : @ / + -)`;
}

/** The map options as rbd's `-o` takes them (`a,b`), checked again at the grammar they land in; '' for none. */
function mapOptionsWord(config: Config): string {
  const o = config.backends.rbd?.mapOptions ?? [];
  for (const x of o) {
    const p = mapOptionProblem(x);
    if (p) throw new UsageError(`backends.rbd.mapOptions: ${p}`);
  }
  return o.join(',');
}

/** `-o a,b` for rbd map/unmap, or nothing. */
export function mapOptionArgs(config: Config): string[] {
  const w = mapOptionsWord(config);
  return w ? ['-o', w] : [];
}

/** Shell function: `rbd_dev POOL IMAGE` prints /dev/rbdN of the image's mapping here (head, no namespace), or fails. */
export const RBD_DEV_FN = [
  'rbd_dev() {',
  '  for d in /sys/bus/rbd/devices/*; do',
  '    [ -r "$d/name" ] || continue',
  '    [ "$(cat "$d/pool")" = "$1" ] && [ "$(cat "$d/name")" = "$2" ] && [ "$(cat "$d/current_snap")" = - ] || continue',
  '    if [ -r "$d/pool_ns" ] && [ -n "$(cat "$d/pool_ns")" ]; then continue; fi',
  '    echo "/dev/rbd${d##*/}"; return 0',
  '  done',
  '  return 1',
  '}',
].join('\n');

/**
 * argv of a shell that maps the image (or finds its mapping here), then runs `script` with
 * the device in $dev and the volume's path in $path.
 */
export function withMappedArgv(config: Config, image: string, path: string, script: string): string[] {
  const r = config.backends.rbd!;
  return [
    'sh',
    '-ec',
    `${RBD_DEV_FN}
pool=$1 image=$2 opts=$3 path=$4; shift 4
dev=$(rbd_dev "$pool" "$image") || dev=$(rbd "$@" map \${opts:+-o "$opts"} "$pool/$image")
${script}`,
    'nfsctl-rbd-map',
    r.pool,
    image,
    mapOptionsWord(config),
    path,
    ...rbdArgs(config),
  ];
}

/** argv: unmap the image here; exit 0, or 22 when it is not mapped (nothing to do). */
export function unmapArgv(config: Config, image: string): string[] {
  return ['rbd', ...rbdArgs(config), 'unmap', ...mapOptionArgs(config), `${config.backends.rbd!.pool}/${image}`];
}

/** argv: unmount the path, then unmap the image (an undo of a map and mount). */
export function unmountUnmapArgv(config: Config, image: string, path: string): string[] {
  return ['sh', '-c', 'path=$1; shift; umount "$path"; "$@"', 'nfsctl-rbd-unmap', path, ...unmapArgv(config, image)];
}

/** MASTER: map the image and mount it at the volume's path (one step: the device is this host's). */
export function mapMountStep(config: Config, role: PairRole, v: VolumeIdentity, path: string, id: string): Step {
  const image = `${config.backends.rbd!.pool}/${v.image}`;
  return {
    id,
    host: role,
    title: `map ${image} and mount it at ${path}`,
    action: {
      kind: 'run',
      // the mount point too: a host rebuilt or booted from an image may lack it
      argv: withMappedArgv(config, v.image, path, 'mkdir -p -- "$path"; mount -t xfs "$dev" "$path"'),
      timeoutMs: 300_000,
      summary: `rbd map ${image} (unless mapped here); mkdir -p ${path}; mount -t xfs <its /dev/rbdN> ${path}`,
    },
    undo: {
      title: `unmount ${path} and unmap ${image}`,
      action: {
        kind: 'run',
        argv: unmountUnmapArgv(config, v.image, path),
      },
    },
  };
}

/** Is `watcherHost` (from a watcher's address) one of the peer's addresses? */
function isPeer(watcherHost: string, peerIps: Set<string>): boolean {
  return ipFamily(watcherHost) !== null && peerIps.has(canonicalAddress(watcherHost));
}

/** The peer's IP addresses: its configured address, resolved on `host` when it is a name. */
async function peerIps(host: Host, address: string): Promise<Set<string>> {
  if (ipFamily(address) !== null) return new Set([canonicalAddress(address)]);
  const r = await host.run(['getent', 'ahosts', address], { timeoutMs: 10_000 });
  const ips = r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((a) => ipFamily(a) !== null)
    .map(canonicalAddress);
  if (!ips.length)
    throw new Error(`cannot resolve the peer's address ${address} on this host (getent ahosts): not fencing blindly`);
  return new Set(ips);
}

/** The entity addresses (as `ceph osd blocklist add` takes them) of the peer's watchers of these images. */
const V4 = String.raw`(?:\d{1,3}\.){3}\d{1,3}`;
const V6 = String.raw`\[[0-9A-Fa-f:.]+\]`;
const INSTANCE_RE = new RegExp(`^(?:${V4}|${V6}):\\d{1,5}/\\d{1,10}$`);

/**
 * A watcher address as it goes into `ceph osd blocklist add`: one client instance, `ip:port/nonce`
 * (the `v1:`/`v2:` prefix already gone). Anything else (no nonce, a `:0/0` that would fence the
 * whole address, spaces, a leading dash ceph's parser would read as an option) is refused: the
 * peer's mapping could then not be fenced, and mapping the image beside it would mount one XFS
 * twice.
 */
export function watcherInstance(addr: string, peer: string): string {
  if (!INSTANCE_RE.test(addr) || /:0\/0$/.test(addr))
    throw new NfsctlError(
      `rbd status names a watcher of ${peer} as ${JSON.stringify(addr)}, not one client instance (ip:port/nonce): not fencing by it, and so not mapping the image here`,
    );
  return addr;
}

export async function peerWatchers(
  config: Config,
  host: Host,
  peerAddress: string,
  images: string[],
): Promise<string[]> {
  const ips = await peerIps(host, peerAddress);
  const out = new Set<string>();
  for (const image of images) {
    const r = await runChecked(host, [
      'rbd',
      ...rbdArgs(config),
      'status',
      '--format',
      'json',
      `${config.backends.rbd!.pool}/${image}`,
    ]);
    for (const w of parseRbdStatus(r.stdout).watchers)
      if (isPeer(addressHost(w.address), ips))
        out.add(watcherInstance(w.address.replace(/^(v1|v2|any):/, ''), peerAddress));
  }
  return [...out].sort();
}

/** MASTER: blocklist the peer's mappings of the images taken over (see the top of this file). */
export function fencePeerStep(config: Config, role: PairRole, images: string[]): Step {
  const peerRole = peerOf(role);
  const peerAddress = config.hosts[peerRole].address;
  return {
    id: `${role}:fence`,
    host: role,
    title: `fence ${peerRole}'s mappings of the images, if any (ceph osd blocklist add <each watcher from ${peerAddress}>)`,
    action: {
      kind: 'fn',
      describe: `rbd status of ${images.length} image(s); ceph osd blocklist add <each watcher address of ${peerAddress}>`,
      fn: async (h) => {
        for (const a of await peerWatchers(config, h, peerAddress, images))
          await runChecked(h, ['ceph', ...rbdArgs(config), 'osd', 'blocklist', 'add', a]);
      },
    },
    undo: null,
    noUndoReason: 'a blocklist entry expires by itself (the fenced instance is gone for good)',
  };
}
