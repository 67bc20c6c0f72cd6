// The HA side of DRBD volumes on the recording fake host, from the DRBD 8.4 outputs recorded
// on the vm tier (test/fixtures/drbd, parsed with src/core/drbd.ts's parseProcDrbd):
// split-brain detection, the readiness a switchover/failback needs (refusals with the
// figures), the waits, the resolution plan (right steps, right hosts, right order; nothing
// runs on bad arguments), and what health, status and ha lint say.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Chalk } from 'chalk';
import { parseConfig } from '../../../src/config/load.js';
import type { Config, PairRole } from '../../../src/config/schema.js';
import { testConfig, testConfigYaml, tempDir } from '../../support/config.js';
import { fakeStorageHost } from '../../support/fake-pair.js';
import { unitFactsOn } from '../../support/fake-units.js';
import { fakeContext } from '../../support/fake-context.js';
import { captureOutput } from '../../support/capture.js';
import { parseProcDrbd, renderDrbdResource, type DrbdState } from '../../../src/core/drbd.js';
import { encodeMetaTags } from '../../../src/core/lvm-json.js';
import { identify } from '../../../src/volume/identity.js';
import { parseVolumeRef } from '../../../src/core/names.js';
import type { VolumeView } from '../../../src/volume/state.js';
import type { HostInventory } from '../../../src/volume/inventory.js';
import { emptyInventory } from '../../../src/volume/inventory.js';
import {
  drbdHealth,
  KERNEL_LOG_SCRIPT,
  parseSplitBrainLog,
  progressBar,
  resyncFigures,
  splitBrainOf,
  waitResynced,
  waitServing,
  type DrbdVolume,
  type SplitBrainEvidence,
} from '../../../src/ha/drbd-pair.js';
import { drbdResyncPhase, judgeForHandover } from '../../../src/ha/handover-drbd.js';
import { handoverPreflight, planHandover, type HandoverOptions } from '../../../src/ha/handover.js';
import { parseKeep, planResolve, renderSplitBrain, splitBrainReport } from '../../../src/ha/split-brain.js';
import { runSplitBrainResolve } from '../../../src/commands/ha/split-brain.js';
import { drbdChecks, drbdFindings } from '../../../src/health/drbd.js';
import { drbdFamilies } from '../../../src/metrics/drbd.js';
import { renderExposition } from '../../../src/metrics/exposition.js';
import { renderMetrics, type PairSnapshot } from '../../../src/metrics/metrics.js';
import { mergeVolumes } from '../../../src/volume/state.js';
import { pairInventory } from '../../../src/volume/inventory.js';
import { drbdWarnings, gatherStatus, renderDrbdStatus, renderStatus, type PairStatus } from '../../../src/ha/status.js';
import { drbdLintRules, lintDrbd } from '../../../src/ha/lint-drbd.js';
import { PreconditionError, UsageError } from '../../../src/core/errors.js';
import { renderPlan } from '../../../src/plan/render.js';
import { PlanFailedError, Runner } from '../../../src/plan/runner.js';
import { holdRules } from '../../../src/ha/vip-hold.js';
import { AuditLog } from '../../../src/state/audit.js';
import { Interrupts } from '../../../src/plan/interrupt.js';
import type { Progress } from '../../../src/cli/progress.js';
import type { FakeHost } from '../../../src/host/fake.js';
import { unmountArgv } from '../../../src/volume/unmount.js';

const FIX = join(__dirname, '../../fixtures/drbd');
const KA = (state: string, prio: number, notify = '/usr/local/sbin/nfsctl ha notify') =>
  `vrrp_instance VI_NFS {\n  state ${state}\n  interface eth0\n  priority ${prio}\n  notify "${notify}"\n}\n`;
const fx = (name: string) => readFileSync(join(FIX, name), 'utf8');
const RES = 'nfsctl-fix';

/** The one resource of a recorded /proc/drbd (minor 100), named as the fixtures' resource. */
function st(file: string): DrbdState {
  const m = parseProcDrbd(fx(file));
  const s = m.get(100);
  if (!s) throw new Error(`${file}: no minor 100`);
  return { ...s, resource: RES };
}

const config = testConfig();

interface SideOpts {
  file: string | null;
  mounted?: boolean;
  served?: boolean;
  resFile?: string | null;
}
function dv(p: SideOpts, b: SideOpts, id = 'team-a/data'): DrbdVolume {
  const identity = identify(config, parseVolumeRef(id));
  const hv = (s: SideOpts) => ({
    reachable: true,
    present: true,
    sizeBytes: null,
    usedBytes: null,
    usage: null,
    mounted: s.mounted ?? false,
    configured: true,
    served: s.served ?? false,
    clients: ['198.51.100.0/24'],
  });
  const view = {
    id,
    path: identity.path,
    backend: 'lvm',
    identity,
    hosts: { primary: hv(p), backup: hv(b) },
  } as unknown as VolumeView;
  const side = (s: SideOpts) => ({
    reachable: true,
    state: s.file ? st(s.file) : null,
    mounted: s.mounted ?? false,
    served: s.served ?? false,
    file: s.resFile ?? null,
  });
  return {
    id,
    path: identity.path,
    resource: RES,
    minor: 100,
    device: '/dev/drbd100',
    view,
    hosts: { primary: side(p), backup: side(b) },
  };
}

const connected = () =>
  dv({ file: 'proc-drbd-primary.txt', mounted: true, served: true }, { file: 'proc-drbd-secondary.txt' });
const resyncing = () =>
  dv(
    { file: 'proc-drbd-syncsource-87pct-with-status.txt', mounted: true, served: true },
    { file: 'proc-drbd-synctarget-75pct-with-status.txt' },
  );
const bothPrimary = () =>
  dv(
    { file: 'proc-drbd-split-brain-primary.txt', mounted: true, served: true },
    { file: 'proc-drbd-split-brain-backup.txt', mounted: true },
  );
const evidence = (): Record<PairRole, SplitBrainEvidence> => ({
  primary: parseSplitBrainLog(fx('dmesg-split-brain-primary.txt')),
  backup: parseSplitBrainLog(fx('dmesg-split-brain-backup.txt')),
});

describe('split brain, from the recorded DRBD 8.4 states and kernel logs', () => {
  it('both sides Primary and StandAlone (both promoted while disconnected) is a split brain', () => {
    const sb = splitBrainOf(bothPrimary());
    expect(sb?.kind).toBe('both-primary');
    expect(drbdHealth(bothPrimary()).kind).toBe('split-brain');
  });
  it('the kernel log line "Split-Brain detected but unresolved" names the minor and the resource; a later resync to Connected clears it', () => {
    const e = parseSplitBrainLog(fx('dmesg-split-brain-primary.txt'));
    expect([...e.minors]).toEqual([100]);
    // DRBD 8.4 says it on the device's line ("block drbd100: ..."): by minor
    expect(e.resources.size).toBe(0);
    const resolved = parseSplitBrainLog(fx('dmesg-split-brain-resolve-primary.txt'));
    expect(resolved.minors.size + resolved.resources.size).toBe(0);
    const rejoin = parseSplitBrainLog(fx('dmesg-rejoin-after-crash-backup.txt'));
    expect(rejoin.minors.size + rejoin.resources.size).toBe(0);
  });
  it('one side demoted (StandAlone Secondary), the other StandAlone Primary: detected only with the kernel log evidence', () => {
    const v = dv(
      { file: 'proc-drbd-split-brain-primary.txt', mounted: true, served: true },
      { file: 'proc-drbd-standalone-secondary.txt' },
    );
    expect(splitBrainOf(v, evidence())?.kind).toBe('detected');
    // without the log lines both StandAlone is only suspected; with one side WFConnection it is "not connected"
    expect(splitBrainOf(v)?.kind).toBe('suspected');
    const w = dv(
      { file: 'proc-drbd-wfconnection-primary.txt', mounted: true, served: true },
      { file: 'proc-drbd-standalone-secondary.txt' },
    );
    expect(splitBrainOf(w)).toBeNull();
    const h = drbdHealth(w);
    expect(h.kind).toBe('bad');
    expect((h as { why: string }).why).toMatch(/primary is WFConnection, not Connected/);
  });
  it('Connected and UpToDate on both is ok; a resync gives its figures from the sync target (oos, percent, ETA)', () => {
    expect(drbdHealth(connected()).kind).toBe('ok');
    const h = drbdHealth(resyncing());
    expect(h.kind).toBe('syncing');
    const f = resyncFigures(resyncing());
    expect(f).toEqual({ outOfSyncBytes: 19328 * 1024, percent: 75, etaSeconds: 4, target: 'backup' });
    expect(progressBar(75)).toBe('[###############.....] 75.0%');
    expect(progressBar(null)).toBe('[????????????????????]');
  });
  it('a StandAlone Inconsistent backup (interrupted resync) is not usable', () => {
    const h = drbdHealth(
      dv(
        { file: 'proc-drbd-wfconnection-peer-inconsistent.txt', mounted: true, served: true },
        { file: 'proc-drbd-standalone-inconsistent.txt' },
      ),
    );
    expect(h.kind).toBe('bad');
  });
});

describe('switchover/failback readiness of the DRBD volumes', () => {
  it('refuses a split brain, naming what diverged and the way out', () => {
    let err: unknown;
    try {
      judgeForHandover([bothPrimary()], evidence(), 'failback', 600_000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toMatch(/refusing to failback.*nothing was changed/s);
    expect((err as Error).message).toMatch(/team-a\/data: SPLIT BRAIN: both hosts are DRBD Primary/);
    expect((err as PreconditionError).hint).toMatch(/nfsctl ha split-brain resolve <volume> --keep primary\|backup/);
  });
  it('refuses a side that is not Connected (nothing replicates) and an Inconsistent side', () => {
    const w = dv(
      { file: 'proc-drbd-wfconnection-primary-oos.txt', mounted: true, served: true },
      { file: 'proc-drbd-standalone-secondary.txt' },
    );
    expect(() => judgeForHandover([w], undefined, 'switchover', 600_000)).toThrow(
      /primary is WFConnection, not Connected/,
    );
  });
  it('a resync short enough is waited for; longer than --resync-wait is refused with its figures', () => {
    expect(judgeForHandover([resyncing(), connected()], undefined, 'failback', 600_000).map((d) => d.id)).toEqual([
      'team-a/data',
    ]);
    expect(() => judgeForHandover([resyncing()], undefined, 'failback', 1000)).toThrow(
      /team-a\/data: resyncing to backup: 18\.88Mi out of sync, 75\.0% synced, ETA 0:04, longer than --resync-wait 0:01/,
    );
  });
  it('Connected and UpToDate on both: nothing to wait for', () => {
    expect(judgeForHandover([connected()], undefined, 'switchover', 600_000)).toEqual([]);
  });
});

describe('the handover plan with DRBD volumes (mixed pair: the rsync part stays)', () => {
  function cfg(): Config {
    return parseConfig(
      testConfigYaml('/tmp/nfsctl-unit-drbd-ho').replace(
        'default: lvm\n  lvm: { vg: vgnfs }',
        'default: xfsquota\n  xfsquota: { root: /nfs, quota: false }',
      ) +
        'services:\n  manager: command\n  command: ["labsvc", "{action}", "{service}"]\n  names: { keepalived: keepalived, nfs: nfs-ganesha, rsyncd: rsync }\n',
    );
  }
  function pair(): Record<PairRole, FakeHost> {
    const mk = (role: PairRole) => {
      const h = fakeStorageHost(role, { vip: role === 'primary' });
      const running = new Set(['nfs-ganesha', 'rsync', ...(role === 'primary' ? ['keepalived'] : [])]);
      h.on(['labsvc', 'status'], (argv) => ({ exitCode: running.has(argv[2]!) ? 0 : 3 }));
      h.on(['labsvc', 'is-enabled'], () => ({ exitCode: 0 }));
      h.on(['true'], { exitCode: 0 });
      unitFactsOn(h, { rootMounted: true, rootEntries: 3, rootUsed: 1000 });
      h.on(['rsync'], {
        stdout: '>f+++++++++ vol/new\n\nNumber of files: 2\nTotal transferred file size: 1,048,576 bytes\n',
      });
      return h;
    };
    return { primary: mk('primary'), backup: mk('backup') };
  }
  const OPTS: HandoverOptions = { kind: 'switchover', resume: false, maxDelete: 10, verify: false };

  it('waits for the resync first, still copies the rsync volumes, waits after the VIP move until the new holder serves the DRBD volumes, and says what clients see', async () => {
    const hosts = pair();
    const f = await handoverPreflight(cfg(), hosts, OPTS);
    f.drbd = [resyncing()];
    f.drbdResync = [resyncing()];
    f.drbdHooks = { primary: '/usr/local/sbin/nfsctl', backup: '/usr/local/sbin/nfsctl' };
    const { plan } = planHandover(cfg(), hosts, f, OPTS);
    const ids = plan.phases.flatMap((p) => p.steps.map((s) => `${s.host}|${s.id}`));
    expect(ids[0]).toBe('backup|backup:drbd-resync');
    expect(ids).toContain('backup|backup:bulk-sync'); // the rsync part of a mixed pair
    expect(ids.indexOf('backup|backup:drbd-resync')).toBeLessThan(ids.indexOf('primary|primary:freeze'));
    // the DRBD move around the VIP move: hold on backup, VIP, primary lets go, backup serves, release
    const order = [
      'backup:vip-hold',
      'backup:vip-move',
      'primary:drbd-leave',
      'backup:drbd-serve',
      'backup:vip-release',
    ];
    const at = order.map((id) => ids.findIndex((x) => x.endsWith(`|${id}`)));
    expect(
      at.every((i) => i >= 0),
      ids.join('\n'),
    ).toBe(true);
    expect(
      at.every((i, k) => k === 0 || i > at[k - 1]!),
      ids.join('\n'),
    ).toBe(true);
    const notes = plan.notes!.join('\n');
    expect(notes).toMatch(/DRBD volumes \(team-a\/data\) are not copied/);
    expect(notes).toMatch(/open files survive/);
    expect(notes).toMatch(/NOT move: .*\/var\/lib\/nfs\/nfsdcltrack.*\/var\/lib\/nfs\/sm/);
    expect(notes).toMatch(/team-a\/data: resync under way \(18\.88Mi out of sync, 75\.0% synced, ETA 0:04\)/);
    expect(plan.summary).toContain('open files kept (DRBD, nothing acknowledged lost): team-a/data');
    const text = renderPlan(plan, new Chalk({ level: 0 })).split('\n');
    for (const l of text.slice(text.indexOf('Summary:'))) expect(l.length).toBeLessThanOrEqual(80);
  });
  it('without a resync under way there is no wait phase; without DRBD volumes nothing changes in the plan', async () => {
    const hosts = pair();
    const f = await handoverPreflight(cfg(), hosts, OPTS);
    const before = planHandover(cfg(), hosts, f, OPTS).plan;
    expect(before.phases.flatMap((p) => p.steps).some((s) => s.id.includes('drbd'))).toBe(false);
    expect(before.notes!.join('\n')).not.toMatch(/DRBD/);
    f.drbd = [connected()];
    f.drbdResync = [];
    const x = { config: cfg(), hosts, facts: f, opts: OPTS, run: { syncs: [], warnings: [] } };
    expect(drbdResyncPhase(x)).toEqual([]);
  });
});

describe('the waits', () => {
  const hosts = { primary: fakeStorageHost('primary'), backup: fakeStorageHost('backup') };
  it('waitResynced shows the bar and figures until both are Connected and UpToDate', async () => {
    const seq = [resyncing(), resyncing(), connected()];
    const lines: string[] = [];
    const out = await waitResynced(config, hosts, [resyncing()], {
      timeoutMs: 60_000,
      sleep: async () => undefined,
      reread: async () => [seq.shift()!],
      progress: (t) => lines.push(t),
    });
    expect(drbdHealth(out[0]!).kind).toBe('ok');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      'DRBD resync: team-a/data [###############.....] 75.0% 18.88Mi out of sync, 75.0% synced, ETA 0:04',
    );
  });
  it('waitResynced gives up at its deadline with the figures', async () => {
    let t = 0;
    await expect(
      waitResynced(config, hosts, [resyncing()], {
        timeoutMs: 5000,
        now: () => t,
        sleep: async (ms) => void (t += ms),
        reread: async () => [resyncing()],
      }),
    ).rejects.toThrow(/did not finish within 5 s: .*18\.88Mi out of sync.*goes on by itself/);
  });
  it('waitServing returns once the new holder is Primary, mounted and exported; else names what is missing', async () => {
    const served = dv(
      { file: 'proc-drbd-secondary.txt' },
      { file: 'proc-drbd-primary.txt', mounted: true, served: true },
    );
    const seq = [connected(), served];
    const ms = await waitServing(config, 'backup', hosts.backup, [connected()], {
      timeoutMs: 10_000,
      sleep: async () => undefined,
      reread: async () => [seq.shift()!],
    });
    expect(ms).toBeGreaterThanOrEqual(0);
    let t = 0;
    await expect(
      waitServing(config, 'backup', hosts.backup, [connected()], {
        timeoutMs: 1000,
        now: () => t,
        sleep: async (x) => void (t += x),
        reread: async () => [connected()],
      }),
    ).rejects.toThrow(
      /backup holds the VIP but does not serve every DRBD volume after 1 s: team-a\/data: DRBD Secondary, not mounted, not exported/,
    );
  });
});

describe('ha split-brain resolve', () => {
  const hosts = { primary: fakeStorageHost('primary'), backup: fakeStorageHost('backup') };
  const steps = (p: ReturnType<typeof planResolve>) =>
    p.phases.flatMap((ph) =>
      ph.steps.map((s) => `${s.host}|${s.id}|${s.action.kind === 'run' ? s.action.argv.join(' ') : ''}`),
    );

  it('--keep is required and must be primary or backup', () => {
    expect(() => parseKeep(undefined)).toThrow(UsageError);
    expect(() => parseKeep(undefined)).toThrow(/--keep is required/);
    expect(() => parseKeep('both')).toThrow(/--keep: expected primary or backup, got "both"/);
    expect(parseKeep('backup')).toBe('backup');
  });
  it('bad arguments are refused before any host is contacted', async () => {
    for (const [target, o] of [
      ['team-a/data', {}],
      ['team-a/data', { keep: 'nobody' }],
      ['Not A Ref', { keep: 'primary' }],
      ['team-a/data', { keep: 'primary', wait: 'soon' }],
    ] as const) {
      const f = fakeContext(config);
      await expect(runSplitBrainResolve(f.ctx, target, { ...o })).rejects.toBeInstanceOf(UsageError);
      expect(f.untouched()).toBe(true);
    }
  });
  it('keeping the VIP holder (primary): the backup unexports, unmounts, demotes and discards its changes; the primary reconnects; then the resync is waited for', () => {
    const p = planResolve(config, bothPrimary(), 'primary', evidence(), { keep: 'primary' }, hosts);
    const s = steps(p);
    expect(s.map((x) => x.split('|').slice(0, 2).join('|'))).toEqual([
      'backup|backup:umount',
      'backup|backup:drbd-secondary',
      'backup|backup:drbd-discard',
      'primary|primary:drbd-connect',
      'primary|primary:drbd-resync',
    ]);
    expect(s).toContain('backup|backup:drbd-secondary|drbdadm secondary nfsctl-fix');
    expect(s).toContain('backup|backup:drbd-discard|drbdadm connect --discard-my-data nfsctl-fix');
    expect(s).toContain('primary|primary:drbd-connect|drbdadm connect nfsctl-fix');
    expect(s).toContain(`backup|backup:umount|${unmountArgv(bothPrimary().path, null).join(' ')}`);
    expect(p.summary![0]).toMatch(
      /KEEPS primary's data of team-a\/data; DISCARDS what backup wrote since the split \(~2\.04Mi marked there\)/,
    );
    expect(p.notes!.join('\n')).toMatch(/SPLIT BRAIN \(both-primary\)/);
    expect(p.notes!.join('\n')).toMatch(/the VIP is on primary, whose data is kept/);
  });
  it('keeping the side without the VIP: after the resync the kept side steps down and the VIP holder promotes, mounts and exports its data', () => {
    const p = planResolve(config, bothPrimary(), 'primary', evidence(), { keep: 'backup' }, hosts);
    expect(steps(p).map((x) => x.split('|').slice(0, 2).join('|'))).toEqual([
      'primary|primary:unexport',
      'primary|primary:umount',
      'primary|primary:drbd-secondary',
      'primary|primary:drbd-discard',
      'backup|backup:drbd-connect',
      'backup|backup:drbd-resync',
      'backup|backup:umount',
      'backup|backup:drbd-secondary',
      'primary|primary:drbd-primary',
      'primary|primary:mount',
      'primary|primary:export',
    ]);
    expect(steps(p)).toContain('primary|primary:mount|mount -t xfs /dev/drbd100 ' + bothPrimary().path);
    expect(p.notes!.join('\n')).toMatch(
      /the VIP is on primary, whose changes are discarded: its clients lose what they wrote since the split/,
    );
  });
  it('a discarded side still waiting for its peer (WFConnection) is disconnected first; a kept side that is not StandAlone is not reconnected', () => {
    const v = dv(
      { file: 'proc-drbd-wfconnection-primary.txt', mounted: true, served: true },
      { file: 'proc-drbd-standalone-secondary.txt' },
    );
    const p = planResolve(config, v, 'primary', {}, { keep: 'backup' }, hosts);
    const ids = steps(p).map((x) => x.split('|')[1]);
    expect(ids.slice(0, 5)).toEqual([
      'primary:unexport',
      'primary:umount',
      'primary:drbd-disconnect',
      'primary:drbd-secondary',
      'primary:drbd-discard',
    ]);
    expect(ids).toContain('backup:drbd-connect'); // the backup is StandAlone
    const q = planResolve(
      config,
      dv(
        { file: 'proc-drbd-standalone-secondary.txt' },
        { file: 'proc-drbd-wfconnection-primary.txt', mounted: true, served: true },
      ),
      'backup',
      {},
      { keep: 'backup' },
      hosts,
    );
    expect(steps(q).map((x) => x.split('|')[1])).toEqual(['primary:drbd-discard', 'backup:drbd-resync']);
  });
  it('refuses when there is nothing to resolve, the kept side is Inconsistent, or a side is not up', () => {
    expect(() => planResolve(config, connected(), 'primary', {}, { keep: 'primary' }, hosts)).toThrow(
      /no split brain to resolve: Connected and UpToDate on both hosts; nothing was changed/,
    );
    const inc = dv(
      { file: 'proc-drbd-wfconnection-peer-inconsistent.txt', mounted: true, served: true },
      { file: 'proc-drbd-standalone-inconsistent.txt' },
    );
    expect(() => planResolve(config, inc, 'primary', {}, { keep: 'backup' }, hosts)).toThrow(
      /backup's disk is Inconsistent: its data cannot be the one kept/,
    );
    const down = dv({ file: 'proc-drbd-split-brain-primary.txt' }, { file: null });
    expect(() => planResolve(config, down, 'primary', {}, { keep: 'primary' }, hosts)).toThrow(
      /nfsctl-fix is not up on backup/,
    );
  });
  it('applied (up to the wait), the commands run on the right hosts in the plan order', async () => {
    const pair = { primary: fakeStorageHost('primary'), backup: fakeStorageHost('backup') };
    const plan = planResolve(config, bothPrimary(), 'primary', evidence(), { keep: 'primary' }, pair);
    plan.phases = plan.phases.filter((p) => !p.steps.some((s) => s.id.endsWith('drbd-resync')));
    const quiet: Progress = { phase() {}, stepStart() {}, stepDone() {}, stepFailed() {}, stop() {} };
    const runner = new Runner({
      out: captureOutput().out,
      progress: quiet,
      audit: new AuditLog(join(tempDir(), 'audit.jsonl'), ['ha', 'split-brain'], 'alice'),
      prompter: async () => ({ confirm: async () => true, typed: async () => true }),
      host: (n) => pair[n as PairRole],
      interrupts: new Interrupts(),
    });
    await runner.run(plan, {
      dryRun: false,
      yes: true,
      json: false,
      interactive: false,
      confirm: { kind: 'type', message: '', expected: 'team-a/data' },
    });
    // the retried unmount runs as sh -c <script>: shown here by the umount it retries
    const retried = unmountArgv(bothPrimary().path, null).join(' ');
    const drbd = (h: FakeHost) =>
      h
        .commandLines()
        .map((l) => (l === retried ? `umount ${bothPrimary().path}` : l))
        .filter((l) => /^(drbdadm|umount|mount)\b/.test(l));
    expect(drbd(pair.backup)).toEqual([
      `umount ${bothPrimary().path}`,
      'drbdadm secondary nfsctl-fix',
      'drbdadm connect --discard-my-data nfsctl-fix',
    ]);
    expect(drbd(pair.primary)).toEqual(['drbdadm connect nfsctl-fix']);
    // the primary keeps serving: nothing unexported there
    expect(pair.primary.commandLines().some((l) => l.includes('RemoveExport'))).toBe(false);
  });
  it('the show command says per volume what diverged, where the VIP is and how to resolve it', () => {
    const r = splitBrainReport(
      [bothPrimary(), connected()].map((d, i) => (i ? { ...d, id: 'team-b/ok' } : d)),
      evidence(),
      'primary',
    );
    const text = renderSplitBrain(r);
    expect(text).toMatch(/team-a\/data {2}resource nfsctl-fix {2}\/dev\/drbd100 {2}VIP on primary/);
    expect(text).toMatch(/SPLIT BRAIN \(both-primary\)/);
    expect(text).toMatch(
      /primary {2}Primary\/Unknown StandAlone UpToDate\/DUnknown, mounted, exported; marked out of sync: 40Ki {2}<- VIP/,
    );
    expect(text).toMatch(
      /backup {3}Primary\/Unknown StandAlone UpToDate\/DUnknown, mounted; marked out of sync: 2\.04Mi/,
    );
    expect(text).toMatch(/nfsctl ha split-brain resolve team-a\/data --keep primary/);
    expect(text).toMatch(/1 DRBD volume\(s\) without a split brain: team-b\/ok \(Connected, UpToDate\)/);
    expect(r.volumes[0]!.hosts.backup.outOfSyncBytes).toBe(2092 * 1024);
  });
});

describe('health, status and ha lint of the DRBD volumes', () => {
  it('health: split brain critical, resync warn with its bar, not served by the VIP holder critical, replicating and served ok', () => {
    const f = drbdFindings(config, [bothPrimary()], 'primary', evidence());
    expect(f[0]).toMatchObject({ id: 'drbd:team-a/data', status: 'critical' });
    expect(f[0]!.evidence).toMatch(/^SPLIT BRAIN/);
    expect(f[0]!.fix).toMatch(/nfsctl ha split-brain resolve team-a\/data --keep primary\|backup/);
    const r = drbdFindings(config, [resyncing()], 'primary')[0]!;
    expect(r.status).toBe('warn');
    expect(r.evidence).toMatch(/resync to backup \[###############\.\.\.\.\.\] 75\.0% 18\.88Mi out of sync/);
    expect(drbdFindings(config, [connected()], 'primary')[0]!.status).toBe('ok');
    const wrong = drbdFindings(config, [connected()], 'backup')[0]!;
    expect(wrong.status).toBe('critical');
    expect(wrong.evidence).toMatch(
      /the VIP holder backup does not serve it \(DRBD Secondary, not mounted, not exported\); primary \(no VIP\) is Primary too/,
    );
    // the old holder lets go first: the holder's promote fails while it is Primary
    expect(wrong.fix).toMatch(
      /^on primary: nfsctl ha notify INSTANCE \S+ STOP \(unexport, unmount, demote\); then on backup: nfsctl ha notify INSTANCE \S+ MASTER/,
    );
  });
  it('status: per volume a line (with the bar while resyncing) and the warnings', () => {
    const st = {
      drbd: splitBrainReport(
        [bothPrimary(), resyncing()].map((d, i) => (i ? { ...d, id: 'team-b/sync' } : d)),
        evidence(),
        'primary',
      ).volumes,
    } as PairStatus;
    const lines = renderDrbdStatus(st);
    expect(lines[0]).toMatch(/^drbd team-a\/data \(nfsctl-fix\): SPLIT BRAIN; primary Primary\/Unknown StandAlone/);
    expect(lines[1]).toMatch(
      /^drbd team-b\/sync \(nfsctl-fix\): RESYNC; primary Primary\/Secondary SyncSource UpToDate\/Inconsistent/,
    );
    expect(lines[2]).toMatch(/^ {2}resync to backup \[###############\.\.\.\.\.\] 75\.0%/);
    expect(drbdWarnings(st).map((w) => w.id)).toEqual(['drbd-split-brain', 'drbd-resync']);
  });
  it('ha lint: the resource files must be on both hosts, the same, and as the metadata says', () => {
    const file = fx('drbdadm-dump.txt'); // not nfsctl's (no mark): refused as such
    const ours = `# nfsctl: managed resource for team-a/data; do not edit\nresource "nfsctl-fix" {\n  net {\n    protocol C;\n  }\n  on "primary" {\n    device /dev/drbd100 minor 100;\n    disk "/dev/vgnfs/fix";\n    meta-disk internal;\n    address ipv4 198.51.100.11:7790;\n  }\n  on "backup" {\n    device /dev/drbd100 minor 100;\n    disk "/dev/vgnfs/fix";\n    meta-disk internal;\n    address ipv4 198.51.100.12:7790;\n  }\n}\n`;
    const inv: Record<PairRole, HostInventory> = {
      primary: emptyInventory('primary'),
      backup: emptyInventory('backup'),
    };
    const meta = () => ({ resource: RES, minor: 100, port: 7790 });
    const lint = (p: string | null, b: string | null, m = meta) =>
      drbdLintRules(
        config,
        inv,
        [dv({ file: 'proc-drbd-primary.txt', resFile: p }, { file: 'proc-drbd-secondary.txt', resFile: b })],
        m,
      )[0]!;
    expect(lint(ours, ours)).toMatchObject({ id: 'drbd-resource:team-a/data', status: 'ok' });
    expect(lint(ours, ours.replace('7790;\n  }\n}', '7791;\n  }\n}')).evidence).toMatch(
      /the resource files differ between the hosts/,
    );
    expect(lint(ours, null).evidence).toMatch(/backup has no resource file for nfsctl-fix/);
    expect(lint(ours, ours, () => ({ resource: RES, minor: 101, port: 7790 })).evidence).toMatch(
      /the file has minor 100, the metadata 101/,
    );
    expect(lint(file, file).evidence).toMatch(/does not read as nfsctl's/);
    expect(
      lint(ours.replace('team-a/data', 'team-b/other'), ours.replace('team-a/data', 'team-b/other')).evidence,
    ).toMatch(/marked for team-b\/other, not team-a\/data/);
  });
});

describe('switchover preflight on fake hosts with the drbd backend (its readHost: lvs, /proc/drbd, resource files)', () => {
  const G = 2 ** 30;
  const ref = parseVolumeRef('team-a/data');
  const RESN = 'nfsctl-pv_team-a_data';
  function cfg(): Config {
    return parseConfig(
      testConfigYaml(tempDir())
        .replace('server: ganesha', 'server: kernel')
        .replace('lvm: { vg: vgnfs }', 'lvm: { vg: vgnfs, replication: drbd }') +
        'services:\n  manager: command\n  command: ["labsvc", "{action}", "{service}"]\n  names: { keepalived: keepalived, nfs: nfs-server, rsyncd: rsync }\n',
      'test.yaml',
    );
  }
  /** The recorded /proc/drbd of minor 100, as a file of this volume's resource. */
  const procOf = (file: string) => fx(file);
  function pair(config: Config, procP: string, procB: string): Record<PairRole, FakeHost> {
    const v = identify(config, ref);
    const meta = {
      v: 1 as const,
      namespace: 'team-a',
      name: 'data',
      labels: {},
      createdAt: '2026-12-02T05:00:00Z',
      createdBy: 'alice@primary',
      backend: 'drbd' as const,
      size: G,
      drbd: { resource: RESN, minor: 100, port: 7790 },
    };
    const file = renderDrbdResource({
      volumeId: v.id,
      resource: RESN,
      minor: 100,
      port: 7790,
      disk: `/dev/vgnfs/${v.lv}`,
      hosts: [
        { hostname: 'primary', address: '198.51.100.11' },
        { hostname: 'backup', address: '198.51.100.12' },
      ],
    });
    const exp = `${v.path} 198.51.100.0/24(rw,sync,fsid=${v.fsid}) # nfsctl:${v.id}\n`;
    const mk = (role: PairRole, proc: string) => {
      const h = fakeStorageHost(role, {
        vip: role === 'primary',
        lvs: [{ name: v.lv, size: G, tags: encodeMetaTags(meta) }],
        dirs: [v.path],
        exports: exp,
        exportfsV: role === 'primary' ? `${v.path}\t198.51.100.0/24(rw,sync,fsid=${v.fsid})\n` : '',
        ...(role === 'primary' ? { mounts: `/dev/drbd100 ${v.path} xfs rw 0 0\n` } : {}),
      });
      h.files.set('/proc/drbd', proc);
      h.files.set(
        '/etc/keepalived/keepalived.conf',
        KA(role === 'primary' ? 'MASTER' : 'BACKUP', role === 'primary' ? 150 : 100),
      );
      h.on(
        (a) => a[0] === 'sh' && a[3] === 'nfsctl-drbd',
        () => ({ stdout: `==> ${RESN}.res <==\n${file}\n` }),
      );
      const running = new Set(['nfs-server', 'rsync', ...(role === 'primary' ? ['keepalived'] : [])]);
      h.on(['labsvc', 'status'], (argv) => ({ exitCode: running.has(argv[2]!) ? 0 : 3 }));
      h.on(['labsvc', 'is-enabled'], () => ({ exitCode: 0 }));
      h.on(['true'], { exitCode: 0 });
      h.on(['sh', '-c', KERNEL_LOG_SCRIPT], () => ({ stdout: fx(`dmesg-split-brain-${role}.txt`) }));
      unitFactsOn(h, { rootMounted: false, rootEntries: 0 });
      h.on(['rsync'], { stdout: '\nNumber of files: 1\nTotal transferred file size: 0 bytes\n' });
      return h;
    };
    return { primary: mk('primary', procP), backup: mk('backup', procB) };
  }
  const OPTS: HandoverOptions = { kind: 'switchover', resume: false, maxDelete: 10, verify: false };
  /** Nothing but reads ran: no service action, no drbdadm, no (u)mount, no exportfs change, no write. */
  const onlyReads = (h: FakeHost) =>
    h.writes.length === 0 &&
    !h
      .commandLines()
      .some((l) => /^(labsvc (start|stop|enable|disable)|drbdadm|umount|mount |exportfs -(r|u|o))/.test(l));

  it('a split brain is refused with what diverged, and nothing but reads ran on either host', async () => {
    const config = cfg();
    const hosts = pair(config, procOf('proc-drbd-split-brain-primary.txt'), procOf('proc-drbd-split-brain-backup.txt'));
    const err = await handoverPreflight(config, hosts, OPTS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toMatch(
      /team-a\/data: SPLIT BRAIN: both hosts are DRBD Primary for nfsctl-pv_team-a_data/,
    );
    expect((err as Error).message).toMatch(
      /primary: Primary\/Unknown StandAlone UpToDate\/DUnknown, mounted, exported; backup: Primary\/Unknown StandAlone/,
    );
    for (const h of [hosts.primary, hosts.backup]) expect(onlyReads(h)).toBe(true);
  });
  it('a StandAlone backup with the kernel log line is a (detected) split brain too', async () => {
    const config = cfg();
    const hosts = pair(
      config,
      procOf('proc-drbd-split-brain-primary.txt'),
      procOf('proc-drbd-standalone-secondary.txt'),
    );
    await expect(handoverPreflight(config, hosts, OPTS)).rejects.toThrow(
      /SPLIT BRAIN: DRBD found diverged data on reconnect/,
    );
    for (const h of [hosts.primary, hosts.backup]) expect(onlyReads(h)).toBe(true);
  });
  it('Connected and UpToDate: the plan has no copy of the DRBD volume and its VIP move waits until the backup serves it', async () => {
    const config = cfg();
    const hosts = pair(config, procOf('proc-drbd-primary.txt'), procOf('proc-drbd-secondary.txt'));
    const f = await handoverPreflight(config, hosts, OPTS);
    expect(f.drbd!.map((d) => `${d.id} ${d.resource} ${d.device}`)).toEqual([
      'team-a/data nfsctl-pv_team-a_data /dev/drbd100',
    ]);
    expect(f.units.flatMap((u) => u.volumes)).not.toContain('team-a/data');
    const { plan } = planHandover(config, hosts, f, OPTS);
    const steps = plan.phases.flatMap((p) => p.steps);
    expect(steps.some((s) => s.id.endsWith('drbd-resync'))).toBe(false);
    expect(f.drbdHooks).toEqual({ primary: '/usr/local/sbin/nfsctl', backup: '/usr/local/sbin/nfsctl' });
    expect(steps.map((s) => `${s.host} ${s.id}`).filter((l) => /vip-|drbd-/.test(l))).toEqual([
      'backup backup:vip-hold',
      'backup backup:vip-connections',
      'primary backup:vip-move',
      'primary primary:drbd-leave',
      'backup backup:drbd-serve',
      'backup backup:vip-release',
      'primary primary:vip-connections',
    ]);
    expect(plan.summary).toContain('open files kept (DRBD, nothing acknowledged lost): team-a/data');
    for (const h of [hosts.primary, hosts.backup]) expect(onlyReads(h)).toBe(true);
  });
  /**
   * The pair as a switchover changes it: stopping keepalived on the primary moves the VIP; the
   * notify hook run by the plan (--planned) demotes/promotes the volume (its /proc/drbd, mount
   * and export change as drbdadm, mount and exportfs would change them). Every command is logged
   * in one list, so the order across the two hosts can be read.
   */
  function liveSwitchover(config: Config, o: { serveFails?: boolean } = {}) {
    const hosts = pair(config, procOf('proc-drbd-primary.txt'), procOf('proc-drbd-secondary.txt'));
    const v = identify(config, ref);
    const log: string[] = [];
    let vipOn: PairRole = 'primary';
    const exported: Record<PairRole, boolean> = { primary: true, backup: false };
    for (const role of ['primary', 'backup'] as const) {
      const h = hosts[role];
      h.on(['ip', '-j', 'addr', 'show'], () => ({
        stdout: JSON.stringify([
          {
            ifname: 'eth0',
            addr_info: [{ local: '198.51.100.11' }, ...(vipOn === role ? [{ local: '198.51.100.100' }] : [])],
          },
        ]),
      }));
      h.on(['exportfs', '-v'], () => ({
        stdout: exported[role] ? `${v.path}\t198.51.100.0/24(rw,sync,fsid=${v.fsid})\n` : '',
      }));
      // iptables -C: the hold rules are absent until inserted
      const rules = new Set<string>();
      h.on(['iptables'], (a) => {
        const key = a.slice(3).join(' ');
        if (a[2] === '-C') return { exitCode: rules.has(key) ? 0 : 1 };
        if (a[2] === '-I') rules.add(key);
        if (a[2] === '-D') rules.delete(key);
        return { exitCode: 0 };
      });
      h.on(['/usr/local/sbin/nfsctl', 'ha', 'notify'], (a) => {
        const state = a[5];
        if (state === 'MASTER') {
          if (role === 'backup' && o.serveFails) return { exitCode: 1, stderr: 'ha notify: drbdadm primary failed' };
          h.files.set('/proc/drbd', procOf('proc-drbd-primary.txt'));
          h.files.set('/proc/mounts', `/dev/drbd100 ${v.path} xfs rw 0 0\n`);
          exported[role] = true;
        } else {
          h.files.set('/proc/drbd', procOf('proc-drbd-secondary.txt'));
          h.files.set('/proc/mounts', '');
          exported[role] = false;
          // the real hook holds on the standby (BACKUP/STOP)
          for (const r of holdRules('198.51.100.100')) rules.add(r.join(' '));
        }
        return { exitCode: 0 };
      });
      if (role === 'primary')
        h.on(['labsvc', 'stop', 'keepalived'], () => {
          vipOn = 'backup';
          return { exitCode: 0 };
        });
      if (role === 'primary')
        h.on(['labsvc', 'start', 'keepalived'], () => {
          vipOn = 'primary';
          return { exitCode: 0 };
        });
      const run = h.run.bind(h);
      h.run = async (a, opts) => {
        if (
          /^(iptables|labsvc (start|stop)|\/usr\/local\/sbin\/nfsctl)$/.test(
            a[0] === 'labsvc' ? `labsvc ${a[1]}` : a[0]!,
          )
        )
          log.push(`${role}: ${a.join(' ')}`);
        return run(a, opts);
      };
    }
    return { hosts, log, rules: () => ({ vipOn, exported }) };
  }
  const runnerFor = (hosts: Record<PairRole, FakeHost>) => {
    const quiet: Progress = { phase() {}, stepStart() {}, stepDone() {}, stepFailed() {}, stop() {} };
    return new Runner({
      out: captureOutput().out,
      progress: quiet,
      audit: new AuditLog(join(tempDir(), 'audit.jsonl'), ['switchover'], 'alice'),
      prompter: async () => ({ confirm: async () => true, typed: async () => true }),
      host: (n) => hosts[n as PairRole],
      interrupts: new Interrupts(),
    });
  };
  const APPLY = {
    dryRun: false,
    yes: true,
    json: false,
    interactive: false,
    confirm: { kind: 'yesno' as const, message: '' },
  };
  const HOOK = '/usr/local/sbin/nfsctl ha notify INSTANCE VI_NFS';
  const HOLD = (op: string, proto: string) =>
    `iptables -w ${op} INPUT -d 198.51.100.100/32 -p ${proto} --dport 2049 -m comment --comment nfsctl-vip-hold -j DROP`;

  it('applied: backup holds NFS traffic to the VIP, the VIP moves, the primary lets go, the backup serves, then the hold is released', async () => {
    const config = cfg();
    const { hosts, log, rules } = liveSwitchover(config);
    const f = await handoverPreflight(config, hosts, OPTS);
    const { plan } = planHandover(config, hosts, f, OPTS);
    await runnerFor(hosts).run(plan, APPLY);
    expect(log).toEqual([
      'primary: labsvc stop nfs-server', // the freeze (kernel nfsd), as before
      `backup: ${HOLD('-C', 'tcp')}`,
      `backup: ${HOLD('-I', 'tcp')}`,
      `backup: ${HOLD('-C', 'udp')}`,
      `backup: ${HOLD('-I', 'udp')}`,
      'primary: labsvc stop keepalived',
      `primary: ${HOOK} STOP --planned`,
      `backup: ${HOOK} MASTER --planned`,
      `backup: ${HOLD('-C', 'tcp')}`,
      `backup: ${HOLD('-D', 'tcp')}`,
      `backup: ${HOLD('-C', 'tcp')}`,
      `backup: ${HOLD('-C', 'udp')}`,
      `backup: ${HOLD('-D', 'udp')}`,
      `backup: ${HOLD('-C', 'udp')}`,
    ]);
    expect(rules()).toEqual({ vipOn: 'backup', exported: { primary: false, backup: true } });
  });
  it('the backup fails to serve: undone in reverse (backup lets go, primary serves again and is released, the VIP comes back; the backup, standby again, keeps holding)', async () => {
    const config = cfg();
    const { hosts, log, rules } = liveSwitchover(config, { serveFails: true });
    const f = await handoverPreflight(config, hosts, OPTS);
    const { plan } = planHandover(config, hosts, f, OPTS);
    const err = await runnerFor(hosts)
      .run(plan, APPLY)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanFailedError);
    expect((err as Error).message).toMatch(/drbdadm primary failed/);
    const after = log.slice(log.indexOf(`backup: ${HOOK} MASTER --planned`) + 1);
    expect(
      after.filter((l) => !l.includes(' -C ')),
      log.join('\n'),
    ).toEqual([
      `backup: ${HOOK} BACKUP --planned`,
      `primary: ${HOOK} MASTER --planned`,
      `primary: ${HOLD('-D', 'tcp')}`,
      `primary: ${HOLD('-D', 'udp')}`,
      'primary: labsvc start keepalived',
    ]);
    expect(rules()).toEqual({ vipOn: 'primary', exported: { primary: true, backup: false } });
  });
  it('refused before anything changes: no nfsctl notify hook on a host, or no iptables on the new holder', async () => {
    const config = cfg();
    const hosts = pair(config, procOf('proc-drbd-primary.txt'), procOf('proc-drbd-secondary.txt'));
    hosts.backup.files.set('/etc/keepalived/keepalived.conf', KA('BACKUP', 100, '/usr/local/bin/other-hook'));
    await expect(handoverPreflight(config, hosts, OPTS)).rejects.toThrow(
      /notify hook, which is not installed; nothing was changed:\n  backup: vrrp_instance VI_NFS has no notify "<nfsctl> ha notify"/,
    );
    const h2 = pair(config, procOf('proc-drbd-primary.txt'), procOf('proc-drbd-secondary.txt'));
    h2.backup.on(['sh', '-c', 'command -v iptables >/dev/null 2>&1'], { exitCode: 1 });
    await expect(handoverPreflight(config, h2, OPTS)).rejects.toThrow(/iptables is not installed on backup/);
    for (const h of [hosts.primary, hosts.backup, h2.primary, h2.backup]) expect(onlyReads(h)).toBe(true);
  });
  it('a resync under way (the recorded SyncSource/SyncTarget) becomes the first step; with --resync-wait shorter than its ETA it is refused', async () => {
    const config = cfg();
    const hosts = pair(config, procOf('proc-drbd-syncsource.txt'), procOf('proc-drbd-synctarget.txt'));
    const f = await handoverPreflight(config, hosts, OPTS);
    const { plan } = planHandover(config, hosts, f, OPTS);
    expect(plan.phases[0]!.steps.map((s) => `${s.host} ${s.id}`)).toEqual(['backup backup:drbd-resync']);
    await expect(handoverPreflight(config, hosts, { ...OPTS, resyncWaitMs: 10_000 })).rejects.toThrow(
      /team-a\/data: resyncing to backup: .*out of sync, 12\.5% synced, ETA 1:15, longer than --resync-wait 0:10/,
    );
  });
  it('ha split-brain resolve --dry-run through the command: the plan from what the hosts say, nothing changed', async () => {
    const config = cfg();
    const hosts = pair(config, procOf('proc-drbd-split-brain-primary.txt'), procOf('proc-drbd-split-brain-backup.txt'));
    const f = fakeContext(config, { primary: hosts.primary as never, backup: hosts.backup as never });
    await runSplitBrainResolve(f.ctx, 'team-a/data', { keep: 'primary', dryRun: true });
    const text = f.stdout.text + f.stderr.text;
    expect(text).toMatch(/drbdadm connect --discard-my-data nfsctl-pv_team-a_data/);
    expect(text).toMatch(/KEEPS primary's data of team-a\/data/);
    for (const h of [hosts.primary, hosts.backup]) expect(onlyReads(h)).toBe(true);
  });
  it('ha split-brain resolve refuses a Connected volume and an unknown one, changing nothing', async () => {
    const config = cfg();
    const hosts = pair(config, procOf('proc-drbd-primary.txt'), procOf('proc-drbd-secondary.txt'));
    const f = fakeContext(config, { primary: hosts.primary as never, backup: hosts.backup as never });
    await expect(runSplitBrainResolve(f.ctx, 'team-a/data', { keep: 'backup', dryRun: true })).rejects.toThrow(
      /no split brain to resolve/,
    );
    await expect(runSplitBrainResolve(f.ctx, 'team-a/other', { keep: 'backup', dryRun: true })).rejects.toThrow(
      /no volume team-a\/other on either host/,
    );
    for (const h of [hosts.primary, hosts.backup]) expect(onlyReads(h)).toBe(true);
  });
  it('ha lint on the hosts: the same marked file on both, as the metadata says, is ok', async () => {
    const config = cfg();
    const hosts = pair(config, procOf('proc-drbd-primary.txt'), procOf('proc-drbd-secondary.txt'));
    const [finding] = await lintDrbd(config, hosts);
    expect(finding).toMatchObject({ id: 'drbd-resource:team-a/data', status: 'ok' });
  });
  it('health and status read the split brain from the hosts: a critical finding and a drbd-split-brain warning', async () => {
    const config = cfg();
    const hosts = pair(config, procOf('proc-drbd-split-brain-primary.txt'), procOf('proc-drbd-split-brain-backup.txt'));
    const inv = await pairInventory(config, hosts);
    const [finding] = await drbdChecks(config, hosts, new Map(Object.entries(inv) as [PairRole, HostInventory][]), [
      'primary',
    ]);
    expect(finding).toMatchObject({ id: 'drbd:team-a/data', status: 'critical' });
    expect(finding!.evidence).toMatch(/^SPLIT BRAIN: both hosts are DRBD Primary/);
    const st = await gatherStatus(config, hosts);
    expect(st.drbd!.map((v) => [v.volume, v.state, v.splitBrain?.kind])).toEqual([
      ['team-a/data', 'split-brain', 'both-primary'],
    ]);
    expect(st.warnings.map((w) => w.id)).toContain('drbd-split-brain');
    expect(renderStatus(st)).toMatch(
      /drbd team-a\/data \(nfsctl-pv_team-a_data\): SPLIT BRAIN; primary Primary\/Unknown StandAlone UpToDate\/DUnknown, mounted, exported oos 40Ki; backup Primary\/Unknown StandAlone UpToDate\/DUnknown oos 2\.04Mi/,
    );
    for (const h of [hosts.primary, hosts.backup]) expect(onlyReads(h)).toBe(true);
  });
  it('nfsctl metrics carry the replication state of the DRBD volume read from the hosts (split brain: 2)', async () => {
    const config = cfg();
    const hosts = pair(config, procOf('proc-drbd-split-brain-primary.txt'), procOf('proc-drbd-split-brain-backup.txt'));
    const inv = await pairInventory(config, hosts);
    const s: PairSnapshot = {
      checkedAt: 0,
      durationMs: 0,
      health: 'critical',
      findings: [],
      collect: {
        inventories: new Map(Object.entries(inv) as [PairRole, HostInventory][]),
        views: mergeVolumes(config, inv),
        vipHolders: ['primary'],
      },
      syncOk: { primary: null, backup: null },
    };
    const text = renderMetrics(config, s, 0);
    const vl = 'volume="team-a/data",namespace="team-a",name="data"';
    expect(text).toMatch(new RegExp(`^nfsctl_volume_replication_status\\{${vl},resource="[^"]+"\\} 2$`, 'm'));
    expect(text).toContain(
      `nfsctl_drbd_state{${vl},host="backup",role="Primary",connection="StandAlone",disk="UpToDate"} 1`,
    );
    expect(text).toContain(`nfsctl_drbd_out_of_sync_bytes{${vl},host="primary"} ${40 * 1024}`);
    const p = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(p.status, p.stdout + p.stderr + String(p.error ?? '')).toBe(0);
  });
});

describe('DRBD replication state in the metrics, from the recorded /proc/drbd states', () => {
  const named = (d: DrbdVolume): DrbdVolume => ({
    ...d,
    view: { ...d.view, namespace: 'team-a', name: 'data' } as VolumeView,
  });
  const text = (d: DrbdVolume, reachable = (_r: PairRole) => true) =>
    renderExposition(drbdFamilies([named(d)], reachable));
  const vl = 'volume="team-a/data",namespace="team-a",name="data"';

  it('a connected volume: role/connection/disk per host, status 0; a resync: status 1 and the bytes out of sync', () => {
    const ok = text(connected());
    expect(ok).toContain(
      `nfsctl_drbd_state{${vl},host="primary",role="Primary",connection="Connected",disk="UpToDate"} 1`,
    );
    expect(ok).toContain(
      `nfsctl_drbd_state{${vl},host="backup",role="Secondary",connection="Connected",disk="UpToDate"} 1`,
    );
    expect(ok).toContain(`nfsctl_volume_replication_status{${vl},resource="${RES}"} 0`);
    const rs = text(resyncing());
    expect(rs).toContain(`nfsctl_volume_replication_status{${vl},resource="${RES}"} 1`);
    const kib = st('proc-drbd-synctarget-75pct-with-status.txt').outOfSyncKiB!;
    expect(kib).toBeGreaterThan(0);
    expect(rs).toContain(`nfsctl_drbd_out_of_sync_bytes{${vl},host="backup"} ${kib * 1024}`);
    const p = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: rs, encoding: 'utf8' });
    expect(p.status, p.stdout + p.stderr + String(p.error ?? '')).toBe(0);
  });

  it('a split brain is status 2; an unreachable host has no state series', () => {
    expect(text(bothPrimary())).toContain(`nfsctl_volume_replication_status{${vl},resource="${RES}"} 2`);
    const one = text(connected(), (r) => r === 'primary');
    expect(one).toContain('host="primary",role="Primary"');
    expect(one).not.toContain('host="backup"');
  });
});
