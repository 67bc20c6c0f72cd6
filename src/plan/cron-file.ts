// The plan that writes one cron file on one host (sync's and metrics' install-timer): one step,
// its diff shown as the plan's notes, undone by restoring the old file or removing the new one.
import type { PairRole } from '../config/schema.js';
import { newPlanId, type Plan } from './plan.js';

export function cronFilePlan(o: {
  title: string;
  role: PairRole;
  path: string;
  before: string | null;
  content: string;
  /** The cron line, shown as the write's summary. */
  line: string;
  diff: string[];
}): Plan {
  const { role, path, before, content } = o;
  return {
    id: newPlanId(),
    title: o.title,
    notes: [`diff of ${role}:${path}:`, ...o.diff],
    phases: [
      {
        title: 'write the cron entry',
        steps: [
          {
            id: `${role}:cron`,
            host: role,
            title: `write ${path}`,
            action: { kind: 'write', path, content, mode: 0o644, backup: before !== null, summary: o.line },
            undo:
              before === null
                ? { title: `remove ${path}`, action: { kind: 'run', argv: ['rm', '-f', '--', path] } }
                : { title: `restore ${path}`, action: { kind: 'write', path, content: before } },
          },
        ],
      },
    ],
  };
}
