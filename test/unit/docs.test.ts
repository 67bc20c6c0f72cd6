// The generated files (completions/, man/nfsctl.8) are committed; they must match what the
// generator makes from the current command tree, and the man page must be clean roff.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram, version } from '../../src/cli/program.js';
import { generateDocs, GENERATED, MAN_PAGE, manPageDate } from '../../src/cli/docs.js';
import { esc, prose, renderManPage, RUNBOOK } from '../../src/cli/manpage.js';
import { CONFIG_DOCS, configReference, EXAMPLE_CONFIG } from '../../src/cli/config-reference.js';
import { allCommands, describeProgram } from '../../src/cli/completion.js';
import { parseConfig } from '../../src/config/load.js';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { ROOT, run } from '../support/cli.js';
import { tempDir } from '../support/config.js';
import { resolveExample } from '../support/examples.js';

const committedPage = readFileSync(join(ROOT, MAN_PAGE), 'utf8');
const date = manPageDate(committedPage) ?? '2000-01-01';
const generated = generateDocs(buildProgram(), { date, version: version() });

/** The page as generated now, in a temp file (lint it even when the committed one is stale). */
function generatedPageFile(): string {
  const file = join(tempDir(), 'nfsctl.8');
  writeFileSync(file, generated[MAN_PAGE]!);
  return file;
}

describe('generated files', () => {
  it.each([...Object.keys(GENERATED), MAN_PAGE])('%s is up to date (else run `npm run docs`)', (rel) => {
    const committed = readFileSync(join(ROOT, rel), 'utf8');
    expect(committed === generated[rel], `${rel} is out of date: run \`npm run docs\` and commit the result`).toBe(
      true,
    );
  });

  it('package.json ships them, and has the docs and prepack scripts', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      files: string[];
      man: string[];
      scripts: Record<string, string>;
    };
    expect(pkg.files).toEqual(expect.arrayContaining(['bin/', 'dist/', 'man/', 'completions/']));
    expect(pkg.man).toEqual(['./man/nfsctl.8']);
    expect(pkg.scripts.docs).toBe('npm run build && node dist/cli/gen-docs.js');
    expect(pkg.scripts.prepack).toBe('npm run build');
    expect(pkg.scripts).not.toHaveProperty('postinstall');
  });
});

describe('man page', () => {
  it('passes mandoc -T lint -W warning without a message', async () => {
    for (const file of [join(ROOT, MAN_PAGE), generatedPageFile()]) {
      const r = await run('mandoc', ['-T', 'lint', '-W', 'warning', file]);
      expect(r.stdout + r.stderr, file).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('passes groff -man -ww -z without a warning', async () => {
    const r = await run('groff', ['-man', '-ww', '-z', generatedPageFile()]);
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('has the sections an operator looks for', () => {
    const sections = [...generated[MAN_PAGE]!.matchAll(/^\.SH (.+)$/gm)].map((m) => m[1]);
    expect(sections).toEqual([
      'NAME',
      'SYNOPSIS',
      'DESCRIPTION',
      'GLOBAL OPTIONS',
      'COMMANDS',
      'CONFIGURATION',
      'MONITORING',
      'EXIT STATUS',
      'ENVIRONMENT',
      'FILES',
      'EXAMPLES',
      'SEE ALSO',
    ]);
    expect(generated[MAN_PAGE]).toMatch(/^\.TH NFSCTL 8 "\d{4}-\d{2}-\d{2}" "nfsctl \d+\.\d+\.\d+"/m);
  });

  it('renders every command, option and example, and the reference sections, as plain text', async () => {
    const r = await run('mandoc', ['-T', 'ascii', '-O', 'width=400', generatedPageFile()]);
    expect(r.status).toBe(0);
    // ASCII output: drop overstrike (bold/underline) so the words can be compared.
    const text = r.stdout.replace(/.\x08/g, '');
    for (const c of allCommands(describeProgram(buildProgram())).slice(1)) {
      expect(text).toContain(['nfsctl', ...c.path].join(' '));
      for (const o of c.options)
        for (const flag of [o.short, o.long])
          if (flag && flag !== '-h' && flag !== '--help') expect(text, `${c.name} ${flag}`).toContain(flag);
      for (const [what, how] of c.examples) {
        expect(text).toContain(`# ${what}`);
        expect(text).toContain(`$ ${how}`);
      }
    }
    const flat = text.replace(/\s+/g, ' ');
    for (const [code, what] of EXIT_CODES)
      expect(flat).toContain(`${code} ${what[0]!.toUpperCase()}${what.slice(1).replace(/`/g, '')}`);
    for (const f of [
      '/etc/nfsctl/config.yaml',
      '/var/log/nfsctl/audit.jsonl',
      '/run/lock/nfsctl/pair.lock',
      '/var/lib/nfsctl',
    ])
      expect(text).toContain(f);
    for (const e of ['NFSCTL_CONFIG', 'NO_COLOR']) expect(text).toContain(e);
    for (const step of RUNBOOK.flatMap((r) => r.steps)) expect(text).toContain(`$ ${step[1]}`);
    expect(text).toContain('$ nfsctl troubleshoot-mount team-a/data --from node-3');
    expect(text).toContain('$ nfsctl failback --dry-run');
    for (const k of configReference()) expect(text).toContain(k.key);
  });

  it('is found by man(1) in a MANPATH', async () => {
    const r = await run('man', ['-l', '-P', 'cat', join(ROOT, MAN_PAGE)], { env: { ...process.env, MANWIDTH: '100' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('nfsctl - operate an NFS storage pair');
  });

  it('runbook examples are valid command lines for the commands that exist', () => {
    const program = buildProgram();
    const problems: string[] = [];
    for (const [, how] of RUNBOOK.flatMap((r) => r.steps)) {
      const top = how.split(' ')[1]!;
      if (!program.commands.some((c) => c.name() === top)) continue; // not registered (yet)
      problems.push(...resolveExample(program, how).errors.map((e) => `${how}: ${e}`));
    }
    expect(problems).toEqual([]);
  });
});

describe('roff escaping', () => {
  it('escapes backslashes, hyphens and non-ASCII; guards leading dots and quotes', () => {
    expect(esc('a\\b')).toBe('a\\eb');
    expect(esc('--dry-run')).toBe('\\-\\-dry\\-run');
    expect(esc('pvc-…')).toBe('pvc\\-\\[u2026]');
    expect(prose('.hidden file')).toBe('\\&.hidden file');
    expect(prose("'quoted")).toBe("\\&'quoted");
    expect(prose('run `nfsctl lock status`')).toBe('run \\fBnfsctl lock status\\fR');
  });

  it('keeps hostile text inert', async () => {
    const program = buildProgram();
    program
      .command('evil')
      .description('.TH FAKE 1\n\'br \\fB "quote" – dash')
      .option('--x <v>', '.SH BROKEN')
      .action(() => {});
    const file = join(tempDir(), 'evil.8');
    writeFileSync(file, renderManPage(program, { date: '2026-01-01', version: '0.0.0' }));
    const lint = await run('mandoc', ['-T', 'lint', '-W', 'warning', file]);
    expect(lint.stdout + lint.stderr).toBe('');
    const text = (await run('mandoc', ['-T', 'ascii', '-O', 'width=400', file])).stdout.replace(/.\x08/g, '');
    expect(text).toContain('.TH FAKE 1');
    expect(text).toContain('.SH BROKEN');
    expect(text).toContain(`'br \\fB "quote" - dash`); // the en dash in ASCII
    expect(text.match(/^\S.*$/gm)?.filter((l) => /^[A-Z]/.test(l))).not.toContain('BROKEN');
  });
});

describe('config reference', () => {
  it('documents every key of the schema, and nothing else', () => {
    const keys = configReference().map((k) => k.key);
    expect(
      keys.filter((k) => !CONFIG_DOCS[k]),
      'schema keys without an entry in CONFIG_DOCS',
    ).toEqual([]);
    expect(
      Object.keys(CONFIG_DOCS).filter((k) => !keys.includes(k)),
      'CONFIG_DOCS entries for keys the schema does not have',
    ).toEqual([]);
  });

  it('takes types and defaults from the schema', () => {
    const byKey = Object.fromEntries(configReference().map((k) => [k.key, k]));
    expect(byKey['vip']).toMatchObject({ required: true });
    expect(byKey['hosts.{primary,backup}.ssh.port']).toMatchObject({ type: 'integer', default: '22', required: false });
    expect(byKey['rsync.interval']).toMatchObject({ default: '15m' });
    expect(byKey['rsync.interval']!.type).toMatch(/^duration/);
    expect(byKey['nfs.server']).toMatchObject({ type: 'kernel | ganesha', default: 'kernel' });
    expect(byKey['state.auditLog']).toMatchObject({ type: 'path', default: '/var/log/nfsctl/audit.jsonl' });
  });

  it('has an example config that is valid', () => {
    expect(() => parseConfig(EXAMPLE_CONFIG, 'man page example')).not.toThrow();
  });
});
