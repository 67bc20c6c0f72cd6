// The flags every command shape shares, declared in one place: `--json`, `-y/--yes` and
// `--dry-run` mean the same thing on every command (src/plan/reporter.ts PlanFlags; the
// runner call is runPlan there). Each takes the command's own help text.
import { Option } from 'commander';

/** `--json`: the result as JSON on stdout, nothing else there. */
export function jsonFlag(description = 'print the result as JSON'): Option {
  return new Option('--json', description);
}

/** `-y, --yes`: do not ask (scripts, the timer); without a terminal, a change needs it. */
export function yesFlag(description = 'do not ask for confirmation'): Option {
  return new Option('-y, --yes', description);
}

/** `--dry-run`: show the plan (and what was read to make it) and change nothing. */
export function dryRunFlag(description = 'show the plan and change nothing'): Option {
  return new Option('--dry-run', description);
}
