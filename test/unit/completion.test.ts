// Shell completion, end to end in the real shells: the scripts are generated from the real
// command tree (plus a small fixture group for pools, images, files and aliases), loaded
// into bash, zsh and fish, and asked to complete; dynamic values come from the real
// `nfsctl __complete` (the built CLI on PATH) reading a cache file in a temp state dir.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Argument, Option, type Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { bashCompletion, completeAs, describeProgram, fishCompletion, inferValue, zshCompletion, allCommands } from '../../src/cli/completion.js';
import { completionCacheFile, readCompletionCache, writeCompletionCache } from '../../src/state/completion-cache.js';
import { cliEnv, ensureBuilt, runCli, type CliEnv } from '../support/cli.js';
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
    .action(() => {});
  fx.command('vols').description('fixture: many volumes').argument('<volume...>', 'volumes').action(() => {});
  return program;
}

let env: CliEnv;
let scripts: { bash: string; zsh: string; fish: string };
let otherConfig: string;

beforeAll(async () => {
  ensureBuilt();
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

function bash(line: string, opts: { bashCompletion?: boolean; env?: NodeJS.ProcessEnv } = {}): string[] {
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', BASH_HARNESS, 'harness', line, ...bashWords(line)], {
    encoding: 'utf8',
    env: { ...env.env, SCRIPT: scripts.bash, WITH_BASH_COMPLETION: opts.bashCompletion === false ? '0' : '1', ...opts.env },
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
function zsh(line: string, opts: { env?: NodeJS.ProcessEnv } = {}): string[] {
  const dir = join(env.dir, `zsh-${++zshCount}`);
  mkdirSync(dir);
  writeFileSync(join(dir, '.zshrc'), ZSHRC);
  const r = spawnSync('zsh', ['-f', '-c', ZSH_HARNESS, 'harness', line], {
    encoding: 'utf8',
    env: { ...env.env, NFSCTL_ZFUNC: join(env.dir, 'completions', 'zfunc'), NFSCTL_ZDOT: dir, NFSCTL_CAPTURE: join(dir, 'capture'), ...opts.env },
    timeout: 25_000,
  });
  if (r.status !== 0) throw new Error(`zsh harness failed (${r.status}): ${r.stderr}`);
  return [...new Set(r.stdout.split('\n').filter(Boolean))].sort();
}

// ---------------------------------------------------------------------------------------
// fish: `complete -C` asks fish's own completion engine about a command line.

function fish(line: string, opts: { env?: NodeJS.ProcessEnv } = {}): string[] {
  const r = spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', scripts.fish, line], {
    encoding: 'utf8',
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

describe.each(Object.entries(SHELLS))('%s completion (real shell)', (_name, complete) => {
  it('completes top-level commands from a prefix', () => {
    expect(complete('nfsctl lo')).toEqual(['lock', 'log']);
    expect(complete('nfsctl vo')).toEqual(['volume']);
  });

  it('completes subcommands of a group, and follows aliases', () => {
    expect(complete('nfsctl lock ')).toEqual(['break', 'status']);
    expect(complete('nfsctl volume ')).toEqual(expect.arrayContaining(['create', 'delete', 'list', 'show']));
    expect(complete('nfsctl fx ')).toEqual(['show', 'vols']);
  });

  it("completes a command's own options and the global ones", () => {
    const opts = complete('nfsctl lock break --');
    expect(opts).toEqual(expect.arrayContaining(['--host', '--yes', '--help', '--config', '--no-color']));
    expect(opts).not.toContain('--json'); // lock status has it, lock break does not
    expect(complete('nfsctl volume delete --k')).toEqual(['--keep-data']);
  });

  it('completes volume names from the cache, filtered by what was typed', () => {
    expect(complete('nfsctl volume delete ')).toEqual(VOLUMES);
    expect(complete('nfsctl volume delete team-a/')).toEqual(['team-a/data', 'team-a/logs']);
    expect(complete('nfsctl --no-color volume show team-b')).toEqual(['team-b/db']);
    // variadic: every position
    expect(complete('nfsctl fx vols team-a/data team-b')).toEqual(['team-b/db']);
  });

  it('uses the state dir of the config given on the command line', () => {
    expect(complete(`nfsctl --config ${otherConfig} volume delete `)).toEqual(['other-ns/only-here']);
    expect(complete(`nfsctl volume delete -c ${otherConfig} oth`)).toEqual(['other-ns/only-here']);
  });

  it('completes hosts, pools, images and fixed choices', () => {
    expect(complete('nfsctl lock break --host ')).toEqual(['backup', 'primary']);
    expect(complete('nfsctl fx show --pool ')).toEqual(POOLS);
    expect(complete('nfsctl fixture show rbd/')).toEqual(IMAGES);
    expect(complete('nfsctl completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('nfsctl help lo')).toEqual(['lock', 'log']);
  });

  it('completes files for --config', () => {
    expect(complete(`nfsctl --config ${env.dir}/conf`).map((f) => f.replace(/.*\//, ''))).toEqual(['config.yaml']);
  });

  it('offers nothing (and returns at once) without a config', () => {
    const started = Date.now();
    expect(complete('nfsctl volume delete ', { env: { NFSCTL_CONFIG: join(env.dir, 'missing.yaml') } })).toEqual([]);
    expect(Date.now() - started).toBeLessThan(15_000);
    // static completion still works
    expect(complete('nfsctl lo', { env: { NFSCTL_CONFIG: join(env.dir, 'missing.yaml') } })).toEqual(['lock', 'log']);
  });
});

describe('bash completion specifics', () => {
  it('registers with `complete -F` and works without bash-completion loaded', () => {
    expect(bash('nfsctl lock ', { bashCompletion: false })).toEqual(['break', 'status']);
    expect(bash('nfsctl volume delete team-a/', { bashCompletion: false })).toEqual(['team-a/data', 'team-a/logs']);
  });

  it('completes an --option=value word', () => {
    expect(bash('nfsctl lock break --host=p')).toEqual(['primary']);
  });

  it('does not offer subcommands after an option value that looks like one', () => {
    // `--plan lock`: "lock" is the value of --plan, not the lock command.
    expect(bash('nfsctl log --plan lock --j')).toEqual(['--json']);
  });
});

// ---------------------------------------------------------------------------------------

describe('nfsctl __complete (the built CLI)', () => {
  it('prints cached values with the prefix, one per line', () => {
    const r = runCli(['__complete', 'volumes', 'team-a'], { env: env.env });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('team-a/data\nteam-a/logs\n');
    expect(runCli(['__complete', 'hosts'], { env: env.env }).stdout).toBe('primary\nbackup\n');
  });

  it('prints nothing and exits 0 without a config, a cache, or for an unknown kind', () => {
    for (const args of [['__complete', 'volumes'], ['__complete', 'nonsense']]) {
      const r = runCli(args, { env: { ...env.env, NFSCTL_CONFIG: join(env.dir, 'nope.yaml') } });
      expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
    }
    const fresh = cliEnv(); // valid config, no cache yet
    expect(runCli(['__complete', 'volumes'], { env: fresh.env })).toMatchObject({ status: 0, stdout: '' });
  });

  it('gives up quickly when reading the cache blocks (a FIFO nobody writes)', () => {
    const blocked = cliEnv();
    mkdirSync(join(blocked.stateDir, 'cache'), { recursive: true });
    expect(spawnSync('mkfifo', [completionCacheFile(blocked.stateDir, 'volumes')]).status).toBe(0);
    const started = Date.now();
    const r = runCli(['__complete', 'volumes'], { env: blocked.env, timeout: 15_000 });
    expect(r.error).toBeUndefined(); // not killed by our timeout
    expect([r.status, r.stdout]).toEqual([0, '']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('is hidden from help and completions, and never needs a host', () => {
    expect(runCli(['--help'], { env: env.env }).stdout).not.toContain('__complete');
    expect(allCommands(describeProgram(buildProgram())).map((c) => c.name)).not.toContain('__complete');
    for (const complete of Object.values(SHELLS)) expect(complete('nfsctl __')).toEqual([]);
  });

  it('`nfsctl completion <shell>` prints the same script the generator makes, without a config', () => {
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const r = runCli(['completion', shell], { env: { ...env.env, NFSCTL_CONFIG: '/nonexistent' } });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe({ bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion }[shell](buildProgram()));
    }
    expect(runCli(['completion', 'tcsh'], { env: env.env }).status).toBe(2);
  });
});

describe('completion model', () => {
  it('infers value completion from names, choices and explicit completeAs', () => {
    expect(inferValue(new Argument('<namespace/name>'), 'namespace/name')).toEqual({ type: 'dynamic', kind: 'volumes' });
    expect(inferValue(new Option('--host <role>'), 'role')).toEqual({ type: 'dynamic', kind: 'hosts' });
    expect(inferValue(new Option('--pool <pool>'), 'pool')).toEqual({ type: 'dynamic', kind: 'pools' });
    expect(inferValue(new Option('--config <file>'), 'file')).toEqual({ type: 'files' });
    expect(inferValue(new Option('--fmt <f>').choices(['a', 'b']), 'f')).toEqual({ type: 'choices', values: ['a', 'b'] });
    expect(inferValue(completeAs(new Option('--image <x>'), 'images'), 'x')).toEqual({ type: 'dynamic', kind: 'images' });
    expect(inferValue(new Option('--from <node>'), 'node')).toEqual({ type: 'none' });
  });

  it('rejects names the scripts could not carry safely', () => {
    const p = buildProgram();
    p.command("bad'name").description('x').action(() => {});
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
