// Volume use, metrics and the health URL on the lab pair (real Ceph, real ganesha, real
// curl): an RBD volume written to 90% shows up in `volume list --over 80%`, as a health
// warning and in the metrics (promtool checks the real output); `health serve` answers a
// bounded concurrent loop from one round of checks (the hosts' command count does not grow),
// survives a malformed request and a client that never finishes, and stops on SIGTERM.
//
// The netns lab has no krbd and its kernel has no XFS quota: the use figure here is the
// pool's own accounting (`rbd du`); df of a mounted LV and the XFS project report are unit
// tested on real output layouts and proven only where a kernel mounts them (vm tier).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labExec, labExecOk, waitFor } from './helpers.js';

const VOL = 'lab-o/fill';
const IMAGE = 'rbd/pv.lab-o.fill';
const PORT = 9655;
const URL = `http://127.0.0.1:${PORT}`;
const nfsctl = (args: string[], timeoutMs = 120_000) => labExec('primary', ['nfsctl', ...args], { timeoutMs });
const sh = (script: string, timeoutMs = 60_000) => labExec('primary', ['bash', '-c', script], { timeoutMs });

function promtool(text: string): { status: number | null; out: string } {
  const r = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

async function stopServer(): Promise<void> {
  await sh('[ -s /tmp/obs-serve.pid ] && kill -TERM "$(cat /tmp/obs-serve.pid)" 2>/dev/null; true');
}

beforeAll(async () => {
  await stopServer();
  await nfsctl(['volume', 'delete', VOL, '--yes', '--force']);
  const c = await nfsctl([
    'volume',
    'create',
    VOL,
    '--size',
    '40M',
    '--backend',
    'rbd',
    '--label',
    'tier=gold',
    '--yes',
  ]);
  expect(c.exitCode, c.stderr).toBe(0);
  // 36 of 40 MiB: nine of the image's ten 4 MiB objects exist, what `rbd du` counts
  await labExecOk('primary', [
    'rbd',
    'bench',
    '--io-type',
    'write',
    '--io-size',
    '1M',
    '--io-threads',
    '1',
    '--io-total',
    '36M',
    '--io-pattern',
    'seq',
    IMAGE,
  ]);
  await nfsctl(['sync', '--yes']);
});

afterAll(async () => {
  await stopServer();
  await nfsctl(['volume', 'delete', VOL, '--yes', '--force']);
});

describe('a volume written to 90%', () => {
  it('is in volume list --over 80% (not --over 95%), with its use from rbd du; namespace and selector filters', async () => {
    const r = await nfsctl(['volume', 'list', 'lab-o', '-l', 'tier in (gold,silver)', '--over', '80%', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const vols = JSON.parse(r.stdout).volumes as {
      id: string;
      usage: { percent: number; usedBytes: number; capacityBytes: number; source: string };
    }[];
    expect(vols.map((v) => v.id)).toEqual([VOL]);
    expect(vols[0]!.usage).toMatchObject({
      percent: 90,
      usedBytes: 36 * 2 ** 20,
      capacityBytes: 40 * 2 ** 20,
      source: 'rbd du',
    });
    const none = await nfsctl(['volume', 'list', '--over', '95%', '-l', 'tier=gold']);
    expect(none.exitCode, none.stderr).toBe(0);
    expect(none.stdout).not.toContain(VOL);
    expect(none.stderr).toMatch(/no volumes match/);
  });

  it('is a health warning naming it (exit 1), with a resize as the fix', async () => {
    const r = await nfsctl(['health', '--json']);
    expect(r.exitCode).toBe(1);
    const h = JSON.parse(r.stdout) as {
      health: string;
      checks: { id: string; status: string; evidence: string; fix?: string }[];
    };
    expect(h.health).toBe('warn');
    const f = h.checks.find((c) => c.id === `usage:${VOL}`)!;
    expect(f).toMatchObject({ status: 'warn' });
    expect(f.evidence).toMatch(/36Mi of 40Mi used \(90%\), from rbd du/);
    expect(f.fix).toMatch(/^nfsctl volume resize lab-o\/fill --size /);
    expect(
      h.checks
        .filter((c) => c.status !== 'ok')
        .map((c) => c.id)
        .sort(),
    ).toEqual(['usage', `usage:${VOL}`]);
  });

  it('is in the metrics; promtool check metrics passes on the real output and on the textfile', async () => {
    const r = await nfsctl(['metrics']);
    expect(r.exitCode, r.stderr).toBe(0);
    const p = promtool(r.stdout);
    expect(p.status, p.out).toBe(0);
    expect(r.stdout).toContain(
      `nfsctl_volume_used_bytes{volume="${VOL}",namespace="lab-o",name="fill",host="primary"} ${36 * 2 ** 20}`,
    );
    expect(r.stdout).toContain(`nfsctl_volume_used_ratio{volume="${VOL}",namespace="lab-o",name="fill"} 0.9`);
    expect(r.stdout).toContain(`nfsctl_health_check_status{check="usage:${VOL}",host="primary"} 1`);
    expect(r.stdout).toMatch(/^nfsctl_host_vip_held\{host="primary"\} 1$/m);
    expect(r.stdout).toMatch(/^nfsctl_sync_last_success_age_seconds\{host="backup"\} \d+$/m);
    expect(r.stdout).toMatch(/^nfsctl_host_service_running\{host="backup",service="keepalived"\} 1$/m);
    await sh('rm -rf /tmp/obs-textfile && mkdir /tmp/obs-textfile');
    const t = await nfsctl(['metrics', '--textfile', '/tmp/obs-textfile']);
    expect(t.exitCode, t.stderr).toBe(0);
    expect(t.stdout).toBe('');
    expect((await sh('ls -A /tmp/obs-textfile; stat -c %a /tmp/obs-textfile/nfsctl.prom')).stdout).toBe(
      'nfsctl.prom\n644\n',
    );
    const file = await labExecOk('primary', ['cat', '/tmp/obs-textfile/nfsctl.prom']);
    expect(promtool(file).status).toBe(0);
    expect(file).toContain(`nfsctl_volume_size_bytes{volume="${VOL}",namespace="lab-o",name="fill"} ${40 * 2 ** 20}`);
  });
});

describe('nfsctl health serve', () => {
  it('answers curl from one cached round, survives a malformed request and a client that never finishes, stops on SIGTERM', async () => {
    // inside the primary's namespace: its loopback is the one curl reaches from there
    await sh(
      `rm -f /tmp/obs-serve.pid /tmp/obs-serve.exit; setsid bash -c 'NFSCTL_TRACE=1 nfsctl health serve --listen 127.0.0.1:${PORT} --cache-ttl 120s --request-timeout 2s & echo $! > /tmp/obs-serve.pid; wait $!; echo $? > /tmp/obs-serve.exit' > /tmp/obs-serve.log 2>&1 < /dev/null &`,
    );
    const first = await waitFor(async () => {
      const r = await sh(`curl -s -o /tmp/obs-first.json -w '%{http_code}' ${URL}/health`);
      return r.stdout === '200' ? r : null;
    }, 60_000);
    expect(first).toBeTruthy();
    const doc = JSON.parse(await labExecOk('primary', ['cat', '/tmp/obs-first.json']));
    expect(doc.health).toBe('warn');
    expect(doc.checks.map((c: { id: string }) => c.id)).toContain(`usage:${VOL}`);
    const traced = async () => Number((await sh("grep -c '^\\[trace' /tmp/obs-serve.log")).stdout.trim());
    const rounds = async () => Number((await sh("grep -c 'checked the pair' /tmp/obs-serve.log")).stdout.trim());
    const afterFirst = await traced();
    expect(afterFirst).toBeGreaterThan(10); // one round of checks really asked both hosts

    // a bounded concurrent loop: 60 requests, 6 at a time, health and metrics mixed
    const loop = await sh(
      `seq 60 | xargs -P 6 -I{} sh -c 'case $(( {} % 3 )) in 0) p=metrics;; 1) p=health;; *) p=;; esac; curl -s -o /dev/null -w "%{http_code}\\n" --max-time 20 ${URL}/$p'`,
      120_000,
    );
    expect(loop.exitCode, loop.stderr).toBe(0);
    const codes = loop.stdout.trim().split('\n');
    expect(codes).toHaveLength(60);
    expect(new Set(codes)).toEqual(new Set(['200']));
    // the cache: no host command and no new round for those 60 requests
    expect(await traced()).toBe(afterFirst);
    expect(await rounds()).toBe(1);

    // malformed request (raw bytes over bash's /dev/tcp): 400, connection closed, server fine
    const bad = await sh(
      `exec 3<>/dev/tcp/127.0.0.1/${PORT}; printf 'GET /\\x00\\xff HTTP/9\\r\\nHost\\r\\n\\r\\n' >&3; timeout 5 cat <&3; echo "rc=$?"`,
    );
    expect(bad.stdout).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(bad.stdout).toMatch(/rc=0\n$/); // closed by the server, not by timeout (124)

    // a client that sends half a request and then nothing: cut off after --request-timeout (2 s)
    const slow = await sh(
      `exec 3<>/dev/tcp/127.0.0.1/${PORT}; printf 'GET /health HTTP/1.1\\r\\nHost: x\\r\\n' >&3; s=$(date +%s%N); timeout 15 cat <&3 >/dev/null; rc=$?; echo "rc=$rc ms=$(( ($(date +%s%N) - s) / 1000000 ))"`,
      30_000,
    );
    const m = /rc=(\d+) ms=(\d+)/.exec(slow.stdout)!;
    // rc 0: the server closed it (timeout would give 124); how long it took is a figure, not asserted
    expect(m[1], slow.stdout).toBe('0');
    expect((await sh(`curl -s -o /dev/null -w '%{http_code}' ${URL}/`)).stdout).toBe('200');
    expect(await rounds()).toBe(1);

    // SIGTERM: stops listening and exits 143 (systemd: SuccessExitStatus=143)
    await stopServer();
    const exit = await waitFor(async () => {
      const r = await sh('cat /tmp/obs-serve.exit 2>/dev/null');
      return r.stdout.trim() || null;
    }, 20_000);
    expect(exit).toBe('143');
    expect((await sh('cat /tmp/obs-serve.log')).stdout).toMatch(/health serve: stopped/);
    expect((await sh(`curl -s -o /dev/null -w '%{http_code}' ${URL}/health`)).stdout).toBe('000');
  });
});
