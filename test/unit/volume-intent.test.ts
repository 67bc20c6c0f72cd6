// Intentional states (volume unexport, volume delete --keep-data) are recorded in the volume's
// metadata and are not drift; the other host must match.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { pairInventory } from '../../src/volume/inventory.js';
import { mergeVolumes } from '../../src/volume/state.js';
import { type PairState } from '../../src/volume/plans.js';
import { intentOf, intentSteps, withIntent } from '../../src/volume/intent.js';
import { blockingDrift } from '../../src/ha/handover.js';
import { identify } from '../../src/volume/identity.js';
import { volumeRef } from '../../src/core/names.js';
import { decodeMetaTags, encodeMetaTags } from '../../src/core/lvm-json.js';
import { describeAction } from '../../src/plan/plan.js';
import { testConfigYaml } from '../support/config.js';
import { fakeStorageHost, type FakeStorage } from '../support/fake-pair.js';
import type { Config } from '../../src/config/schema.js';

const G = 2 ** 30;
function cfg(): Config {
  return parseConfig(testConfigYaml('/tmp/nfsctl-unit-intent'));
}
async function state(config: Config, p: FakeStorage, b: FakeStorage): Promise<PairState> {
  const inv = await pairInventory(config, {
    primary: fakeStorageHost('primary', p),
    backup: fakeStorageHost('backup', b),
  });
  return { inv, vipHolder: 'primary', views: mergeVolumes(config, inv) };
}
const meta = {
  v: 1 as const,
  namespace: 'team-a',
  name: 'data',
  labels: {},
  createdAt: '2026-11-22T10:00:00Z',
  createdBy: 'alice',
  backend: 'lvm' as const,
  size: G,
};
const lv = (m: object) => ({ lvs: [{ name: 'pv.team-a.data', size: G, tags: encodeMetaTags(m as typeof meta) }] });

describe('intentional states are not drift', () => {
  it('an unexported volume on both hosts (both records say so): no drift, not a switchover blocker', async () => {
    const st = await state(cfg(), lv({ ...meta, state: 'unexported' }), lv({ ...meta, state: 'unexported' }));
    expect(st.views[0]).toMatchObject({ intent: 'unexported', drift: [] });
    expect(blockingDrift(st.views)).toEqual([]);
  });
  it('the same volume without the record: "not exported" on both hosts is drift (as before)', async () => {
    const st = await state(cfg(), lv(meta), lv(meta));
    expect(st.views[0]!.intent).toBeNull();
    expect(st.views[0]!.drift).toEqual(['primary: not exported', 'backup: not exported']);
    expect(blockingDrift(st.views)).toHaveLength(2);
  });
  it('the other host must match: a record on one host only is drift', async () => {
    const st = await state(cfg(), lv({ ...meta, state: 'retired' }), lv(meta));
    expect(st.views[0]!.drift).toContain('state differs: primary retired, backup active');
    expect(blockingDrift(st.views).join()).toMatch(/state differs/);
  });
  it('exported although unexported on purpose is drift', async () => {
    const config = parseConfig(testConfigYaml('/tmp/nfsctl-unit-intent').replace('server: ganesha', 'server: kernel'));
    const v = identify(config, volumeRef('team-a', 'data'));
    const st = await state(config, lv({ ...meta, state: 'unexported' }), {
      ...lv({ ...meta, state: 'unexported' }),
      exports: `/nfs/team-a_data *(rw,fsid=${v.fsid}) # nfsctl:team-a/data\n`,
    });
    expect(st.views[0]!.drift).toContain('backup: exported although the volume is unexported (on purpose)');
  });
  it('intentOf ignores values that are not states', () => {
    expect(intentOf({ ...meta, state: 'retired' } as never)).toBe('retired');
    expect(intentOf({ ...meta, state: 'bogus' } as never)).toBeNull();
    expect(intentOf(null)).toBeNull();
  });
});

describe('recording the state in the metadata', () => {
  it('LVM: lvchange swaps the meta tags on both hosts, with an undo; clearing it again round-trips', async () => {
    const config = cfg();
    const st = await state(config, lv(meta), lv(meta));
    const steps = intentSteps(config, st, st.views[0]!, 'unexported');
    expect(steps.map((s) => s.id)).toEqual(['primary:intent', 'backup:intent']);
    const argv = (steps[0]!.action as { argv: string[] }).argv;
    expect(argv[0]).toBe('lvchange');
    const added = argv.filter((_, i) => argv[i - 1] === '--addtag');
    expect(decodeMetaTags(['nfsctl', ...added])).toMatchObject({ state: 'unexported', size: G, createdBy: 'alice' });
    expect(steps[0]!.undo).not.toBeNull();
    // already recorded: nothing to do; cleared by volume export
    const st2 = await state(config, lv({ ...meta, state: 'unexported' }), lv({ ...meta, state: 'unexported' }));
    expect(intentSteps(config, st2, st2.views[0]!, 'unexported')).toEqual([]);
    const clear = intentSteps(config, st2, st2.views[0]!, null);
    const cargv = (clear[0]!.action as { argv: string[] }).argv;
    expect(decodeMetaTags(['nfsctl', ...cargv.filter((_, i) => cargv[i - 1] === '--addtag')])).not.toHaveProperty(
      'state',
    );
  });
  it('XFS quota: the metadata record is rewritten on each host with the state, keeping every other field', async () => {
    const config = parseConfig(
      testConfigYaml('/tmp/nfsctl-unit-intent').replace(
        'default: lvm\n  lvm: { vg: vgnfs }',
        'default: xfsquota\n  xfsquota: { root: /nfs, quota: false }',
      ),
    );
    const rec = JSON.stringify({ ...meta, backend: 'xfs', exportId: 4242 });
    const host = { metas: { 'team-a_data.json': rec }, dirs: ['/nfs/team-a_data'] };
    const st = await state(config, host, host);
    expect(st.views).toHaveLength(1);
    const steps = intentSteps(config, st, st.views[0]!, 'retired');
    expect(steps).toHaveLength(2);
    const a = steps[0]!.action as { kind: 'write'; path: string; content: string };
    expect(a.kind).toBe('write');
    expect(JSON.parse(a.content)).toMatchObject({ state: 'retired', exportId: 4242, createdBy: 'alice' });
    expect(describeAction(steps[0]!.action)).toContain(a.path);
    const plan = withIntent({ id: 'x', title: 't', phases: [] }, steps);
    expect(plan.phases.map((p) => p.title)).toEqual(['record the state chosen by the operator']);
  });
});
