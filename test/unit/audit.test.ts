import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog, AuditedHost, auditRecords, operatorName } from '../../src/state/audit.js';
import { parseAuditText } from '../../src/state/oplog.js';
import { LocalHost } from '../../src/host/local.js';
import { tempDir } from '../support/config.js';

describe('audit log', () => {
  it('records time, operator, invocation, host, argv, exit code, duration and plan id per command', async () => {
    const d = tempDir();
    const log = new AuditLog(join(d, 'sub', 'audit.jsonl'), ['volume', 'create', 'team-a/data'], 'alice');
    const h = new AuditedHost(new LocalHost('primary'), log, 'plan-1');
    await h.run(['sh', '-c', 'exit 3']);
    await h.run(['true']);
    const recs = readFileSync(join(d, 'sub', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(recs).toHaveLength(2);
    expect(recs[0]).toMatchObject({
      operator: 'alice',
      invocation: ['volume', 'create', 'team-a/data'],
      host: 'primary',
      argv: ['sh', '-c', 'exit 3'],
      exitCode: 3,
      planId: 'plan-1',
    });
    expect(new Date(recs[0].time).toString()).not.toBe('Invalid Date');
    expect(recs[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(recs[1].exitCode).toBe(0);
  });

  it('records file writes with the backup path', async () => {
    const d = tempDir();
    const log = new AuditLog(join(d, 'audit.jsonl'), [], 'alice');
    const h = new AuditedHost(new LocalHost('primary'), log, 'p');
    writeFileSync(join(d, 'exports'), 'old\n');
    await h.writeFileAtomic(join(d, 'exports'), 'new\n', { backup: true });
    const rec = JSON.parse(readFileSync(join(d, 'audit.jsonl'), 'utf8'));
    expect(rec).toMatchObject({ event: 'write', exitCode: 0 });
    expect(rec.detail).toMatch(/exports \(previous kept as .*exports\.nfsctl-\d{8}T\d{9}Z\.[A-Za-z0-9]{6}\.bak\)/);
  });

  it('tail skips a line cut short by a crash', async () => {
    const d = tempDir();
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'a.jsonl'), '{"time":"t1","operator":"a","invocation":[]}\n{"time":"t2","oper');
    expect(await new AuditLog(join(d, 'a.jsonl')).tail(10)).toEqual([{ time: 't1', operator: 'a', invocation: [] }]);
  });

  it("after a crash: a NUL run and a torn record are skipped, the records around them are kept (nfsctl log's reader too)", () => {
    const rec = (t: string) => JSON.stringify({ time: t, operator: 'a', invocation: [] });
    const text = [
      rec('t1'),
      // the guest's qemu killed: blocks allocated, data never written; after the reboot the
      // next record follows the NULs on the same line
      `${'\0'.repeat(300)}${rec('t2')}`,
      // a record cut short, the next one appended right behind it
      `{"time":"t3","oper${rec('t4')}`,
      '\0\0\0',
      rec('t5'),
      '{"not":"a record"}',
      '',
    ].join('\n');
    expect(auditRecords(text).map((r) => r.time)).toEqual(['t1', 't2', 't4', 't5']);
    expect(parseAuditText(text, 'backup').map((r) => `${r.time}@${r.loggedOn}`)).toEqual([
      't1@backup',
      't2@backup',
      't4@backup',
      't5@backup',
    ]);
  });

  it('names the sudo caller as the operator', () => {
    expect(operatorName({ SUDO_USER: 'carol' })).toBe('carol');
  });
});
