// The vm tier of the lab (lab/vm/vm.sh): three TCG qemu guests booting a stock Debian 6.1
// kernel — primary + backup (LVM VG vgnfs with real activation, XFS, kernel nfsd) and a client
// (kernel NFS client). This file drives the smoke scenario step by step over SSH (vm.sh exec)
// and asserts each step: LV created and active, mkfs.xfs, mounted, exported, mounted on the
// client over kernel NFSv3, content read back on both sides.
//
// Self-contained: it brings the vm tier up in beforeAll if it is not up already, and down in
// afterAll if it brought it up (unless NFSCTL_LAB_KEEP=1). It does not need the netns tier
// (its own namespaces are nfslab-vmsw / nfslab-vmctl). Skipped only when qemu with TCG is absent.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteArgv } from '../../src/host/quote.js';
import { unmountArgv } from '../../src/volume/unmount.js';
import { lostBetween, parseOps, phaseFigures, seqsIn, type Marker, type OpRecord } from './vm-drill.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VM_SH = path.join(REPO_ROOT, 'lab', 'vm', 'vm.sh');
const KEEP = process.env.NFSCTL_LAB_KEEP === '1';

const PRIMARY_IP = '198.51.100.11';
const VIP = '198.51.100.100';
const LV = 'vmtest_vol';
const DEV = `/dev/vgnfs/${LV}`;
const MAPPER = `/dev/mapper/vgnfs-${LV}`;
const EXPORT_DIR = `/nfs/${LV}`;
const EXPORTS_FILE = '/etc/exports.d/vmtest.exports';
const CLIENT_MNT = '/mnt/vmtest';
const TOKEN = `hello-from-client-${process.pid}-${Date.now()}`;
const SERVER_TOKEN = `hello-from-server-${process.pid}-${Date.now()}`;

type Guest = 'primary' | 'backup' | 'client' | 'vip';
interface Result {
  stdout: string;
  stderr: string;
  exitCode: number;
  timedOut: boolean;
  ms: number;
}

/** Run `bash lab/vm/vm.sh ARGS` with stdin closed; never throws on a non-zero exit. */
function vm(args: string[], timeoutMs = 120_000): Promise<Result> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [VM_SH, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the whole group: ssh included
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, exitCode: timedOut ? 124 : (code ?? 128), timedOut, ms: Date.now() - started });
    });
  });
}

/** Run argv in a guest over SSH (vm.sh exec quotes each argument for the remote shell). */
function guest(host: Guest, argv: string[], timeoutMs = 120_000): Promise<Result> {
  return vm(['exec', host, '--', ...argv], timeoutMs);
}
/** A shell snippet in a guest. */
function guestSh(host: Guest, script: string, timeoutMs = 120_000): Promise<Result> {
  return guest(host, ['bash', '-c', script], timeoutMs);
}

const DRILL_OUT = process.env.NFSCTL_DRILL_OUT ?? '/var/tmp/nfsctl-vm-drill.json';
/** This run of the file: the rsync drill and the DRBD drill of one run share a figures file. */
const RUN = new Date().toISOString();
function readDrillFigures(): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(DRILL_OUT, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}
/** The rsync drill's figures for bench/vm-drill.mjs (NFSCTL_DRILL_OUT, default /var/tmp/nfsctl-vm-drill.json). */
function writeDrillFigures(f: Record<string, unknown>): void {
  const prev = readDrillFigures();
  const drbd = (prev.drbd as { run?: string } | undefined)?.run === RUN ? { drbd: prev.drbd } : {};
  writeFileSync(DRILL_OUT, JSON.stringify({ time: new Date().toISOString(), run: RUN, ...f, ...drbd }, null, 2) + '\n');
}
/** The DRBD drill's figures, under `drbd` in the same file (the rsync figures there are kept). */
function writeDrbdDrillFigures(f: Record<string, unknown>): void {
  const prev = readDrillFigures();
  const out = { ...prev, drbd: { time: new Date().toISOString(), run: RUN, ...f } };
  writeFileSync(DRILL_OUT, JSON.stringify(out, null, 2) + '\n');
}

function show(what: string, r: Result): string {
  return `${what}: exit ${r.exitCode}${r.timedOut ? ' (timed out)' : ''} after ${r.ms} ms\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
/** Asserts exit 0 (showing the output otherwise) and returns stdout. */
function ok(what: string, r: Result): string {
  expect(r.exitCode, show(what, r)).toBe(0);
  return r.stdout;
}

/** The storage guests that have the VIP on eth0 (one, normally). */
async function vipOn(): Promise<string[]> {
  const out: string[] = [];
  for (const g of ['primary', 'backup'] as const) {
    const r = await guest(g, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'], 30_000);
    if (r.stdout.includes(` ${VIP}/`)) out.push(g);
  }
  return out;
}
/** The client guest's clock (the drill's markers are on the clock its logs use). */
async function clientNow(): Promise<number> {
  return Number(ok('client clock', await guest('client', ['date', '+%s.%N'])).trim());
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Undo whatever this file's scenario may have left (a failed step, an earlier aborted run). */
/**
 * Wait until the drill's client writes again (its holder's last operation, in `logs`, an ok one
 * that began after `since`, client clock) and return how long that took. A hold drops packets,
 * so the client's TCP backs off exponentially while held: moving the VIP again before it is
 * back would measure that backoff, not a move.
 */
async function clientWritesAgain(logs: string, since: number, what = 'the client'): Promise<number> {
  const t = Date.now();
  const back = await waitFor(
    async () => {
      const r = await guest('client', ['tail', '-1', `${logs}/holder.jsonl`], 30_000);
      const o = JSON.parse(r.stdout) as { ok: boolean; t0: number };
      return o.ok && o.t0 > since;
    },
    300_000,
    2000,
  );
  expect(back, `${what} writes again`).toBe(true);
  return Date.now() - t;
}

async function cleanupScenario(): Promise<void> {
  await guestSh(
    'client',
    `if grep -q ' ${CLIENT_MNT} ' /proc/mounts; then timeout 30 umount ${CLIENT_MNT} || timeout 10 umount -f -l ${CLIENT_MNT}; fi; rmdir ${CLIENT_MNT} 2>/dev/null; true`,
    90_000,
  );
  await guestSh(
    'primary',
    `rm -f ${EXPORTS_FILE}; exportfs -ra; if mountpoint -q ${EXPORT_DIR}; then umount ${EXPORT_DIR}; fi; rmdir ${EXPORT_DIR} 2>/dev/null; if lvs vgnfs/${LV} >/dev/null 2>&1; then lvremove -q -y vgnfs/${LV}; fi; true`,
    90_000,
  );
}

/** qemu-system-x86_64 with the TCG accelerator (KVM is not used: the host's /dev/kvm cannot run a stock kernel). */
function tcgQemu(): { ok: boolean; why: string } {
  const r = spawnSync('qemu-system-x86_64', ['-accel', 'help'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { ok: false, why: 'qemu-system-x86_64 not found' };
  if (!/^tcg$/m.test(r.stdout)) return { ok: false, why: 'qemu-system-x86_64 has no TCG accelerator' };
  return { ok: true, why: '' };
}

const qemu = tcgQemu();
if (!qemu.ok) {
  console.warn(`vm tier tests SKIPPED: ${qemu.why} (install the lab packages: bash lab/install-deps.sh)`);
}

describe.skipIf(!qemu.ok)(
  `vm tier: TCG guests with LVM, XFS, kernel nfsd and a kernel NFSv3 client${qemu.ok ? '' : ` — SKIPPED: ${qemu.why}`}`,
  () => {
    let startedHere = false;

    beforeAll(async () => {
      const st = await vm(['status'], 60_000);
      if (st.exitCode !== 0) {
        // nothing up or a half-built tier: `up` tears leftovers down itself. Set first, so that
        // afterAll also removes a tier whose `up` failed half-way.
        startedHere = true;
        const up = await vm(['up'], 570_000);
        expect(up.exitCode, show('vm.sh up', up)).toBe(0);
        process.stdout.write(`[vm tier] ${up.stdout.trim()} (measured ${(up.ms / 1000).toFixed(1)} s)\n`);
      } else {
        await cleanupScenario();
      }
    }, 600_000);

    afterAll(async () => {
      if (!startedHere || KEEP) {
        await cleanupScenario().catch(() => undefined);
        return;
      }
      const down = await vm(['down'], 120_000);
      expect(down.exitCode, show('vm.sh down', down)).toBe(0);
    }, 300_000);

    it('status: all three guests up and answering SSH (host keys verified)', async () => {
      const st = await vm(['status'], 60_000);
      expect(st.exitCode, show('vm.sh status', st)).toBe(0);
      for (const g of ['primary', 'backup', 'client'] as const) {
        expect(st.stdout).toMatch(new RegExp(`^${g}: up .*ssh ok`, 'm'));
        const h = await guest(g, ['hostname']);
        expect(ok(`hostname on ${g}`, h).trim()).toBe(g);
      }
      const cfg = await vm(['ssh-config']);
      expect(cfg.stdout).toContain('StrictHostKeyChecking=yes');
      expect(cfg.stdout).not.toContain('StrictHostKeyChecking=no');
    });

    it('exec passes argv through safely and returns the exit code', async () => {
      const args = ['a b', "it's", '$HOME', '`id`', 'x;y', '', '*', 'new\nline'];
      const r = await guest('client', ['printf', '[%s]\\n', ...args]);
      expect(ok('printf', r)).toBe(args.map((a) => `[${a}]\n`).join(''));
      expect((await guest('client', ['sh', '-c', 'exit 42'])).exitCode).toBe(42);
      expect((await guest('client', ['false'])).exitCode).toBe(1);
    });

    it('guests run a stock Debian 6.1 kernel with the modules the host lacks', async () => {
      const r = await guestSh('primary', 'uname -r; lsmod | awk \'{print $1}\' | grep -xE "dm_mod|nfsd|xfs" | sort');
      const [kernel, ...mods] = ok('uname/lsmod', r).trim().split('\n');
      expect(kernel).toMatch(/^6\.1\.0-\d+-amd64$/);
      expect(mods).toEqual(['dm_mod', 'nfsd', 'xfs']);
      const c = await guestSh('client', 'lsmod | awk \'{print $1}\' | grep -xE "nfs|nfsv3" | sort');
      expect(ok('client lsmod', c).trim().split('\n')).toEqual(['nfs', 'nfsv3']);
    });

    it('storage guests: vgnfs, kernel NFS server ready, nfsctl + config + labsvc', async () => {
      for (const g of ['primary', 'backup'] as const) {
        const r = await guestSh(
          g,
          [
            'set -e',
            'vgs --noheadings -o vg_name vgnfs | tr -d " "',
            'cat /proc/fs/nfsd/threads',
            'rpcinfo -p 127.0.0.1 | awk \'$5=="mountd"{print $4}\' | sort -u',
            'labsvc status nfs-kernel >/dev/null && echo nfs-kernel-running',
            'test -f /etc/exports && test -d /etc/exports.d && echo exports-ok',
            'command -v nfsctl',
            'sed -n 1p /etc/nfsctl/config.yaml',
          ].join('\n'),
        );
        const lines = ok(`storage checks on ${g}`, r).trim().split('\n');
        expect(lines[0]).toBe('vgnfs');
        expect(Number(lines[1])).toBeGreaterThan(0);
        expect(lines[2]).toBe('20048');
        expect(lines.slice(3)).toEqual(['nfs-kernel-running', 'exports-ok', '/usr/local/bin/nfsctl', `this: ${g}`]);
      }
    });

    it('labsvc: status exit 0 when running, 3 when stopped', async () => {
      expect((await guest('backup', ['labsvc', 'status', 'rsync'])).exitCode).toBe(0);
      ok('labsvc stop rsync', await guest('backup', ['labsvc', 'stop', 'rsync']));
      expect((await guest('backup', ['labsvc', 'status', 'rsync'])).exitCode).toBe(3);
      ok('labsvc start rsync', await guest('backup', ['labsvc', 'start', 'rsync']));
      expect((await guest('backup', ['labsvc', 'status', 'rsync'])).exitCode).toBe(0);
      expect((await guest('backup', ['labsvc', 'status', 'sshd'])).exitCode).toBe(0);
    });

    it('keepalived: the VIP sits on the primary (MASTER, prio 150)', async () => {
      const enabled = await guest('primary', ['labsvc', 'is-enabled', 'keepalived']);
      if (enabled.exitCode !== 0) return; // NFSCTL_LAB_VM_KEEPALIVED=0
      const onPrimary = await waitFor(async () => {
        const r = await guest('primary', ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
        return r.stdout.includes(` ${VIP}/`);
      }, 30_000);
      expect(onPrimary, 'VIP on primary').toBe(true);
      const b = await guest('backup', ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
      expect(ok('backup addr', b)).not.toContain(` ${VIP}/`);
      expect(ok('hostname via VIP', await guest('vip', ['hostname'])).trim()).toBe('primary');
    });

    it('primary: lvcreate in vgnfs gives an active LV with a device node', async () => {
      ok('lvcreate', await guest('primary', ['lvcreate', '-q', '-y', '-L', '512M', '-n', LV, 'vgnfs']));
      const r = await guest('primary', [
        'lvs',
        '--noheadings',
        '-o',
        'lv_name,lv_attr,lv_active,lv_size',
        '--units',
        'm',
        `vgnfs/${LV}`,
      ]);
      const [name, attr, active, size] = ok('lvs', r).trim().split(/\s+/);
      expect(name).toBe(LV);
      expect(attr?.[4], `lv_attr ${attr}`).toBe('a');
      expect(active).toBe('active');
      expect(size).toBe('512.00m');
      ok('device node', await guestSh('primary', `test -b ${DEV} && test -b ${MAPPER}`));
    });

    it('primary: mkfs.xfs on the LV', async () => {
      ok('mkfs.xfs', await guest('primary', ['mkfs.xfs', '-q', '-f', DEV]));
      const r = await guest('primary', ['blkid', '-o', 'value', '-s', 'TYPE', DEV]);
      expect(ok('blkid', r).trim()).toBe('xfs');
    });

    it('primary: mounted at /nfs/<name>', async () => {
      ok('mount', await guestSh('primary', `mkdir -p ${EXPORT_DIR} && mount ${DEV} ${EXPORT_DIR}`));
      const m = await guest('primary', ['cat', '/proc/mounts']);
      expect(ok('/proc/mounts', m)).toMatch(new RegExp(`^${MAPPER} ${EXPORT_DIR} xfs `, 'm'));
      ok('server file', await guestSh('primary', `echo ${SERVER_TOKEN} > ${EXPORT_DIR}/from-server.txt && sync`));
    });

    it('primary: exported via /etc/exports.d + exportfs -ra', async () => {
      ok(
        'write exports',
        await guestSh(
          'primary',
          `echo '${EXPORT_DIR} 198.51.100.0/24(rw,sync,no_root_squash,no_subtree_check)' > ${EXPORTS_FILE}`,
        ),
      );
      ok('exportfs -ra', await guest('primary', ['exportfs', '-ra']));
      const v = ok('exportfs -v', await guest('primary', ['exportfs', '-v']));
      expect(v).toMatch(new RegExp(`^${EXPORT_DIR}\\s+198\\.51\\.100\\.0/24\\(`, 'm'));
      const sm = await guest('client', ['timeout', '-k', '1', '20', 'showmount', '-e', PRIMARY_IP], 60_000);
      expect(ok('showmount -e (from the client)', sm)).toContain(EXPORT_DIR);
    });

    it('client: kernel NFSv3 mount shows in /proc/mounts', async () => {
      const r = await guestSh(
        'client',
        `mkdir -p ${CLIENT_MNT} && timeout 30 mount -t nfs -o vers=3 ${PRIMARY_IP}:${EXPORT_DIR} ${CLIENT_MNT}`,
        90_000,
      );
      ok('mount -t nfs', r);
      const line = ok('/proc/mounts', await guest('client', ['cat', '/proc/mounts']))
        .split('\n')
        .find((l) => l.startsWith(`${PRIMARY_IP}:${EXPORT_DIR} ${CLIENT_MNT} nfs `));
      expect(line, 'client NFS mount in /proc/mounts').toBeDefined();
      expect(line).toMatch(/[ ,]vers=3[ ,]/);
    });

    it('content: written on the client, read back on both sides', async () => {
      ok('client write', await guestSh('client', `echo ${TOKEN} > ${CLIENT_MNT}/hello.txt && sync`));
      expect(ok('client read', await guest('client', ['cat', `${CLIENT_MNT}/hello.txt`])).trim()).toBe(TOKEN);
      expect(ok('server read (XFS)', await guest('primary', ['cat', `${EXPORT_DIR}/hello.txt`])).trim()).toBe(TOKEN);
      expect(
        ok('client reads the server file', await guest('client', ['cat', `${CLIENT_MNT}/from-server.txt`])).trim(),
      ).toBe(SERVER_TOKEN);
    });

    // nfsctl itself on real kernels: the lvm backend end to end with the kernel NFS server
    describe('nfsctl volume lifecycle (lvm + kernel exportfs, real activation, kernel NFS client)', () => {
      const V = 'vm-a/data';
      const P = '/nfs/vm-a_data';
      const M = '/mnt/nfsctl-vm';
      const nfsctl = (args: string[], t = 300_000) => guest('primary', ['nfsctl', ...args], t);

      it('create on both guests: LV active, XFS mounted, fstab entry, exported with a stable fsid', async () => {
        await nfsctl(['volume', 'delete', V, '--yes', '--force']);
        // too small for XFS: refused before anything runs
        const small = await nfsctl(['volume', 'create', V, '--size', '96M', '--backend', 'lvm', '--yes']);
        expect(small.exitCode, show('small', small)).toBe(2);
        expect(small.stderr).toContain('XFS needs at least 300Mi');
        const r = await nfsctl([
          'volume',
          'create',
          V,
          '--size',
          '320M',
          '--backend',
          'lvm',
          '--output',
          'pv-yaml',
          '--yes',
        ]);
        expect(r.stdout, show('create', r)).toContain(`path: ${P}`);
        for (const g of ['primary', 'backup'] as const) {
          const st = ok(
            `state on ${g}`,
            await guestSh(
              g,
              `grep -c ' ${P} xfs ' /proc/mounts; grep -c 'nfsctl:${V}' /etc/fstab; exportfs -v | grep -c '${P}'; lvs --noheadings -o lv_active vgnfs/pv.vm-a.data`,
            ),
          );
          expect(st.trim().split(/\s+/), g).toEqual(['1', '1', '1', 'active']);
        }
        const fsids = await Promise.all(
          (['primary', 'backup'] as const).map(
            async (g) => ok('exportfs', await guest(g, ['exportfs', '-v'])).match(/fsid=([0-9a-f-]+)/)?.[1],
          ),
        );
        expect(fsids[0]).toBeTruthy();
        expect(fsids[0]).toBe(fsids[1]);
      });

      it('the client mounts it over kernel NFSv3 through the VIP, writes and reads', async () => {
        ok(
          'mount',
          await guestSh(
            'client',
            `mkdir -p ${M} && timeout 60 mount -t nfs -o vers=3,proto=tcp ${VIP}:${P} ${M} && echo ${TOKEN} > ${M}/t && sync && cat ${M}/t`,
            90_000,
          ),
        );
        expect(ok('server side', await guest('primary', ['cat', `${P}/t`])).trim()).toBe(TOKEN);
      });

      it('troubleshoot-mount finds no cause and trial-mounts with the kernel client', async () => {
        const r = await nfsctl(['troubleshoot-mount', V, '--from', 'client', '--json']);
        const d = JSON.parse(r.stdout);
        expect(d.causeFound, r.stdout).toBe(false);
        expect(d.findings.find((f: { id: string }) => f.id === 'trial-mount').title).toContain('(kernel)');
      });

      it('grows on both guests (lvextend + xfs_growfs) and the client sees the new size', async () => {
        const r = await nfsctl(['volume', 'resize', V, '--size', '400M', '--yes']);
        expect(r.exitCode, show('resize', r)).toBe(0);
        for (const g of ['primary', 'backup'] as const) {
          const size = Number(
            ok('df', await guest(g, ['df', '-B1M', '--output=size', P]))
              .trim()
              .split('\n')[1],
          );
          expect(size, g).toBeGreaterThan(300); // a 320M XFS shows ~256M in df, 400M ~336M
        }
        const c = Number(
          ok('client df', await guest('client', ['df', '-B1M', '--output=size', M]))
            .trim()
            .split('\n')[1],
        );
        expect(c).toBeGreaterThan(300);
      });

      it('delete unexports, unmounts, drops fstab and removes the LV on both guests', async () => {
        ok('client umount', await guest('client', ['timeout', '30', 'umount', M], 60_000));
        const r = await nfsctl(['volume', 'delete', V, '--yes']);
        expect(r.exitCode, show('delete', r)).toBe(0);
        for (const g of ['primary', 'backup'] as const) {
          const st = await guestSh(
            g,
            `grep -c ' ${P} ' /proc/mounts; grep -c 'nfsctl:${V}' /etc/fstab; lvs vgnfs/pv.vm-a.data >/dev/null 2>&1 && echo lv || echo nolv`,
          );
          expect(st.stdout.trim().split(/\s+/), g).toEqual(['0', '0', 'nolv']);
        }
      });
    });

    // HA on the seed's own layout: one LV per volume mounted at /nfs/<namespace>_<name>, /nfs a
    // plain directory. Sync, refusals by volume, then the kernel-client drill: a planned
    // switchover, failback, an unplanned failure of the primary (its link cut) and recovery,
    // with a kernel NFSv3 client (tcp, hard) writing and listing through the VIP all along.
    describe('HA per volume (lvm, kernel nfsd) and the kernel-client drill', () => {
      const A = { id: 'ha-a/one', path: '/nfs/ha-a_one' };
      const B = { id: 'ha-b/two', path: '/nfs/ha-b_two' };
      const CM = '/mnt/drill';
      const LOGS = '/tmp/drill';
      const DRILL_DIR = `${CM}/drill`;
      const nfsctlOn = (g: 'primary' | 'backup', args: string[], t = 600_000) => guest(g, ['nfsctl', ...args], t);
      const listing = async (g: 'primary' | 'backup', p: string) =>
        ok(
          `listing ${g}:${p}`,
          await guestSh(
            g,
            `cd ${p} && find . -xdev -type f ! -path './drill/*' -printf '%P %s\\n' | LC_ALL=C sort | sha256sum`,
          ),
        );
      const markers: Marker[] = [];
      const mark = async (name: string) => void markers.push({ name, t: await clientNow() });
      const cutPrimary =
        'iptables -w -I INPUT 1 -j DROP && iptables -w -I INPUT 1 -i lo -j ACCEPT && iptables -w -I INPUT 1 -s 198.51.100.5 -j ACCEPT && iptables -w -I OUTPUT 1 -j DROP && iptables -w -I OUTPUT 1 -o lo -j ACCEPT && iptables -w -I OUTPUT 1 -d 198.51.100.5 -j ACCEPT';
      const figures: Record<string, unknown> = {};

      beforeAll(async () => {
        await guestSh(
          'client',
          `touch ${LOGS}/stop 2>/dev/null; pkill -f '[d]rill-client.py'; pkill -x fio; sleep 1; if grep -q ' ${CM} ' /proc/mounts; then timeout 30 umount ${CM} || umount -f -l ${CM}; fi; rm -rf ${LOGS}; true`,
          90_000,
        );
        await guestSh(
          'primary',
          'iptables -w -F INPUT; iptables -w -F OUTPUT; labsvc enable keepalived; labsvc status keepalived >/dev/null || labsvc start keepalived; true',
        );
        for (const g of ['primary', 'backup'] as const)
          await guestSh(
            g,
            'rm -f /var/lib/nfsctl/failback.json /var/lib/nfsctl/switchover.json; nfsctl lock break --yes >/dev/null 2>&1; true',
            120_000,
          );
        await waitFor(async () => (await vipOn()).join() === 'primary', 60_000);
        // volumes an aborted run left behind (cheap check first: an nfsctl run costs ~10-30 s here)
        for (const v of [A, B]) {
          const lv = `pv.${v.id.replace('/', '.')}`;
          const present = await Promise.all(
            (['primary', 'backup'] as const).map(async (g) => (await guest(g, ['lvs', `vgnfs/${lv}`])).exitCode === 0),
          );
          if (present.some(Boolean)) await nfsctlOn('primary', ['volume', 'delete', v.id, '--yes', '--force']);
        }
      }, 900_000);

      it(
        'two LVM volumes created with nfsctl; sync mirrors each (deleting what only the backup had)',
        { timeout: 1_500_000 },
        async () => {
          for (const v of [A, B]) {
            const r = await nfsctlOn('primary', [
              'volume',
              'create',
              v.id,
              '--size',
              '320M',
              '--backend',
              'lvm',
              '--yes',
            ]);
            expect(r.exitCode, show(`create ${v.id}`, r)).toBe(0);
          }
          ok('/nfs is a plain directory', await guestSh('primary', '! mountpoint -q /nfs && ! mountpoint -q /nfs -d'));
          ok(
            'seed data',
            await guestSh(
              'primary',
              `for i in $(seq 1 20); do head -c 20000 /dev/urandom > ${A.path}/s$i; done; mkdir -p ${B.path}/d && echo two > ${B.path}/d/f && sync`,
            ),
          );
          ok('backup-only file', await guestSh('backup', `echo stale > ${A.path}/only-on-backup`));
          const dry = await nfsctlOn('backup', ['sync', '--dry-run']);
          expect(dry.exitCode, show('sync --dry-run', dry)).toBe(0);
          expect(dry.stdout).toContain('*deleting ha-a_one/only-on-backup');
          expect(dry.stdout).toMatch(/ha-a\/one: 20 to copy, 1 to delete/);
          const t0 = Date.now();
          const r = await nfsctlOn('backup', ['sync', '--yes', '--json']);
          figures.syncMs = Date.now() - t0;
          expect(r.exitCode, show('sync', r)).toBe(0);
          const rec = JSON.parse(r.stdout).sync;
          expect(rec).toMatchObject({ ok: true, direction: 'primary->backup', deleted: 1 });
          expect(rec.volumes).toEqual([A.id, B.id]);
          for (const v of [A, B]) expect(await listing('backup', v.path), v.id).toBe(await listing('primary', v.path));
          expect((await guest('backup', ['test', '-e', `${A.path}/only-on-backup`])).exitCode).toBe(1);
        },
      );

      it(
        'a volume unmounted on the backup is refused by name; nothing is copied or deleted; --skip-unready goes on with the others',
        { timeout: 1_200_000 },
        async () => {
          ok(
            'umount on backup',
            await guestSh('backup', `umount ${B.path} && echo under > ${B.path}/under-the-mount-point`),
          );
          ok(
            'new data on primary',
            await guestSh('primary', `echo new > ${A.path}/new-a && echo new > ${B.path}/new-b && sync`),
          );
          try {
            const r = await nfsctlOn('backup', ['sync', '--yes']);
            expect(r.exitCode, show('sync', r)).toBe(4);
            expect(r.stderr).toContain(`ha-b/two: ${B.path} is not mounted on backup`);
            expect(r.stderr).toContain('--skip-unready');
            expect((await guest('backup', ['test', '-e', `${A.path}/new-a`])).exitCode, 'a/one not copied either').toBe(
              1,
            );
            const sw = await nfsctlOn('primary', ['switchover', '--dry-run']);
            expect(sw.exitCode, show('switchover --dry-run', sw)).toBe(4);
            expect(sw.stderr).toContain(`ha-b/two: ${B.path} is not mounted on backup`);
            const skip = await nfsctlOn('backup', ['sync', '--yes', '--skip-unready']);
            expect(skip.exitCode, show('sync --skip-unready', skip)).toBe(4); // partial: says so in the exit code
            expect(skip.stderr).toContain(`skipped: ha-b/two: ${B.path} is not mounted on backup`);
            expect(ok('new-a copied', await guest('backup', ['cat', `${A.path}/new-a`])).trim()).toBe('new');
            // nothing deleted or written under the absent mount
            expect(ok('under the mount point', await guestSh('backup', `ls ${B.path}`)).trim()).toBe(
              'under-the-mount-point',
            );
          } finally {
            await guestSh(
              'backup',
              `rm -f ${B.path}/under-the-mount-point; mountpoint -q ${B.path} || mount ${B.path}`,
            );
          }
          ok('mounted again', await guestSh('backup', `findmnt -rn -o SOURCE --mountpoint ${B.path}`));
        },
      );

      it(
        'THE DRILL: planned switchover and failback, a cut primary, recovery; kernel NFSv3 client through the VIP',
        { timeout: 2_400_000 },
        async () => {
          ok(
            'client mount',
            await guestSh(
              'client',
              `rm -rf ${LOGS} && mkdir -p ${CM} ${LOGS} && timeout 60 mount -t nfs -o vers=3,proto=tcp,hard ${VIP}:${A.path} ${CM} && mkdir -p ${DRILL_DIR}/fio`,
              120_000,
            ),
          );
          // a cold python3 over 9p under TCG can take well over 3 s to start: wait for its marker (up to 2 min)
          ok(
            'start workloads',
            await guestSh(
              'client',
              `cd / && (setsid python3 ${REPO_ROOT}/lab/vm/drill-client.py ${DRILL_DIR} ${LOGS} </dev/null >${LOGS}/client.out 2>&1 &) && (setsid fio --name=verify --directory=${DRILL_DIR}/fio --nrfiles=2 --size=2M --bs=4k --rw=randwrite --ioengine=psync --fsync=1 --verify=crc32c --verify_backlog=8 --rate_iops=5 --time_based --runtime=3600 --continue_on_error=all --output-format=json --output=${LOGS}/fio.json </dev/null >${LOGS}/fio.out 2>&1 &) && i=0; while [ ! -e ${LOGS}/started ] && [ $i -lt 240 ]; do sleep 0.5; i=$((i+1)); done; test -e ${LOGS}/started || { cat ${LOGS}/client.out; exit 1; }`,
              180_000,
            ),
          );
          await new Promise((r) => setTimeout(r, 8000));

          await mark('switchover');
          let t0 = Date.now();
          const sw = await nfsctlOn('primary', ['switchover', '--yes', '--json'], 1_200_000);
          figures.switchoverMs = Date.now() - t0;
          expect(sw.exitCode, show('switchover', sw)).toBe(0);
          expect(await vipOn()).toEqual(['backup']);
          await new Promise((r) => setTimeout(r, 10_000));

          await mark('failback');
          t0 = Date.now();
          const fb = await nfsctlOn('primary', ['failback', '--yes', '--json'], 1_200_000);
          figures.failbackMs = Date.now() - t0;
          expect(fb.exitCode, show('failback', fb)).toBe(0);
          expect(await vipOn()).toEqual(['primary']);
          await new Promise((r) => setTimeout(r, 10_000));

          // the last good sync before the crash: what the client wrote after it may be lost
          await mark('sync-then-crash');
          const lastSync = markers[markers.length - 1]!.t;
          const s = await nfsctlOn('backup', ['sync', '--yes'], 1_200_000);
          expect(s.exitCode, show('sync', s)).toBe(0);
          await new Promise((r) => setTimeout(r, 8000));
          const crashAt = await clientNow();
          ok('cut the primary off (only the control host reaches it)', await guestSh('primary', cutPrimary));
          expect(
            await waitFor(
              async () =>
                (await guest('backup', ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout.includes(` ${VIP}/`),
              60_000,
            ),
          ).toBe(true);
          await new Promise((r) => setTimeout(r, 12_000));

          // recovery as the operator does it: keep the stale primary out of the VIP, reconnect, fail back
          await mark('recovery');
          ok(
            'primary keepalived stop',
            await guestSh('primary', 'labsvc stop keepalived; iptables -w -F INPUT; iptables -w -F OUTPUT'),
          );
          t0 = Date.now();
          const rc = await nfsctlOn('primary', ['failback', '--yes', '--json'], 1_200_000);
          figures.recoveryFailbackMs = Date.now() - t0;
          expect(rc.exitCode, show('failback after the crash', rc)).toBe(0);
          expect(await vipOn()).toEqual(['primary']);
          await new Promise((r) => setTimeout(r, 8000));
          const end = await clientNow();

          ok('stop workloads', await guestSh('client', `touch ${LOGS}/stop; pkill -INT -x fio; sleep 6; true`, 60_000));
          const ops: OpRecord[] = [];
          for (const w of ['holder', 'reopen', 'lister'])
            ops.push(...parseOps(ok(`${w} log`, await guest('client', ['cat', `${LOGS}/${w}.jsonl`]))));
          const finalFiles = {
            holder: seqsIn(
              ok('holder.log on the primary', await guest('primary', ['cat', `${A.path}/drill/holder.log`])),
              'holder',
            ),
            reopen: seqsIn(
              ok('reopen.log on the primary', await guest('primary', ['cat', `${A.path}/drill/reopen.log`])),
              'reopen',
            ),
          };
          const phases = phaseFigures(ops, markers, end, finalFiles);
          const fio = await guest('client', ['cat', `${LOGS}/fio.json`]);
          let fioFig: Record<string, unknown> = { ran: false };
          try {
            const j = JSON.parse(fio.stdout.slice(fio.stdout.indexOf('{')));
            const job = j.jobs[0];
            fioFig = {
              ran: true,
              totalErr: job.error,
              writeIos: job.write.total_ios,
              verifyErrors: /verify/i.test((await guest('client', ['cat', `${LOGS}/fio.out`])).stdout),
            };
          } catch {
            fioFig = { ran: false, output: (await guest('client', ['tail', '-5', `${LOGS}/fio.out`])).stdout };
          }
          const crashLost = lostBetween(
            ops,
            'reopen',
            finalFiles.reopen,
            lastSync,
            markers.find((m) => m.name === 'recovery')!.t,
          );
          const ackedSinceSync = ops.filter(
            (o) => o.w === 'reopen' && o.ok && o.t1 >= lastSync && o.t1 < crashAt + 1,
          ).length;
          Object.assign(figures, {
            phases,
            fio: fioFig,
            crash: {
              reopenLost: crashLost.length,
              reopenAckedBetweenLastSyncAndCrash: ackedSinceSync,
              secondsFromLastSyncStartToCrash: Math.round(crashAt - lastSync),
            },
          });
          process.stdout.write(`[vm drill] ${JSON.stringify(figures)}\n`);
          writeDrillFigures(figures);
          const fig = (p: string, w: string) => phases.find((x) => x.phase === p && x.workload === w)!;

          // what an rsync copy promises (README, `volume show`): path-based access resumes after
          // a planned move with nothing acknowledged lost; a process holding a file open gets
          // I/O errors from the first move on and must be restarted
          for (const p of ['switchover', 'failback']) {
            expect(fig(p, 'reopen').lost, `${p}: reopen writer lost acknowledged writes`).toBe(0);
            expect(fig(p, 'reopen').resumed, `${p}: reopen writer resumed`).toBe(true);
            expect(fig(p, 'lister').resumed, `${p}: lister resumed`).toBe(true);
          }
          expect(
            fig('switchover', 'holder').errors,
            'the holding writer gets errors after the switchover',
          ).toBeGreaterThan(0);
          expect(fig('switchover', 'holder').lost).toBe(0);
          // nothing acknowledged before the last good sync is lost, whatever happened after it
          expect(lostBetween(ops, 'reopen', finalFiles.reopen, 0, lastSync)).toEqual([]);
          // the crash loses at most what was acknowledged since the last good sync
          expect(crashLost.length).toBeLessThanOrEqual(ackedSinceSync + 2);
          expect(fig('recovery', 'reopen').resumed, 'reopen writer resumed after recovery').toBe(true);
          expect(fig('recovery', 'reopen').lost).toBe(0);
        },
      );

      afterAll(async () => {
        await guestSh(
          'client',
          `touch ${LOGS}/stop; pkill -f '[d]rill-client.py'; pkill -x fio; sleep 1; if grep -q ' ${CM} ' /proc/mounts; then timeout 30 umount ${CM} || umount -f -l ${CM}; fi; true`,
          90_000,
        ).catch(() => undefined);
        await guestSh(
          'primary',
          'iptables -w -F INPUT; iptables -w -F OUTPUT; labsvc enable keepalived; labsvc status keepalived >/dev/null || labsvc start keepalived; true',
        ).catch(() => undefined);
        await waitFor(async () => (await vipOn()).join() === 'primary', 60_000).catch(() => undefined);
        for (const v of [A, B])
          await nfsctlOn('primary', ['volume', 'delete', v.id, '--yes', '--force']).catch(() => undefined);
      }, 900_000);
    });

    // Day one on an existing pair (issue 17): a volume made the way the old provisioning service
    // made it (an untagged LV mounted at /nfs/{namespace}{name}, its fstab entry, a line in
    // /etc/exports without fsid=, a crontab rsync on the backup), mounted by the kernel NFSv3
    // client through the VIP with a process holding a file open and fsync-ing: adopted with no
    // EIO and no remount; afterwards list and resize work on it.
    describe('adopt an old-style volume under a kernel NFS client (volume adopt)', () => {
      const D = '/nfs/legacyweb';
      const CM = '/mnt/adopt';
      const nfsctlOn = (args: string[], t = 600_000) => guest('primary', ['nfsctl', ...args], t);
      // unexport first: nfsd keeps an exported filesystem busy
      const teardown = [
        `sed -i '\\#^${D} #d' /etc/exports; [ -f /etc/exports.d/nfsctl.exports ] && sed -i '\\#^${D} #d' /etc/exports.d/nfsctl.exports; exportfs -ra; exportfs -f`,
        `if mountpoint -q ${D}; then umount ${D} || { sleep 2; umount ${D}; }; fi`,
        `sed -i -e '/^# nfsctl:legacy\\/web$/d' -e '\\# ${D} #d' /etc/fstab`,
        'if lvs vgnfs/legacyweb >/dev/null 2>&1; then lvremove -q -y vgnfs/legacyweb; fi',
        `rmdir ${D} 2>/dev/null; rm -f /etc/cron.d/nfs-sync; true`,
      ].join('\n');
      const clientStop = `touch /tmp/adopt/stop 2>/dev/null; pkill -f '[h]eld.py'; sleep 1; if grep -q ' ${CM} ' /proc/mounts; then timeout 30 umount ${CM} || umount -f -l ${CM}; fi; true`;
      const clientLog = async () =>
        ok('writer log', await guest('client', ['cat', '/tmp/adopt/log']))
          .split('\n')
          .filter(Boolean);
      const mountId = async () =>
        ok('mountinfo', await guestSh('client', `awk '$5=="${CM}"{print $1}' /proc/self/mountinfo`)).trim();
      const served = async (g: 'primary' | 'backup') =>
        ok('exportfs -v', await guestSh(g, `exportfs -v | grep -A1 '^${D}'`))
          .replace(/\s+/g, ' ')
          .trim();
      const servedBefore: Record<string, string> = {};
      let id0 = '';

      beforeAll(async () => {
        await guestSh('client', clientStop, 90_000);
        for (const g of ['primary', 'backup'] as const) {
          ok(`teardown on ${g}`, await guestSh(g, teardown, 120_000));
          expect(
            (await guest(g, ['lvs', 'vgnfs/legacyweb'])).exitCode,
            `${g}: a leftover vgnfs/legacyweb is gone`,
          ).not.toBe(0);
        }
        // the old service's layout, on both hosts
        for (const g of ['primary', 'backup'] as const) {
          const r = await guestSh(
            g,
            [
              'set -e',
              'lvcreate -q -y -L 320M -n legacyweb vgnfs >/dev/null',
              'mkfs.xfs -q /dev/vgnfs/legacyweb',
              `mkdir -p ${D}`,
              `echo '/dev/vgnfs/legacyweb ${D} xfs defaults 0 0' >> /etc/fstab`,
              `mount ${D} && chmod 0777 ${D}`,
              `echo '${D} 198.51.100.0/24(rw,sync,no_root_squash,no_subtree_check)' >> /etc/exports`,
              'exportfs -ra',
              ...(g === 'backup'
                ? ["echo '*/15 * * * * root rsync -a --delete 198.51.100.11::nfs/ /nfs/' > /etc/cron.d/nfs-sync"]
                : []),
            ].join('\n'),
            180_000,
          );
          ok(`old-style fixture on ${g}`, r);
          servedBefore[g] = await served(g);
          expect(servedBefore[g]).not.toContain('fsid=');
        }
        // the kernel client: NFSv3 tcp hard mount through the VIP, one file held open, fsync per write
        const c = await guestSh(
          'client',
          [
            'set -e',
            `mkdir -p ${CM} /tmp/adopt && rm -f /tmp/adopt/stop /tmp/adopt/log`,
            `mount -t nfs -o vers=3,proto=tcp,hard,timeo=50 ${VIP}:${D} ${CM}`,
            "cat > /tmp/adopt/held.py <<'PY'",
            'import os, sys, time',
            'f = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)',
            "log = open('/tmp/adopt/log', 'a', buffering=1)",
            'n = 0',
            "while not os.path.exists('/tmp/adopt/stop'):",
            '    try:',
            "        os.write(f, b'%d\\n' % n); os.fsync(f); log.write('ok %d\\n' % n)",
            '    except OSError as e:',
            "        log.write('ERR %d %s\\n' % (n, e))",
            '    n += 1',
            '    time.sleep(0.2)',
            'os.close(f)',
            "log.write('closed\\n')",
            'PY',
            `setsid nohup python3 /tmp/adopt/held.py ${CM}/held.log >/dev/null 2>&1 </dev/null &`,
          ].join('\n'),
          120_000,
        );
        ok('client mount + writer', c);
        expect(await waitFor(async () => (await clientLog()).length > 3, 120_000), 'the writer runs').toBe(true);
        id0 = await mountId();
        expect(id0).toMatch(/^\d+$/);
      }, 900_000);

      // (volume list showing it as unmanaged, and the refusals: test/lab/adopt.test.ts on the netns tier; one nfsctl run here costs ~60 s)
      it("volume adopt: tags, fstab marker, the same export line in nfsctl's file; the client sees no EIO and no remount", async () => {
        const before = (await clientLog()).length;
        const r = await nfsctlOn(['volume', 'adopt', 'legacy/web', '--path', D, '--yes']);
        expect(ok('volume adopt', r)).toContain(
          'adopted legacy/web: /nfs/legacyweb (LV legacyweb, no fsid, as before)',
        );
        for (const g of ['primary', 'backup'] as const) {
          const st = ok(
            `state on ${g}`,
            await guestSh(
              g,
              `lvs --noheadings -o lv_tags vgnfs/legacyweb | tr -d ' ' | cut -d, -f1; grep -c '^${D} ' /etc/exports || true; grep '^${D} ' /etc/exports.d/nfsctl.exports; grep -B1 ' ${D} ' /etc/fstab`,
            ),
          )
            .trim()
            .split('\n');
          expect(st).toEqual([
            'nfsctl',
            '0',
            `${D} 198.51.100.0/24(rw,sync,no_root_squash,no_subtree_check) # nfsctl:legacy/web`,
            '# nfsctl:legacy/web',
            `/dev/vgnfs/legacyweb ${D} xfs defaults 0 0`,
          ]);
          // what the kernel serves is exactly what it served before (no fsid appeared)
          expect(await served(g)).toBe(servedBefore[g]);
        }
        // the held file kept working through the adoption: more writes, none failed, same mount
        expect(await waitFor(async () => (await clientLog()).length > before + 5, 60_000)).toBe(true);
        const log = await clientLog();
        expect(log.filter((l) => l.startsWith('ERR'))).toEqual([]);
        expect(await mountId()).toBe(id0);
      });

      it("afterwards list shows it as nfsctl's (its own LV and path, no drift) and resize grows it on both hosts", async () => {
        const doc = JSON.parse(ok('volume list --json', await nfsctlOn(['volume', 'list', '--json']))) as {
          volumes: { id: string; path: string; drift: string[]; fsid: string | null; sizeBytes: number }[];
          unmanaged: { path: string }[];
        };
        expect(doc.volumes.find((v) => v.id === 'legacy/web')).toMatchObject({
          path: D,
          drift: [],
          fsid: null,
          sizeBytes: 320 * 2 ** 20,
        });
        expect(doc.unmanaged.map((u) => u.path)).not.toContain(D);
        ok('volume resize', await nfsctlOn(['volume', 'resize', 'legacy/web', '--size', '400M', '--yes']));
        for (const g of ['primary', 'backup'] as const) {
          expect(
            ok(
              `lvs on ${g}`,
              await guest(g, ['lvs', '--noheadings', '--units', 'b', '--nosuffix', '-o', 'lv_size', 'vgnfs/legacyweb']),
            ).trim(),
          ).toBe(String(400 * 2 ** 20));
          expect(ok(`xfs_info on ${g}`, await guest(g, ['xfs_info', D]))).toMatch(/agcount=5\b/);
        }
        ok(
          'client stops the writer',
          await guestSh(
            'client',
            `touch /tmp/adopt/stop; for i in $(seq 1 100); do grep -q closed /tmp/adopt/log && break; sleep 0.3; done; grep -q closed /tmp/adopt/log`,
            90_000,
          ),
        );
        const log = await clientLog();
        expect(log.filter((l) => l.startsWith('ERR'))).toEqual([]);
        expect(await mountId()).toBe(id0);
        // the file holds every acknowledged write, in order
        const n = log.filter((l) => l.startsWith('ok ')).length;
        const content = ok('held.log', await guest('client', ['cat', `${CM}/held.log`]))
          .trim()
          .split('\n');
        expect(content.length).toBe(n);
        expect(content.every((x, i) => x === String(i))).toBe(true);
      });

      afterAll(async () => {
        await guestSh('client', clientStop, 90_000).catch(() => undefined);
        for (const g of ['primary', 'backup'] as const) await guestSh(g, teardown, 120_000).catch(() => undefined);
      }, 300_000);
    });

    it('cleanup: client umount, unexport, umount, lvremove', async () => {
      ok('client umount', await guest('client', ['timeout', '30', 'umount', CLIENT_MNT], 60_000));
      expect(ok('client mounts', await guest('client', ['cat', '/proc/mounts']))).not.toContain(` ${CLIENT_MNT} `);
      ok('unexport', await guestSh('primary', `rm -f ${EXPORTS_FILE} && exportfs -ra`));
      expect(ok('exportfs -v', await guest('primary', ['exportfs', '-v']))).not.toContain(EXPORT_DIR);
      ok('server umount', await guestSh('primary', `umount ${EXPORT_DIR} && rmdir ${EXPORT_DIR}`));
      ok('lvremove', await guest('primary', ['lvremove', '-q', '-y', `vgnfs/${LV}`]));
      expect((await guest('primary', ['lvs', `vgnfs/${LV}`])).exitCode).not.toBe(0);
    });

    // DRBD (issue 16): an LVM volume replicated block for block by DRBD (protocol C), made by
    // `nfsctl volume create --backend lvm --replication drbd`, mounted and exported only on the
    // VIP holder. The kernel-client drill's workloads on an NFSv3 tcp hard mount through the VIP
    // while the pair does a planned switchover, a failback, a crash of the primary (its qemu
    // SIGKILLed: the backup takes over by itself through keepalived's notify hook), the primary
    // booted again (DRBD resyncs it) and the failback. Goal per event: no client error (the same
    // blocks, so the same file handles: even a writer holding its file open goes on), no
    // acknowledged write lost; the stall is measured (bench/RESULTS.md), not asserted.
    // Runs last: the crash reboots the primary, which forgets what is not on its persistent disk.
    describe('DRBD volume (lvm --replication drbd) and the kernel-client drill', () => {
      // The drill's events take ~20 min of TCG time, so CI runs only the create proof and the mp
      // check; NFSCTL_LAB_DRBD_DRILL=1 runs the rest. Last run (2026-12-03, issue 16's note): all
      // six passed, 0 client errors and 0 acknowledged writes lost on every event
      // (bench/RESULTS.md).
      const drillIt = it.runIf(process.env.NFSCTL_LAB_DRBD_DRILL === '1');
      const D = { id: 'drbd-a/x', path: '/nfs/drbd-a_x', lv: 'pv.drbd-a.x' };
      const CM = '/mnt/drbd';
      const LOGS = '/tmp/drbd-drill';
      const DIR = `${CM}/drill`;
      const NFSCTL_PATH = '/usr/local/bin/nfsctl';
      const KA_CONF = '/etc/keepalived/keepalived.conf';
      const nfsctlOn = (g: 'primary' | 'backup', args: string[], t = 900_000) => guest(g, ['nfsctl', ...args], t);
      const markers: Marker[] = [];
      const mark = async (name: string) => void markers.push({ name, t: await clientNow() });
      const figures: Record<string, unknown> = {};
      let RES = '';
      /** The resource nfsctl made for D: the file whose ownership mark names the volume. */
      const findResource = async (g: 'primary' | 'backup') => {
        const r = await guestSh(
          g,
          `grep -l -x '# nfsctl: managed resource for ${D.id}; do not edit' /etc/drbd.d/*.res 2>/dev/null | head -1`,
        );
        return r.stdout
          .trim()
          .replace(/^.*\//, '')
          .replace(/\.res$/, '');
      };
      interface Side {
        cs: string;
        ro: string;
        ds: string;
        oos: number | null;
        mounted: boolean;
        /** Served by the kernel: listed by exportfs -v, and not an `mp` line whose path is unmounted. */
        exported: boolean;
        /** Listed with `mountpoint` (mp) while the path is not mounted: the kernel serves nothing. */
        inert: boolean;
      }
      /** /proc/drbd's line for the resource, whether the path is mounted and exported (one SSH run). */
      const side = async (g: 'primary' | 'backup'): Promise<Side | null> => {
        const r = await guestSh(
          g,
          `m=$(drbdadm sh-minor ${RES} 2>/dev/null) && grep -A1 "^ *$m: " /proc/drbd; mountpoint -q ${D.path} && echo MOUNTED; l=$(exportfs -v | grep -A1 '^${D.path}[[:space:]]'); if [ -n "$l" ]; then if echo "$l" | grep -q mountpoint && ! mountpoint -q ${D.path}; then echo INERT; else echo EXPORTED; fi; fi; true`,
          30_000,
        );
        const m = /cs:(\S+) ro:(\S+) ds:(\S+)/.exec(r.stdout);
        if (!m) return null;
        const oos = /oos:(\d+)/.exec(r.stdout);
        return {
          cs: m[1]!,
          ro: m[2]!,
          ds: m[3]!,
          oos: oos ? Number(oos[1]) : null,
          mounted: r.stdout.includes('MOUNTED'),
          exported: r.stdout.includes('EXPORTED'),
          inert: r.stdout.includes('INERT'),
        };
      };
      /**
       * The hook's record of its last run on `g` once it is of `state` and newer than `sinceMs`
       * (written when the run ends, a moment after its last step); the last one read otherwise.
       */
      const transitionRecord = async (g: 'primary' | 'backup', state: string, sinceMs: number) => {
        let rec: { state?: string; time?: string; done?: string[]; errors?: string[] } = {};
        await waitFor(
          async () => {
            const r = await guest(g, ['cat', '/var/lib/nfsctl/vrrp/last.json'], 30_000);
            rec = r.exitCode === 0 ? JSON.parse(r.stdout) : {};
            return rec.state === state && Date.parse(rec.time ?? '') >= sinceMs - 5000;
          },
          120_000,
          1000,
        );
        return rec;
      };
      const serving = async (g: 'primary' | 'backup') => {
        const s = await side(g);
        return !!s && s.ro.startsWith('Primary/') && s.ds.startsWith('UpToDate/') && s.mounted && s.exported;
      };
      const idle = async (g: 'primary' | 'backup') => {
        const s = await side(g);
        return !!s && s.ro.startsWith('Secondary/') && !s.mounted && !s.exported;
      };
      /** Does `g` drop NFS traffic to the VIP (nfsctl's hold: the standby, or a move under way)? */
      const holds = async (g: 'primary' | 'backup') =>
        (await guestSh(g, 'iptables -w -S INPUT | grep -c nfsctl-vip-hold; true', 30_000)).stdout.trim() !== '0';
      const inSync = async () => {
        const s = await side('backup');
        return !!s && s.cs === 'Connected' && s.ds === 'UpToDate/UpToDate';
      };
      const clientStop = `touch ${LOGS}/stop 2>/dev/null; pkill -f '[d]rill-client.py'; pkill -x fio; sleep 1; if grep -q ' ${CM} ' /proc/mounts; then timeout 30 umount ${CM} || umount -f -l ${CM}; fi; true`;

      beforeAll(async () => {
        await guestSh('client', clientStop, 90_000);
        for (const g of ['primary', 'backup'] as const) {
          // a primary an aborted run left killed is booted again
          if ((await guest(g, ['true'], 30_000)).exitCode !== 0) ok(`start ${g}`, await vm(['start', g], 600_000));
          await guestSh(
            g,
            'iptables -w -F INPUT; iptables -w -F OUTPUT; labsvc enable keepalived; labsvc status keepalived >/dev/null || labsvc start keepalived; rm -f /var/lib/nfsctl/failback.json /var/lib/nfsctl/switchover.json; rm -rf /var/lib/nfsctl/freshness; nfsctl lock break --yes >/dev/null 2>&1; true',
            120_000,
          );
        }
        await waitFor(async () => (await vipOn()).join() === 'primary', 90_000);
        if ((await guest('primary', ['lvs', `vgnfs/${D.lv}`])).exitCode === 0)
          await nfsctlOn('primary', ['volume', 'delete', D.id, '--yes', '--force']);
        // the notify hook: DRBD volumes follow the VIP through it (a crash has nobody else to promote)
        const inst = await nfsctlOn('primary', ['ha', 'install', '--nfsctl-path', NFSCTL_PATH, '--replace', '--yes']);
        expect(inst.exitCode, show('ha install', inst)).toBe(0);
        for (const g of ['primary', 'backup'] as const)
          expect(
            ok(`keepalived.conf on ${g}`, await guest(g, ['cat', '/etc/keepalived/keepalived.conf'])),
            `${g}: the notify hook`,
          ).toContain('notify "/etc/keepalived/nfsctl-notify"');
        for (const g of ['primary', 'backup'] as const)
          expect(
            ok(
              `the notify wrapper on ${g}`,
              await guestSh(g, 'stat -c %a /etc/keepalived/nfsctl-notify; tail -1 /etc/keepalived/nfsctl-notify'),
            ),
          ).toBe(`755\nexec setsid -w ${NFSCTL_PATH} ha notify "$@"\n`);
        // keepalived reads it at its next reload (ha install does not restart keepalived)
        for (const g of ['primary', 'backup'] as const)
          ok(`reload keepalived on ${g}`, await guest(g, ['labsvc', 'reload', 'keepalived']));
        expect(await waitFor(async () => (await vipOn()).join() === 'primary', 90_000), 'VIP on the primary').toBe(
          true,
        );
      }, 1_500_000);

      it(
        'create: an LV and a DRBD resource on each host, Connected and UpToDate without a sync, XFS mounted and exported on the VIP holder only',
        { timeout: 900_000 },
        async () => {
          const t0 = Date.now();
          const r = await nfsctlOn('primary', [
            'volume',
            'create',
            D.id,
            '--size',
            '1G',
            '--backend',
            'lvm',
            '--replication',
            'drbd',
            '--yes',
          ]);
          figures.createMs = Date.now() - t0;
          expect(r.exitCode, show('volume create --replication drbd', r)).toBe(0);
          RES = await findResource('primary');
          expect(RES, 'a resource file with the mark on the primary').not.toBe('');
          expect(await findResource('backup'), 'the same resource file on the backup').toBe(RES);
          const files = await Promise.all(
            (['primary', 'backup'] as const).map(async (g) =>
              ok(`res on ${g}`, await guestSh(g, `stat -c %a /etc/drbd.d/${RES}.res; cat /etc/drbd.d/${RES}.res`)),
            ),
          );
          expect(files[0]).toBe(files[1]);
          expect(files[0]!.split('\n')[0]).toBe('600');
          expect(files[0]).toMatch(/protocol\s+C/);
          // a resync after a crash is not held back by client writes (bench/RESULTS.md)
          expect(files[0]).toMatch(/disk \{\s*c-min-rate 0;\s*\}/);
          const p = await side('primary');
          const b = await side('backup');
          expect(p, 'primary').toMatchObject({
            cs: 'Connected',
            ro: 'Primary/Secondary',
            ds: 'UpToDate/UpToDate',
            mounted: true,
            exported: true,
          });
          expect(b, 'backup').toMatchObject({
            cs: 'Connected',
            ro: 'Secondary/Primary',
            ds: 'UpToDate/UpToDate',
            mounted: false,
            exported: false,
          });
          // holder-only: the standby has no exports line for it, so exportfs -ra works there
          const lines = async (g: 'primary' | 'backup') =>
            (await guestSh(g, `grep -c '^${D.path} ' /etc/exports.d/nfsctl.exports 2>/dev/null; true`)).stdout.trim();
          expect(await lines('primary'), 'exports line on the holder').toBe('1');
          // served only while mounted (mp): after a crash the holder keeps this line, and booted
          // again it must not serve the bare mount point under the volume's fsid
          expect(
            ok('exports line', await guestSh('primary', `grep '^${D.path} ' /etc/exports.d/nfsctl.exports`)),
          ).toMatch(/\(([^)]*,)?mp,/);
          expect(await lines('backup'), 'no exports line on the standby').toMatch(/^0?$/);
          ok('exportfs -ra on the standby', await guest('backup', ['exportfs', '-ra']));
          expect(ok('fs', await guest('primary', ['findmnt', '-rn', '-o', 'SOURCE,FSTYPE', D.path])).trim()).toMatch(
            /^\/dev\/drbd\d+ xfs$/,
          );
          const list = JSON.parse(
            ok('volume list --json', await nfsctlOn('primary', ['volume', 'list', '--json'])),
          ) as {
            volumes: { id: string; backend: string }[];
          };
          expect(list.volumes.find((v) => v.id === D.id)?.backend).toBe('drbd');
        },
      );

      it('mp on a real kernel: an mp export of a bare directory serves nothing (the client mount is refused); once a filesystem is mounted there it is served; without mp the bare directory is served', async () => {
        // on the backup, away from nfsctl's files: a tmpfs (exportable with an fsid, unlike the
        // guests' overlay root) stands for the root filesystem that holds the mount point
        const P = '/srv/mp-probe';
        const FILE = '/etc/exports.d/mp-probe.exports';
        const line = (opts: string) =>
          `echo '${P}/vol 198.51.100.21(rw,sync,no_subtree_check,${opts}fsid=5b1d3c1e-0000-4000-8000-00000000a11a)' >${FILE} && exportfs -ra`;
        const tryMount = async () => {
          const r = await guestSh(
            'client',
            `mkdir -p /mnt/mp-probe && timeout 60 mount -t nfs -o vers=3,proto=tcp,soft,timeo=50,retrans=1 198.51.100.12:${P}/vol /mnt/mp-probe && { ls /mnt/mp-probe; umount /mnt/mp-probe; }`,
            120_000,
          );
          return { ok: r.exitCode === 0, out: `${r.stdout}${r.stderr}` };
        };
        try {
          ok(
            'probe dirs',
            await guestSh(
              'backup',
              `umount ${P}/vol 2>/dev/null; umount ${P} 2>/dev/null; mkdir -p ${P} && mount -t tmpfs -o size=8m tmpfs ${P} && mkdir ${P}/vol && touch ${P}/vol/BARE-DIRECTORY && ${line('mp,')}`,
            ),
          );
          const refused = await tryMount();
          expect(refused.ok, `mp, nothing mounted: the mount is refused\n${refused.out}`).toBe(false);
          expect(refused.out).not.toContain('BARE-DIRECTORY');
          ok(
            'mount a filesystem there',
            await guestSh(
              'backup',
              `mount -t tmpfs -o size=8m tmpfs ${P}/vol && touch ${P}/vol/VOLUME && exportfs -ra`,
            ),
          );
          const served = await tryMount();
          expect(served.ok, `mp, mounted: served\n${served.out}`).toBe(true);
          expect(served.out).toContain('VOLUME');
          ok(
            'unexport, unmount, the line again without mp',
            // unexported first, then nfsctl's own retried unmount, as its BACKUP transition does: a
            // plain umount right after exportfs -ra failed "target is busy" here once (nfsd's export
            // cache still held the mount), which is what the retry with exportfs -f is for
            await guestSh(
              'backup',
              `rm -f ${FILE} && exportfs -ra && ${quoteArgv(unmountArgv(`${P}/vol`, ['exportfs', '-f']))} && ${line('')}`,
            ),
          );
          const bare = await tryMount();
          expect(bare.ok, `no mp: the bare directory is served\n${bare.out}`).toBe(true);
          expect(bare.out).toContain('BARE-DIRECTORY');
        } finally {
          await guestSh('client', 'umount -f /mnt/mp-probe 2>/dev/null; true');
          await guestSh(
            'backup',
            `rm -f ${FILE}; exportfs -ra; umount ${P}/vol 2>/dev/null; umount ${P} 2>/dev/null; rmdir ${P} 2>/dev/null; true`,
          );
        }
      });

      it(
        "the VIP leaves the primary (its priority lowered below the backup's, keepalived reloaded) while the backup is a SyncTarget: the primary lets go; the backup's MASTER waits for the resync, then promotes, mounts and serves the primary's data; the primary's priority back, it takes the VIP back",
        { timeout: 1_200_000 },
        async () => {
          expect(RES, 'the volume was created').not.toBe('');
          expect(await serving('primary'), 'the primary serves').toBe(true);
          expect(await waitFor(inSync, 120_000, 2000), 'Connected and UpToDate').toBe(true);
          // a divergence the backup must resync: written on the primary while the backup is cut
          // off, the resync paused on the backup so it is still under way when the VIP arrives
          ok('disconnect the backup', await guest('backup', ['drbdadm', 'disconnect', RES]));
          const sum = ok(
            'write 32 MiB on the primary',
            await guestSh(
              'primary',
              `head -c 32M /dev/urandom > ${D.path}/while-cut && sync && md5sum < ${D.path}/while-cut`,
              120_000,
            ),
          ).trim();
          try {
            ok(
              'reconnect, resync paused',
              await guestSh('backup', `drbdadm pause-sync ${RES} && drbdadm connect ${RES}`),
            );
            expect(
              await waitFor(async () => (await side('backup'))?.cs === 'PausedSyncT', 60_000, 1000),
              'the backup is the paused SyncTarget',
            ).toBe(true);
            expect(await side('backup')).toMatchObject({ ds: 'Inconsistent/UpToDate' });

            const t0 = Date.now();
            // a transition keepalived makes while it runs (BACKUP: the backup's priority is higher),
            // not a stop: keepalived ends the hook it starts at its stop before nfsctl runs (README)
            ok(
              'lower the priority on the primary',
              await guestSh(
                'primary',
                `cp ${KA_CONF} /tmp/keepalived.conf.prio && sed -i 's/^  priority 150$/  priority 50/' ${KA_CONF} && grep -q '^  priority 50$' ${KA_CONF} && labsvc reload keepalived`,
              ),
            );
            expect(
              await waitFor(async () => (await vipOn()).join() === 'backup', 60_000, 1000),
              'VIP on the backup',
            ).toBe(true);
            expect(await waitFor(async () => idle('primary'), 120_000, 2000), 'the primary let go (BACKUP)').toBe(true);
            const letGoRec = await transitionRecord('primary', 'BACKUP', t0);
            expect(letGoRec, 'the BACKUP transition ran, without errors').toMatchObject({
              state: 'BACKUP',
              errors: [],
            });
            figures.letGoMs = Date.now() - t0;
            // the backup's MASTER run waits (its own step), nothing promoted, mounted or exported yet
            expect(
              await waitFor(
                async () =>
                  (
                    await guestSh('backup', 'pgrep -f "[n]fsctl-drbd-resync-wait" >/dev/null && echo W; true')
                  ).stdout.includes('W'),
                120_000,
                1000,
              ),
              "the backup's MASTER waits for the resync",
            ).toBe(true);
            expect(await side('backup'), 'not promoted while resyncing').toMatchObject({
              ro: 'Secondary/Secondary',
              mounted: false,
              exported: false,
            });
            const t1 = Date.now();
            ok('resume the resync', await guest('backup', ['drbdadm', 'resume-sync', RES]));
            expect(await waitFor(async () => serving('backup'), 240_000, 2000), 'the backup serves').toBe(true);
            figures.resumedToServingMs = Date.now() - t1;
            const rec = await transitionRecord('backup', 'MASTER', t0);
            expect(rec, 'MASTER on the backup, without errors').toMatchObject({ state: 'MASTER', errors: [] });
            expect((rec.done ?? []).some((d) => d.startsWith(`wait for the resync of ${RES}`))).toBe(true);
            expect(
              ok('the data written while cut', await guestSh('backup', `md5sum < ${D.path}/while-cut`)).trim(),
              'the backup serves what the primary wrote',
            ).toBe(sum);
          } finally {
            await guest('backup', ['drbdadm', 'resume-sync', RES]).catch(() => undefined);
            await guestSh(
              'primary',
              `if [ -e /tmp/keepalived.conf.prio ]; then cp /tmp/keepalived.conf.prio ${KA_CONF} && rm /tmp/keepalived.conf.prio && labsvc reload keepalived; fi`,
            ).catch(() => undefined);
          }
          // its priority back, the primary preempts: it takes the VIP back and serves, the backup lets go
          expect(await waitFor(async () => serving('primary'), 240_000, 2000), 'the primary serves again').toBe(true);
          expect(await waitFor(async () => idle('backup'), 120_000, 2000), 'the backup let go').toBe(true);
          expect(await vipOn()).toEqual(['primary']);
          ok('clean up', await guest('primary', ['rm', '-f', `${D.path}/while-cut`]));
          console.log(
            `resync wait (TCG): the primary let go in ${figures.letGoMs} ms; served by the backup ${figures.resumedToServingMs} ms after the resync resumed`,
          );
        },
      );

      it(
        "keepalived stopped on the VIP holder: keepalived starts the hook with STOP and sends it SIGTERM at once; nfsctl's wrapper lets the hand-over finish (unexport, unmount, demote), the backup promotes and serves; keepalived started again, the primary takes the VIP back",
        { timeout: 900_000 },
        async () => {
          expect(RES, 'the volume was created').not.toBe('');
          expect(await waitFor(async () => serving('primary'), 120_000, 2000), 'the primary serves').toBe(true);
          expect(await waitFor(inSync, 120_000, 2000), 'Connected and UpToDate').toBe(true);
          const t0 = Date.now();
          try {
            ok('stop keepalived on the primary', await guest('primary', ['labsvc', 'stop', 'keepalived']));
            expect(
              await waitFor(async () => (await vipOn()).join() === 'backup', 60_000, 1000),
              'VIP on the backup',
            ).toBe(true);
            const stopRec = await transitionRecord('primary', 'STOP', t0);
            expect(stopRec, 'the STOP run finished, without errors').toMatchObject({ state: 'STOP', errors: [] });
            expect(await idle('primary'), 'the primary let go').toBe(true);
            expect(await waitFor(async () => serving('backup'), 240_000, 2000), 'the backup serves').toBe(true);
            figures.keepalivedStopToServingMs = Date.now() - t0;
            expect(await transitionRecord('backup', 'MASTER', t0)).toMatchObject({ state: 'MASTER', errors: [] });
          } finally {
            await guestSh('primary', 'labsvc status keepalived >/dev/null || labsvc start keepalived').catch(
              () => undefined,
            );
          }
          expect(await waitFor(async () => serving('primary'), 240_000, 2000), 'the primary serves again').toBe(true);
          expect(await waitFor(async () => idle('backup'), 120_000, 2000), 'the backup let go').toBe(true);
          console.log(
            `keepalived stopped on the holder (TCG): the backup served ${figures.keepalivedStopToServingMs} ms after the stop`,
          );
        },
      );

      drillIt(
        'THE DRBD DRILL: switchover, failback, the primary crashed (qemu killed) and booted again, failback; kernel NFSv3 client through the VIP',
        { timeout: 2_400_000 },
        async () => {
          expect(RES, 'the volume was created').not.toBe('');
          ok(
            'client mount',
            await guestSh(
              'client',
              `rm -rf ${LOGS} && mkdir -p ${CM} ${LOGS} && timeout 60 mount -t nfs -o vers=3,proto=tcp,hard ${VIP}:${D.path} ${CM} && mkdir -p ${DIR}/fio`,
              120_000,
            ),
          );
          ok(
            'start workloads',
            await guestSh(
              'client',
              `cd / && (setsid python3 ${REPO_ROOT}/lab/vm/drill-client.py ${DIR} ${LOGS} </dev/null >${LOGS}/client.out 2>&1 &) && (setsid fio --name=verify --directory=${DIR}/fio --nrfiles=2 --size=2M --bs=4k --rw=randwrite --ioengine=psync --fsync=1 --verify=crc32c --verify_backlog=8 --rate_iops=5 --time_based --runtime=3600 --continue_on_error=all --output-format=json --output=${LOGS}/fio.json </dev/null >${LOGS}/fio.out 2>&1 &) && i=0; while [ ! -e ${LOGS}/started ] && [ $i -lt 240 ]; do sleep 0.5; i=$((i+1)); done; test -e ${LOGS}/started || { cat ${LOGS}/client.out; exit 1; }`,
              180_000,
            ),
          );
          await pause(6000);

          await mark('switchover');
          let t0 = Date.now();
          const sw = await nfsctlOn('primary', ['switchover', '--yes', '--json']);
          figures.switchoverMs = Date.now() - t0;
          expect(sw.exitCode, show('switchover', sw)).toBe(0);
          expect(await vipOn()).toEqual(['backup']);
          expect(await serving('backup'), 'the backup serves after the switchover').toBe(true);
          expect(await idle('primary'), 'the primary is Secondary, unmounted, unexported').toBe(true);
          expect(await holds('backup'), 'the new holder released its hold').toBe(false);
          expect(await holds('primary'), 'the standby holds NFS traffic to the VIP').toBe(true);
          await pause(6000);

          await mark('failback');
          t0 = Date.now();
          const fb = await nfsctlOn('primary', ['failback', '--yes', '--json']);
          figures.failbackMs = Date.now() - t0;
          expect(fb.exitCode, show('failback', fb)).toBe(0);
          expect(await vipOn()).toEqual(['primary']);
          expect(await serving('primary'), 'the primary serves after the failback').toBe(true);
          expect(await idle('backup')).toBe(true);
          expect(await holds('primary'), 'the primary released its hold').toBe(false);
          expect(await holds('backup'), 'the backup, standby again, holds').toBe(true);
          await pause(6000);

          // the crash: the primary's qemu killed mid-write; the backup takes over by itself
          await mark('crash');
          const crashAt = Date.now();
          ok('kill the primary', await vm(['kill', 'primary'], 60_000));
          const tookOver = await waitFor(
            async () => (await serving('backup')) && (await vipOn()).join() === 'backup',
            180_000,
            1000,
          );
          figures.takeoverMs = Date.now() - crashAt;
          expect(
            await waitFor(async () => !(await holds('backup')), 60_000, 1000),
            'the notify hook released the hold once it served',
          ).toBe(true);
          if (!tookOver) {
            const ka = await guestSh(
              'backup',
              'tail -30 /var/log/keepalived.log; cat /var/lib/nfsctl/vrrp/last.json; cat /proc/drbd',
            );
            expect(tookOver, `the backup took over by itself\n${ka.stdout}\n${ka.stderr}`).toBe(true);
          }
          // the clients go on by themselves: every workload completes an op started after the kill
          // (TCP backs off while the hold drops its retransmits, so this comes after the release)
          const crashT = markers[markers.length - 1]!.t;
          const resumedAll = async () => {
            const r = await guestSh('client', `for w in holder reopen lister; do tail -n 1 ${LOGS}/$w.jsonl; done`);
            try {
              const last = parseOps(r.stdout);
              return last.length === 3 && last.every((o) => o.ok && o.t0 > crashT);
            } catch {
              return false; // a line half written
            }
          };
          const resumed = await waitFor(resumedAll, 300_000, 2000);
          figures.crashResumeMs = Date.now() - crashAt;
          expect(resumed, 'the workloads go on after the takeover').toBe(true);
          await pause(8000);

          // the primary boots again out of the VIP (keepalived not started: the operator fails back);
          // DRBD reconnects and resyncs it from the backup by itself
          await mark('restart');
          t0 = Date.now();
          ok('start the primary again', await vm(['start', 'primary', '--no-keepalived'], 600_000));
          figures.primaryBootMs = Date.now() - t0;
          const synced = await waitFor(inSync, 300_000, 1000);
          figures.resyncAfterBootMs = Date.now() - t0 - (figures.primaryBootMs as number);
          expect(synced, `resync after the reboot: ${JSON.stringify(await side('backup'))}`).toBe(true);
          // it kept its exports line (it crashed while it held the volume): mp leaves it inert
          const booted = await side('primary');
          expect(booted, 'the booted primary is Secondary and serves nothing').toMatchObject({
            ro: expect.stringMatching(/^Secondary\//),
            mounted: false,
            exported: false,
          });
          expect(await serving('backup'), 'the backup still serves').toBe(true);
          await pause(4000);

          await mark('recovery');
          t0 = Date.now();
          const rc = await nfsctlOn('primary', ['failback', '--yes', '--json']);
          figures.recoveryFailbackMs = Date.now() - t0;
          expect(rc.exitCode, show('failback after the crash', rc)).toBe(0);
          expect(await vipOn()).toEqual(['primary']);
          expect(await serving('primary')).toBe(true);
          await pause(6000);
          const end = await clientNow();

          ok('stop workloads', await guestSh('client', `touch ${LOGS}/stop; pkill -INT -x fio; sleep 6; true`, 60_000));
          const ops: OpRecord[] = [];
          for (const w of ['holder', 'reopen', 'lister'])
            ops.push(...parseOps(ok(`${w} log`, await guest('client', ['cat', `${LOGS}/${w}.jsonl`]))));
          const finalFiles = {
            holder: seqsIn(
              ok('holder.log on the primary', await guest('primary', ['cat', `${D.path}/drill/holder.log`])),
              'holder',
            ),
            reopen: seqsIn(
              ok('reopen.log on the primary', await guest('primary', ['cat', `${D.path}/drill/reopen.log`])),
              'reopen',
            ),
          };
          const phases = phaseFigures(ops, markers, end, finalFiles);
          const fio = await guest('client', ['cat', `${LOGS}/fio.json`]);
          let fioFig: Record<string, unknown> = { ran: false };
          try {
            const j = JSON.parse(fio.stdout.slice(fio.stdout.indexOf('{')));
            const job = j.jobs[0];
            fioFig = {
              ran: true,
              totalErr: job.error,
              writeIos: job.write.total_ios,
              verifyErrors: /verify/i.test((await guest('client', ['cat', `${LOGS}/fio.out`])).stdout),
            };
          } catch {
            fioFig = { ran: false, output: (await guest('client', ['tail', '-5', `${LOGS}/fio.out`])).stdout };
          }
          Object.assign(figures, { phases, fio: fioFig });
          process.stdout.write(`[vm drbd drill] ${JSON.stringify(figures)}\n`);
          writeDrbdDrillFigures(figures);

          // what DRBD promises: the same blocks on both hosts, so every workload, even one holding
          // its file open, goes on through every move and the crash; nothing acknowledged is lost
          for (const p of phases) {
            expect(p.errors, `${p.phase}/${p.workload}: client errors ${JSON.stringify(p.errnos)}`).toBe(0);
            if (p.lost !== null) expect(p.lost, `${p.phase}/${p.workload}: acknowledged writes lost`).toBe(0);
            expect(p.resumed, `${p.phase}/${p.workload}: resumed`).toBe(true);
          }
          expect(fioFig.ran, JSON.stringify(fioFig)).toBe(true);
          expect(fioFig.totalErr, 'fio errors').toBe(0);
          expect(fioFig.verifyErrors, 'fio verify errors').toBe(false);
        },
      );

      drillIt(
        'write latency of small synchronous writes from the client: peer Connected (protocol C) and peer disconnected (figures only)',
        { timeout: 900_000 },
        async () => {
          expect(RES, 'the volume was created').not.toBe('');
          const SECONDS = 15;
          const fio = async () => {
            const r = await guestSh(
              'client',
              `fio --name=lat --directory=${DIR} --size=16M --bs=4k --rw=randwrite --ioengine=psync --fsync=1 --runtime=${SECONDS} --time_based --output-format=json 2>/dev/null`,
              180_000,
            );
            const job = JSON.parse(ok('fio', r).slice(r.stdout.indexOf('{'))).jobs[0];
            const ms = (ns: number) => Math.round(ns / 1e4) / 100;
            return {
              iops: Math.round(job.write.iops * 10) / 10,
              meanMs: ms(job.write.clat_ns.mean + job.sync.lat_ns.mean),
              syncP99Ms: ms(job.sync.lat_ns.percentile?.['99.000000'] ?? 0),
              ios: job.write.total_ios,
            };
          };
          expect(await inSync(), 'Connected and UpToDate').toBe(true);
          const connected = await fio();
          ok('disconnect the peer', await guest('backup', ['drbdadm', 'disconnect', RES]));
          const disconnected = await fio();
          ok('reconnect', await guest('backup', ['drbdadm', 'connect', RES]));
          expect(await waitFor(inSync, 180_000, 1000), 'resynced after the reconnect').toBe(true);
          figures.latency = { seconds: SECONDS, connected, disconnected };
          process.stdout.write(`[vm drbd latency] ${JSON.stringify(figures.latency)}\n`);
          writeDrbdDrillFigures(figures);
          expect(connected.ios).toBeGreaterThan(0);
          expect(disconnected.ios).toBeGreaterThan(0);
        },
      );

      drillIt(
        'a split brain on purpose (both sides Primary while disconnected, both written) is detected by ha split-brain and resolved by ha split-brain resolve --keep primary',
        { timeout: 900_000 },
        async () => {
          expect(RES, 'the volume was created').not.toBe('');
          // nothing writes any more (the drill's workloads stopped, also when the drill failed), so
          // the kept side's checksum below compares like with like
          await guestSh(
            'client',
            `touch ${LOGS}/stop; pkill -f '[d]rill-client.py'; pkill -x fio; sleep 2; sync; true`,
            60_000,
          );
          expect(await serving('primary'), 'the primary serves before the split').toBe(true);
          const minor = ok('minor', await guest('primary', ['drbdadm', 'sh-minor', RES])).trim();
          const keptSum = ok(
            'kept data',
            await guestSh('primary', `sha256sum ${D.path}/drill/reopen.log | cut -d' ' -f1`),
          ).trim();
          ok(
            'the backup promoted while disconnected, written',
            await guestSh(
              'backup',
              `drbdadm disconnect ${RES} && drbdadm primary ${RES} && mkdir -p /tmp/sb && mount /dev/drbd${minor} /tmp/sb && echo from-backup > /tmp/sb/only-on-backup && umount /tmp/sb`,
            ),
          );
          ok(
            'the primary written meanwhile',
            await guestSh('primary', `echo from-primary > ${D.path}/only-on-primary && sync`),
          );
          ok('reconnect', await guest('backup', ['drbdadm', 'connect', RES]));
          const split = await waitFor(
            async () => (await side('primary'))?.cs === 'StandAlone' && (await side('backup'))?.cs === 'StandAlone',
            60_000,
            1000,
          );
          expect(split, `both StandAlone: ${JSON.stringify([await side('primary'), await side('backup')])}`).toBe(true);
          const sb = await nfsctlOn('primary', ['ha', 'split-brain', '--json']);
          expect(sb.exitCode, show('ha split-brain', sb)).toBe(1);
          const shown = JSON.parse(sb.stdout) as { volumes: { id?: string; volume?: string; splitBrain: unknown }[] };
          expect(shown.volumes.find((v) => (v.id ?? v.volume) === D.id)?.splitBrain, sb.stdout).toBeTruthy();
          const t0 = Date.now();
          const rs = await nfsctlOn('primary', [
            'ha',
            'split-brain',
            'resolve',
            D.id,
            '--keep',
            'primary',
            '--yes',
            '--json',
          ]);
          figures.splitBrainResolveMs = Date.now() - t0;
          expect(rs.exitCode, show('ha split-brain resolve', rs)).toBe(0);
          expect(await waitFor(inSync, 180_000, 1000), 'Connected and UpToDate after the resolution').toBe(true);
          expect(await serving('primary'), 'the primary serves again').toBe(true);
          expect(await idle('backup'), 'the backup is Secondary again').toBe(true);
          // the kept side's data is intact; the discarded side's change is not there
          expect(
            ok('kept', await guestSh('primary', `sha256sum ${D.path}/drill/reopen.log | cut -d' ' -f1`)).trim(),
          ).toBe(keptSum);
          expect(ok('primary file', await guest('primary', ['cat', `${D.path}/only-on-primary`])).trim()).toBe(
            'from-primary',
          );
          expect((await guest('primary', ['test', '-e', `${D.path}/only-on-backup`])).exitCode).toBe(1);
          const after = await nfsctlOn('primary', ['ha', 'split-brain', '--json']);
          expect(after.exitCode, show('ha split-brain after the resolution', after)).toBe(0);
          writeDrbdDrillFigures(figures);
        },
      );

      drillIt(
        'the backup made Inconsistent (a full resync interrupted) and the primary killed: the backup takes the VIP but does not serve the stale disk, and says why',
        { timeout: 900_000 },
        async () => {
          expect(RES, 'the volume was created').not.toBe('');
          ok(
            'invalidate the backup, interrupt its resync',
            await guestSh(
              'backup',
              `drbdadm invalidate ${RES} && for i in $(seq 50); do grep -q 'cs:SyncTarget' /proc/drbd && break; sleep 0.2; done; drbdadm disconnect ${RES}`,
            ),
          );
          const b = await side('backup');
          expect(b, 'the backup is StandAlone and Inconsistent').toMatchObject({
            cs: 'StandAlone',
            ds: 'Inconsistent/DUnknown',
          });
          const killedAt = Date.now() / 1000;
          ok('kill the primary', await vm(['kill', 'primary'], 60_000));
          expect(
            await waitFor(async () => (await vipOn()).join() === 'backup', 90_000, 1000),
            'VIP on the backup',
          ).toBe(true);
          // the notify hook ran for MASTER on the backup and refused
          let rec = '';
          const noted = await waitFor(
            async () => {
              rec = (await guest('backup', ['cat', '/var/lib/nfsctl/vrrp/last.json'], 30_000)).stdout;
              try {
                const j = JSON.parse(rec) as { state: string; time: string };
                return j.state === 'MASTER' && Date.parse(j.time) / 1000 >= killedAt - 5;
              } catch {
                return false;
              }
            },
            120_000,
            2000,
          );
          expect(noted, `the notify record of the MASTER transition on the backup:\n${rec}`).toBe(true);
          figures.inconsistentTakeoverRecord = JSON.parse(rec);
          const s = await side('backup');
          expect(s, 'the stale backup is not promoted, mounted or exported').toMatchObject({
            ro: 'Secondary/Unknown',
            mounted: false,
            exported: false,
          });
          expect(rec, 'says why').toMatch(/Inconsistent|UpToDate/);
          writeDrbdDrillFigures(figures);
          // the primary, with the good data, boots again and serves (keepalived: it takes the VIP back)
          ok('start the primary again', await vm(['start', 'primary'], 600_000));
          expect(await waitFor(async () => serving('primary'), 180_000, 2000), 'the primary serves again').toBe(true);
        },
      );

      afterAll(async () => {
        await guestSh('client', clientStop, 90_000).catch(() => undefined);
        for (const g of ['primary', 'backup'] as const)
          if ((await guest(g, ['true'], 30_000).catch(() => ({ exitCode: 1 }))).exitCode !== 0)
            await vm(['start', g], 600_000).catch(() => undefined);
        await guestSh(
          'primary',
          'labsvc enable keepalived; labsvc status keepalived >/dev/null || labsvc start keepalived; true',
        ).catch(() => undefined);
        await waitFor(async () => (await vipOn()).join() === 'primary', 60_000).catch(() => undefined);
        await nfsctlOn('primary', ['volume', 'delete', D.id, '--yes', '--force']).catch(() => undefined);
      }, 1_500_000);
    });

    describe('RBD volume (krbd, kernel nfsd) follows the VIP under a kernel NFSv3 client', () => {
      // A Ceph cluster on the guests' bridge (vm.sh ceph-up: 1 mon/mgr/osd/mds, memstore), the
      // storage guests map images with the stock kernel's krbd. The guests have no udev: the
      // lab's config gives rbd map `noudev`, nfsctl finds devices through /sys/bus/rbd.
      const R = { id: 'rbd-a/x', path: '/nfs/rbd-a_x', image: 'pv.rbd-a.x' };
      const CM = '/mnt/rbd';
      const LOGS = '/tmp/rbd-drill';
      const DIR = `${CM}/drill`;
      const NFSCTL_PATH = '/usr/local/bin/nfsctl';
      const CONF = '/etc/nfsctl/config.yaml';
      const RBD_SECTION = 'rbd: { pool: rbd, mapOptions: [noudev] }';
      const nfsctlOn = (g: 'primary' | 'backup', args: string[], t = 900_000) => guest(g, ['nfsctl', ...args], t);
      /** Is the image mapped, its path mounted and exported here; does this host hold NFS traffic to the VIP? */
      const side = async (g: 'primary' | 'backup') => {
        const r = await guestSh(
          g,
          `for d in /sys/bus/rbd/devices/*; do [ -r "$d/name" ] && [ "$(cat "$d/name")" = ${R.image} ] && echo MAPPED; done; mountpoint -q ${R.path} && echo MOUNTED; exportfs -v | grep -q '^${R.path}[[:space:]]' && echo EXPORTED; iptables -w -S INPUT | grep -q nfsctl-vip-hold && echo HELD; true`,
          30_000,
        );
        const has = (w: string) => r.stdout.includes(w);
        return { mapped: has('MAPPED'), mounted: has('MOUNTED'), exported: has('EXPORTED'), held: has('HELD') };
      };
      const serving = async (g: 'primary' | 'backup') => {
        const s = await side(g);
        return s.mapped && s.mounted && s.exported && !s.held;
      };
      const idle = async (g: 'primary' | 'backup') => {
        const s = await side(g);
        return !s.mapped && !s.mounted && !s.exported && s.held;
      };
      const clientStop = `touch ${LOGS}/stop 2>/dev/null; pkill -f '[d]rill-client.py'; sleep 1; if grep -q ' ${CM} ' /proc/mounts; then timeout 30 umount ${CM} || umount -f -l ${CM}; fi; true`;
      /** The cluster's blocklist entries (entity addresses). */
      const blocklisted = async () =>
        ok('blocklist', await vm(['ceph', 'osd', 'blocklist', 'ls'], 60_000))
          .split('\n')
          .filter((l) => /^\d+\.\d+\.\d+\.\d+:/.test(l))
          .map((l) => l.split(' ')[0]!);
      const clientBack = (since: number) => clientWritesAgain(LOGS, since);
      /** The lab config's rbd backend, added once (a rebooted guest's root is fresh). */
      const addRbd = `grep -qF ' ${RBD_SECTION}' ${CONF} || sed -i 's/drbd: { vg: vgnfs } }/drbd: { vg: vgnfs }, ${RBD_SECTION} }/' ${CONF}; grep -qF ' ${RBD_SECTION}' ${CONF}`;
      let created = false;

      beforeAll(async () => {
        await guestSh('client', clientStop, 90_000);
        ok('ceph up', await vm(['ceph-up'], 300_000));
        for (const g of ['primary', 'backup'] as const) {
          if ((await guest(g, ['true'], 30_000)).exitCode !== 0) ok(`start ${g}`, await vm(['start', g], 600_000));
          ok(
            `rbd in the config on ${g}`,
            await guestSh(
              g,
              `${addRbd} && { iptables -w -F INPUT; rm -f /var/lib/nfsctl/failback.json /var/lib/nfsctl/switchover.json; rm -rf /var/lib/nfsctl/freshness; nfsctl lock break --yes >/dev/null 2>&1; labsvc enable keepalived; labsvc status keepalived >/dev/null || labsvc start keepalived; true; }`,
            ),
          );
        }
        expect(await waitFor(async () => (await vipOn()).join() === 'primary', 90_000), 'VIP on the primary').toBe(
          true,
        );
        const inst = await nfsctlOn('primary', ['ha', 'install', '--nfsctl-path', NFSCTL_PATH, '--replace', '--yes']);
        expect(inst.exitCode, show('ha install', inst)).toBe(0);
        for (const g of ['primary', 'backup'] as const)
          ok(`reload keepalived on ${g}`, await guest(g, ['labsvc', 'reload', 'keepalived']));
        if ((await guest('primary', ['rbd', 'info', `rbd/${R.image}`])).exitCode === 0)
          await nfsctlOn('primary', ['volume', 'delete', R.id, '--yes', '--force']);
      }, 900_000);

      it('create: the image is mapped, XFS made, mounted and exported on the VIP holder only; the standby holds NFS traffic to the VIP', async () => {
        const c = await nfsctlOn('primary', ['volume', 'create', R.id, '--size', '512M', '--backend', 'rbd', '--yes']);
        expect(c.exitCode, show('volume create --backend rbd', c)).toBe(0);
        created = true;
        expect(await side('primary')).toEqual({ mapped: true, mounted: true, exported: true, held: false });
        expect(await side('backup')).toEqual({ mapped: false, mounted: false, exported: false, held: true });
        // no udev here: the device nfsctl mounted is the one sysfs names for the image
        expect(ok('mount source', await guestSh('primary', `findmnt -n -o SOURCE ${R.path}`)).trim()).toMatch(
          /^\/dev\/rbd\d+$/,
        );
      }, 600_000);

      it(
        'nfsctl switchover, then failback; then the primary crashed (qemu killed) and booted again: the backup maps, mounts and serves (fencing only a mapping the old holder still has, by instance), the primary takes the VIP back and maps again; a writer holding its file open, a reopen writer and a lister get no error and lose no acknowledged write',
        { timeout: 1_200_000 },
        async () => {
          expect(created, 'the volume was created').toBe(true);
          ok(
            'client mount',
            await guestSh(
              'client',
              `rm -rf ${LOGS} && mkdir -p ${CM} ${LOGS} && timeout 60 mount -t nfs -o vers=3,proto=tcp,hard ${VIP}:${R.path} ${CM} && mkdir -p ${DIR}`,
              120_000,
            ),
          );
          ok(
            'start workloads',
            await guestSh(
              'client',
              `cd / && (setsid python3 ${REPO_ROOT}/lab/vm/drill-client.py ${DIR} ${LOGS} </dev/null >${LOGS}/client.out 2>&1 &) && i=0; while [ ! -e ${LOGS}/started ] && [ $i -lt 240 ]; do sleep 0.5; i=$((i+1)); done; test -e ${LOGS}/started || { cat ${LOGS}/client.out; exit 1; }`,
              180_000,
            ),
          );
          await pause(5000);
          const markers: Marker[] = [];
          const figures: Record<string, unknown> = {};

          // planned moves, as an operator makes them: nfsctl switchover, then failback
          markers.push({ name: 'switchover (nfsctl)', t: await clientNow() });
          let fencedBefore = await blocklisted();
          let t0 = Date.now();
          const sw = await nfsctlOn('primary', ['switchover', '--yes', '--json'], 1_200_000);
          figures.switchoverMs = Date.now() - t0;
          expect(sw.exitCode, show('switchover', sw)).toBe(0);
          expect(await vipOn(), 'VIP on the backup').toEqual(['backup']);
          expect(await waitFor(async () => serving('backup'), 180_000, 1000), 'the backup serves').toBe(true);
          figures.backupServesAfterMs = Date.now() - t0;
          figures.clientBackAfterServedMs = await clientBack(await clientNow());
          expect(await waitFor(async () => idle('primary'), 120_000, 1000), 'the primary let go').toBe(true);
          // did the new holder fence the old one's mapping (it had not let go yet when it looked)?
          figures.fencedAtSwitchover = (await blocklisted()).filter((e) => !fencedBefore.includes(e));
          await pause(5000);

          markers.push({ name: 'failback (nfsctl)', t: await clientNow() });
          fencedBefore = await blocklisted();
          t0 = Date.now();
          const fb = await nfsctlOn('primary', ['failback', '--yes', '--json'], 1_200_000);
          figures.failbackMs = Date.now() - t0;
          expect(fb.exitCode, show('failback', fb)).toBe(0);
          expect(await vipOn(), 'VIP back on the primary').toEqual(['primary']);
          expect(await waitFor(async () => serving('primary'), 180_000, 1000), 'the primary serves again').toBe(true);
          figures.primaryServesAfterMs = Date.now() - t0;
          figures.clientBackAfterServedBackMs = await clientBack(await clientNow());
          expect(await waitFor(async () => idle('backup'), 120_000, 1000), 'the backup let go').toBe(true);
          figures.fencedAtFailback = (await blocklisted()).filter((e) => !fencedBefore.includes(e));
          await pause(5000);

          // a crash: the primary's krbd instance dies with its watch still on the image; the
          // backup fences it (by instance) if it is still there when it looks, maps and serves
          markers.push({ name: 'the primary crashed (qemu killed)', t: await clientNow() });
          fencedBefore = await blocklisted();
          t0 = Date.now();
          ok('kill the primary', await vm(['kill', 'primary'], 60_000));
          expect(
            await waitFor(async () => (await vipOn()).join() === 'backup', 90_000, 1000),
            'VIP on the backup',
          ).toBe(true);
          expect(await waitFor(async () => serving('backup'), 180_000, 1000), 'the backup serves').toBe(true);
          figures.backupServesAfterCrashMs = Date.now() - t0;
          figures.fencedAtCrash = (await blocklisted()).filter((e) => !fencedBefore.includes(e));
          figures.clientBackAfterCrashServedMs = await clientBack(await clientNow());
          await pause(5000);

          // the primary boots again (keepalived held back until it has its Ceph client side,
          // which lives on the guest's tmpfs root), then takes the VIP back and maps the image:
          // a fence by instance leaves the host itself free to map it
          markers.push({ name: 'the primary booted again, keepalived started', t: await clientNow() });
          ok('start the primary', await vm(['start', 'primary', '--no-keepalived'], 600_000));
          ok('its ceph client side', await vm(['ceph-up'], 300_000));
          ok('rbd in its config', await guestSh('primary', addRbd));
          t0 = Date.now();
          ok('start keepalived on the primary', await guest('primary', ['labsvc', 'start', 'keepalived']));
          expect(await waitFor(async () => (await vipOn()).join() === 'primary', 90_000, 1000), 'VIP back').toBe(true);
          expect(await waitFor(async () => serving('primary'), 180_000, 1000), 'the primary serves again').toBe(true);
          figures.primaryServesAfterBootMs = Date.now() - t0;
          figures.clientBackAfterBootServedMs = await clientBack(await clientNow());
          expect(await waitFor(async () => idle('backup'), 120_000, 1000), 'the backup let go').toBe(true);
          await pause(5000);
          const end = await clientNow();

          ok('stop workloads', await guestSh('client', `touch ${LOGS}/stop; sleep 2; true`, 60_000));
          const ops: OpRecord[] = [];
          for (const w of ['holder', 'reopen', 'lister'])
            ops.push(...parseOps(ok(`${w} log`, await guest('client', ['cat', `${LOGS}/${w}.jsonl`]))));
          const finalFiles = {
            holder: seqsIn(ok('holder.log', await guest('primary', ['cat', `${R.path}/drill/holder.log`])), 'holder'),
            reopen: seqsIn(ok('reopen.log', await guest('primary', ['cat', `${R.path}/drill/reopen.log`])), 'reopen'),
          };
          const phases = phaseFigures(ops, markers, end, finalFiles);
          // fenced: instances (ip:port/nonce) only, never a host's whole address, so each host
          // could map the image again (it did: the primary serves)
          const entries = await blocklisted();
          Object.assign(figures, { phases, blocklist: entries });
          process.stdout.write(`[vm rbd move] ${JSON.stringify(figures)}\n`);
          for (const e of entries) expect(e, 'a blocklist entry names one client instance').not.toMatch(/:0\/0$/);
          // what RBD promises: one filesystem, the same inodes on the new holder: every workload,
          // even one holding its file open, goes on; nothing acknowledged is lost
          for (const p of phases) {
            expect(p.errors, `${p.phase}/${p.workload}: client errors ${JSON.stringify(p.errnos)}`).toBe(0);
            if (p.lost !== null) expect(p.lost, `${p.phase}/${p.workload}: acknowledged writes lost`).toBe(0);
            expect(p.resumed, `${p.phase}/${p.workload}: resumed`).toBe(true);
          }
        },
      );

      afterAll(async () => {
        await guestSh('client', clientStop, 90_000).catch(() => undefined);
        // a primary a failed crash phase left down is booted again, with its Ceph client side
        if ((await guest('primary', ['true'], 30_000).catch(() => ({ exitCode: 1 }))).exitCode !== 0) {
          await vm(['start', 'primary', '--no-keepalived'], 600_000).catch(() => undefined);
          await vm(['ceph-up'], 300_000).catch(() => undefined);
          await guestSh('primary', addRbd).catch(() => undefined);
        }
        await guestSh(
          'primary',
          'labsvc enable keepalived; labsvc status keepalived >/dev/null || labsvc start keepalived; true',
        ).catch(() => undefined);
        await waitFor(async () => (await vipOn()).join() === 'primary', 60_000).catch(() => undefined);
        await nfsctlOn('primary', ['volume', 'delete', R.id, '--yes', '--force']).catch(() => undefined);
        for (const g of ['primary', 'backup'] as const)
          await guestSh(g, `sed -i 's/, ${RBD_SECTION.replace(/[[\]]/g, '\\$&')}//' ${CONF}`).catch(() => undefined);
      }, 900_000);
    });

    describe('CephFS volume (both hosts serve it, ganesha FSAL CEPH) under kernel NFSv3 and NFSv4.1 clients', () => {
      // The cephfs backend needs nfs-ganesha (FSAL CEPH reads the subvolume through libcephfs):
      // for this part the storage guests run ganesha instead of the kernel nfsd, and their
      // nfsctl config says so (the kernel one is kept beside it and put back afterwards).
      const F = { id: 'fs-a/x', path: '/nfs/fs-a_x', subvol: 'pv.fs-a.x' };
      const CONF = '/etc/nfsctl/config.yaml';
      const MOUNTS = {
        v3: { dir: '/mnt/fs3', opts: 'vers=3,proto=tcp,hard' },
        v41: { dir: '/mnt/fs41', opts: 'vers=4.1,proto=tcp,hard' },
      };
      const LOGS = (m: keyof typeof MOUNTS) => `/tmp/cephfs-drill-${m}`;
      const CHECK = '/mnt/fs-check';
      const nfsctlOn = (g: 'primary' | 'backup', args: string[], t = 900_000) => guest(g, ['nfsctl', ...args], t);
      const cephfsSection = 'cephfs: { fs: cephfs, group: nfsctl, keyring: /etc/ceph/ceph.client.admin.keyring }';
      // ganesha config: served by ganesha, CephFS configured, no DRBD (a CephFS pair has no kernel nfsd)
      const toGanesha = [
        `[ -e ${CONF}.kernel ] || cp ${CONF} ${CONF}.kernel`,
        `sed -e 's|server: kernel, |server: ganesha, ganeshaExportsDir: /etc/ganesha/nfsctl, |' -e 's|, drbd: { vg: vgnfs } }|, ${cephfsSection} }|' -e 's|nfs: nfs-kernel|nfs: nfs-ganesha|' ${CONF}.kernel >${CONF}.new && mv ${CONF}.new ${CONF}`,
        `grep -qF '${cephfsSection}' ${CONF}`,
        'labsvc stop nfs-kernel && labsvc start nfs-ganesha',
      ].join(' && ');
      const toKernel = `labsvc stop nfs-ganesha; if [ -e ${CONF}.kernel ]; then mv ${CONF}.kernel ${CONF}; fi; labsvc start nfs-kernel`;
      const clientStop = `touch ${LOGS('v3')}/stop ${LOGS('v41')}/stop 2>/dev/null; pkill -f '[d]rill-client.py'; sleep 1; for m in ${MOUNTS.v3.dir} ${MOUNTS.v41.dir} ${CHECK}; do if grep -q " $m " /proc/mounts; then timeout 30 umount $m || umount -f -l $m; fi; done; true`;
      const clientBack = (m: keyof typeof MOUNTS, since: number) =>
        clientWritesAgain(LOGS(m), since, `the ${m} client`);
      let created = false;

      beforeAll(async () => {
        await guestSh('client', clientStop, 90_000);
        ok('ceph up', await vm(['ceph-up'], 300_000));
        for (const g of ['primary', 'backup'] as const) {
          if ((await guest(g, ['true'], 30_000)).exitCode !== 0) ok(`start ${g}`, await vm(['start', g], 600_000));
          ok(
            `ganesha and the cephfs config on ${g}`,
            await guestSh(
              g,
              `${toGanesha} && { iptables -w -F INPUT; rm -f /var/lib/nfsctl/failback.json /var/lib/nfsctl/switchover.json; rm -rf /var/lib/nfsctl/freshness; nfsctl lock break --yes >/dev/null 2>&1; labsvc enable keepalived; labsvc status keepalived >/dev/null || labsvc start keepalived; true; }`,
              180_000,
            ),
          );
        }
        expect(await waitFor(async () => (await vipOn()).join() === 'primary', 90_000), 'VIP on the primary').toBe(
          true,
        );
        ok('config check', await nfsctlOn('primary', ['config', 'check']));
        if (
          (await guest('primary', ['ceph', 'fs', 'subvolume', 'info', 'cephfs', F.subvol, '--group_name', 'nfsctl']))
            .exitCode === 0
        )
          await nfsctlOn('primary', ['volume', 'delete', F.id, '--yes', '--force']);
      }, 900_000);

      it('create: a subvolume with its quota, served by both hosts: written through one host, read through the other; the quota holds for a kernel client', async () => {
        const c = await nfsctlOn('primary', [
          'volume',
          'create',
          F.id,
          '--size',
          '64M',
          '--backend',
          'cephfs',
          '--yes',
        ]);
        expect(c.exitCode, show('volume create --backend cephfs', c)).toBe(0);
        created = true;
        const info = JSON.parse(
          ok(
            'subvolume info',
            await guest('primary', [
              'ceph',
              'fs',
              'subvolume',
              'info',
              'cephfs',
              F.subvol,
              '--group_name',
              'nfsctl',
              '--format',
              'json',
            ]),
          ),
        ) as { bytes_quota: number };
        expect(Number(info.bytes_quota)).toBe(64 * 2 ** 20);
        // each host's own address, not the VIP: both ganeshas serve the same subvolume
        const token = `both-${Date.now()}`;
        ok(
          'write through the primary, read through the backup',
          await guestSh(
            'client',
            `mkdir -p /mnt/fs-p /mnt/fs-b && timeout 60 mount -t nfs -o vers=3,proto=tcp,hard ${PRIMARY_IP}:${F.path} /mnt/fs-p && timeout 60 mount -t nfs -o vers=3,proto=tcp,hard 198.51.100.12:${F.path} /mnt/fs-b && echo ${token} >/mnt/fs-p/both && test "$(cat /mnt/fs-b/both)" = ${token}; rc=$?; umount /mnt/fs-p; umount /mnt/fs-b; exit $rc`,
            180_000,
          ),
        );
        // 80 MiB into a 64 MiB quota: the kernel client's fsync reports it. CephFS enforces quotas
        // lazily (ganesha's libcephfs learns the subvolume's usage from the MDS some time after
        // the writes): one CI run's first 80 MiB went in whole, so up to three rounds of 80 MiB
        // are appended, 5 s apart, and the quota must stop them (at most 240 MiB into 64 MiB)
        const q = await guestSh(
          'client',
          `mkdir -p ${CHECK} && timeout 60 mount -t nfs -o vers=3,proto=tcp,hard ${VIP}:${F.path} ${CHECK} || exit 90; rc=0; for i in 1 2 3; do dd if=/dev/zero of=${CHECK}/big bs=1M count=80 oflag=append conv=notrunc,fsync || { rc=$?; echo "stopped in round $i" >&2; break; }; sleep 5; done; rm -f ${CHECK}/big ${CHECK}/both; umount ${CHECK}; exit $rc`,
          300_000,
        );
        expect(q.exitCode, show('dd past the quota', q)).not.toBe(0);
        expect(q.exitCode, show('the mount for the quota check', q)).not.toBe(90);
        expect(q.stderr).toMatch(/Disk quota exceeded/);
        process.stdout.write(`[vm cephfs quota] ${q.stderr.match(/stopped in round \d/)?.[0] ?? '?'}\n`);
      }, 900_000);

      it(
        'switchover, then failback: nothing is copied or unexported, the VIP moves, the old holder keeps no connection on it; NFSv3 and NFSv4.1 workloads (a writer holding its file open, a reopen writer, a lister) get no error and lose no acknowledged write',
        { timeout: 1_200_000 },
        async () => {
          expect(created, 'the volume was created').toBe(true);
          for (const m of ['v3', 'v41'] as const)
            ok(
              `client ${m} mount and workloads`,
              await guestSh(
                'client',
                `rm -rf ${LOGS(m)} && mkdir -p ${MOUNTS[m].dir} ${LOGS(m)} && timeout 60 mount -t nfs -o ${MOUNTS[m].opts} ${VIP}:${F.path} ${MOUNTS[m].dir} && mkdir -p ${MOUNTS[m].dir}/drill-${m} && cd / && (setsid python3 ${REPO_ROOT}/lab/vm/drill-client.py ${MOUNTS[m].dir}/drill-${m} ${LOGS(m)} </dev/null >${LOGS(m)}/client.out 2>&1 &) && i=0; while [ ! -e ${LOGS(m)}/started ] && [ $i -lt 240 ]; do sleep 0.5; i=$((i+1)); done; test -e ${LOGS(m)}/started || { cat ${LOGS(m)}/client.out; exit 1; }`,
                180_000,
              ),
            );
          await pause(5000);
          const markers: Marker[] = [];
          const figures: Record<string, unknown> = {};

          markers.push({ name: 'switchover', t: await clientNow() });
          let t0 = Date.now();
          const so = await nfsctlOn('primary', ['switchover', '--yes']);
          expect(so.exitCode, show('switchover', so)).toBe(0);
          figures.switchoverMs = Date.now() - t0;
          const told = so.stdout + so.stderr;
          // what the plan said: the volume is shared, not copied; nobody is told to restart pods
          expect(told).toMatch(/cephfs volumes \(fs-a\/x\) are not copied.*both hosts serve them already/);
          expect(told).not.toMatch(/must be restarted|rsync-copy volume get/);
          expect(await vipOn()).toEqual(['backup']);
          // the primary kept no connection on the VIP it let go (vip-sockets.ts): a client coming
          // back to it from the same port would stall on such a stale socket until it died
          expect(
            ok(
              'connections on the VIP',
              await guest('primary', ['ss', '-H', '-t', '-n', 'src', `[::ffff:${VIP}]`]),
            ).trim(),
          ).toBe('');
          for (const m of ['v3', 'v41'] as const) await clientBack(m, await clientNow());
          await pause(5000);

          markers.push({ name: 'failback', t: await clientNow() });
          t0 = Date.now();
          const fb = await nfsctlOn('primary', ['failback', '--yes']);
          expect(fb.exitCode, show('failback', fb)).toBe(0);
          figures.failbackMs = Date.now() - t0;
          expect(await vipOn()).toEqual(['primary']);
          for (const m of ['v3', 'v41'] as const) await clientBack(m, await clientNow());
          await pause(5000);

          const end = await clientNow();

          ok(
            'stop workloads',
            await guestSh('client', `touch ${LOGS('v3')}/stop ${LOGS('v41')}/stop; sleep 2; true`, 60_000),
          );
          // what Ceph has, read through the primary's own ganesha (not the mounts that wrote it)
          ok(
            'check mount',
            await guestSh(
              'client',
              `mkdir -p ${CHECK} && timeout 60 mount -t nfs -o vers=3,proto=tcp,hard ${PRIMARY_IP}:${F.path} ${CHECK}`,
              120_000,
            ),
          );
          for (const m of ['v3', 'v41'] as const) {
            const ops: OpRecord[] = [];
            for (const w of ['holder', 'reopen', 'lister'])
              ops.push(...parseOps(ok(`${m} ${w} log`, await guest('client', ['cat', `${LOGS(m)}/${w}.jsonl`]))));
            const finalFiles = {
              holder: seqsIn(
                ok('holder.log', await guest('client', ['cat', `${CHECK}/drill-${m}/holder.log`])),
                'holder',
              ),
              reopen: seqsIn(
                ok('reopen.log', await guest('client', ['cat', `${CHECK}/drill-${m}/reopen.log`])),
                'reopen',
              ),
            };
            const phases = phaseFigures(ops, markers, end, finalFiles);
            figures[m] = phases;
            // what CephFS promises: both hosts serve one filesystem with the same Export_Id, so
            // the same file handles: every workload, even one holding its file open, goes on
            for (const p of phases) {
              expect(p.errors, `${m} ${p.phase}/${p.workload}: client errors ${JSON.stringify(p.errnos)}`).toBe(0);
              if (p.lost !== null) expect(p.lost, `${m} ${p.phase}/${p.workload}: acknowledged writes lost`).toBe(0);
              expect(p.resumed, `${m} ${p.phase}/${p.workload}: resumed`).toBe(true);
            }
          }
          process.stdout.write(`[vm cephfs move] ${JSON.stringify(figures)}\n`);
        },
      );

      afterAll(async () => {
        await guestSh('client', clientStop, 90_000).catch(() => undefined);
        if ((await vipOn().catch(() => [])).join() !== 'primary')
          await nfsctlOn('primary', ['failback', '--yes']).catch(() => undefined);
        // the subvolume goes with the tier's Ceph cluster; a kept tier gets it removed by the next beforeAll
        for (const g of ['primary', 'backup'] as const) await guestSh(g, toKernel, 180_000).catch(() => undefined);
      }, 900_000);
    });
  },
);
