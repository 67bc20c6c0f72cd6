// The shell between keepalived and nfsctl. keepalived, when it is stopped, starts the notify
// script with STOP, sends it SIGTERM at once and kills it a few seconds later (keepalived
// 2.2.7, vm tier); node resets signal dispositions when it starts and takes a good part of a
// second to, so `nfsctl ha notify` run directly dies before it can hand anything over, and the
// old VIP holder keeps its DRBD volumes Primary, mounted and exported. This script runs nfsctl
// in a session of its own (setsid), out of the reach of what keepalived signals, and waits for
// it, so keepalived still gets its exit code. `ha install` writes it next to keepalived.conf.
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { quoteArg } from '../host/quote.js';

export const NOTIFY_WRAPPER_NAME = 'nfsctl-notify';
export const NOTIFY_WRAPPER_MARK = '# nfsctl: keepalived notify hook, written by nfsctl ha install; do not edit';

/** Where `ha install` writes it: beside keepalived.conf (root's, as keepalived's script security wants). */
export function notifyWrapperPath(config: Config): string {
  return path.posix.join(path.posix.dirname(config.keepalived.config), NOTIFY_WRAPPER_NAME);
}

/** The script for `program` (a plain absolute path, checked by the caller). */
export function notifyWrapperScript(program: string): string {
  return [
    '#!/bin/sh',
    NOTIFY_WRAPPER_MARK,
    '# keepalived signals (TERM, then KILL) the notify script still running when it stops,',
    '# right after starting it with STOP: nfsctl runs in a session of its own, which keepalived',
    '# does not signal, so the volumes are handed over (unexport, unmount, demote) all the same',
    "trap '' TERM",
    `exec setsid -w ${quoteArg(program)} ha notify "$@"`,
    '',
  ].join('\n');
}

/** Does the file carry nfsctl's mark (then `ha install` may rewrite it, whatever it runs)? */
export function isOurWrapper(text: string): boolean {
  return text.split('\n')[1] === NOTIFY_WRAPPER_MARK;
}

/** The nfsctl program a wrapper of ours runs; null when the text is not one, or not this shape. */
export function wrapperProgram(text: string): string | null {
  const lines = text.split('\n');
  if (!isOurWrapper(text)) return null;
  const run = lines.find((l) => / ha notify "\$@"$/.test(l));
  if (!run) return null;
  if (!run.startsWith('exec setsid -w ')) return null;
  const q = run.slice('exec setsid -w '.length, -' ha notify "$@"'.length);
  // quoteArg's output for a plain path: bare, or in single quotes
  const m = /^'([^']*)'$/.exec(q);
  return m ? m[1]! : /^[A-Za-z0-9_/.,:=@%+-]+$/.test(q) ? q : null;
}

/** Is this notify script (keepalived.conf's word) nfsctl's wrapper? */
export function isNotifyWrapper(script: string): boolean {
  return path.posix.basename(script) === NOTIFY_WRAPPER_NAME;
}

/** Does keepalived's notify script run nfsctl's hook (its wrapper, or an older `<nfsctl> ha notify`)? */
export function runsNfsctlHook(notify: string | null): boolean {
  return notify !== null && (/\bha notify\b/.test(notify) || isNotifyWrapper(notify));
}
