// The audit log: one JSON object per line, appended, never rewritten. It answers "who ran
// what, where, when, and what came of it" after an incident.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { userInfo } from 'node:os';
import type { Host, RunOptions, RunResult, WriteOptions, WriteResult } from '../host/host.js';

export interface AuditRecord {
  time: string;
  operator: string;
  invocation: string[];
  planId?: string;
  host?: string;
  argv?: string[];
  exitCode?: number;
  durationMs?: number;
  /** For non-command records: plan-start, plan-end, lock-break, write ... */
  event?: string;
  detail?: string;
}

/** The person behind the command: sudo's caller when run through sudo. */
export function operatorName(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SUDO_USER) return env.SUDO_USER;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}

export class AuditLog {
  constructor(
    readonly path: string,
    private readonly invocation: string[] = process.argv.slice(2),
    private readonly operator = operatorName(),
  ) {}

  async append(rec: Omit<AuditRecord, 'time' | 'operator' | 'invocation'>): Promise<void> {
    const full: AuditRecord = {
      time: new Date().toISOString(),
      operator: this.operator,
      invocation: this.invocation,
      ...rec,
    };
    await mkdir(dirname(this.path), { recursive: true, mode: 0o750 });
    // One write per record with O_APPEND: concurrent writers never interleave within a line.
    await appendFile(this.path, JSON.stringify(full) + '\n', { mode: 0o640 });
  }

  /** Fails early (before any change) when the log cannot be written. */
  async checkWritable(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o750 });
    await appendFile(this.path, '', { mode: 0o640 });
  }

  async tail(n: number): Promise<AuditRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return auditRecords(text).slice(-n);
  }
}

const RECORD_START = '{"time":';

/**
 * The records of an audit log's text. A crash can leave a record cut short, and a run of NUL
 * bytes where the filesystem had allocated blocks the data never reached (seen after a guest's
 * qemu was killed); the next record, written after the reboot, then follows on the same line.
 * NUL runs end a line like a newline; a line that does not parse is read again from each later
 * record start, so the record after a torn one is kept; what is left is skipped, not fatal.
 */
export function auditRecords(text: string): AuditRecord[] {
  return text.split(/[\n\0]+/).flatMap((line) => {
    for (let from = 0; from >= 0; from = line.indexOf(RECORD_START, from + 1)) {
      try {
        const r: unknown = JSON.parse(line.slice(from));
        if (r !== null && typeof r === 'object' && typeof (r as AuditRecord).time === 'string')
          return [r as AuditRecord];
      } catch {
        // torn: try from the next record start
      }
    }
    return [];
  });
}

/** Wraps a host so that every command and file write it performs is audited. */
export class AuditedHost implements Host {
  constructor(
    private readonly inner: Host,
    private readonly audit: AuditLog,
    private readonly planId: string,
  ) {}
  get name() {
    return this.inner.name;
  }
  get address() {
    return this.inner.address;
  }
  get kind() {
    return this.inner.kind;
  }
  async run(argv: string[], opts?: RunOptions): Promise<RunResult> {
    const started = Date.now();
    try {
      const r = await this.inner.run(argv, opts);
      await this.audit.append({
        planId: this.planId,
        host: this.name,
        argv,
        exitCode: r.exitCode,
        durationMs: r.durationMs,
      });
      return r;
    } catch (err) {
      await this.audit.append({
        planId: this.planId,
        host: this.name,
        argv,
        durationMs: Date.now() - started,
        event: 'error',
        detail: (err as Error).message,
      });
      throw err;
    }
  }
  async runMany(argvs: string[][], opts?: RunOptions): Promise<RunResult[]> {
    const started = Date.now();
    try {
      const rs = await this.inner.runMany(argvs, opts);
      for (const r of rs)
        await this.audit.append({
          planId: this.planId,
          host: this.name,
          argv: r.argv,
          exitCode: r.exitCode,
          durationMs: r.durationMs,
        });
      return rs;
    } catch (err) {
      for (const argv of argvs)
        await this.audit.append({
          planId: this.planId,
          host: this.name,
          argv,
          durationMs: Date.now() - started,
          event: 'error',
          detail: (err as Error).message,
        });
      throw err;
    }
  }
  readFile(path: string) {
    return this.inner.readFile(path);
  }
  async writeFileAtomic(path: string, content: string, opts?: WriteOptions): Promise<WriteResult> {
    const started = Date.now();
    try {
      const r = await this.inner.writeFileAtomic(path, content, opts);
      await this.audit.append({
        planId: this.planId,
        host: this.name,
        event: 'write',
        detail: path + (r.backupPath ? ` (previous kept as ${r.backupPath})` : ''),
        exitCode: 0,
        durationMs: Date.now() - started,
      });
      return r;
    } catch (err) {
      await this.audit.append({
        planId: this.planId,
        host: this.name,
        event: 'write',
        detail: `${path}: ${(err as Error).message}`,
        exitCode: 1,
        durationMs: Date.now() - started,
      });
      throw err;
    }
  }
  close() {
    return this.inner.close();
  }
}
