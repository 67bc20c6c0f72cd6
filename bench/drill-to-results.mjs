#!/usr/bin/env node
// Add (or replace) the vm drill's section in bench/RESULTS.md from a figures file an earlier
// run of the drill wrote (default /var/tmp/nfsctl-vm-drill.json), without re-running the other
// benchmarks: node bench/drill-to-results.mjs [figures.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.mjs';
import { drbdNotes, drillNotes, drillRows, sideBySideRows, DRILL_OUT } from './vm-drill.mjs';

const file = process.argv[2] ?? DRILL_OUT;
const f = JSON.parse(readFileSync(file, 'utf8'));
// the section is replaced whole: a figures file with one drill's part only (a fresh machine
// that ran one of them) would drop the other's rows, measured in an earlier run
const missing = [
  ...(f.phases ? [] : ["the rsync drill's (npx vitest run --project lab test/lab/vm.test.ts -t 'THE DRILL')"]),
  ...(f.drbd?.phases
    ? []
    : ["the DRBD drill's (NFSCTL_LAB_DRBD_DRILL=1 npx vitest run --project lab test/lab/vm.test.ts -t 'DRBD volume')"]),
];
if (missing.length) {
  console.error(
    `${file} lacks ${missing.join(' and ')} figures: bench/RESULTS.md left unchanged (run that drill on this machine first)`,
  );
  process.exit(2);
}
const title = '## Kernel-client drill on the vm tier';
const rows = drillRows(f);
const md = [
  `${title} (NFSv3 tcp hard through the VIP; switchover, failback, crash, recovery)`,
  '',
  `| ${rows[0].join(' | ')} |`,
  `| ${rows[0].map(() => '---').join(' | ')} |`,
  ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`),
  '',
  ...drillNotes(f).map((n) => `${n}\n`),
  ...(f.drbd
    ? (() => {
        const sb = sideBySideRows(f);
        return [
          "Side by side, the same events for both kinds (a crash: the rsync drill cuts the primary's link after a sync, the drbd drill kills its qemu):",
          '',
          `| ${sb[0].join(' | ')} |`,
          `| ${sb[0].map(() => '---').join(' | ')} |`,
          ...sb.slice(1).map((r) => `| ${r.join(' | ')} |`),
          '',
        ];
      })()
    : []),
  ...drbdNotes(f).map((n) => `${n}\n`),
].join('\n');
const path = join(ROOT, 'bench/RESULTS.md');
const text = readFileSync(path, 'utf8');
const i = text.indexOf(title);
const out =
  i < 0
    ? `${text.replace(/\n*$/, '\n\n')}${md}`
    : `${text.slice(0, i)}${md}${(() => {
        const j = text.indexOf('\n## ', i + 1);
        return j < 0 ? '' : text.slice(j);
      })()}`;
writeFileSync(path, out);
console.log(md);
