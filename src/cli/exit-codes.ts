// The documented exit codes (shown by `nfsctl help exit-codes` and in the man page).
export const EXIT_CODES: [number, string][] = [
  [0, 'success (for health: everything ok)'],
  [1, 'failed: a command on a host failed, a host was unreachable, or (health/troubleshoot) a problem was found'],
  [2, 'usage or configuration error: nothing was run'],
  [3, 'the pair lock is held by another run (see `nfsctl lock status`)'],
  [4, 'precondition failed: the pair is not in a state where the operation is safe; nothing was changed'],
  [
    5,
    "interrupted (Ctrl-C, SIGTERM) after a change began: each host's state and the command to finish were printed; the pair lock was released",
  ],
  [
    130,
    'cancelled (Ctrl-C or "no" at a prompt, no answer within the prompt timeout, or Ctrl-C before any change): nothing was changed',
  ],
  [143, 'terminated (SIGTERM) before any change: nothing was changed'],
];
