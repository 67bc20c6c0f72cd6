// `nfsctl log`'s view of the audit log: one operation per plan (who, what, when, result,
// plan id), merged from the audit logs of both hosts (nfsctl runs on either, and the timer
// on the backup), sorted by time, each marked with the host whose log holds it. The raw
// records (the commands behind each operation) stay available.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from '../host/host.js';
import { auditRecords, type AuditRecord } from './audit.js';

/** An audit record and the host whose audit log it was read from. */
export type LoggedRecord = AuditRecord & { loggedOn: PairRole };

export type OperationResult = 'ok' | 'failed' | 'interrupted' | 'unfinished' | 'recorded';

export interface Operation {
  /** The plan id; null for a record written outside any plan. */
  planId: string | null;
  /** The host(s) whose audit log holds it (where nfsctl ran). */
  loggedOn: PairRole[];
  /** When it started (its first record) and when its last record was written. */
  time: string;
  endTime: string;
  operator: string;
  invocation: string[];
  /** The plan's title, or the event and detail of a lone record. */
  what: string;
  /**
   * ok / failed / interrupted: from the plan's end record; unfinished: a plan with no end
   * record (still running, or the process died); recorded: a record that is no plan.
   */
  result: OperationResult;
  exitCode: number | null;
  /** Why it failed or was interrupted (the end record's detail). */
  detail: string | null;
  durationMs: number | null;
  /** The records behind it, oldest first. */
  records: LoggedRecord[];
}

/** Parse one host's audit log text: what a crash cut short or left as NULs is skipped (auditRecords). */
export function parseAuditText(text: string, loggedOn: PairRole): LoggedRecord[] {
  return auditRecords(text).map((r) => ({ ...r, loggedOn }));
}

/** Read the audit log (config state.auditLog) of each host; a host that cannot be read is reported, not fatal. */
export async function readPairAudit(
  config: Config,
  hosts: Partial<Record<PairRole, Host>>,
  timeoutMs: number,
): Promise<{ records: LoggedRecord[]; errors: { host: PairRole; error: string }[] }> {
  const path = config.state.auditLog;
  const errors: { host: PairRole; error: string }[] = [];
  const per = await Promise.all(
    (Object.entries(hosts) as [PairRole, Host][]).map(async ([role, host]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const text = await Promise.race([
          host.readFile(path),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
            timer.unref();
          }),
        ]);
        return text === null ? [] : parseAuditText(text, role);
      } catch (err) {
        errors.push({ host: role, error: (err as Error).message });
        return [];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { records: per.flat(), errors };
}

function resultOf(end: LoggedRecord | undefined): {
  result: OperationResult;
  exitCode: number | null;
  detail: string | null;
} {
  if (!end) return { result: 'unfinished', exitCode: null, detail: null };
  const code = end.exitCode ?? null;
  if (code === 0) return { result: 'ok', exitCode: 0, detail: null };
  return {
    result:
      code === 130 || code === 143 || code === 5 || /^interrupted/.test(end.detail ?? '') ? 'interrupted' : 'failed',
    exitCode: code,
    detail: end.detail ?? null,
  };
}

function loneWhat(r: AuditRecord): string {
  if (r.argv) return r.argv.join(' ');
  return `${r.event ?? 'record'}${r.detail ? `: ${r.detail}` : ''}`;
}

/**
 * Group records into operations: every record of one plan id is one operation (the same
 * record found in both hosts' logs, i.e. one shared file, counts once); a record without a
 * plan id is an operation of its own. Sorted by start time, oldest first.
 */
export function operations(records: LoggedRecord[]): Operation[] {
  const seen = new Map<string, { r: LoggedRecord; on: Set<PairRole> }>();
  for (const r of records) {
    const { loggedOn, ...rest } = r;
    const key = JSON.stringify(rest);
    const prev = seen.get(key);
    if (prev) prev.on.add(loggedOn);
    else seen.set(key, { r, on: new Set([loggedOn]) });
  }
  const hostsOf = (es: { on: Set<PairRole> }[]) => [...new Set(es.flatMap((e) => [...e.on]))].sort() as PairRole[];
  const byPlan = new Map<string, { r: LoggedRecord; on: Set<PairRole> }[]>();
  const ops: Operation[] = [];
  for (const e of seen.values()) {
    const r = e.r;
    if (r.planId) byPlan.set(r.planId, [...(byPlan.get(r.planId) ?? []), e]);
    else {
      const code = r.exitCode ?? null;
      ops.push({
        planId: null,
        loggedOn: hostsOf([e]),
        time: r.time,
        endTime: r.time,
        operator: r.operator,
        invocation: r.invocation ?? [],
        what: loneWhat(r),
        result: code === null || code === 0 ? 'recorded' : 'failed',
        exitCode: code,
        detail: null,
        durationMs: r.durationMs ?? null,
        records: [r],
      });
    }
  }
  for (const [planId, es] of byPlan) {
    const rs = es.map((e) => e.r).sort((a, b) => a.time.localeCompare(b.time));
    const start = rs.find((r) => r.event === 'plan-start');
    const end = [...rs].reverse().find((r) => r.event === 'plan-end');
    const first = start ?? rs[0]!;
    ops.push({
      planId,
      loggedOn: hostsOf(es),
      time: first.time,
      endTime: rs.at(-1)!.time,
      operator: first.operator,
      invocation: first.invocation ?? [],
      what: start?.detail ?? (first.invocation?.length ? first.invocation.join(' ') : loneWhat(first)),
      ...resultOf(end),
      durationMs: end?.durationMs ?? null,
      records: rs,
    });
  }
  return ops.sort((a, b) => a.time.localeCompare(b.time) || (a.planId ?? '').localeCompare(b.planId ?? ''));
}

/** The commands (and file writes, step errors) behind an operation, as the records have them. */
export function commandRecords(op: Operation): LoggedRecord[] {
  return op.records.filter(
    (r) => r.argv !== undefined || (r.event !== undefined && r.event !== 'plan-start' && r.event !== 'plan-end'),
  );
}
