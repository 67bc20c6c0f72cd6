import { Option, type Command } from 'commander';
import { examples, withContext } from '../../cli/app.js';
import { jsonFlag } from '../../cli/flags.js';

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
    .action(
      withContext(async (ctx, _cmd, target: string) => {
        const { runShow } = await import('./list.run.js');
        await runShow(ctx, target);
      }),
    );
  examples(cmd, [['one volume in detail', 'nfsctl volume show team-a/data']]);
}
