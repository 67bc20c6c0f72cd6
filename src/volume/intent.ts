// Intentional states: a volume the operator unexported (`volume unexport`) or retired
// (`volume delete --keep-data`) is not drift. The state is recorded in the volume's own
// metadata (field `state` of the LV tags, the XFS metadata record, the RBD image-meta), on
// each host that has a copy, so both hosts say the same; `volume export` clears it.
import type { Config, PairRole } from '../config/schema.js';
import type { Plan, Step } from '../plan/plan.js';
import { decodeMetaTags, planTagUpdate, type VolumeMeta, type VolumeMetaInput } from '../core/lvm-json.js';
import { lvmArgs, rbdArgs, xfsMetaPath } from './inventory.js';
import type { PairState } from './plans.js';
import type { VolumeView } from './state.js';

export type VolumeIntent = 'unexported' | 'retired';
export const INTENTS: readonly VolumeIntent[] = ['unexported', 'retired'];

/** The intent recorded in a metadata record (anything else: none). */
export function intentOf(meta: VolumeMeta | null | undefined): VolumeIntent | null {
  const s = (meta as { state?: unknown } | null | undefined)?.state;
  return typeof s === 'string' && (INTENTS as readonly string[]).includes(s) ? (s as VolumeIntent) : null;
}

function withState(meta: VolumeMeta, intent: VolumeIntent | null): VolumeMetaInput {
  const { state: _old, ...rest } = meta as VolumeMeta & { state?: unknown };
  void _old;
  return (intent ? { ...rest, state: intent } : rest) as VolumeMetaInput;
}

/** Steps that record `intent` (null: clear it) in the volume's metadata on every copy. */
export function intentSteps(config: Config, state: PairState, view: VolumeView, intent: VolumeIntent | null): Step[] {
  const steps: Step[] = [];
  const what = intent ? `record "${intent}" (on purpose) in the volume's metadata` : "clear the unexported/retired mark in the volume's metadata";
  const roles: PairRole[] = ['primary', 'backup'];
  if (view.backend === 'xfsquota') {
    const path = xfsMetaPath(config.backends.xfsquota!.root, view.identity.project);
    for (const r of roles) {
      const meta = state.inv[r].xfs?.metas.find((m) => m.namespace === view.namespace && m.name === view.name);
      if (!meta || intentOf(meta) === intent) continue;
      steps.push({ id: `${r}:intent`, host: r, title: what, action: { kind: 'write', path, content: JSON.stringify(withState(meta, intent)) + '\n' }, undo: { title: 'restore the metadata record', action: { kind: 'write', path, content: JSON.stringify(meta) + '\n' } } });
    }
  } else if (view.backend === 'lvm') {
    const lvm = config.backends.lvm!;
    for (const r of roles) {
      const lv = state.inv[r].lvs.find((l) => l.name === view.identity.lv);
      const meta = lv ? decodeMetaTags(lv.tags) : null;
      if (!lv || !meta || intentOf(meta) === intent) continue;
      const { add, remove } = planTagUpdate(lv.tags, withState(meta, intent));
      const back = planTagUpdate([...lv.tags.filter((t) => !remove.includes(t)), ...add], meta);
      const argv = (a: string[], d: string[]) => ['lvchange', ...lvmArgs(config), ...d.flatMap((t) => ['--deltag', t]), ...a.flatMap((t) => ['--addtag', t]), `${lvm.vg}/${view.identity.lv}`];
      steps.push({ id: `${r}:intent`, host: r, title: what, action: { kind: 'run', argv: argv(add, remove) }, undo: { title: 'restore the LV tags', action: { kind: 'run', argv: argv(back.add, back.remove) } } });
    }
  } else if (view.backend === 'rbd' && config.backends.rbd) {
    const meta = state.rbd?.metas.get(view.identity.image);
    if (meta && intentOf(meta) !== intent) {
      const spec = `${config.backends.rbd.pool}/${view.identity.image}`;
      const set = (m: VolumeMetaInput) => ['rbd', ...rbdArgs(config), 'image-meta', 'set', spec, 'nfsctl.meta', JSON.stringify(m)];
      const host = state.vipHolder ?? 'primary';
      steps.push({ id: `${host}:intent`, host, title: what, action: { kind: 'run', argv: set(withState(meta, intent)) }, undo: { title: 'restore the image metadata', action: { kind: 'run', argv: set(meta) } } });
    }
  }
  return steps;
}

/** `plan` with a last phase recording the intent (unchanged when there is nothing to record). */
export function withIntent(plan: Plan, steps: Step[]): Plan {
  if (steps.length === 0) return plan;
  return { ...plan, phases: [...plan.phases, { title: 'record the state chosen by the operator', steps }] };
}
