// No raw control character from the input reaches the terminal: the sanitizer, and the real
// CLI's error output for a hostile corpus of arguments (nothing can run: the test config's
// hosts are never reachable, and every case is refused before a host is contacted).
import { beforeAll, describe, expect, it } from 'vitest';
import { escapeControls, safeMessage } from '../../../src/core/terminal-text.js';
import { cliEnv, ensureBuilt, runCli } from '../../support/cli.js';

const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const EVIL = 'a\u001b[31mb\nnfsctl: all good\r\u0007\u009b2J\u202e';

describe('terminal text', () => {
  it('escapes every control character, as \\x1b, \\n, \\r, \\u202e', () => {
    expect(escapeControls(EVIL)).toBe('a\\x1b[31mb\\nnfsctl: all good\\r\\x07\\x9b2J\\u202e');
    expect(safeMessage('line one\nline two: \u001b[0m', [])).toBe('line one\nline two: \\x1b[0m');
    expect(safeMessage(`bad value ${EVIL}; see\nnext line`, [EVIL])).toBe(
      `bad value ${escapeControls(EVIL)}; see\nnext line`,
    );
    expect(safeMessage(`got b\nx`, ['--opt=b\nx'])).toBe('got b\\nx');
  });
});

describe('the CLI never echoes raw control characters in errors', () => {
  beforeAll(async () => ensureBuilt(), 300_000);
  const cases: string[][] = [
    ['volume', 'create', EVIL, '--size', '1G'],
    ['volume', 'create', 'team-a/data', '--size', EVIL],
    ['volume', 'create', 'team-a/data', '--size', '1G', '--clients', EVIL],
    ['volume', 'create', 'team-a/data', '--size', '1G', '--options', EVIL],
    ['volume', 'create', 'team-a/data', '--size', '1G', '--label', `a=${EVIL}`],
    ['volume', 'create', 'team-a/data', '--size', '1G', '--label', EVIL],
    ['volume', 'create', 'team-a/data', '--size', '1G', '--backend', EVIL],
    ['sync', 'install-timer', '--interval', EVIL],
    ['sync', 'install-timer', '--nfsctl-path', EVIL],
    ['sync', `--max-delete=${EVIL}`],
    ['ha', 'install', '--nfsctl-path', EVIL],
    ['volume', EVIL],
    [`--${EVIL}`],
    ['rbd', 'lock', 'remove', EVIL],
    ['lock', 'break', '--host', EVIL],
    ['volume', 'show', EVIL],
  ];
  for (const args of cases) {
    it(JSON.stringify(args), async () => {
      const env = cliEnv();
      const r = await runCli(args, { env: env.env });
      expect(r.status).toBe(2);
      expect(r.stderr).not.toMatch(RAW);
      expect(r.stderr.split('\n').some((l) => l.startsWith('nfsctl: all good'))).toBe(false);
      expect(r.stdout).toBe('');
    });
  }
});
