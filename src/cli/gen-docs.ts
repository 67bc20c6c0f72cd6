// `npm run docs`: (re)writes completions/ and man/nfsctl.8 from the command tree.
// `node dist/cli/gen-docs.js --check` only reports whether they are up to date (exit 1 if not).
// The man page keeps its date unless its content changed, so regenerating is a no-op.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram, version } from './program.js';
import { generateDocs, MAN_PAGE, manPageDate } from './docs.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const check = process.argv.includes('--check');

function today(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  return new Date(epoch ? Number(epoch) * 1000 : Date.now()).toISOString().slice(0, 10);
}

const read = (rel: string) => readFile(join(root, rel), 'utf8').catch(() => undefined);

// Same content as committed → same date; otherwise the page is dated today.
const committedPage = await read(MAN_PAGE);
const found = committedPage ? manPageDate(committedPage) : undefined;
const keptDate = found && /^\d{4}-\d{2}-\d{2}$/.test(found) ? found : undefined;
let files = generateDocs(buildProgram(), { date: keptDate ?? today(), version: version() });
if (files[MAN_PAGE] !== committedPage) files = generateDocs(buildProgram(), { date: today(), version: version() });

const stale: string[] = [];
for (const [rel, content] of Object.entries(files)) {
  if (content === (await read(rel))) continue;
  stale.push(rel);
  if (!check) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), content);
  }
}
if (check) {
  if (stale.length) {
    process.stderr.write(`out of date (run \`npm run docs\`): ${stale.join(', ')}\n`);
    process.exitCode = 1;
  }
} else {
  process.stdout.write(stale.length ? `wrote ${stale.join(', ')}\n` : 'completions and man page already up to date\n');
}
