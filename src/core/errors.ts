// Error types shared by every layer of nfsctl. Each carries the exit code main() will use,
// so only the entry point decides how the process ends. Messages follow one shape: what
// was wrong, what was expected, and (in `hint`) the next command to run.
// (Shared file: the core parsers and the foundation both use it.)

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  lockHeld: 3,
  precondition: 4,
  /** Interrupted (SIGINT/SIGTERM) after a change began: the pair is in the state printed. */
  interrupted: 5,
  cancelled: 130,
} as const;

export interface NfsctlErrorOptions {
  cause?: unknown;
  /** The next command to run, or what to fix. */
  hint?: string;
  exitCode?: number;
}

/** Base class: a failure nfsctl understands and can explain to the operator. */
export class NfsctlError extends Error {
  readonly exitCode: number;
  readonly hint?: string;

  constructor(message: string, exitCodeOrOptions: number | NfsctlErrorOptions = {}, options: NfsctlErrorOptions = {}) {
    const opts =
      typeof exitCodeOrOptions === 'number' ? { ...options, exitCode: exitCodeOrOptions } : exitCodeOrOptions;
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? ExitCode.failed;
    if (opts.hint !== undefined) this.hint = opts.hint;
  }
}

/** Malformed request (bad name, size, option, config): nothing was run. Exit 2. */
export class UsageError extends NfsctlError {
  constructor(message: string, options: Omit<NfsctlErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.usage });
  }
}

/** Well-formed, but the state of the world forbids it right now. Exit 4. */
export class PreconditionError extends NfsctlError {
  constructor(message: string, options: Omit<NfsctlErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.precondition });
  }
}

/** Another operator (or a dead run) holds the pair lock. Exit 3. */
export class LockHeldError extends NfsctlError {
  constructor(message: string, options: Omit<NfsctlErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.lockHeld });
  }
}

/** The operator said no, pressed Ctrl-C, or the prompt was interrupted. Exit 130. */
export class CancelledError extends NfsctlError {
  constructor(message = 'cancelled: nothing was changed') {
    super(message, { exitCode: ExitCode.cancelled });
  }
}

/** A host could not be reached, or the connection dropped mid-command. Exit 1. */
export class HostUnreachableError extends NfsctlError {
  readonly host: string;
  constructor(host: string, message: string, options: Omit<NfsctlErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.failed });
    this.host = host;
  }
}

/**
 * A tool (lvs, rbd, ceph, dbus-send...) printed something we cannot interpret: usually a
 * version we have not seen, so the message quotes enough output to debug it. Exit 1.
 */
export class OutputParseError extends NfsctlError {
  constructor(message: string, options: Omit<NfsctlErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: ExitCode.failed });
  }
}

/** Shorten arbitrary tool output for inclusion in an error message. */
export function excerpt(text: string, max = 120): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
