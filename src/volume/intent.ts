// Intentional states: a volume the operator unexported (`volume unexport`) or retired
// (`volume delete --keep-data`) is not drift. The state is recorded in the volume's own
// metadata (field `state` of the LV tags, the XFS metadata record, the RBD image-meta), on
// each host that has a copy, so both hosts say the same; `volume export` clears it.
import type { Config } from '../config/schema.js';
import type { Plan, Step } from '../plan/plan.js';
import type { VolumeMeta, VolumeMetaInput } from '../core/lvm-json.js';
import { backendNamed } from './backend/registry.js';
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
  const what = intent
    ? `record "${intent}" (on purpose) in the volume's metadata`
    : "clear the unexported/retired mark in the volume's metadata";
  for (const w of backendNamed(view.backend).metaWrites(config, state, view)) {
    if (intentOf(w.meta) === intent) continue;
    const { action, undo } = w.write(withState(w.meta, intent));
    steps.push({ id: `${w.role}:intent`, host: w.role, title: what, action, undo });
  }
  return steps;
}

/** `plan` with a last phase recording the intent (unchanged when there is nothing to record). */
export function withIntent(plan: Plan, steps: Step[]): Plan {
  if (steps.length === 0) return plan;
  return { ...plan, phases: [...plan.phases, { title: 'record the state chosen by the operator', steps }] };
}
