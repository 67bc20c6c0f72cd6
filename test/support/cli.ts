// Running the real CLI (bin/nfsctl, which loads the esbuild bundle in dist/bundle/) from
// tests: build it first when src/ is newer, put an `nfsctl` wrapper on a PATH for the
// shells, and give it a temp config and state dir.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, testConfigYaml } from './config.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'nfsctl');
const BUNDLE = join(ROOT, 'dist', 'bundle', 'main.js');

function newestStale(dir: string, bundled = existsSync(BUNDLE) ? statSync(BUNDLE).mtimeMs : 0): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (newestStale(path, bundled)) return true;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const js = join(ROOT, 'dist', relative(join(ROOT, 'src'), path)).replace(/\.ts$/, '.js');
      const mtime = statSync(path).mtimeMs;
      if (!existsSync(js) || statSync(js).mtimeMs < mtime || bundled < mtime) return true;
    }
  }
  return false;
}

/**
 * `npm test` builds before running; a bare `vitest run` may find dist/ older than src/.
 * Rebuild then, as `npm run build` does (tsc, then the esbuild bundle), once, serialised
 * across test files by a lock directory. Type errors do not stop tsc from emitting, so a
 * half-finished file elsewhere does not block these tests.
 */
export async function ensureBuilt(): Promise<void> {
  if (!newestStale(join(ROOT, 'src'))) return;
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const lock = join(ROOT, 'dist', '.test-build.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmdirSync(lock); // left by a killed run
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (newestStale(join(ROOT, 'src'))) {
      await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
        cwd: ROOT,
        timeout: 240_000,
      });
      const bundle = await run('npm', ['run', '--silent', 'bundle'], { cwd: ROOT, timeout: 120_000 });
      if (bundle.status !== 0) throw new Error(`npm run bundle failed: ${bundle.stderr}`);
    }
  } finally {
    rmdirSync(lock);
  }
  if (!existsSync(BUNDLE)) throw new Error('dist/bundle/main.js missing after build');
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Killed by our timeout (SIGKILL). */
  timedOut: boolean;
}

/**
 * Run a program without blocking the test worker (vitest talks to its workers over the
 * event loop); SIGKILL after `timeout` ms, since nfsctl handles SIGTERM itself.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeout?: number; cwd?: string; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeout ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, timedOut });
    });
  });
}

/** Run the built CLI, as installed: bin/nfsctl. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...opts.env },
    timeout: opts.timeout ?? 20_000,
  });
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
  writeFileSync(join(bin, 'nfsctl'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
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
