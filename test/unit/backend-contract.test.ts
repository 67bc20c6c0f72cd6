// The backend contract is enforced by the compiler: a backend missing a member does not
// compile. Runs tsc on test/fixtures/backend-contract, whose `@ts-expect-error` must be used
// (tsc fails on an unused one), and on the same file without the directive, which must fail
// naming the missing member. Also: nothing outside the backend files branches on a name.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { BACKEND_LIST, backendNames } from '../../src/volume/backend/registry.js';
import { EXPORTER_LIST } from '../../src/volume/nfs-server/registry.js';
import { BACKEND_META_NAMES, BACKEND_NAMES } from '../../src/core/backend-names.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const fixture = join(root, 'test', 'fixtures', 'backend-contract');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

async function compile(project: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [tsc, '-p', project], { cwd: root, maxBuffer: 16 << 20 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

describe('the VolumeBackend and Exporter contracts', () => {
  it(
    'a backend (or NFS server kind) missing a member does not compile; the registered ones do',
    { timeout: 180_000 },
    async () => {
      const ok = await compile(join(fixture, 'tsconfig.json'));
      expect(ok.out).toBe('');
      expect(ok.code).toBe(0);
      // the same file without the directive: the error the directive expects is really there
      const dir = await mkdtemp(join(fixture, '.tmp-'));
      try {
        const src = (await readFile(join(fixture, 'contract-check.ts'), 'utf8'))
          .replace(/^\/\/ @ts-expect-error.*$/gm, '')
          .replaceAll("'../../../src/", "'../../../../src/");
        await writeFile(join(dir, 'contract-check.ts'), src);
        await writeFile(
          join(dir, 'tsconfig.json'),
          JSON.stringify({
            extends: '../../../../tsconfig.json',
            compilerOptions: { rootDir: '../../../..', noEmit: true },
            include: ['contract-check.ts'],
          }),
        );
        const bad = await compile(join(dir, 'tsconfig.json'));
        expect(bad.code).not.toBe(0);
        expect(bad.out).toMatch(/Property 'createSteps' is missing/);
        expect(bad.out).toMatch(/Property 'unexportSteps' is missing/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it('names are unique, and the schema and CLI take them from the registry', () => {
    const names = BACKEND_LIST.map((b) => b.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(BACKEND_LIST.map((b) => b.metaName)).size).toBe(names.length);
    expect(backendNames()).toEqual(names);
    expect(BACKEND_NAMES).toEqual(names);
    for (const b of BACKEND_LIST) expect(b.metaName).toBe(BACKEND_META_NAMES[b.name]);
  });

  it('outside the backend and NFS server files no code switches on their names', async () => {
    const files = (await readdir(join(root, 'src'), { recursive: true }))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(root, 'src', f));
    const quoted = new RegExp(`['"](${[...BACKEND_LIST, ...EXPORTER_LIST].map((b) => b.name).join('|')})['"]`);
    const offenders: string[] = [];
    for (const f of files) {
      const rel = relative(root, f);
      // the implementations, and the names list the CLI reads without loading them
      if (
        rel.startsWith(join('src', 'volume', 'backend')) ||
        rel.startsWith(join('src', 'volume', 'nfs-server')) ||
        rel === join('src', 'core', 'backend-names.ts')
      )
        continue;
      const lines = (await readFile(f, 'utf8')).split('\n');
      lines.forEach((l, i) => {
        // Not a branch: the rbd lock tools run the `rbd` binary (an argv starting ['rbd', ...]) and name their command; the
        // schema's defaults are values; the core option grammar takes the server kind; a client mount method is "kernel".
        if (
          !quoted.test(l) ||
          /argv|\.run\(|command\('rbd'\)|\['rbd', |applications\.includes|\.default\('(lvm|kernel)'\)|NfsServerKind|server === 'ganesha'|method: 'kernel'|includes\('kernel'\)|^\s*(\/\/|\/?\*)/.test(
            l,
          )
        )
          return;
        offenders.push(`${rel}:${i + 1}: ${l.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
