// Everything generated from the command tree, by path relative to the package root:
// completion scripts for three shells and the man page. `npm run docs` writes them
// (src/cli/gen-docs.ts); a unit test fails when the committed copies are out of date.
import type { Command } from 'commander';
import { completionScript } from './completion.js';
import { renderManPage } from './manpage.js';

export const MAN_PAGE = 'man/nfsctl.8';

export const GENERATED = {
  'completions/nfsctl.bash': 'bash',
  'completions/_nfsctl': 'zsh',
  'completions/nfsctl.fish': 'fish',
} as const;

export interface DocsOptions {
  /** The man page date (YYYY-MM-DD). */
  date: string;
  version: string;
}

export function generateDocs(program: Command, opts: DocsOptions): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [path, shell] of Object.entries(GENERATED)) files[path] = completionScript(program, shell);
  files[MAN_PAGE] = renderManPage(program, opts);
  return files;
}

/** The date in a man page's .TH line, if any. */
export function manPageDate(page: string): string | undefined {
  return /^\.TH \S+ \S+ "([^"]*)"/m.exec(page)?.[1];
}
