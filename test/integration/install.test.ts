// The package as an operator installs it: `npm pack`, then `npm install -g` of the tarball
// into a temp prefix. The installed command runs, and man(1) finds the page.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, ROOT, run } from '../support/cli.js';
import { tempDir } from '../support/config.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
};
const npmEnv = {
  ...process.env,
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  NO_COLOR: '1',
};

let dir: string;
let prefix: string;
let tarball: string;

beforeAll(async () => {
  // `npm pack` would run prepack (= npm run build) on the shared dist/ while other test
  // files run the CLI from it; build once under the tests' build lock instead, then pack
  // exactly that build. (The prepack script itself is checked below and in docs.test.ts.)
  await ensureBuilt();
  dir = tempDir('nfsctl-install-');
  prefix = join(dir, 'prefix');
  const pack = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], {
    cwd: ROOT,
    env: npmEnv,
    timeout: 240_000,
  });
  expect(pack.status, pack.stderr).toBe(0);
  tarball = join(dir, readdirSync(dir).find((f) => /^nfsctl-.*\.tgz$/.test(f))!);
  const install = await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', tarball], {
    cwd: dir,
    env: npmEnv,
    timeout: 480_000,
  });
  expect(install.status, install.stderr).toBe(0);
}, 900_000);

describe('npm pack + npm install -g', () => {
  it('packs what the command needs and nothing of the sources', async () => {
    const list = await run('tar', ['tzf', tarball]);
    const files = list.stdout.split('\n').filter(Boolean);
    for (const f of [
      'package/package.json',
      'package/bin/nfsctl',
      'package/dist/bundle/main.js',
      'package/man/nfsctl.8',
      'package/completions/nfsctl.bash',
      'package/completions/_nfsctl',
      'package/completions/nfsctl.fish',
    ]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^package\/(src|test|lab)\//.test(f))).toEqual([]);
  });

  it('has no install-time scripts of its own (and builds before packing)', () => {
    for (const s of ['preinstall', 'install', 'postinstall']) expect(pkg.scripts).not.toHaveProperty(s);
    expect(pkg.scripts.prepack).toBe('npm run build');
  });

  it('installs a working `nfsctl` into <prefix>/bin', async () => {
    const bin = join(prefix, 'bin', 'nfsctl');
    expect(existsSync(bin)).toBe(true);
    const version = await run(bin, ['--version'], { env: npmEnv });
    expect([version.status, version.stdout.trim()]).toEqual([0, pkg.version]);
    const help = await run(bin, ['--help'], { env: npmEnv });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: nfsctl /);
    expect(help.stdout).toContain('completion');
    // Runs from the install, not from this checkout.
    expect(realpathSync(bin)).toBe(join(prefix, 'lib', 'node_modules', 'nfsctl', 'bin', 'nfsctl'));
  });

  it('installs the man page where man(1) finds it', async () => {
    const page = join(prefix, 'share', 'man', 'man8', 'nfsctl.8');
    expect(existsSync(page)).toBe(true);
    expect(readFileSync(page, 'utf8')).toBe(readFileSync(join(ROOT, 'man', 'nfsctl.8'), 'utf8'));
    const where = await run('man', ['-w', 'nfsctl'], { env: { ...npmEnv, MANPATH: join(prefix, 'share', 'man') } });
    expect(where.status, where.stderr).toBe(0);
    expect(realpathSync(where.stdout.trim())).toBe(realpathSync(page));
    const shown = await run('man', ['-P', 'cat', 'nfsctl'], {
      env: { ...npmEnv, MANPATH: join(prefix, 'share', 'man'), MANWIDTH: '100' },
    });
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('EXIT STATUS');
  });

  it('ships completion scripts that match what the installed command prints', async () => {
    const bin = join(prefix, 'bin', 'nfsctl');
    const installed = join(prefix, 'lib', 'node_modules', 'nfsctl', 'completions');
    for (const [shell, file] of [
      ['bash', 'nfsctl.bash'],
      ['zsh', '_nfsctl'],
      ['fish', 'nfsctl.fish'],
    ]) {
      const r = await run(bin, ['completion', shell!], { env: npmEnv });
      expect(r.status).toBe(0);
      expect(r.stdout, `${file} differs from \`nfsctl completion ${shell}\``).toBe(
        readFileSync(join(installed, file!), 'utf8'),
      );
    }
  });
});
