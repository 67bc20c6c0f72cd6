// Shell completion, end to end in the real shells: the scripts are generated from the real
// command tree (plus a small fixture group for pools, images, files and aliases), loaded
// into bash, zsh and fish, and asked to complete; dynamic values come from the real
// `nfsctl __complete` (the built CLI on PATH) reading a cache file in a temp state dir.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Argument, Option, type Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import {
  bashCompletion,
  completeAs,
  describeProgram,
  fishCompletion,
  inferValue,
  zshCompletion,
  allCommands,
} from '../../src/cli/completion.js';
import { completionCacheFile, readCompletionCache, writeCompletionCache } from '../../src/state/completion-cache.js';
import { COMPLETE_DEADLINE_MS } from '../../src/commands/completion/completion.js';
import { cliEnv, ensureBuilt, run, runCli, ROOT, type CliEnv } from '../support/cli.js';
import { tempDir, testConfigYaml } from '../support/config.js';

const VOLUMES = ['team-a/data', 'team-a/logs', 'team-b/db'];
const IMAGES = ['rbd/kubernetes-dynamic-pvc-0001', 'rbd/kubernetes-dynamic-pvc-0002'];
const POOLS = ['fast', 'rbd'];

/** The real tree, plus a fixture group exercising what the real commands do not (yet). */
function fixtureProgram(): Command {
  const program = buildProgram();
  const fx = program.command('fixture').alias('fx').description('test fixture');
  fx.command('show')
    .description('fixture: an image argument')
    .argument('<image>', 'an RBD image')
    .option('--pool <pool>', 'a pool')
    .option('-f, --file <file>', 'a file')
    .addOption(completeAs(new Option('--from <node>', 'explicitly not completed'), 'none'))
    // what a description may hold: an apostrophe, _arguments' own [ ] : and a backslash
    .option('--owner <who>', "the pair's owner [a: b] \\ c")
    .action(() => {});
  fx.command('vols')
    .description('fixture: many volumes')
    .argument('<volume...>', 'volumes')
    .action(() => {});
  return program;
}

/** A config path that blocks whoever opens it: a FIFO with no writer. */
async function hangingConfig(): Promise<string> {
  const path = join(tempDir('nfsctl-fifo-'), 'config.yaml');
  if ((await run('mkfifo', [path])).status !== 0) throw new Error('mkfifo failed');
  return path;
}

let env: CliEnv;
let scripts: { bash: string; zsh: string; fish: string };
let otherConfig: string;

beforeAll(async () => {
  await ensureBuilt();
  env = cliEnv();
  await writeCompletionCache(env.stateDir, 'volumes', VOLUMES);
  await writeCompletionCache(env.stateDir, 'images', IMAGES);
  await writeCompletionCache(env.stateDir, 'pools', POOLS);
  // A second config with its own state: --config on the command line must be honoured.
  const other = tempDir('nfsctl-other-');
  otherConfig = join(other, 'config.yaml');
  writeFileSync(otherConfig, testConfigYaml(other));
  await writeCompletionCache(join(other, 'state'), 'volumes', ['other-ns/only-here']);

  const program = fixtureProgram();
  const dir = join(env.dir, 'completions');
  mkdirSync(join(dir, 'zfunc'), { recursive: true });
  scripts = { bash: join(dir, 'nfsctl.bash'), zsh: join(dir, 'zfunc', '_nfsctl'), fish: join(dir, 'nfsctl.fish') };
  writeFileSync(scripts.bash, bashCompletion(program));
  writeFileSync(scripts.zsh, zshCompletion(program));
  writeFileSync(scripts.fish, fishCompletion(program));
}, 200_000);

describe('zsh completion script', () => {
  it('parses (zsh -n) with an apostrophe, brackets, a colon and a backslash in a description', async () => {
    const r = await run('zsh', ['-n', scripts.zsh]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------
// bash: source the script (with and without bash-completion loaded), find the function
// `complete -p nfsctl` registered, fill COMP_* the way readline does and call it.

const BASH_HARNESS = `
if [[ $WITH_BASH_COMPLETION == 1 ]]; then source /usr/share/bash-completion/bash_completion; fi
source "$SCRIPT"
spec=$(complete -p nfsctl) || exit 3
fn=\${spec#*-F }; fn=\${fn%% *}
COMP_LINE=$1 COMP_POINT=\${#1}
shift
COMP_WORDS=("$@") COMP_CWORD=$(($# - 1))
COMPREPLY=()
"$fn" nfsctl "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "\${COMPREPLY[@]}"
`;

/** COMP_WORDS as bash builds them: split at blanks, and at COMP_WORDBREAKS "=" and ":". */
function bashWords(line: string): string[] {
  return line.split(/ +/).flatMap((t) => (t === '' ? [''] : t.split(/([=:]+)/).filter((x) => x !== '')));
}

async function bash(line: string, opts: { bashCompletion?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<string[]> {
  const r = await run('bash', ['--norc', '--noprofile', '-c', BASH_HARNESS, 'harness', line, ...bashWords(line)], {
    env: {
      ...env.env,
      SCRIPT: scripts.bash,
      WITH_BASH_COMPLETION: opts.bashCompletion === false ? '0' : '1',
      ...opts.env,
    },
    timeout: 20_000,
  });
  if (r.status !== 0) throw new Error(`bash harness failed (${r.status}): ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).sort();
}

// ---------------------------------------------------------------------------------------
// zsh: a real interactive zsh in a pseudo-terminal (zpty), compinit with the generated
// _nfsctl in $fpath, the line typed followed by a real Tab. A compadd wrapper records what
// the completion system offers.

const ZSHRC = `
PS1='' PROMPT='' RPROMPT=''
fpath=($NFSCTL_ZFUNC $fpath)
autoload -U compinit && compinit -u -D
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
bindkey '^I' complete-word
compadd() {
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "$@"; return $?; fi
  local -a __hits
  builtin compadd -A __hits "$@"
  (( $#__hits )) && print -rl -- $__hits >> $NFSCTL_CAPTURE
  builtin compadd "$@"
}
_nfsctl_capture_done() { print -r -- '<<done>>' >> $NFSCTL_CAPTURE; }
comppostfuncs=(_nfsctl_capture_done)
print READY
`;

const ZSH_HARNESS = `
zmodload zsh/zpty
: > $NFSCTL_CAPTURE
zpty z "ZDOTDIR=$NFSCTL_ZDOT zsh -i"
zpty -r z line '*READY*'
zpty -w -n z "$1"$'\\t'
for i in {1..300}; do grep -q '<<done>>' $NFSCTL_CAPTURE && break; sleep 0.05; done
zpty -d z
grep -q '<<done>>' $NFSCTL_CAPTURE || { print -u2 'completion did not finish'; exit 4; }
grep -v '<<done>>' $NFSCTL_CAPTURE
exit 0
`;

let zshCount = 0;
async function zsh(line: string, opts: { env?: NodeJS.ProcessEnv } = {}): Promise<string[]> {
  const dir = join(env.dir, `zsh-${++zshCount}`);
  mkdirSync(dir);
  writeFileSync(join(dir, '.zshrc'), ZSHRC);
  const r = await run('zsh', ['-f', '-c', ZSH_HARNESS, 'harness', line], {
    env: {
      ...env.env,
      NFSCTL_ZFUNC: join(env.dir, 'completions', 'zfunc'),
      NFSCTL_ZDOT: dir,
      NFSCTL_CAPTURE: join(dir, 'capture'),
      ...opts.env,
    },
    timeout: 25_000,
  });
  if (r.status !== 0) throw new Error(`zsh harness failed (${r.status}): ${r.stderr}`);
  return [...new Set(r.stdout.split('\n').filter(Boolean))].sort();
}

// ---------------------------------------------------------------------------------------
// fish: `complete -C` asks fish's own completion engine about a command line.

async function fish(line: string, opts: { env?: NodeJS.ProcessEnv } = {}): Promise<string[]> {
  const r = await run('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', scripts.fish, line], {
    env: { ...env.env, ...opts.env },
    timeout: 20_000,
  });
  if (r.status !== 0) throw new Error(`fish failed (${r.status}): ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t')[0]!)
    .sort();
}

const SHELLS = { bash, zsh, fish } as const;
type Complete = (line: string, opts?: { env?: NodeJS.ProcessEnv }) => Promise<string[]>;

/**
 * Ask for several lines (one shell process each) and compare them all at once. One after
 * the other: the shells' test blocks already run concurrently, and a machine busy with
 * dozens of node start-ups is not what completion is tested against.
 */
async function expectAll(complete: Complete, cases: [string, string[]][], opts: { env?: NodeJS.ProcessEnv } = {}) {
  const got: string[][] = [];
  for (const [line] of cases) got.push(await complete(line, opts));
  expect(Object.fromEntries(cases.map(([line], i) => [line, got[i]]))).toEqual(Object.fromEntries(cases));
}

describe.concurrent.each(Object.entries(SHELLS))('%s completion (real shell)', (_name, complete: Complete) => {
  it('completes commands, subcommands (following aliases) and fixed choices', async () => {
    await expectAll(complete, [
      ['nfsctl lo', ['lock', 'log']],
      ['nfsctl vo', ['volume']],
      ['nfsctl lock ', ['break', 'status']],
      ['nfsctl fx ', ['show', 'vols']],
      ['nfsctl __', []], // the hidden helper is not offered
      ['nfsctl completion ', ['bash', 'fish', 'zsh']],
      ['nfsctl help lo', ['lock', 'log']],
    ]);
    expect(await complete('nfsctl volume ')).toEqual(expect.arrayContaining(['create', 'delete', 'list', 'show']));
  });

  it("completes a command's own options and the global ones", async () => {
    const opts = await complete('nfsctl lock break --');
    const keep = await complete('nfsctl volume delete --k');
    expect(opts).toEqual(expect.arrayContaining(['--host', '--yes', '--help', '--config', '--no-color']));
    expect(opts).not.toContain('--json'); // lock status has it, lock break does not
    expect(keep).toEqual(['--keep-data']);
  });

  it('completes volume names from the cache, filtered by what was typed', async () => {
    await expectAll(complete, [
      ['nfsctl volume delete ', VOLUMES],
      ['nfsctl volume delete team-a/', ['team-a/data', 'team-a/logs']],
      ['nfsctl --no-color volume show team-b', ['team-b/db']],
      ['nfsctl fx vols team-a/data team-b', ['team-b/db']], // variadic: every position
    ]);
  });

  it('uses the state dir of the config given on the command line', async () => {
    await expectAll(complete, [
      [`nfsctl --config ${otherConfig} volume delete `, ['other-ns/only-here']],
      [`nfsctl volume delete -c ${otherConfig} oth`, ['other-ns/only-here']],
    ]);
  });

  it('completes hosts, pools, images and files', async () => {
    await expectAll(complete, [
      ['nfsctl lock break --host ', ['backup', 'primary']],
      ['nfsctl fx show --pool ', POOLS],
      ['nfsctl fixture show rbd/', IMAGES],
      ['nfsctl fixture show --from ', []],
    ]);
    expect((await complete(`nfsctl --config ${env.dir}/conf`)).map((f) => f.replace(/.*\//, ''))).toEqual([
      'config.yaml',
    ]);
  });

  it('offers no values, at once, without a config; static completion still works', async () => {
    const started = Date.now();
    await expectAll(
      complete,
      [
        ['nfsctl volume delete ', []],
        ['nfsctl lo', ['lock', 'log']],
      ],
      { env: { NFSCTL_CONFIG: join(env.dir, 'missing.yaml') } },
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('returns within seconds, offering nothing, when reading local state hangs', async () => {
    const started = Date.now();
    expect(await complete('nfsctl volume delete ', { env: { NFSCTL_CONFIG: await hangingConfig() } })).toEqual([]);
    expect(Date.now() - started).toBeLessThan(12_000);
  });
});

describe('bash completion specifics', () => {
  it('registers with `complete -F` and works without bash-completion loaded', async () => {
    expect(await bash('nfsctl lock ', { bashCompletion: false })).toEqual(['break', 'status']);
    expect(await bash('nfsctl volume delete team-a/', { bashCompletion: false })).toEqual([
      'team-a/data',
      'team-a/logs',
    ]);
  });

  it('completes an --option=value word', async () => {
    expect(await bash('nfsctl lock break --host=p')).toEqual(['primary']);
  });

  it('does not take an option value for a subcommand', async () => {
    // `--plan lock`: "lock" is the value of --plan, not the lock command.
    expect(await bash('nfsctl log --plan lock --j')).toEqual(['--json']);
  });
});

// ---------------------------------------------------------------------------------------

describe('nfsctl __complete (the built CLI)', () => {
  it('prints cached values with the prefix, one per line', async () => {
    const r = await runCli(['__complete', 'volumes', 'team-a'], { env: env.env });
    expect([r.status, r.stdout]).toEqual([0, 'team-a/data\nteam-a/logs\n']);
    expect((await runCli(['__complete', 'hosts'], { env: env.env })).stdout).toBe('primary\nbackup\n');
  });

  it('prints nothing and exits 0 without a config, a cache, or for an unknown kind', async () => {
    for (const args of [
      ['__complete', 'volumes'],
      ['__complete', 'nonsense'],
    ]) {
      const r = await runCli(args, { env: { ...env.env, NFSCTL_CONFIG: join(env.dir, 'nope.yaml') } });
      expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
    }
    const fresh = cliEnv(); // valid config, no cache yet
    expect(await runCli(['__complete', 'volumes'], { env: fresh.env })).toMatchObject({ status: 0, stdout: '' });
  });

  it('does not open a cache that is not a regular file (a FIFO would block)', async () => {
    const odd = cliEnv();
    mkdirSync(join(odd.stateDir, 'cache'), { recursive: true });
    expect((await run('mkfifo', [completionCacheFile(odd.stateDir, 'volumes')])).status).toBe(0);
    const started = Date.now();
    expect(await runCli(['__complete', 'volumes'], { env: odd.env })).toMatchObject({ status: 0, stdout: '' });
    expect(Date.now() - started).toBeLessThan(COMPLETE_DEADLINE_MS);
  });

  it('is killed by its own watchdog when a read hangs (config is a FIFO nobody writes)', async () => {
    const started = Date.now();
    const r = await runCli(['__complete', 'volumes'], {
      env: { ...env.env, NFSCTL_CONFIG: await hangingConfig() },
      timeout: 15_000,
    });
    const took = Date.now() - started;
    expect(r).toMatchObject({ stdout: '', signal: 'SIGKILL', timedOut: false }); // its watchdog, not our timeout
    expect(took).toBeGreaterThanOrEqual(COMPLETE_DEADLINE_MS - 100);
    expect(took).toBeLessThan(COMPLETE_DEADLINE_MS + 5_000);
  });

  it('is hidden from help and from the command model', async () => {
    expect((await runCli(['--help'], { env: env.env })).stdout).not.toContain('__complete');
    expect(allCommands(describeProgram(buildProgram())).map((c) => c.name)).not.toContain('__complete');
  });

  it('`nfsctl completion <shell>` prints what the generator makes, without a config', async () => {
    // Compare with the generator as built into dist/ (the same build the CLI runs).
    const built = (await import(
      join(ROOT, 'dist', 'cli', 'completion.js')
    )) as typeof import('../../src/cli/completion.js');
    const { buildProgram: builtProgram } = (await import(
      join(ROOT, 'dist', 'cli', 'program.js')
    )) as typeof import('../../src/cli/program.js');
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const r = await runCli(['completion', shell], { env: { ...env.env, NFSCTL_CONFIG: '/nonexistent' } });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(built.completionScript(builtProgram(), shell));
    }
    expect((await runCli(['completion', 'tcsh'], { env: env.env })).status).toBe(2);
  });
});

describe('completion model', () => {
  it('infers value completion from names, choices and explicit completeAs', () => {
    expect(inferValue(new Argument('<namespace/name>'), 'namespace/name')).toEqual({
      type: 'dynamic',
      kind: 'volumes',
    });
    expect(inferValue(new Option('--host <role>'), 'role')).toEqual({ type: 'dynamic', kind: 'hosts' });
    expect(inferValue(new Option('--pool <pool>'), 'pool')).toEqual({ type: 'dynamic', kind: 'pools' });
    expect(inferValue(new Option('--config <file>'), 'file')).toEqual({ type: 'files' });
    expect(inferValue(new Option('--fmt <f>').choices(['a', 'b']), 'f')).toEqual({
      type: 'choices',
      values: ['a', 'b'],
    });
    expect(inferValue(completeAs(new Option('--image <x>'), 'images'), 'x')).toEqual({
      type: 'dynamic',
      kind: 'images',
    });
    expect(inferValue(new Option('--from <node>'), 'node')).toEqual({ type: 'none' });
  });

  it('rejects names the scripts could not carry safely', () => {
    const p = buildProgram();
    p.command("bad'name")
      .description('x')
      .action(() => {});
    expect(() => bashCompletion(p)).toThrow(/characters/);
  });
});

describe('completion cache', () => {
  it('writes sorted unique values atomically and reads them back', async () => {
    const dir = tempDir();
    expect(await writeCompletionCache(dir, 'volumes', ['b/x', 'a/y', 'b/x', 'bad value', ''])).toBe(true);
    expect(await readCompletionCache(dir, 'volumes')).toEqual(['a/y', 'b/x']);
    expect(existsSync(completionCacheFile(dir, 'volumes'))).toBe(true);
    expect(await readCompletionCache(dir, 'images')).toEqual([]);
  });

  it('never throws: an unwritable state dir is reported as false', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cache'), 'a file where the directory should be');
    expect(await writeCompletionCache(dir, 'volumes', ['a/b'])).toBe(false);
  });
});
