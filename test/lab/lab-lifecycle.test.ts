// lab down leaves nothing behind, and lab up builds it again (so files running after this one
// still find a lab). Times of both are printed.
import { readFileSync, readdirSync, existsSync, mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAB_DIR, LAB_NAMESPACES, formatFailure, labSh, run, vipHolders } from './helpers.js';

/** pids of every process in a lab network namespace right now */
async function labPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const ns of LAB_NAMESPACES) {
    const r = await run('ip', ['netns', 'pids', ns]);
    if (r.exitCode === 0) pids.push(...r.stdout.split('\n').filter(Boolean).map(Number));
  }
  return pids;
}

/** alive and not a zombie */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function loopsBackedByLab(): string[] {
  const out: string[] = [];
  for (const dev of readdirSync('/sys/block').filter((d) => d.startsWith('loop'))) {
    try {
      const backing = readFileSync(`/sys/block/${dev}/loop/backing_file`, 'utf8').trim();
      if (backing.startsWith(`${LAB_DIR}/`)) out.push(`${dev} -> ${backing}`);
    } catch {
      /* unused loop device */
    }
  }
  return out;
}

describe('lab lifecycle', () => {
  it('down removes everything, up brings the lab back', async () => {
    const before = await labPids();
    expect(before.length).toBeGreaterThan(10); // sshd, ganesha, keepalived, ceph, ...
    const nfsCreatedByLab = existsSync('/run/nfslab-created-root-nfs');

    const down = await labSh(['down', '--netns-only'], { timeoutMs: 120_000 });
    expect(down.exitCode, formatFailure('lab down', down)).toBe(0);
    console.log(`lab down: ${down.durationMs} ms`);

    // no namespace, no process, no mount, no loop device, no state dir
    const netns = await run('ip', ['netns', 'list']);
    for (const ns of LAB_NAMESPACES) expect(netns.stdout).not.toMatch(new RegExp(`^${ns}( |$)`, 'm'));
    expect(before.filter(alive)).toEqual([]);
    expect(await labPids()).toEqual([]);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    expect(mounts).not.toContain(LAB_DIR);
    expect(loopsBackedByLab()).toEqual([]);
    expect(existsSync(LAB_DIR)).toBe(false);
    // the guard route and /nfs stay only while another lab (vm tier, a parallel netns lab) is up
    const others = netns.stdout.split('\n').filter((l) => l.startsWith('nfslab-'));
    const otherNetnsLabs = others.filter((l) => /^nfslab-(.*-)?(sw|primary|backup|client|ceph)( |$)/.test(l));
    if (nfsCreatedByLab && otherNetnsLabs.length === 0) expect(existsSync('/nfs')).toBe(false);
    const unreachable = await run('ip', ['route', 'show', 'type', 'unreachable']);
    if (others.length === 0) expect(unreachable.stdout).not.toContain('198.51.100.0/24');
    // status says so, and a second down is fine
    const status = await labSh(['status']);
    expect(status.exitCode).not.toBe(0);
    expect(status.stdout).toContain('no lab is up');
    const again = await labSh(['down', '--netns-only'], { timeoutMs: 60_000 });
    expect(again.exitCode, formatFailure('second lab down', again)).toBe(0);

    const up = await labSh(['up'], { timeoutMs: 300_000 });
    expect(up.exitCode, formatFailure('lab up', up)).toBe(0);
    console.log(`lab up: ${up.durationMs} ms\n${up.stdout}`);
    expect(up.durationMs).toBeLessThan(60_000); // target is < 20 s; leave room for slow CI machines
    expect((await labSh(['status'])).exitCode).toBe(0);
    expect(await vipHolders()).toEqual(['primary']);

    // a second up refuses, and leaves the running lab alone
    const twice = await labSh(['up']);
    expect(twice.exitCode).not.toBe(0);
    expect(twice.stderr).toMatch(/already up/);
    expect((await labSh(['status'])).exitCode).toBe(0);
  });

  it("down of another lab whose state dir is a prefix of this one's leaves this lab alone and succeeds", async () => {
    // e.g. lab "nfslab" (/tmp/nfslab) going down while "nfslab-adopt" (/tmp/nfslab-adopt) is up:
    // this lab's mounts are below LAB_DIR; the other's state dir is LAB_DIR minus its last letter
    const other = LAB_DIR.slice(0, -1);
    mkdirSync(other, { recursive: true });
    const down = await run('bash', ['lab/lab.sh', 'down', '--netns-only'], {
      env: { NFSLAB_NS: 'nfslab-prefixcheck', NFSLAB_DIR: other },
      timeoutMs: 60_000,
    });
    expect(down.exitCode, formatFailure('down of the other lab', down)).toBe(0);
    expect(down.stderr).not.toMatch(/mounts remain/);
    expect(existsSync(other)).toBe(false);
    expect((await labSh(['status'])).exitCode).toBe(0);
  });
});
