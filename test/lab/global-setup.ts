// vitest globalSetup of the `lab` project: make sure a netns lab is up before any lab test file
// runs, and take it down afterwards if (and only if) this run brought it up.
//   NFSCTL_LAB_KEEP=1  leave the lab up at the end (inspect it with `npm run lab -- status`)
// An existing lab is reused as is (after undoing faults an aborted run may have left behind).
import { formatFailure, labSh } from './helpers.js';

export default async function setup(): Promise<() => Promise<void>> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('lab tests need root (the lab creates namespaces, mounts and loop devices)');
  }
  let startedHere = false;
  const status = await labSh(['status']);
  if (status.exitCode === 0) {
    const undo = await labSh(['fault', 'undo-all'], { timeoutMs: 180_000 });
    if (undo.exitCode !== 0) throw new Error(formatFailure('lab fault undo-all (on the existing lab)', undo));
  } else {
    // nothing up, or leftovers of a half-built lab: clean them first (a no-op when nothing is there)
    if (!/no lab is up/.test(status.stdout)) {
      const down = await labSh(['down', '--netns-only'], { timeoutMs: 120_000 });
      if (down.exitCode !== 0) throw new Error(formatFailure('lab down (of a half-built lab)', down));
    }
    const up = await labSh(['up'], { timeoutMs: 300_000 });
    if (up.exitCode !== 0) throw new Error(formatFailure('npm run lab -- up', up));
    process.stdout.write(up.stdout);
    startedHere = true;
  }

  return async () => {
    if (!startedHere || process.env.NFSCTL_LAB_KEEP === '1') return;
    // only the tier this setup started: a vm tier somebody else runs stays up
    const down = await labSh(['down', '--netns-only'], { timeoutMs: 120_000 });
    if (down.exitCode !== 0) throw new Error(formatFailure('npm run lab -- down', down));
  };
}
