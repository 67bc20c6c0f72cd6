// nfsctl log: one line per operation (when, who, where it was logged, what, result, plan id),
// merged from the audit logs of both hosts; --commands lists the commands behind each one;
// --json prints the operations with their records.
import type { Context } from '../../cli/context.js';
import type { PairRole } from '../../config/schema.js';
import { optionInt } from '../../core/numbers.js';
import { escapeControls } from '../../core/terminal-text.js';
import { commandRecords, operations, readPairAudit, type LoggedRecord, type Operation } from '../../state/oplog.js';
import type { ChalkInstance } from 'chalk';

export interface LogOptions {
  lines?: string;
  plan?: string;
  commands?: boolean;
  json?: boolean;
}

const ROLES: PairRole[] = ['primary', 'backup'];

/** 850 ms, 2.1 s, 4 min 12 s */
function took(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function when(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

function resultText(op: Operation, c: ChalkInstance): string {
  const t = op.durationMs !== null ? ` in ${took(op.durationMs)}` : '';
  switch (op.result) {
    case 'ok':
      return c.green('ok') + t;
    case 'recorded':
      return op.exitCode === null ? c.dim('recorded') : c.green('rc=0');
    case 'unfinished':
      return c.yellow('no end recorded (still running, or the process died)');
    case 'interrupted':
      return (
        c.yellow(`INTERRUPTED (exit ${op.exitCode ?? '?'})`) + t + (op.detail ? `: ${escapeControls(op.detail)}` : '')
      );
    case 'failed':
      return (
        c.red(op.planId ? `FAILED (exit ${op.exitCode ?? '?'})` : `rc=${op.exitCode ?? '?'}`) +
        t +
        (op.detail ? `: ${escapeControls(op.detail.replace(/^failed: /, ''))}` : '')
      );
  }
}

/** One line: when, who, [host whose log has it], what: result, plan id. */
export function operationLine(op: Operation, c: ChalkInstance): string {
  return `${when(op.time)} ${escapeControls(op.operator)} ${c.cyan(`[${op.loggedOn.join(',')}]`)} ${escapeControls(op.what)}: ${resultText(op, c)} ${c.dim(op.planId ?? '-')}`;
}

/** A command (or write, or event) behind an operation. */
export function commandLine(r: LoggedRecord, c: ChalkInstance): string {
  const what = r.argv ? r.argv.join(' ') : `${r.event ?? ''}${r.detail ? `: ${r.detail}` : ''}`;
  const rc =
    r.exitCode === undefined
      ? r.event === 'error'
        ? c.red(' (no exit code: the host did not answer)')
        : ''
      : r.exitCode === 0
        ? c.green(' rc=0')
        : c.red(` rc=${r.exitCode}`);
  return `    ${when(r.time).slice(11)} ${r.host ? c.cyan(`[${r.host}] `) : ''}${escapeControls(what)}${rc}${r.durationMs !== undefined ? c.dim(` ${r.durationMs} ms`) : ''}`;
}

export async function runLog(ctx: Context, o: LogOptions): Promise<void> {
  const n = optionInt('--lines', o.lines, 20, { min: 1 });
  const hosts = Object.fromEntries(ROLES.map((r) => [r, ctx.host(r)])) as Record<PairRole, ReturnType<Context['host']>>;
  const { records, errors } = await readPairAudit(
    ctx.config,
    hosts,
    ctx.config.timeouts.connect + ctx.config.timeouts.command,
  );
  for (const e of errors)
    ctx.out.warn(`${e.host}: its audit log was not read (${e.error}): operations run from ${e.host} are missing below`);
  let ops = operations(records);
  if (o.plan !== undefined) ops = ops.filter((op) => op.planId === o.plan);
  ops = ops.slice(-n);
  if (o.json) return ctx.out.json(ops);
  if (ops.length === 0)
    ctx.out.info(
      o.plan !== undefined
        ? `no operation with plan id ${o.plan} in the audit logs (${ctx.config.state.auditLog} on ${ROLES.join(' and ')})`
        : `no entries in ${ctx.config.state.auditLog} on ${ROLES.join(' or ')}`,
    );
  const c = ctx.out.color;
  for (const op of ops) {
    ctx.out.line(operationLine(op, c));
    if (o.commands && op.planId !== null)
      for (const r of commandRecords(op).filter((r) => !(r.event === 'step' && r.exitCode === 0)))
        ctx.out.line(commandLine(r, c));
  }
}
