// Help that teaches: every command, including ones added later, has a one-line description
// and (when it runs something) 1-3 examples that are valid command lines for it; typos get
// a suggestion. The tree walked here is the one --help, completions and the man page use.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { getExamples } from '../../src/cli/app.js';
import { ensureBuilt, runCli } from '../support/cli.js';
import { resolveExample, shellWords } from '../support/examples.js';

interface Node {
  name: string;
  cmd: Command;
}

function visible(cmd: Command, prefix = 'nfsctl'): Node[] {
  const shown = new Set(cmd.createHelp().visibleCommands(cmd));
  return cmd.commands
    .filter((c) => shown.has(c))
    .flatMap((c) => [{ name: `${prefix} ${c.name()}`, cmd: c }, ...visible(c, `${prefix} ${c.name()}`)]);
}

const program = buildProgram();
const commands = visible(program);
const leaves = commands.filter((n) => n.cmd.commands.length === 0);

describe('every command teaches', () => {
  it('walks a real tree', () => {
    expect(commands.map((c) => c.name)).toEqual(
      expect.arrayContaining(['nfsctl config check', 'nfsctl lock break', 'nfsctl completion']),
    );
  });

  it('has a one-line description', () => {
    const bad = commands
      .filter((n) => !n.cmd.description().trim() || n.cmd.description().includes('\n'))
      .map((n) => n.name);
    expect(bad, 'commands without a one-line .description()').toEqual([]);
  });

  it('has 1 to 3 examples (examples(cmd, [...]) in its register function)', () => {
    const bad = leaves
      .filter((n) => getExamples(n.cmd).length < 1 || getExamples(n.cmd).length > 3)
      .map((n) => `${n.name} (${getExamples(n.cmd).length})`);
    expect(bad, 'commands that need examples(cmd, [[what, how], ...]) with 1-3 entries').toEqual([]);
  });

  it('has examples that run that very command, with options it accepts', () => {
    const problems: string[] = [];
    for (const n of leaves) {
      for (const [what, how] of getExamples(n.cmd)) {
        if (!what.trim()) problems.push(`${n.name}: example "${how}" has no explanation`);
        const r = resolveExample(program, how);
        const ran = ['nfsctl', ...r.path].join(' ');
        if (ran !== n.name) problems.push(`${n.name}: example "${how}" runs "${ran}"`);
        problems.push(...r.errors.map((e) => `${n.name}: example "${how}": ${e}`));
      }
    }
    expect(problems).toEqual([]);
  });

  it('shows the examples in --help', () => {
    for (const n of leaves) {
      let text = '';
      n.cmd.configureOutput({ writeOut: (s) => (text += s) });
      n.cmd.outputHelp();
      for (const [, how] of getExamples(n.cmd)) expect(text, n.name).toContain(`$ ${how}`);
    }
  });

  it('the example checker itself catches mistakes', () => {
    expect(resolveExample(program, 'nfsctl lock break --hots').errors).toEqual([
      expect.stringContaining('unknown option --hots'),
    ]);
    expect(resolveExample(program, 'nfsctl lock brake').errors).toHaveLength(1);
    expect(resolveExample(program, 'nfsctl --config x.yaml lock status').path).toEqual(['lock', 'status']);
    expect(resolveExample(program, 'source <(nfsctl completion bash)')).toEqual({ path: ['completion'], errors: [] });
    expect(shellWords(`a 'b c' "d"`)).toEqual(['a', 'b c', 'd']);
  });
});

describe('mistakes get a suggestion (the built CLI)', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('`nfsctl lok` exits 2 and suggests `lock`', async () => {
    const r = await runCli(['lok'], { env: { NO_COLOR: '1' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'lok'");
    expect(r.stderr).toMatch(/Did you mean (one of )?([a-z-]+, )*lock\b/); // "one of lock, log"

    expect(r.stdout).toBe('');
  });

  it('a misspelt subcommand or option is caught the same way', async () => {
    const sub = await runCli(['lock', 'stauts']);
    expect(sub.status).toBe(2);
    expect(sub.stderr).toMatch(/Did you mean status\?/);
    const opt = await runCli(['log', '--line', '5']);
    expect(opt.status).toBe(2);
    expect(opt.stderr).toMatch(/Did you mean --lines\?/);
  });

  it('`nfsctl help exit-codes` lists the exit codes; `nfsctl help lock break` shows examples', async () => {
    const codes = await runCli(['help', 'exit-codes']);
    expect(codes.status).toBe(0);
    expect(codes.stdout).toMatch(/^\s+130\s+cancelled/m);
    const help = await runCli(['help', 'lock', 'break']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Examples:');
  });
});
