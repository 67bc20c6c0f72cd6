// Shell completion for bash, zsh and fish, generated from the one command tree
// (buildProgram()), so completions, --help and the man page never drift apart.
//
// The scripts carry the static part (commands, options, which options take a value) and
// ask `nfsctl __complete <kind> [prefix]` for dynamic values (volume names, hosts, pools,
// RBD images). That hidden command reads local state only (the config and the completion
// cache written by the listing commands), so Tab answers at once even with a host down.
import type { Argument, Command, Option } from 'commander';
import { getExamples } from './app.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export const DYNAMIC_KINDS = ['volumes', 'hosts', 'pools', 'images'] as const;
export type DynamicKind = (typeof DYNAMIC_KINDS)[number];

/** How the value of an option or argument completes. */
export type ValueCompletion =
  | { type: 'none' }
  | { type: 'files' }
  | { type: 'dynamic'; kind: DynamicKind }
  | { type: 'choices'; values: string[] };

export interface OptionSpec {
  flags: string;
  short?: string;
  long?: string;
  description: string;
  /** `<value>` required after the option. (`[value]` options are treated as flags.) */
  takesValue: boolean;
  valueName?: string;
  /** The default value, when it is not a plain flag's. */
  defaultValue?: string;
  value: ValueCompletion;
  /** A program-level option, accepted after any subcommand too. */
  global: boolean;
}

export interface ArgSpec {
  name: string;
  description: string;
  required: boolean;
  variadic: boolean;
  value: ValueCompletion;
}

export interface CommandSpec {
  /** Words after `nfsctl`: [] for the program itself, ['lock', 'break'] ... */
  path: string[];
  name: string;
  aliases: string[];
  description: string;
  /** `nfsctl lock break [options]` */
  usage: string;
  /** Own options plus --help (and, at the top, --version); global options are separate. */
  options: OptionSpec[];
  args: ArgSpec[];
  subcommands: CommandSpec[];
  examples: [string, string][];
}

// ---------------------------------------------------------------------------------------
// Walking the tree

type Completable = (Option | Argument) & { _nfsctlComplete?: ValueCompletion };

/**
 * Say explicitly how an option's or argument's value completes, when its name does not
 * (see inferValue): `completeAs(new Option('--from <node>'), 'none')`.
 */
export function completeAs<T extends Option | Argument>(target: T, how: DynamicKind | 'files' | 'none' | string[]): T {
  (target as Completable)._nfsctlComplete = Array.isArray(how)
    ? { type: 'choices', values: how }
    : how === 'files' || how === 'none'
      ? { type: how }
      : { type: 'dynamic', kind: how };
  return target;
}

// Value names that say what they hold. Commands registered later get completion for free
// by naming their arguments well: `<volume>`, `--pool <pool>`, `--host <role>`, `<file>`.
const BY_NAME: Record<string, ValueCompletion> = {
  volume: { type: 'dynamic', kind: 'volumes' },
  volumes: { type: 'dynamic', kind: 'volumes' },
  'namespace/name': { type: 'dynamic', kind: 'volumes' },
  pvc: { type: 'dynamic', kind: 'volumes' },
  host: { type: 'dynamic', kind: 'hosts' },
  role: { type: 'dynamic', kind: 'hosts' },
  pool: { type: 'dynamic', kind: 'pools' },
  image: { type: 'dynamic', kind: 'images' },
  'pool/image': { type: 'dynamic', kind: 'images' },
  'image-spec': { type: 'dynamic', kind: 'images' },
  file: { type: 'files' },
  path: { type: 'files' },
  dir: { type: 'files' },
  directory: { type: 'files' },
};

export function inferValue(target: Option | Argument, valueName: string | undefined): ValueCompletion {
  const explicit = (target as Completable)._nfsctlComplete;
  if (explicit) return explicit;
  if (target.argChoices && target.argChoices.length > 0) return { type: 'choices', values: [...target.argChoices] };
  const key = (valueName ?? '').toLowerCase().replace(/\.\.\.$/, '');
  return BY_NAME[key] ?? { type: 'none' };
}

function valueNameOf(opt: Option): string | undefined {
  return /<([^>]+)>|\[([^\]]+)\]/
    .exec(opt.flags)
    ?.slice(1)
    .find((x) => x !== undefined);
}

function optionSpec(opt: Option, global: boolean): OptionSpec {
  const valueName = valueNameOf(opt);
  const spec: OptionSpec = {
    flags: opt.flags,
    description: opt.description,
    takesValue: opt.required,
    value: opt.required ? inferValue(opt, valueName) : { type: 'none' },
    global,
  };
  if (opt.short) spec.short = opt.short;
  if (opt.long) spec.long = opt.long;
  if (valueName) spec.valueName = valueName;
  if (opt.defaultValue !== undefined && typeof opt.defaultValue !== 'boolean')
    spec.defaultValue = opt.defaultValue instanceof Array ? opt.defaultValue.join(',') : String(opt.defaultValue);
  return spec;
}

function visibleSubcommands(cmd: Command): Command[] {
  // Help.visibleCommands drops hidden ones and adds the implicit `help` of groups; keep
  // only real, registered commands.
  return cmd
    .createHelp()
    .visibleCommands(cmd)
    .filter((c) => cmd.commands.includes(c));
}

/** The (visible) command tree as plain data: what the generators and tests walk. */
export function describeProgram(program: Command): CommandSpec {
  const globalLongs = new Set(program.options.filter((o) => !o.hidden && o.long !== '--version').map((o) => o.long));
  const topNames = visibleSubcommands(program).map((c) => c.name());

  const walk = (cmd: Command, path: string[]): CommandSpec => {
    const isRoot = path.length === 0;
    const options = cmd
      .createHelp()
      .visibleOptions(cmd)
      .filter((o) => !isRoot || !globalLongs.has(o.long))
      .map((o) => optionSpec(o, false));
    const args = cmd.registeredArguments.map((a): ArgSpec => {
      let value = inferValue(a, a.name());
      // `nfsctl help <topic...>`: topics are the commands and exit-codes.
      if (path.length === 1 && cmd.name() === 'help' && value.type === 'none')
        value = { type: 'choices', values: [...topNames, 'exit-codes'] };
      return { name: a.name(), description: a.description, required: a.required, variadic: a.variadic, value };
    });
    return {
      path,
      name: isRoot ? cmd.name() : path.join(' '),
      aliases: cmd.aliases(),
      description: cmd.description(),
      usage: [program.name(), ...path, cmd.usage()].filter(Boolean).join(' '),
      options,
      args,
      subcommands: visibleSubcommands(cmd).map((c) => walk(c, [...path, c.name()])),
      examples: getExamples(cmd),
    };
  };
  return walk(program, []);
}

/** The program-level options accepted anywhere on the command line (not --help/--version). */
export function globalOptions(program: Command): OptionSpec[] {
  return program.options.filter((o) => !o.hidden && o.long !== '--version').map((o) => optionSpec(o, true));
}

export function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.subcommands.flatMap(allCommands)];
}

/** Every switch of an option: ['-c', '--config']. */
function switches(o: OptionSpec): string[] {
  return [o.short, o.long].filter((s): s is string => s !== undefined);
}

const SAFE_WORD = /^-{0,2}[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/;
function checkWord(w: string, what: string): string {
  if (!SAFE_WORD.test(w))
    throw new Error(`completion generator: ${what} "${w}" has characters the shell scripts do not expect`);
  return w;
}

/** All data the three generators share, flattened per command path. */
interface Flat {
  path: string; // 'lock break'
  spec: CommandSpec;
  options: OptionSpec[]; // own + global
  subs: { name: string; aliases: string[]; description: string }[];
}

function flatten(program: Command): { flat: Flat[]; globals: OptionSpec[]; configSwitches: string[] } {
  const root = describeProgram(program);
  const globals = globalOptions(program);
  const flat = allCommands(root).map((spec) => {
    for (const w of spec.path) checkWord(w, 'command');
    const options = [...globals, ...spec.options];
    for (const o of options) switches(o).forEach((s) => checkWord(s, 'option'));
    return {
      path: spec.path.join(' '),
      spec,
      options,
      subs: spec.subcommands.map((s) => ({
        name: s.path[s.path.length - 1]!,
        aliases: s.aliases.map((a) => checkWord(a, 'alias')),
        description: s.description,
      })),
    };
  });
  const config = globals.find((o) => o.long === '--config');
  return { flat, globals, configSwitches: config ? switches(config) : [] };
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

const HEADER = (shell: string, install: string) =>
  `# ${shell} completion for nfsctl. Generated from the nfsctl command tree (\`npm run docs\`, or
# \`nfsctl completion ${shell}\`): do not edit by hand.
# Install: ${install}
`;

// ---------------------------------------------------------------------------------------
// bash

/** Value completion encoded for the bash and fish walkers. */
function valueCode(v: ValueCompletion): string {
  switch (v.type) {
    case 'none':
      return 'none';
    case 'files':
      return 'files';
    case 'dynamic':
      return `dyn:${v.kind}`;
    case 'choices':
      return `words:${v.values.map((x) => checkWord(x, 'choice')).join(' ')}`;
  }
}

function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function bashCompletion(program: Command): string {
  const { flat, globals, configSwitches } = flatten(program);
  const subCases = flat.flatMap((f) =>
    f.subs.flatMap((s) => [s.name, ...s.aliases].map((w) => `    ${sq(`${f.path}/${w}`)}) REPLY=${s.name} ;;`)),
  );
  const subsCases = flat
    .filter((f) => f.subs.length > 0)
    .map((f) => `    ${sq(f.path)}) REPLY=${sq(f.subs.map((s) => s.name).join(' '))} ;;`);
  const optsCases = flat.map((f) => `    ${sq(f.path)}) REPLY=${sq(f.options.flatMap(switches).join(' '))} ;;`);
  const globalValued = globals.filter((o) => o.takesValue);
  const optvalCases = [
    ...globalValued.map(
      (o) =>
        `    ${switches(o)
          .map((s) => `*${sq(`|${s}`)}`)
          .join('|')}) REPLY=${sq(valueCode(o.value))} ;;`,
    ),
    ...flat.flatMap((f) =>
      f.spec.options
        .filter((o) => o.takesValue)
        .map(
          (o) =>
            `    ${switches(o)
              .map((s) => sq(`${f.path}|${s}`))
              .join('|')}) REPLY=${sq(valueCode(o.value))} ;;`,
        ),
    ),
  ];
  // Variadic: every index from its position on. Written as a numeric test in the function.
  const variadic = flat.flatMap((f) => f.spec.args.map((a, i) => ({ f, a, i })).filter(({ a }) => a.variadic));
  const fixedArgCases = flat.flatMap((f) =>
    f.spec.args
      .map((a, i) => ({ a, i }))
      .filter(({ a }) => !a.variadic)
      .map(({ a, i }) => `    ${sq(`${f.path}|${i}`)}) REPLY=${sq(valueCode(a.value))} ;;`),
  );
  const cfgTest = configSwitches.length ? configSwitches.map((s) => `$last == ${s}`).join(' || ') : '1 == 0';
  const cfgLong = configSwitches.find((s) => s.startsWith('--'));

  return `${HEADER('bash', 'copy to /usr/share/bash-completion/completions/nfsctl, or run: source <(nfsctl completion bash)')}
# _nfsctl_sub PATH WORD: the subcommand WORD (or its alias) names under PATH, in REPLY
_nfsctl_sub() {
  case "$1/$2" in
${subCases.join('\n')}
    *) return 1 ;;
  esac
}

# _nfsctl_subs PATH: the subcommands of PATH, in REPLY
_nfsctl_subs() {
  REPLY=
  case "$1" in
${subsCases.join('\n')}
  esac
}

# _nfsctl_opts PATH: the options accepted at PATH, in REPLY
_nfsctl_opts() {
  REPLY=
  case "$1" in
${optsCases.join('\n')}
  esac
}

# _nfsctl_optval PATH OPTION: fails for a flag; for an option that takes a value, how the
# value completes (none, files, dyn:KIND or words:A B C), in REPLY
_nfsctl_optval() {
  case "$1|$2" in
${optvalCases.join('\n')}
    *) REPLY=; return 1 ;;
  esac
}

# _nfsctl_argval PATH INDEX: how positional argument INDEX (from 0) completes, in REPLY
_nfsctl_argval() {
  REPLY=none
  case "$1|$2" in
${fixedArgCases.join('\n')}
  esac
${variadic.map(({ f, a, i }) => `  [[ $1 == ${sq(f.path)} ]] && (($2 >= ${i})) && REPLY=${sq(valueCode(a.value))}`).join('\n')}
  return 0
}

# Ask nfsctl itself for dynamic values; local state only, and bounded in time anyway.
_nfsctl_call() {
  local cfg=$1 cmd=\${COMP_WORDS[0]}
  shift
  [[ $cmd == */* && -x $cmd ]] || cmd=nfsctl
  [[ $cfg == "~/"* ]] && cfg=$HOME/\${cfg#"~/"}
  [[ -n $cfg ]] && set -- --config "$cfg" "$@"
  if command -v timeout >/dev/null 2>&1; then
    timeout -k 1 5 "$cmd" "$@" 2>/dev/null </dev/null
  else
    "$cmd" "$@" 2>/dev/null </dev/null
  fi
}

_nfsctl_values() {
  local how=$1 cur=$2 cfg=$3 line
  case $how in
    files)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      ;;
    dyn:*)
      while IFS= read -r line; do
        [[ -n $line && $line == "$cur"* ]] && COMPREPLY+=("$line")
      done < <(_nfsctl_call "$cfg" __complete "\${how#dyn:}" "$cur")
      ;;
    words:*)
      mapfile -t COMPREPLY < <(compgen -W "\${how#words:}" -- "$cur")
      ;;
  esac
}

_nfsctl() {
  local cur prev words cword
  if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
    _get_comp_words_by_ref -n =: cur prev words cword
  else
    words=("\${COMP_WORDS[@]}") cword=$COMP_CWORD
    cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  fi
  COMPREPLY=()
  local path= nargs=0 i w last= pending=0 cfg= ddash=0 REPLY
  for ((i = 1; i < cword; i++)); do
    w=\${words[i]}
    if ((pending)); then
      pending=0
      [[ ${cfgTest} ]] && cfg=$w
      continue
    fi
    if ((!ddash)) && [[ $w == -* ]]; then
      if [[ $w == -- ]]; then ddash=1; continue; fi
${cfgLong ? `      [[ $w == ${cfgLong}=* ]] && cfg=\${w#${cfgLong}=}\n` : ''}      if [[ $w != *=* ]] && _nfsctl_optval "$path" "$w"; then pending=1 last=$w; fi
      continue
    fi
    if ((nargs == 0)) && _nfsctl_sub "$path" "$w"; then
      path=\${path:+$path }$REPLY
      continue
    fi
    nargs=$((nargs + 1))
  done

  local how
  if ((pending)); then
    _nfsctl_optval "$path" "$last"; how=$REPLY
  elif ((!ddash)) && [[ $cur == --*=* ]]; then
    _nfsctl_optval "$path" "\${cur%%=*}" || return 0
    how=$REPLY cur=\${cur#*=}
  elif ((!ddash)) && [[ $cur == -* ]]; then
    _nfsctl_opts "$path"
    mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
    return 0
  else
    _nfsctl_subs "$path"
    if ((nargs == 0)) && [[ -n $REPLY ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
      return 0
    fi
    _nfsctl_argval "$path" "$nargs"; how=$REPLY
  fi
  _nfsctl_values "$how" "$cur" "$cfg"
  return 0
}

complete -F _nfsctl nfsctl
`;
}

// ---------------------------------------------------------------------------------------
// zsh

/** Text inside a single-quoted zsh word. */
function zq(s: string): string {
  return s.replace(/'/g, `'\\''`);
}

/**
 * An `_arguments` description in [...]: its own metacharacters escaped first, then quoted for
 * the single-quoted word (the other order escaped the backslash of `'\\''` and broke the script).
 */
function zdesc(s: string): string {
  return zq(oneLine(s).replace(/([[\]:\\])/g, '\\$1'));
}

function zshAction(v: ValueCompletion): string {
  switch (v.type) {
    case 'none':
      return ' ';
    case 'files':
      return '_files';
    case 'dynamic':
      return `_nfsctl_dyn ${v.kind}`;
    case 'choices':
      return `(${v.values.join(' ')})`;
  }
}

function zshOptionSpecs(o: OptionSpec): string[] {
  const sw = switches(o);
  const desc = `[${zdesc(o.description)}]`;
  const value = o.takesValue ? `:${zdesc(o.valueName ?? 'value')}:${zq(zshAction(o.value))}` : '';
  const isHelp = o.long === '--help' || o.long === '--version';
  const excl = isHelp ? '(- *)' : sw.length > 1 ? `(${sw.join(' ')})` : '';
  const form = (s: string) => (o.takesValue ? (s.startsWith('--') ? `${s}=` : `${s}+`) : s);
  if (sw.length > 1 || isHelp) return sw.map((s) => `'${excl}${form(s)}${desc}${value}'`);
  return [`'${form(sw[0]!)}${desc}${value}'`];
}

function zfun(path: string): string {
  return `_nfsctl_cmd${path ? '_' + path.replace(/[^A-Za-z0-9]/g, '_') : ''}`;
}

export function zshCompletion(program: Command): string {
  const { flat, configSwitches } = flatten(program);
  const funcs = flat.map((f) => {
    const specs = f.options.flatMap(zshOptionSpecs);
    const lines: string[] = [];
    if (f.subs.length > 0) {
      lines.push(
        `${zfun(f.path)}() {`,
        `  local curcontext=$curcontext state state_descr line ret=1`,
        `  typeset -A opt_args`,
        // -A '-*': options after the subcommand belong to it (and are completed there).
        `  _arguments -C -s -S -A '-*' : \\`,
        ...specs.map((s) => `    ${s} \\`),
        `    '1: :->command' \\`,
        `    '*:: :->args' && ret=0`,
        `  case $state in`,
        `    command)`,
        `      local -a subs=(`,
        ...f.subs.map((s) => `        '${zq(s.name)}:${zq(oneLine(s.description))}'`),
        `      )`,
        `      _describe -t commands 'nfsctl${f.path ? ' ' + f.path : ''} command' subs && ret=0`,
        `      ;;`,
        `    args)`,
        `      case $words[1] in`,
        ...f.subs.map(
          (s) =>
            `        ${[s.name, ...s.aliases].join('|')}) ${zfun(f.path ? `${f.path} ${s.name}` : s.name)} && ret=0 ;;`,
        ),
        `      esac`,
        `      ;;`,
        `  esac`,
        `  return ret`,
        `}`,
      );
    } else {
      const args = f.spec.args.map((a, i) => {
        const msg = zdesc(a.name);
        const action = zq(zshAction(a.value));
        if (a.variadic) return `'*:${msg}:${action}'`;
        return `'${i + 1}:${a.required ? '' : ':'}${msg}:${action}'`;
      });
      lines.push(
        `${zfun(f.path)}() {`,
        `  _arguments -s -S : \\`,
        ...[...specs, ...args].map((s, i, all) => `    ${s}${i < all.length - 1 ? ' \\' : ''}`),
        `}`,
      );
    }
    return lines.join('\n');
  });
  const cfgScan = configSwitches.length
    ? `  local i
  _nfsctl_config=
  for ((i = 2; i < CURRENT; i++)); do
    case $words[i] in
${configSwitches.map((s) => `      ${s}) _nfsctl_config=$words[i+1] ;;`).join('\n')}
${configSwitches
  .filter((s) => s.startsWith('--'))
  .map((s) => `      ${s}=*) _nfsctl_config=\${words[i]#${s}=} ;;`)
  .join('\n')}
    esac
  done`
    : '  _nfsctl_config=';
  return `#compdef nfsctl
${HEADER('zsh', 'copy to a directory in $fpath as _nfsctl (e.g. /usr/share/zsh/vendor-completions/_nfsctl),\n#   or run: source <(nfsctl completion zsh)   (after compinit)')}
# Dynamic values (volumes, hosts, pools, images) from \`nfsctl __complete\`: local state
# only, and bounded in time anyway.
_nfsctl_dyn() {
  # _arguments passes its own compadd options (-J group ...) before the kind.
  local kind=$argv[-1]
  argv[-1]=()
  local -a call vals
  local cmd=$_nfsctl_bin
  [[ $cmd == */* && -x \${~cmd} ]] || cmd=nfsctl
  call=($cmd)
  [[ -n $_nfsctl_config ]] && call+=(--config \${~_nfsctl_config})
  (( $+commands[timeout] )) && call=(timeout -k 1 5 $call)
  vals=(\${(f)"$($call __complete $kind $PREFIX 2>/dev/null </dev/null)"})
  compadd "$@" -a vals
}

${funcs.join('\n\n')}

_nfsctl() {
  local _nfsctl_config _nfsctl_bin=$words[1]
${cfgScan}
  ${zfun('')} "$@"
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _nfsctl "$@"
else
  compdef _nfsctl nfsctl
fi
`;
}

// ---------------------------------------------------------------------------------------
// fish

/** A single-quoted fish string. */
function fq(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function fishCompletion(program: Command): string {
  const { flat, globals, configSwitches } = flatten(program);
  const subCases = flat.flatMap((f) =>
    f.subs.map(
      (s) =>
        `        case ${[s.name, ...s.aliases].map((w) => fq(`${f.path}/${w}`)).join(' ')}\n            echo ${s.name}`,
    ),
  );
  const globalValued = globals.filter((o) => o.takesValue);
  const optvalCases = [
    ...globalValued.map(
      (o) =>
        `        case ${switches(o)
          .map((s) => fq(`*|${s}`))
          .join(' ')}\n            echo ${fq(valueCode(o.value))}`,
    ),
    ...flat.flatMap((f) =>
      f.spec.options
        .filter((o) => o.takesValue)
        .map(
          (o) =>
            `        case ${switches(o)
              .map((s) => fq(`${f.path}|${s}`))
              .join(' ')}\n            echo ${fq(valueCode(o.value))}`,
        ),
    ),
  ];
  const argCases = flat.flatMap((f) => f.spec.args.map((a, i) => ({ f, a, i })));
  const cfgLong = configSwitches.find((s) => s.startsWith('--'));

  const completeLines: string[] = [];
  const cond = (path: string) => `-n ${fq(`__nfsctl_at "${path}"`)}`;
  const optLine = (o: OptionSpec, condition: string) => {
    const parts = ['complete -c nfsctl'];
    if (condition) parts.push(condition);
    if (o.short) parts.push(`-s ${o.short.slice(1)}`);
    if (o.long) parts.push(`-l ${o.long.slice(2)}`);
    if (o.takesValue) {
      if (o.value.type === 'files') parts.push('-r -F');
      else {
        parts.push('-x');
        if (o.value.type === 'dynamic') parts.push(`-a ${fq(`(__nfsctl_dyn ${o.value.kind})`)}`);
        if (o.value.type === 'choices') parts.push(`-a ${fq(o.value.values.join(' '))}`);
      }
    }
    parts.push(`-d ${fq(oneLine(o.description))}`);
    return parts.join(' ');
  };
  completeLines.push('complete -c nfsctl -f');
  for (const o of globals) completeLines.push(optLine(o, ''));
  for (const f of flat) for (const o of f.spec.options) completeLines.push(optLine(o, cond(f.path)));
  for (const f of flat)
    for (const s of f.subs)
      completeLines.push(
        `complete -c nfsctl -n ${fq(`__nfsctl_at_arg "${f.path}" 0`)} -a ${s.name} -d ${fq(oneLine(s.description))}`,
      );
  for (const { f, a, i } of argCases) {
    const n = a.variadic ? `${i}+` : String(i);
    const c = `-n ${fq(`__nfsctl_at_arg "${f.path}" ${n}`)}`;
    if (a.value.type === 'files') completeLines.push(`complete -c nfsctl ${c} -F`);
    else if (a.value.type === 'dynamic')
      completeLines.push(`complete -c nfsctl ${c} -a ${fq(`(__nfsctl_dyn ${a.value.kind})`)}`);
    else if (a.value.type === 'choices')
      completeLines.push(`complete -c nfsctl ${c} -a ${fq(a.value.values.join(' '))}`);
  }

  return `${HEADER('fish', 'copy to /usr/share/fish/vendor_completions.d/nfsctl.fish (or ~/.config/fish/completions/),\n#   or run: nfsctl completion fish | source')}
# __nfsctl_sub PATH WORD: the subcommand WORD (or its alias) names under PATH
function __nfsctl_sub --argument-names path word
    switch "$path/$word"
${subCases.join('\n')}
        case '*'
            return 1
    end
end

# __nfsctl_optval PATH OPTION: fails for a flag; for an option that takes a value, prints
# how the value completes (none, files, dyn:KIND, words:A B C)
function __nfsctl_optval --argument-names path opt
    switch "$path|$opt"
${optvalCases.join('\n')}
        case '*'
            return 1
    end
end

# The command line so far: prints the command path, the number of positional arguments,
# the --config value (or an empty line) and 1 when the next word is an option's value.
function __nfsctl_state
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path ''
    set -l nargs 0
    set -l pending 0
    set -l last ''
    set -l cfg ''
    set -l ddash 0
    for w in $tokens
        if test $pending = 1
            set pending 0
            if contains -- $last ${configSwitches.join(' ') || "''"}
                set cfg $w
            end
            continue
        end
        if test $ddash = 0; and string match -q -- '-*' $w
            if test "$w" = '--'
                set ddash 1
                continue
            end
${cfgLong ? `            if string match -q -- '${cfgLong}=*' $w\n                set cfg (string replace -- '${cfgLong}=' '' $w)\n            end\n` : ''}            if not string match -q -- '*=*' $w; and __nfsctl_optval "$path" $w >/dev/null
                set pending 1
                set last $w
            end
            continue
        end
        if test $nargs = 0; and set -l sub (__nfsctl_sub "$path" $w)
            set path (string trim -- "$path $sub")
            continue
        end
        set nargs (math $nargs + 1)
    end
    printf '%s\\n' "$path" $nargs "$cfg" $pending
end

# True when the command path is exactly $argv[1].
function __nfsctl_at --argument-names want
    set -l s (__nfsctl_state)
    test "$s[1]" = "$want"
end

# True at command path $argv[1] when the next word is positional argument $argv[2]
# (a number, or N+ for N and later).
function __nfsctl_at_arg --argument-names want n
    set -l s (__nfsctl_state)
    test "$s[1]" = "$want"; and test "$s[4]" = 0; or return 1
    if string match -q -- '*+' $n
        test $s[2] -ge (string replace -- '+' '' $n)
    else
        test $s[2] -eq $n
    end
end

# Dynamic values (volumes, hosts, pools, images) from \`nfsctl __complete\`: local state
# only, and bounded in time anyway.
function __nfsctl_dyn --argument-names kind
    set -l s (__nfsctl_state)
    set -l cmd (commandline -opc)[1]
    string match -q -- '*/*' $cmd; and test -x "$cmd"; or set cmd nfsctl
    set -l call $cmd
    if test -n "$s[3]"
        set call $call --config $s[3]
    end
    if command -q timeout
        set call timeout -k 1 5 $call
    end
    set -l prefix (string replace -r -- '^--?[^=]*=' '' (commandline -ct))
    $call __complete $kind "$prefix" 2>/dev/null </dev/null
end
${completeLines.join('\n')}
`;
}

export function completionScript(program: Command, shell: Shell): string {
  switch (shell) {
    case 'bash':
      return bashCompletion(program);
    case 'zsh':
      return zshCompletion(program);
    case 'fish':
      return fishCompletion(program);
  }
}

// ---------------------------------------------------------------------------------------
// Dynamic values: `nfsctl __complete <kind> [prefix]`

export interface CompleteOptions {
  /** The config file (as for any command: --config, NFSCTL_CONFIG or the default). */
  configFile: string;
}

/**
 * The values of `kind` starting with `prefix`, from local state only: hosts from the
 * config, everything else from the completion cache. Missing config or cache: no values.
 */
export async function completeValues(kind: string, prefix: string, opts: CompleteOptions): Promise<string[]> {
  if (!(DYNAMIC_KINDS as readonly string[]).includes(kind)) return [];
  let config;
  try {
    const { loadConfig } = await import('../config/load.js');
    ({ config } = await loadConfig(opts.configFile));
  } catch {
    return [];
  }
  let values: string[];
  if (kind === 'hosts') {
    const { ROLES } = await import('../config/schema.js');
    values = [...ROLES];
  } else {
    const { readCompletionCache } = await import('../state/completion-cache.js');
    values = await readCompletionCache(config.state.stateDir, kind as 'volumes' | 'pools' | 'images');
  }
  return values.filter((v) => v.startsWith(prefix));
}
