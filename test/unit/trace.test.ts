import { describe, expect, it } from 'vitest';
import { LocalHost } from '../../src/host/local.js';
import { TracingHost, traceEnabled } from '../../src/host/trace.js';
import { tempDir } from '../support/config.js';
import { join } from 'node:path';

describe('NFSCTL_TRACE', () => {
  it('is on for any value but empty and 0', () => {
    expect(traceEnabled({})).toBe(false);
    expect(traceEnabled({ NFSCTL_TRACE: '' })).toBe(false);
    expect(traceEnabled({ NFSCTL_TRACE: '0' })).toBe(false);
    expect(traceEnabled({ NFSCTL_TRACE: '1' })).toBe(true);
  });

  it('prints each command with its start, duration and exit code, and passes results through', async () => {
    const lines: string[] = [];
    let clock = 100;
    const h = new TracingHost(
      new LocalHost('primary'),
      (l) => lines.push(l),
      () => (clock += 25),
    );
    const r = await h.run(['sh', '-c', 'echo out; exit 3']);
    expect(r).toMatchObject({ exitCode: 3, stdout: 'out\n', host: 'primary' });
    expect(lines).toEqual(['[trace +125ms primary 25ms exit 3] sh -c echo out; exit 3']);
    expect(h.name).toBe('primary');
    expect(h.kind).toBe('local');
  });

  it('traces the commands behind file reads and writes', async () => {
    const lines: string[] = [];
    const h = new TracingHost(new LocalHost('backup'), (l) => lines.push(l));
    const f = join(tempDir(), 'x.conf');
    await h.writeFileAtomic(f, 'a\n');
    expect(await h.readFile(f)).toBe('a\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => l.startsWith('[trace +') && l.includes(' backup '))).toBe(true);
    expect(lines.some((l) => l.includes(f))).toBe(true);
  });

  it('shortens long arguments to one line', async () => {
    const lines: string[] = [];
    const h = new TracingHost(new LocalHost('primary'), (l) => lines.push(l));
    await h.run(['printf', '%s', `${'x'.repeat(200)}\nsecond`]);
    expect(lines[0]).toMatch(/\] printf %s x{77}\.\.\.$/);
    expect(lines[0]).not.toContain('\n');
  });
});
