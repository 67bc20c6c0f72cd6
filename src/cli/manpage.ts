// man/nfsctl.8, generated from the command tree (commands, options, examples), the config
// schema (CONFIGURATION), the exit codes (EXIT STATUS) and the runbook examples below. The
// output is plain man(7) roff that `mandoc -T lint` and `groff -man -ww` accept silently.
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/load.js';
import {
  allCommands,
  describeProgram,
  globalOptions,
  type ArgSpec,
  type CommandSpec,
  type OptionSpec,
} from './completion.js';
import { monitoringSection } from './man-monitoring.js';
import { configReference, EXAMPLE_CONFIG } from './config-reference.js';
import { EXIT_CODES } from './exit-codes.js';
import { configSchema } from '../config/schema.js';

// ---------------------------------------------------------------------------------------
// roff escaping

/**
 * Text for a roff text line (or macro argument): backslashes, hyphens (so options stay
 * ASCII "-" for copy and paste) and anything outside ASCII are escaped. Leading dots and
 * quotes are handled per line by `lines()`.
 */
export function esc(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/[^\x20-\x7e]/gu, (c) => {
      if (c < ' ' || c === '\x7f') return ' '; // control characters, newlines: a space
      return `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`;
    });
}

/** Prose: escaped, `code` in bold. */
export function prose(text: string): string {
  return guard(esc(text).replace(/`([^`]+)`/g, '\\fB$1\\fR'));
}

/** One line of a no-fill (.nf) block. */
export function verbatim(text: string): string {
  return guard(esc(text));
}

/** Guard text lines that would otherwise be read as requests (leading . or '). */
function guard(line: string): string {
  return /^[.']/.test(line) ? `\\&${line}` : line;
}

/** A quoted macro argument. */
function arg(text: string): string {
  return `"${esc(text).replace(/"/g, '\\(dq')}"`;
}

export function bold(t: string): string {
  return `\\fB${esc(t)}\\fR`;
}

function italic(t: string): string {
  return `\\fI${esc(t)}\\fR`;
}

// ---------------------------------------------------------------------------------------
// pieces

/** `-c, --config <file>` as `\fB\-c\fR, \fB\-\-config\fR \fIfile\fR`. */
function optionTag(o: OptionSpec): string {
  const sw = [o.short, o.long]
    .filter((s): s is string => Boolean(s))
    .map(bold)
    .join(', ');
  return o.valueName ? `${sw} ${italic(o.valueName)}` : sw;
}

function argTag(a: ArgSpec): string {
  const name = `${a.name}${a.variadic ? '...' : ''}`;
  return a.required ? `\\fI${esc(name)}\\fR` : `[\\fI${esc(name)}\\fR]`;
}

/** `nfsctl volume create [options] <namespace/name>`: command words bold, the rest as is. */
function usageLine(spec: CommandSpec): string {
  const words = ['nfsctl', ...spec.path].map(bold).join(' ');
  const rest = spec.usage
    .split(' ')
    .slice(1 + spec.path.length)
    .join(' ');
  return `${words} ${esc(rest)
    .replace(/<([^>]+)>/g, '\\fI$1\\fR')
    .replace(/\[([^\]\\]+)\]/g, (m, name: string) =>
      name === 'options' || name === 'command' ? m : `[\\fI${name}\\fR]`,
    )}`.trimEnd();
}

function exampleBlock(examples: [string, string][]): string[] {
  if (examples.length === 0) return [];
  return [
    '.PP',
    'Examples:',
    '.RS 4',
    '.nf',
    ...examples.flatMap(([what, how]) => [verbatim(`# ${what}`), verbatim(`$ ${how}`)]),
    '.fi',
    '.RE',
  ];
}

function optionList(options: OptionSpec[]): string[] {
  return options.flatMap((o) => {
    const extra = [
      o.value.type === 'choices' ? `One of: ${o.value.values.join(', ')}.` : '',
      o.defaultValue !== undefined ? `Default: ${o.defaultValue}.` : '',
    ];
    return ['.TP', optionTag(o), prose([period(o.description), ...extra].filter(Boolean).join(' '))];
  });
}

/** A sentence: capitalised, ending in a full stop. */
function period(s: string): string {
  const t = sentence(s);
  return !t || /[.!?]$/.test(t) ? t : `${t}.`;
}

function sentence(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t ? t[0]!.toUpperCase() + t.slice(1) : t;
}

const isHelpOption = (o: OptionSpec) => o.long === '--help' || o.long === '--version';

function commandSection(spec: CommandSpec): string[] {
  const out = [
    '.SS ' + arg(['nfsctl', ...spec.path].join(' ')),
    usageLine(spec),
    '.PP',
    prose(period(spec.description)),
  ];
  if (spec.aliases.length)
    out.push(
      '.PP',
      `Alias: ${spec.aliases.map((a) => bold(['nfsctl', ...spec.path.slice(0, -1), a].join(' '))).join(', ')}.`,
    );
  if (spec.subcommands.length) {
    out.push('.PP', `Subcommands: ${spec.subcommands.map((s) => bold(s.path[s.path.length - 1]!)).join(', ')}.`);
  }
  const args = spec.args.filter((a) => a.description);
  if (args.length)
    out.push(
      '.PP',
      'Arguments:',
      ...args.flatMap((a) => [
        '.TP',
        argTag(a),
        prose(period(a.description) + (a.value.type === 'choices' ? ` One of: ${a.value.values.join(', ')}.` : '')),
      ]),
    );
  const opts = spec.options.filter((o) => !isHelpOption(o));
  if (opts.length) out.push('.PP', 'Options:', ...optionList(opts));
  out.push(...exampleBlock(spec.examples));
  return out;
}

/** Operator runbook steps, shown under EXAMPLES. Commands are checked against the tree by a unit test. */
export const RUNBOOK: { title: string; text: string; steps: [string, string][] }[] = [
  {
    title: 'A pod cannot mount its volume',
    text: 'Check the path from the Kubernetes node to the export, step by step (VIP, rpcbind, export list, client access, a test mount), from the node the pod runs on:',
    steps: [['diagnose team-a/data as seen from node-3', 'nfsctl troubleshoot-mount team-a/data --from node-3']],
  },
  {
    title: 'A stale RBD lock keeps a volume from mapping',
    text: 'After a storage host died holding an RBD image, the image stays locked. List the locks, check that the holder is really gone, then remove the stale lock:',
    steps: [
      ['which images are locked, and by whom', 'nfsctl rbd lock list --pool rbd'],
      [
        'remove the lock of the dead holder',
        'nfsctl rbd lock remove rbd/kubernetes-dynamic-pvc-6d1f3c2e-4b7a-11ef-9a61-0242ac120002',
      ],
    ],
  },
  {
    title: 'Failing back to the primary after a repair',
    text: 'While the backup holds the VIP, look at the state of the pair, read the plan, then run it:',
    steps: [
      ['where is the VIP, are both hosts healthy, is data in sync', 'nfsctl status'],
      ['what failback would do, changing nothing', 'nfsctl failback --dry-run'],
      ['move the VIP and service back to the primary', 'nfsctl failback'],
    ],
  },
  {
    title: 'Before relying on a takeover',
    text: 'Check on both hosts what a takeover depends on (the same fsid for every export, the same nfsd scope, grace and lease, fixed keepalived roles without nopreempt, the notify hook, the sync timer, pinned mountd/statd/lockd ports in nfs.conf or on the daemon command lines (RPCMOUNTDOPTS, STATDOPTS), sm-notify and rpc.statd installed, NFSv4 client records kept the same way on both hosts); each finding comes with its fix. With kernel nfsd, the new VIP holder runs sm-notify -f -v <VIP> after a switchover or failback (with the statd list of the old holder copied to it) and from the keepalived hook on MASTER, so NFSv3 clients reclaim their locks; whether its lockd, not in grace, accepts the reclaims is not shown on a kernel. A volume whose LV is not mounted on its own device on both hosts is refused by name by sync, switchover and failback; fix its mount, or sync the others with --skip-unready:',
    steps: [
      ['is the pair ready for a takeover?', 'nfsctl ha lint'],
      ['sync every volume that is ready, report the others', 'nfsctl sync --skip-unready --yes'],
    ],
  },
  {
    title: 'A volume is filling up',
    text: 'health warns when a volume reaches health.usageWarnPercent of its size (critical at health.usageCriticalPercent). Find the fullest volumes, then grow the one that needs it:',
    steps: [
      ['volumes more than 80% full, fullest first', 'nfsctl volume list --over 80% --sort used'],
      ['give it room (asks first)', 'nfsctl volume resize team-a/data --size 20G'],
    ],
  },
  {
    title: 'Taking over a pair the old provisioning service built',
    text: "Volumes nfsctl did not create (an LV mounted under the NFS root with its fstab entry and export line) are listed below the managed ones, marked UNMANAGED, with whether both hosts agree. Adoption adds nfsctl's LV tags, marks the fstab entry and moves the export line unchanged into nfsctl's exports file (same path, clients, options and fsid; none if it had none), so mounted clients notice nothing. A volume that differs between the hosts, is on one host only, or is a plain directory is refused with the difference and nothing changes:",
    steps: [
      ['what is there that nfsctl does not manage', 'nfsctl volume list'],
      [
        "what adoption would do, names from the cluster's PVs",
        'kubectl get pv -o json > pvs.json; nfsctl volume adopt --all --pvs pvs.json --dry-run',
      ],
      [
        'adopt one volume of the /nfs/{namespace}{name} layout',
        'nfsctl volume adopt team-a/data --path /nfs/team-adata',
      ],
    ],
  },
  {
    title: 'A run died and left the pair locked',
    text: 'Commands that change the pair take a lock on both hosts. If a run was killed, find out who held it before breaking it:',
    steps: [
      ['who holds the lock, and is that process still running', 'nfsctl lock status'],
      ['remove it (asks first; recorded in the audit log)', 'nfsctl lock break'],
    ],
  },
];

function configSection(): string[] {
  const out = [
    '.SH CONFIGURATION',
    prose(
      `nfsctl reads one YAML file, by default ${DEFAULT_CONFIG_PATH} (see ENVIRONMENT and the --config option). It is validated in full before any command runs; errors name the file, line, column and key. \`nfsctl config check\` validates a file, warns about insecure settings (no_root_squash to a network, insecure) and prints it with every default filled in, in a form it accepts back. The same file is installed on both storage hosts (only \`this\` differs).`,
    ),
    '.PP',
    'Keys (a dotted path is a nested key):',
  ];
  for (const k of configReference(configSchema)) {
    const facts = [
      k.type,
      k.required
        ? 'required'
        : k.default !== undefined
          ? `default: ${k.default}`
          : k.section
            ? 'optional section'
            : 'optional',
    ];
    if (k.section && k.required) facts[1] = 'required section';
    if (k.section) facts.shift();
    out.push('.TP', `${bold(k.key)} (${esc(facts.join(', '))})`, prose(k.doc ?? ''));
  }
  out.push(
    '.PP',
    'A complete example:',
    '.RS 4',
    '.nf',
    ...EXAMPLE_CONFIG.trimEnd().split('\n').map(verbatim),
    '.fi',
    '.RE',
  );
  return out;
}

function defaultOf(key: 'auditLog' | 'lockDir' | 'stateDir'): string {
  return configReference(configSchema).find((k) => k.key === `state.${key}`)?.default ?? '';
}

export interface ManOptions {
  /** The .TH date (YYYY-MM-DD): kept stable so regenerating an unchanged page is a no-op. */
  date: string;
  version: string;
}

/** The whole page. */
export function renderManPage(program: Command, opts: ManOptions): string {
  const root = describeProgram(program);
  const globals = globalOptions(program);
  const commands = allCommands(root).slice(1);
  const leaves = commands.filter((c) => c.subcommands.length === 0);
  const lockDir = defaultOf('lockDir');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.date)) throw new Error(`man page date must be YYYY-MM-DD, got "${opts.date}"`);

  const out: string[] = [
    `.\\" Generated from the nfsctl command tree by \`npm run docs\` (src/cli/gen-docs.ts). Do not edit.`,
    `.TH NFSCTL 8 "${opts.date}" ${arg(`nfsctl ${opts.version}`)} "System Manager's Manual"`,
    '.SH NAME',
    `nfsctl \\- ${esc(root.description.replace(/^./, (c) => c.toLowerCase()))}`,
    '.SH SYNOPSIS',
    `${bold('nfsctl')} [${italic('global options')}] ${italic('command')} [${italic('options')}] [${italic('arguments')}]`,
    '.PP',
    ...leaves.flatMap((c, i) => (i === 0 ? [usageLine(c)] : ['.br', usageLine(c)])),
    '.SH DESCRIPTION',
    prose(period(root.description)),
    '.PP',
    prose(
      'The pair is two storage hosts, a primary and a backup. keepalived moves a virtual IP address (the VIP) between them; Kubernetes nodes mount persistent volumes from the VIP. Data is replicated from the active host to the standby with rsync. nfsctl reaches both hosts over SSH (or runs locally on the host it is installed on) and keeps their storage, exports and services consistent.',
    ),
    '.PP',
    prose(
      'Data freshness: each host records when it served clients and which sync it last received (<stateDir>/freshness/). When the backup takes over, the primary is marked stale: a keepalived track_file (installed by `nfsctl ha install`) keeps it in FAULT, so keepalived started by hand does not give it the VIP; only `nfsctl failback` (which syncs first) clears the mark. A sync onto a host that served clients more recently than its source is refused, naming the files it would delete or overwrite.',
    ),
    '.PP',
    prose(
      `Commands that change the pair first show their plan, take the pair lock on both hosts (${lockDir}/pair.lock), ask for confirmation on a terminal (\`--yes\` skips it, \`--dry-run\` only shows the plan) and record every action in the audit log. If a step fails, nfsctl stops, undoes what it can and says what is left to clean up. Interrupted (SIGINT, SIGTERM) while a plan runs, it starts no new step, lets the running one finish, except a copy, whose rsync it stops on the host that runs it, over SSH too (a second signal stops waiting for it and skips the rollback, and a host where its command may still run keeps its half of the lock; a third exits at once), rolls back what it can, releases the pair lock on both hosts, prints the state of each host and the command that finishes, and exits 5 when something was left changed. An unanswered confirmation prompt gives up after NFSCTL_PROMPT_TIMEOUT (default 10 minutes) and exits 130. A copy (sync, failback, switchover) shows its bytes, rate and estimate per volume and in total (one line on a terminal; a line every 10 s otherwise; nothing with --json). The failback and switchover confirmation ends with the hosts, the size of the copy (files and bytes to transfer, paths to delete, from an rsync dry run per volume), the volumes and their backends, the clients, and which volumes keep open files across the VIP move.`,
    ),
    '.PP',
    prose(
      'Data goes to standard output (as JSON with `--json`); progress, plans, warnings and errors go to standard error. Every error message says what was wrong and, where there is one, the next command to run.',
    ),
    '.SH GLOBAL OPTIONS',
    'These are accepted before or after the command:',
    ...optionList([
      ...globals,
      ...root.options.filter((o) => o.long === '--version'),
      ...root.options
        .filter((o) => o.long === '--help')
        .map((o) => ({ ...o, description: 'help for nfsctl or any command (also: nfsctl help COMMAND)' })),
    ]),
    '.SH COMMANDS',
    ...commands.flatMap(commandSection),
    ...configSection(),
    ...monitoringSection(),
    '.SH EXIT STATUS',
    ...EXIT_CODES.flatMap(([code, what]) => ['.TP', bold(String(code)), prose(period(what))]),
    '.SH ENVIRONMENT',
    '.TP',
    bold('NFSCTL_CONFIG'),
    prose(`The config file, when --config is not given (default: ${DEFAULT_CONFIG_PATH}).`),
    '.TP',
    bold('NFSCTL_TRACE'),
    prose(
      'When set (not 0), every command nfsctl runs on a host is printed on standard error with its start time, duration and exit code: what it ran and where the time went.',
    ),
    '.TP',
    bold('NFSCTL_PROMPT_TIMEOUT'),
    prose(
      'How long a confirmation prompt waits for an answer before it cancels (exit 130) and the pair lock is released: whole seconds, or with a unit (90s, 15m, 1h). Default 10m.',
    ),
    '.TP',
    bold('NO_COLOR'),
    prose('When set (to anything), no colour in output; as --no-color. Colour is only ever used on a terminal.'),
    '.TP',
    bold('CI'),
    prose('When set, progress is printed as plain timestamped lines, as when standard error is not a terminal.'),
    '.SH FILES',
    '.TP',
    bold(DEFAULT_CONFIG_PATH),
    prose('The configuration (see CONFIGURATION).'),
    '.TP',
    bold(defaultOf('auditLog')),
    prose(
      'The audit log (state.auditLog): one JSON object per line, appended, never rewritten. Kept on the host where nfsctl ran; `nfsctl log` reads it on both hosts and shows one line per operation (plan), merged by time and marked with the host, `--commands` the commands behind each.',
    ),
    '.TP',
    bold('/etc/cron.d/nfsctl-metrics'),
    prose(
      'The metrics timer (`nfsctl metrics install-timer`): `nfsctl metrics --textfile DIR` every minute; its output goes to /var/log/nfsctl/metrics.log.',
    ),
    '.TP',
    bold('packaging/nfsctl-health.service'),
    prose(
      'A systemd unit for `nfsctl health serve`, shipped in the package: copy it to /etc/systemd/system/, then `systemctl enable --now nfsctl-health`.',
    ),
    '.TP',
    bold(`${lockDir}/pair.lock`),
    prose(
      'The pair lock (in state.lockDir), held on both hosts while a command changes the pair, under a random token per run; a run releases only its own lock. nfsctl creates state.lockDir with mode 0700 and refuses one that is a symbolic link, not owned by root or the running user, writable by group or others, or in a world-writable parent without the sticky bit. See `nfsctl lock status` and `nfsctl lock break` (both hosts unless --host).',
    ),
    '.TP',
    bold(defaultOf('stateDir')),
    prose(
      'State (state.stateDir): plan journals, and the shell completion cache in cache/ (written by listing commands such as `nfsctl volume list`, read when Tab is pressed).',
    ),
    '.TP',
    bold('/usr/share/bash-completion/completions/nfsctl'),
    '.TQ',
    bold('/usr/share/zsh/vendor-completions/_nfsctl'),
    '.TQ',
    bold('/usr/share/fish/vendor_completions.d/nfsctl.fish'),
    prose(
      'Where packagers install the shell completion scripts shipped in completions/ (also printed by `nfsctl completion SHELL`).',
    ),
    '.SH EXAMPLES',
    ...RUNBOOK.flatMap((r) => [
      '.SS ' + arg(r.title),
      prose(r.text),
      '.PP',
      '.RS 4',
      '.nf',
      ...r.steps.flatMap(([what, how]) => [verbatim(`# ${what}`), verbatim(`$ ${how}`)]),
      '.fi',
      '.RE',
    ]),
    '.SH SEE ALSO',
    '.BR exports (5),',
    '.BR exportfs (8),',
    '.BR keepalived (8),',
    '.BR rbd (8),',
    '.BR rsync (1),',
    '.BR lvm (8)',
  ];
  return out.map((l) => l.trimEnd()).join('\n') + '\n';
}
