// The layering rule, checked on the source: domain modules never reach up into the CLI or a
// command, and no command imports another command's body.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../../src');
const DOMAIN = ['volume', 'ha', 'health', 'troubleshoot', 'rbd', 'plan', 'state', 'core', 'host', 'config'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module a file imports (static, re-export and dynamic import()), resolved to a path under src/. */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
}

describe('layering', () => {
  it('finds the imports it is meant to find (static, type-only, dynamic)', () => {
    const f = join(SRC, 'ha', 'x.ts');
    const text =
      "import type { Context } from '../cli/context.js';\nimport { a } from './y.js';\nconst m = await import('../commands/volume/common.js');\nexport { b } from \"../core/z.js\";\n";
    expect(importsOf(f, text)).toEqual(['cli/context.ts', 'ha/y.ts', 'commands/volume/common.ts', 'core/z.ts']);
  });

  it('no domain module imports commands/ or cli/', () => {
    const bad: string[] = [];
    for (const d of DOMAIN) {
      for (const f of files(join(SRC, d))) {
        for (const i of importsOf(f)) if (/^(commands|cli)\//.test(i)) bad.push(`${relative(SRC, f)} imports ${i}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("no command imports another command's body", () => {
    const bad: string[] = [];
    for (const f of files(join(SRC, 'commands'))) {
      const me = relative(SRC, f);
      const noun = me.split('/')[1];
      const verb = basename(f).replace(/(\.run)?\.ts$/, '');
      for (const i of importsOf(f)) {
        if (!i.startsWith('commands/')) continue;
        if (i.split('/')[1] !== noun) bad.push(`${me} imports ${i} (another command group)`);
        else if (i.endsWith('.run.ts')) {
          const body = basename(i).replace(/\.run\.ts$/, '');
          // a registration file loads its own body (lock.ts: lock-list.run.ts, lock-remove.run.ts); a body loads none
          if (me.endsWith('.run.ts') || !(body === verb || body.startsWith(`${verb}-`))) bad.push(`${me} imports ${i}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('no command declares --json, -y/--yes or --dry-run by hand (cli/flags.ts has them)', () => {
    const bad: string[] = [];
    for (const f of files(join(SRC, 'commands'))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\.option\(\s*['"](--json|-y, --yes|--yes|--dry-run)\b/g))
        bad.push(`${relative(SRC, f)}: ${m[1]}`);
    }
    expect(bad).toEqual([]);
  });
});
