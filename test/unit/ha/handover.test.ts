// The handover's confirmation summary (80 columns, the copy's size from the dry runs), the
// runner's journal mirrored on both hosts (one journal), and an interrupt during the copy:
// the rsync is cancelled through the step's signal, the plan ends INTERRUPTED (exit 5) with
// the journal saying what is done, and the progress line is fed from rsync's output.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { parseConfig } from '../../../src/config/load.js';
import { testConfigYaml, tempDir } from '../../support/config.js';
import { fakeStorageHost } from '../../support/fake-pair.js';
import { unitFactsOn } from '../../support/fake-units.js';
import {
  handoverPreflight,
  handoverSummary,
  hostJournal,
  planHandover,
  fitList,
  blockingDrift,
  sharedNotes,
  type HandoverOptions,
} from '../../../src/ha/handover.js';
import type { VolumeView } from '../../../src/volume/state.js';
import type { HandoverFacts, HandoverInput } from '../../../src/ha/handover-steps.js';
import { parseRsyncOutput } from '../../../src/core/rsync.js';
import { renderPlan } from '../../../src/plan/render.js';
import { Runner } from '../../../src/plan/runner.js';
import { Interrupts } from '../../../src/plan/interrupt.js';
import { AuditLog } from '../../../src/state/audit.js';
import type { Progress } from '../../../src/cli/progress.js';
import { captureOutput } from '../../support/capture.js';
import type { FakeHost } from '../../../src/host/fake.js';
import type { Config } from '../../../src/config/schema.js';
import type { PlanJournal } from '../../../src/plan/plan.js';

function cfg(): Config {
  return parseConfig(
    testConfigYaml('/tmp/nfsctl-unit-ho').replace(
      'default: lvm\n  lvm: { vg: vgnfs }',
      'default: xfsquota\n  xfsquota: { root: /nfs, quota: false }',
    ) +
      'services:\n  manager: command\n  command: ["labsvc", "{action}", "{service}"]\n  names: { keepalived: keepalived, nfs: nfs-ganesha, rsyncd: rsync }\n',
  );
}
const JOURNAL = '/tmp/nfsctl-unit-ho/state/failback.json';
const OPTS: HandoverOptions = { kind: 'failback', resume: false, maxDelete: 10, verify: false };
const RSYNC_OUT =
  '>f+++++++++ vol/new\n>f+++++++++ vol/big\n*deleting   vol/old\n\nNumber of files: 7\nTotal transferred file size: 524,288,000 bytes\n';

function pair(
  copy?: (
    argv: string[],
    opts: { signal?: AbortSignal; onStdout?: (c: string) => void },
  ) => Promise<{ stdout: string }>,
): { primary: FakeHost; backup: FakeHost } {
  const mk = (role: 'primary' | 'backup') => {
    const h = fakeStorageHost(role, { vip: role === 'backup' });
    const running = new Set(['nfs-ganesha', 'rsync', ...(role === 'backup' ? ['keepalived'] : [])]);
    h.on(['labsvc', 'status'], (argv) => ({ exitCode: running.has(argv[2]!) ? 0 : 3 }));
    h.on(['labsvc', 'stop'], (argv) => {
      running.delete(argv[2]!);
      return { exitCode: 0 };
    });
    h.on(['labsvc', 'is-enabled'], () => ({ exitCode: 0 }));
    h.on(['true'], { exitCode: 0 });
    unitFactsOn(h, { rootMounted: true, rootEntries: 3, rootUsed: role === 'backup' ? 300000 : 290000 });
    h.on(['rsync'], { stdout: RSYNC_OUT }); // the dry runs
    if (copy)
      h.on(
        (a) => a[0] === 'sh' && a[3] === 'nfsctl-rsync',
        (argv, opts) => copy(argv, opts),
      );
    return h;
  };
  return { primary: mk('primary'), backup: mk('backup') };
}

describe('the confirmation summary', () => {
  const facts = (over: Partial<HandoverFacts> = {}): HandoverFacts =>
    ({
      from: 'backup',
      to: 'primary',
      views: [
        { id: 'team-a/data', path: '/nfs/team-a_data', backend: 'xfsquota' },
        { id: 'team-b/logs', path: '/nfs/team-b_logs', backend: 'lvm' },
        { id: 'db/pg', path: '/nfs/db_pg', backend: 'rbd' },
      ],
      units: [{ rel: '', path: '/nfs', volumes: ['team-a/data'] }],
      previews: [
        { unit: { rel: '', path: '/nfs', volumes: ['team-a/data'] }, report: parseRsyncOutput(RSYNC_OUT) },
        {
          unit: { rel: 'team-b_logs', path: '/nfs/team-b_logs', volumes: ['team-b/logs'] },
          report: parseRsyncOutput('>f+++++++++ x\n\nTotal transferred file size: 1,048,576 bytes\n'),
        },
      ],
      skipped: [],
      clients: {
        mountedBy: new Map([['/nfs/team-a_data', ['198.51.100.21', '198.51.100.22']]]),
        connected: ['198.51.100.21'],
      },
      ...over,
    }) as unknown as HandoverFacts;
  const x = (f: HandoverFacts): HandoverInput => ({
    config: cfg(),
    hosts: {} as never,
    facts: f,
    opts: OPTS,
    run: { syncs: [], warnings: [] },
  });

  it('says the hosts, the copy size per volume from the dry runs, the volumes, their backends, the clients and who keeps open files, within 80 columns', () => {
    const lines = handoverSummary(x(facts()));
    expect(lines).toEqual([
      'failback: the VIP 198.51.100.100 and its clients move from backup to primary',
      'copy backup -> primary (dry run): 3 file(s), 501Mi, 1 to delete',
      '  team-a/data: 2 file(s), 500Mi, 1 to delete',
      '  team-b/logs: 1 file(s), 1Mi, 0 to delete',
      'volumes (3): team-a/data, team-b/logs, db/pg',
      'backend: xfsquota (1), lvm (1), rbd (1)',
      'clients of backup: 198.51.100.21, 198.51.100.22',
      'open files lost (I/O errors, restart the pod): team-a/data, team-b/logs',
      'open files kept (shared storage): db/pg',
      'clients stall from the freeze to the VIP move; nothing acknowledged is lost',
    ]);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(78); // shown indented by 2
  });
  it('without a preview it says the size is not known yet; no client seen is said as such', () => {
    const lines = handoverSummary(x(facts({ previews: null, clients: { mountedBy: new Map(), connected: [] } })));
    expect(lines[1]).toBe('copy backup -> primary: size known at the copy (no rsync daemon on backup yet)');
    expect(lines).toContain('clients of backup: none seen (no rmtab entry, no NFS connection)');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(78);
  });
  it('long lists are cut with how many were left out', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `ns-${i}/volume-${i}`);
    const l = fitList('volumes (30): ', ids);
    expect(l.length).toBeLessThanOrEqual(78);
    // a big copy still fits: 99,999 files, 1023.99Gi, 10,000 deletions
    const big = handoverSummary(
      x(
        facts({
          previews: [
            {
              unit: { rel: '', path: '/nfs', volumes: [] },
              report: {
                ...parseRsyncOutput(''),
                transfers: Array(99_999).fill('f'),
                deletions: Array(10_000).fill('d'),
                stats: { ...parseRsyncOutput('').stats, transferredFileSize: 1_099_500_000_000 },
              },
            },
          ] as never,
        }),
      ),
    );
    expect(big[1]).toBe('copy backup -> primary (dry run): 99999 file(s), 1023.99Gi, 10000 to delete');
    for (const line of big) expect(line.length).toBeLessThanOrEqual(78);
    expect(l).toMatch(/^volumes \(30\): ns-0\/volume-0, .* \(\+\d+ more\)$/);
  });
  it('is the last thing above the prompt in the rendered plan', async () => {
    const hosts = pair();
    const f = await handoverPreflight(cfg(), hosts, OPTS);
    const { plan } = planHandover(cfg(), hosts, f, OPTS);
    const text = renderPlan(plan, new Chalk({ level: 0 })).split('\n');
    const at = text.indexOf('Summary:');
    expect(text.slice(at + 1, at + 3)).toEqual([
      '  failback: the VIP 198.51.100.100 and its clients move from backup to primary',
      '  copy backup -> primary (dry run): 2 file(s), 500Mi, 1 to delete',
    ]);
    expect(text.at(-1)).toMatch(/^  \d+ step\(s\) on primary/);
    for (const l of text.slice(at)) expect(l.length).toBeLessThanOrEqual(80);
  });
});

describe('one journal: the runner journal mirrored on both hosts', () => {
  const snap = (st: Record<string, string>): PlanJournal => ({
    planId: 'p9',
    title: 't',
    updatedAt: '',
    steps: Object.entries(st).map(([id, status]) => ({ id, host: 'primary', title: id, status })),
  });
  it('written from the first step done on, in the shape status and --resume read', async () => {
    const hosts = pair();
    const f = await handoverPreflight(cfg(), hosts, OPTS);
    const hp = planHandover(cfg(), hosts, f, OPTS);
    const { hook } = hostJournal({ config: cfg(), hosts, facts: f, opts: OPTS, run: hp.result }, hp.plan);
    await hook(snap({ 'primary:keepalived-disable': 'pending', 'primary:bulk-sync': 'pending' }));
    expect(hosts.primary.files.has(JOURNAL)).toBe(false);
    await hook(snap({ 'primary:keepalived-disable': 'done', 'primary:bulk-sync': 'running' }));
    for (const h of [hosts.primary, hosts.backup])
      expect(JSON.parse(h.files.get(JOURNAL)!)).toMatchObject({
        kind: 'failback',
        planId: hp.plan.id,
        status: 'running',
        done: ['primary:keepalived-disable'],
        staleHost: 'primary',
      });
    await hook(snap({ 'primary:keepalived-disable': 'done', 'primary:bulk-sync': 'failed' }));
    expect(JSON.parse(hosts.backup.files.get(JOURNAL)!)).toMatchObject({
      status: 'failed',
      failedStep: 'primary:bulk-sync',
      done: ['primary:keepalived-disable'],
    });
    await hook(snap({ 'primary:keepalived-disable': 'done', 'primary:bulk-sync': 'done' }));
    const done = JSON.parse(hosts.primary.files.get(JOURNAL)!);
    expect(done).toMatchObject({ status: 'done', done: ['primary:keepalived-disable', 'primary:bulk-sync'] });
    expect(done.staleHost).toBeUndefined();
    expect(done.failedStep).toBeUndefined();
  });
  it('a resumed run keeps what the earlier one did and drops what it undid', async () => {
    const hosts = pair();
    hosts.backup.files.set(
      JOURNAL,
      JSON.stringify({
        kind: 'failback',
        planId: 'p1',
        status: 'failed',
        startedAt: 's',
        updatedAt: '2026-01-01',
        by: 'x',
        done: ['primary:keepalived-disable', 'primary:bulk-sync'],
        failedStep: 'backup:freeze',
        staleHost: 'primary',
      }),
    );
    const o = { ...OPTS, resume: true };
    const f = await handoverPreflight(cfg(), hosts, o);
    const hp = planHandover(cfg(), hosts, f, o);
    await hp.plan.journalHook!(snap({ 'backup:freeze': 'undone', 'primary:bulk-sync': 'undone' }));
    expect(JSON.parse(hosts.primary.files.get(JOURNAL)!)).toMatchObject({
      planId: 'p1',
      by: 'x',
      status: 'failed',
      done: ['primary:keepalived-disable'],
    });
    expect(hp.journal().failedStep).toBeUndefined();
  });
});

describe('Ctrl-C during the copy', () => {
  it('cancels the running rsync through the step signal, ends INTERRUPTED (exit 5), journals what is done, and showed progress', async () => {
    let cancelled = false;
    const hosts = pair(async (argv, opts) => {
      expect(argv).toContain('--info=progress2');
      opts.onStdout?.('>f+++++++++ vol/big\n\r    104,857,600  20%   50.00MB/s    0:00:08  ');
      intr.raise('SIGINT');
      await new Promise<void>((resolve) => opts.signal!.addEventListener('abort', () => resolve(), { once: true }));
      cancelled = true;
      return { stdout: '' }; // never seen: the fake host rejects on the abort
    });
    const intr = new Interrupts();
    const details: string[] = [];
    const progress: Progress = {
      phase() {},
      stepStart() {},
      stepDone() {},
      stepFailed() {},
      stop() {},
      detail: (h, t) => details.push(`[${h}] ${t}`),
    };
    const { out } = captureOutput();
    const runner = new Runner({
      out,
      progress,
      audit: new AuditLog(join(tempDir(), 'audit.jsonl'), ['failback'], 'alice'),
      prompter: async () => ({ confirm: async () => true, typed: async () => true }),
      host: (n) => hosts[n as 'primary' | 'backup'],
      interrupts: intr,
    });
    const f = await handoverPreflight(cfg(), hosts, OPTS);
    const hp = planHandover(cfg(), hosts, f, OPTS);
    const err = await runner
      .run(hp.plan, {
        dryRun: false,
        yes: true,
        json: false,
        interactive: false,
        confirm: { kind: 'yesno', message: '' },
      })
      .then(
        () => {
          throw new Error('the run was expected to stop on the interrupt');
        },
        (e: unknown) =>
          e as {
            exitCode: number;
            message: string;
            report: { steps: { id: string; status: string; error?: string }[] };
          },
      );
    expect(cancelled || intr.abortSignal.aborted).toBe(true);
    expect(err.exitCode).toBe(5);
    expect(err.message).toMatch(/INTERRUPTED \(SIGINT\) during \[primary\] bulk copy/);
    expect(err.report.steps.find((s) => s.id === 'primary:bulk-sync')).toMatchObject({
      status: 'interrupted',
      error: expect.stringMatching(/was cancelled/),
    });
    expect(details).toEqual(['[primary] copy /nfs 100Mi/500Mi 20% 50Mi/s ETA 0:08']); // the root unit of the fake pair carries no volume
    const j = JSON.parse(hosts.backup.files.get(JOURNAL)!);
    expect(j).toMatchObject({ status: 'failed', done: ['primary:keepalived-disable'] });
    // nothing after the copy ran: no freeze on the backup
    expect(hosts.backup.commandLines().some((l) => /RemoveExport/.test(l))).toBe(false);
  });
});

describe('shared-storage volumes in a handover plan', () => {
  const view = (id: string, backend: string, drift: string[] = []) =>
    ({ id, path: `/nfs/${id.replace('/', '_')}`, backend, drift }) as unknown as VolumeView;
  it('names them per backend, not copied, with how they move and what their clients see', () => {
    const notes = sharedNotes(
      [view('a/b', 'lvm'), view('f/s', 'cephfs'), view('d/r', 'rbd'), view('d/d', 'drbd')],
      new Set(['d/d']),
    );
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(
      /^cephfs volumes \(f\/s\) are not copied, one CephFS subvolume each is shared: both hosts serve them already/,
    );
    expect(notes[1]).toMatch(/^rbd volumes \(d\/r\) are not copied.*keepalived notify hook.*open files survive/);
  });
  it('a volume both hosts serve (CephFS) with drift blocks the move, as a mirrored one does; one that follows the VIP does not', () => {
    const drift = ['backup: not exported'];
    expect(blockingDrift([view('f/s', 'cephfs', drift), view('a/b', 'lvm', drift), view('d/r', 'rbd', drift)])).toEqual(
      ['f/s: backup: not exported', 'a/b: backup: not exported'],
    );
  });
});
