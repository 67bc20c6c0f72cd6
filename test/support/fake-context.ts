// A Context whose hosts are recording fakes and whose output is captured: for tests that
// run a command body and then check that nothing ran on either host.
import { Context } from '../../src/cli/context.js';
import type { Config } from '../../src/config/schema.js';
import { FakeHost } from '../../src/host/fake.js';
import { captureOutput } from './capture.js';

/** A FakeHost that also records file reads (FakeHost records commands and writes). */
export class ReadRecordingFake extends FakeHost {
  readonly reads: string[] = [];
  override async readFile(path: string): Promise<string | null> {
    this.reads.push(path);
    return super.readFile(path);
  }
}

export function fakeContext(
  config: Config,
  opts: { primary?: ReadRecordingFake; backup?: ReadRecordingFake; dryRun?: boolean } = {},
) {
  const primary = opts.primary ?? new ReadRecordingFake('primary');
  const backup = opts.backup ?? new ReadRecordingFake('backup');
  const cap = captureOutput();
  const ctx = new Context(
    'test.yaml',
    config,
    { ...(opts.dryRun ? { dryRun: true } : {}) },
    { primary, backup },
    cap.out,
  );
  /** Nothing was run, read or written on either host. */
  const untouched = () =>
    [primary, backup].every((h) => h.calls.length === 0 && h.writes.length === 0 && h.reads.length === 0);
  return { ctx, primary, backup, ...cap, untouched };
}
