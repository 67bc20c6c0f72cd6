// Run an nfsctl command in this process, as main() would, with every host the command asks
// for (primary, backup, this machine, a node) replaced by a recording fake storage host, so
// a test can assert that a refused command ran nothing anywhere: no command, no file read,
// no file written.
import { vi } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { HostPool } from '../../src/host/pool.js';
import { FakeHost } from '../../src/host/fake.js';
import type { WriteOptions, WriteResult } from '../../src/host/host.js';
import { fakeStorageHost } from './fake-pair.js';

/** Everything a fake host was asked to do, in order: commands, reads and writes. */
export interface Touch {
  host: string;
  what: string;
}

export interface InProcessResult {
  /** What the command threw (undefined: it returned normally). */
  error: unknown;
  /** The exit code main() would use for `error`. */
  exitCode: number;
  touches: Touch[];
  stdout: string;
  stderr: string;
}

function recording(name: string, touches: Touch[]): FakeHost {
  const h = fakeStorageHost(name, { vip: name === 'primary' });
  const run = h.run.bind(h);
  const readFile = h.readFile.bind(h);
  const write = h.writeFileAtomic.bind(h);
  h.run = (argv, opts) => {
    touches.push({ host: name, what: argv.join(' ') });
    return run(argv, opts);
  };
  h.readFile = (path: string) => {
    touches.push({ host: name, what: `read ${path}` });
    return readFile(path);
  };
  h.writeFileAtomic = (path: string, content: string, opts?: WriteOptions): Promise<WriteResult> => {
    touches.push({ host: name, what: `write ${path}` });
    return write(path, content, opts);
  };
  return h;
}

/** `nfsctl <argv…>` in-process with fake hosts. */
export async function runInProcess(argv: string[]): Promise<InProcessResult> {
  const touches: Touch[] = [];
  const pools = new WeakMap<HostPool, Map<string, FakeHost>>();
  const fake = (pool: HostPool, key: string) => {
    let m = pools.get(pool);
    if (!m) pools.set(pool, (m = new Map()));
    let h = m.get(key);
    if (!h) m.set(key, (h = recording(key, touches)));
    return h;
  };
  let stdout = '';
  let stderr = '';
  const spies = [
    vi.spyOn(HostPool.prototype, 'get').mockImplementation(function (this: HostPool, role) {
      return fake(this, role);
    }),
    vi.spyOn(HostPool.prototype, 'node').mockImplementation(function (this: HostPool, name) {
      return fake(this, `node:${name}`);
    }),
    vi.spyOn(HostPool.prototype, 'local').mockImplementation(function (this: HostPool) {
      return fake(this, 'local');
    }),
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    }),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    }),
  ];
  let error: unknown;
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
  } catch (err) {
    error = err;
  } finally {
    for (const s of spies) s.mockRestore();
  }
  const e = error as { exitCode?: number } | undefined;
  const exitCode = error === undefined ? 0 : typeof e?.exitCode === 'number' ? e.exitCode : 1;
  return { error, exitCode, touches, stdout, stderr };
}
