// Running the real CLI (dist/main.js) from tests: build it first when src/ is newer, put an
// `nfsctl` wrapper on a PATH for the shells, and give it a temp config and state dir.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, testConfigYaml } from './config.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN = join(ROOT, 'dist', 'main.js');

function newestStale(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (newestStale(path)) return true;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const js = join(ROOT, 'dist', relative(join(ROOT, 'src'), path)).replace(/\.ts$/, '.js');
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(path).mtimeMs) return true;
    }
  }
  return false;
}

/**
 * `npm test` builds before running; a bare `vitest run` may find dist/ older than src/.
 * Rebuild then (once, serialised across test files by a lock directory). Type errors do
 * not stop tsc from emitting, so a half-finished file elsewhere does not block these tests.
 */
export function ensureBuilt(): void {
  if (!newestStale(join(ROOT, 'src'))) return;
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const lock = join(ROOT, 'dist', '.test-build.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmdirSync(lock); // left by a killed run
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      spawnSync('sleep', ['0.2']);
    }
  }
  try {
    if (newestStale(join(ROOT, 'src'))) spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
  } finally {
    rmdirSync(lock);
  }
  if (!existsSync(MAIN)) throw new Error('dist/main.js missing after build');
}

/** Run the built CLI. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...opts.env }, timeout: opts.timeout ?? 20_000 });
}

export interface CliEnv {
  dir: string;
  /** Directory holding an `nfsctl` wrapper for the built CLI: put it first on PATH. */
  bin: string;
  config: string;
  stateDir: string;
  /** PATH, NFSCTL_CONFIG, NO_COLOR for child processes. */
  env: NodeJS.ProcessEnv;
}

/** A temp dir with a config (hosts in TEST-NET: never reachable) and the nfsctl wrapper. */
export function cliEnv(): CliEnv {
  const dir = tempDir('nfsctl-cli-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'nfsctl'), `#!/bin/sh\nexec '${process.execPath}' '${MAIN}' "$@"\n`);
  chmodSync(join(bin, 'nfsctl'), 0o755);
  const config = join(dir, 'config.yaml');
  writeFileSync(config, testConfigYaml(dir));
  return {
    dir,
    bin,
    config,
    stateDir: join(dir, 'state'),
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, NFSCTL_CONFIG: config, NO_COLOR: '1' },
  };
}
