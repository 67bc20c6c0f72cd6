// Loads and validates the config. Errors point at file:line:column and the key, because the
// person reading them is editing YAML on a storage node at 3 a.m.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { ZodIssue } from 'zod';
import { configSchema, type Config } from './schema.js';
import { UsageError } from '../core/errors.js';

export const DEFAULT_CONFIG_PATH = '/etc/nfsctl/config.yaml';

export interface LoadedConfig {
  path: string;
  config: Config;
}

/** --config beats NFSCTL_CONFIG beats the default path. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.NFSCTL_CONFIG ?? DEFAULT_CONFIG_PATH;
}

export async function loadConfig(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read config ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, {
      hint: 'write one (see `man nfsctl`, section CONFIGURATION), or point at it with --config FILE or NFSCTL_CONFIG',
    });
  }
  return { path, config: parseConfig(text, path) };
}

export function parseConfig(text: string, path = '<config>'): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new UsageError(`${path}:${pos.line}:${pos.col}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const messages = result.error.issues.slice(0, 5).map((issue) => formatIssue(issue, doc, lineCounter, path));
  const more = result.error.issues.length > 5 ? `\n(${result.error.issues.length - 5} more problems)` : '';
  throw new UsageError(`invalid config:\n${messages.join('\n')}${more}`, { hint: `fix ${path}, then run \`nfsctl config check\`` });
}

function formatIssue(issue: ZodIssue, doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: string): string {
  const key = issue.path.join('.') || '(top level)';
  // Point at the offending node, or at the nearest ancestor that exists (a missing key).
  let where = '';
  for (let n = issue.path.length; n >= 0; n--) {
    const node = doc.getIn(issue.path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = lc.linePos(node.range[0]);
      where = `${pos.line}:${pos.col}`;
      break;
    }
  }
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.received === 'undefined') message = 'required key is missing';
  return `${path}:${where || '1:1'}: ${key}: ${message}`;
}
