// The bodies of `nfsctl rbd lock remove` and `nfsctl rbd blocklist remove` against a recording
// fake Ceph host: both are one-step plans through the runner, so --dry-run runs no mutating
// command, a change without a terminal needs --yes, and what was done is audited with the plan id.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { FakeHost } from '../../../src/host/fake.js';
import { Context } from '../../../src/cli/context.js';
import { parseConfig } from '../../../src/config/load.js';
import { runLockRemove } from '../../../src/commands/rbd/lock-remove.run.js';
import { runBlocklistRemove } from '../../../src/commands/rbd/blocklist.run.js';
import { captureOutput } from '../../support/capture.js';
import { tempDir, testConfigYaml } from '../../support/config.js';

const ADDR = '198.51.100.21:0/1300091762';
const LOCK = { id: 'kubelet_lock_magic_node-9', locker: 'client.4130', address: ADDR };

/** rbd/ceph as a cluster with one locked image rbd/img and a blocklist; it remembers removals. */
function cluster(o: { watcher?: string; lockAfterFirstRead?: typeof LOCK | null } = {}) {
  const h = new FakeHost('primary');
  const sub = (a: string[]) => a.slice(a.indexOf('--id') + 2 + (a.includes('--keyring') ? 2 : 0));
  let locks: (typeof LOCK)[] = [LOCK];
  let reads = 0;
  let blocklist = [{ addr: ADDR, until: '2026-12-02T03:00:00.000000+0000' }];
  h.on(
    (a) => a[0] === 'rbd' && sub(a)[0] === 'lock' && sub(a)[1] === 'ls' && sub(a)[2] === '--format',
    () => {
      reads++;
      if (reads > 1 && o.lockAfterFirstRead !== undefined) locks = o.lockAfterFirstRead ? [o.lockAfterFirstRead] : [];
      return { stdout: JSON.stringify(locks) + '\n' };
    },
  );
  h.on(
    (a) => a[0] === 'rbd' && sub(a)[0] === 'lock' && sub(a)[1] === 'ls' && sub(a)[2] === '--',
    () => ({
      stdout: locks.length
        ? `There is 1 exclusive lock on this image.\nLocker       ID   Address\n${locks[0]!.locker}  ${locks[0]!.id}  ${locks[0]!.address}\n`
        : '',
    }),
  );
  h.on(
    (a) => a[0] === 'rbd' && sub(a)[0] === 'status',
    () => ({
      stdout: JSON.stringify({ watchers: o.watcher ? [{ address: o.watcher, client: 4130, cookie: 1 }] : [] }) + '\n',
    }),
  );
  h.on(
    (a) => a[0] === 'rbd' && sub(a).slice(0, 2).join(' ') === 'lock rm',
    (a) => {
      locks = locks.filter((l) => !(l.id === a.at(-2) && l.locker === a.at(-1)));
      return { stdout: '' };
    },
  );
  h.on(
    (a) => a[0] === 'ceph' && sub(a)[0] === 'config',
    (a) => ({
      stdout:
        a.at(-1) === 'rbd_blocklist_on_break_lock'
          ? 'true\n'
          : a.at(-1) === 'rbd_blocklist_expire_seconds'
            ? '0\n'
            : '3600\n',
    }),
  );
  h.on(
    (a) => a[0] === 'ceph' && sub(a).slice(0, 3).join(' ') === 'osd blocklist ls',
    () => ({ stdout: JSON.stringify(blocklist) + '\n[]\n' }),
  );
  h.on(
    (a) => a[0] === 'ceph' && sub(a).slice(0, 3).join(' ') === 'osd blocklist rm',
    (a) => {
      blocklist = blocklist.filter((e) => e.addr !== a.at(-1));
      return { stdout: '' };
    },
  );
  return h;
}

/** The calls that change something on the cluster. */
const mutations = (h: FakeHost) =>
  h.commandLines().filter((l) => / lock rm | blocklist rm | blocklist range rm /.test(` ${l} `));

function setup(host: FakeHost) {
  const state = tempDir();
  const yaml = testConfigYaml(state).replace(
    '  lvm: { vg: vgnfs }',
    '  lvm: { vg: vgnfs }\n  rbd: { pool: rbd, cephConf: /etc/ceph/ceph.conf, id: admin }',
  );
  const config = parseConfig(yaml, 'test.yaml');
  const cap = captureOutput();
  const ctx = new Context('test.yaml', config, {}, { primary: host, backup: new FakeHost('backup') }, cap.out);
  const audit = () =>
    existsSync(config.state.auditLog)
      ? readFileSync(config.state.auditLog, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
  return { ctx, cap, audit };
}

describe('rbd lock remove', () => {
  it('--dry-run explains the fencing and shows the plan, runs no mutating command, writes no audit', async () => {
    const h = cluster();
    const { ctx, cap, audit } = setup(h);
    await runLockRemove(ctx, 'rbd/img', undefined, undefined, { dryRun: true, nodeCheck: false });
    expect(cap.stderr.text).toMatch(/blocklist the locker's address/);
    expect(cap.stdout.text).toContain(`remove the RBD lock "${LOCK.id}" from rbd/img`);
    expect(cap.stdout.text).toContain(
      `rbd --conf /etc/ceph/ceph.conf --id admin lock rm -- rbd/img ${LOCK.id} ${LOCK.locker}`,
    );
    expect(cap.stdout.text).toMatch(/fences 198\.51\.100\.21:0\/1300091762 \(client\.4130\) from every OSD for 1 h/);
    expect(cap.stdout.text).toContain('dry run: nothing was changed');
    expect(mutations(h)).toEqual([]);
    expect(h.calls.length).toBeGreaterThan(0); // it did read the cluster to make the plan
    expect(audit()).toEqual([]);
  });

  it('without a terminal and without --yes: refused (exit 2) after explaining, nothing removed, hint with --yes', async () => {
    const h = cluster();
    const { ctx, cap } = setup(h);
    const err = await runLockRemove(ctx, 'rbd/img', undefined, undefined, { nodeCheck: false }).catch((e) => e);
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/no terminal to ask on/);
    expect(err.hint).toContain(`nfsctl rbd lock remove rbd/img ${LOCK.id} ${LOCK.locker} --yes`);
    expect(cap.stderr.text).toContain(ADDR);
    expect(mutations(h)).toEqual([]);
  });

  it('--yes removes it through the runner: one rm, audited with the plan id and the verdict', async () => {
    const h = cluster();
    const { ctx, cap, audit } = setup(h);
    await runLockRemove(ctx, 'rbd/img', LOCK.id, LOCK.locker, { yes: true, nodeCheck: false });
    expect(mutations(h)).toEqual([
      `rbd --conf /etc/ceph/ceph.conf --id admin lock rm -- rbd/img ${LOCK.id} ${LOCK.locker}`,
    ]);
    expect(cap.stdout.text).toContain(`removed lock "${LOCK.id}" (${LOCK.locker}) from rbd/img`);
    expect(cap.stdout.text).toContain('locks now: none');
    const recs = audit();
    const planId = recs.find((r) => r.event === 'plan-start')?.planId;
    expect(planId).toMatch(/^\d{8}T\d{6}-[0-9a-f]{6}$/);
    expect(recs.map((r) => r.event ?? 'command')).toEqual(
      expect.arrayContaining(['plan-start', 'step', 'rbd-lock-remove', 'plan-end']),
    );
    const mine = recs.find((r) => r.event === 'rbd-lock-remove')!;
    expect(mine).toMatchObject({ planId, host: 'primary' });
    expect(mine.detail).toMatch(/verdict unknown .*; locker blocklisted/);
    expect(recs.filter((r) => Array.isArray(r.argv) && (r.argv as string[]).includes('rm'))).toHaveLength(1);
    expect(recs.every((r) => r.planId === planId)).toBe(true);
  });

  it('a live lock is refused without --force (exit 4), also with --dry-run and --yes', async () => {
    for (const o of [{ yes: true }, { dryRun: true }]) {
      const h = cluster({ watcher: ADDR });
      const { ctx, audit } = setup(h);
      const err = await runLockRemove(ctx, 'rbd/img', undefined, undefined, { ...o, nodeCheck: false }).catch((e) => e);
      expect(err.exitCode).toBe(4);
      expect(err.message).toMatch(/looks live/);
      expect(mutations(h)).toEqual([]);
      expect(audit()).toEqual([]);
    }
  });

  it('--force on a live lock says FORCED in the plan summary', async () => {
    const h = cluster({ watcher: ADDR });
    const { ctx, cap } = setup(h);
    await runLockRemove(ctx, 'rbd/img', undefined, undefined, { dryRun: true, force: true, nodeCheck: false });
    expect(cap.stdout.text).toContain('FORCED: its holder still watches the image');
    expect(mutations(h)).toEqual([]);
  });

  it('the step re-reads the lock: one taken by another locker since it was shown is not removed', async () => {
    const h = cluster({ lockAfterFirstRead: { id: LOCK.id, locker: 'client.9999', address: '198.51.100.22:0/7' } });
    const { ctx } = setup(h);
    const err = await runLockRemove(ctx, 'rbd/img', undefined, undefined, { yes: true, nodeCheck: false }).catch(
      (e) => e,
    );
    expect(err.message).toMatch(/the lock is no longer there as shown/);
    expect(err.exitCode).toBe(4);
    expect(mutations(h)).toEqual([]);
  });

  it('--no-blocklist puts the override into the one command it runs', async () => {
    const h = cluster();
    const { ctx } = setup(h);
    await runLockRemove(ctx, 'rbd/img', undefined, undefined, { yes: true, blocklist: false, nodeCheck: false });
    expect(mutations(h)).toEqual([
      `rbd --conf /etc/ceph/ceph.conf --id admin --rbd_blocklist_on_break_lock=false lock rm -- rbd/img ${LOCK.id} ${LOCK.locker}`,
    ]);
  });
});

describe('rbd blocklist remove', () => {
  it('--dry-run shows the entry and the plan and runs no mutating command', async () => {
    const h = cluster();
    const { ctx, cap, audit } = setup(h);
    await runBlocklistRemove(ctx, ADDR, { dryRun: true });
    expect(cap.stdout.text).toContain(`lift the blocklist entry ${ADDR}`);
    expect(cap.stdout.text).toContain(`ceph --conf /etc/ceph/ceph.conf --id admin osd blocklist rm ${ADDR}`);
    expect(cap.stdout.text).toContain('dry run: nothing was changed');
    expect(mutations(h)).toEqual([]);
    expect(audit()).toEqual([]);
  });

  it('without a terminal and without --yes: exit 2, nothing lifted', async () => {
    const h = cluster();
    const { ctx } = setup(h);
    const err = await runBlocklistRemove(ctx, ADDR, {}).catch((e) => e);
    expect(err.exitCode).toBe(2);
    expect(err.hint).toBe(`nfsctl rbd blocklist remove ${ADDR} --yes`);
    expect(mutations(h)).toEqual([]);
  });

  it('--yes lifts it through the runner, audited with the plan id', async () => {
    const h = cluster();
    const { ctx, cap, audit } = setup(h);
    await runBlocklistRemove(ctx, ADDR, { yes: true });
    expect(mutations(h)).toEqual([`ceph --conf /etc/ceph/ceph.conf --id admin osd blocklist rm ${ADDR}`]);
    expect(cap.stdout.text).toContain(`removed ${ADDR} from the blocklist (0 entries left)`);
    const recs = audit();
    const planId = recs.find((r) => r.event === 'plan-start')?.planId;
    expect(recs.find((r) => r.event === 'rbd-blocklist-remove')).toMatchObject({
      planId,
      host: 'primary',
      detail: expect.stringContaining(ADDR),
    });
    expect(recs.at(-1)).toMatchObject({ event: 'plan-end', exitCode: 0, planId });
  });

  it('an address not on the blocklist is exit 4 before any plan; a malformed one is exit 2 before anything runs', async () => {
    const h = cluster();
    const { ctx } = setup(h);
    const err = await runBlocklistRemove(ctx, '198.51.100.99:0/1', { yes: true }).catch((e) => e);
    expect(err.exitCode).toBe(4);
    expect(mutations(h)).toEqual([]);
    const h2 = cluster();
    const bad = await runBlocklistRemove(setup(h2).ctx, 'garbage', { yes: true }).catch((e) => e);
    expect(bad.exitCode).toBe(2);
    expect(h2.calls).toEqual([]);
  });
});
