import { Option, type Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';
import { collect } from './collect.js';

export function registerList(parent: Command): void {
  const cmd = parent
    .command('list [namespace]')
    .alias('ls')
    .description('list every volume on the pair, both hosts merged, with use against size and drift between them')
    .option(
      '-l, --selector <selector>',
      'only volumes whose labels match, as kubectl reads it: k=v, k!=v, "k in (a,b)", "k notin (a,b)", k, !k (comma-separated, all must match)',
    )
    .addOption(
      new Option(
        '--sort <key>',
        'order: name, namespace (default), size or used (size and used: biggest/fullest first; used is use%)',
      ).choices(['name', 'namespace', 'size', 'used']),
    )
    .option(
      '--over <percent>',
      'only volumes more than this full, e.g. 80% (volumes whose use is unknown are left out, and counted)',
    )
    .addOption(
      new Option(
        '-o, --output <format>',
        'wide: also inodes, where the use figure comes from, labels and path; json: as --json',
      ).choices(['wide', 'json']),
    )
    .addOption(jsonFlag('print volumes as JSON (documented in the man page)'))
    .action(
      withContext(async (ctx, cmd, namespace?: string) => {
        const { runList } = await import('./list.run.js');
        await runList(ctx, { ...cmd.opts(), namespace });
      }),
    );
  examples(cmd, [
    ["one namespace's gold volumes", 'nfsctl volume list team-a -l tier=gold'],
    ['what is filling up', 'nfsctl volume list --over 80% --sort used'],
    [
      'volumes that drifted, for a script',
      "nfsctl volume list --json | jq '.volumes[] | select(.drift | length > 0) | .id'",
    ],
  ]);
}

export function registerShow(parent: Command): void {
  const cmd = parent
    .command('show <namespace/name>')
    .description('everything nfsctl knows about one volume, per host')
    .addOption(jsonFlag('print it as JSON'))
    .addOption(
      new Option('-o, --output <format>', 'print the PersistentVolume of the volume instead').choices([
        'pv-yaml',
        'pv-json',
      ]),
    )
    .option(
      '--access-mode <mode>',
      'PV access mode: RWO, ROX, RWX (repeatable; default RWX, or ROX for a read-only export)',
      collect,
    )
    .option('--reclaim-policy <policy>', 'PV reclaim policy: Retain (default) or Delete; Recycle is refused')
    .option('--claim <namespace/name>', 'the claim the PV is pre-bound to (default: the namespace/name of the volume)')
    .option('--no-claim', 'an unbound PV with the labels of the volume, for claims that select by label')
    .option('--storage-class <name>', 'PV storageClassName (default: "")')
    .action(
      withContext(async (ctx, cmd, target: string) => {
        const { runShow } = await import('./list.run.js');
        await runShow(ctx, target, cmd.opts());
      }),
    );
  examples(cmd, [
    ['one volume in detail', 'nfsctl volume show team-a/data'],
    [
      'its PV again, unbound, for claims that select by label',
      'nfsctl volume show team-a/data --output pv-yaml --no-claim | kubectl apply -f -',
    ],
  ]);
}
