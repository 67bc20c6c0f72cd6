import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { quoteArg, quoteArgv } from '../../src/host/quote.js';

// Every case goes through a real POSIX shell: the quoted command line must hand the exact
// original bytes to the program as separate arguments.
const nasty = [
  'plain',
  '',
  'two words',
  "it's",
  "''",
  '"double"',
  '$(touch /tmp/nfsctl-pwned)',
  '`touch /tmp/nfsctl-pwned`',
  '${HOME}',
  'a;b|c&d>e<f',
  'line1\nline2',
  'tab\there',
  'trailing\\',
  '\\n literal',
  'ünïcødé ✓ 日本',
  '*',
  '~root',
  '-rf',
  '--',
  '#comment',
  '!history',
  'mixed \'single\' and "double" and $(sub) and `tick`',
];

function throughShell(args: string[], shell: string): string[] {
  // printf prints each argument NUL-terminated, so we can split exactly.
  const out = execFileSync(shell, ['-c', `printf '%s\\0' ${quoteArgv(args)}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('quoteArgv', () => {
  for (const shell of ['sh', 'bash']) {
    it(`round-trips hostile arguments through ${shell}`, () => {
      expect(throughShell(nasty, shell)).toEqual(nasty);
    });
    it(`keeps each argument separate in ${shell}`, () => {
      for (const arg of nasty) expect(throughShell([arg], shell)).toEqual([arg]);
    });
  }

  it('leaves safe words unquoted so plans stay readable', () => {
    expect(quoteArg('lvcreate')).toBe('lvcreate');
    expect(quoteArg('/nfs/team-a_data')).toBe('/nfs/team-a_data');
    expect(quoteArg('--size=10G')).toBe('--size=10G');
  });

  it('quotes the empty string and metacharacters', () => {
    expect(quoteArg('')).toBe("''");
    expect(quoteArg('a b')).toBe("'a b'");
    expect(quoteArg("it's")).toBe("'it'\\''s'");
  });

  it('refuses NUL bytes and empty argv', () => {
    expect(() => quoteArg('a\0b')).toThrow(/NUL/);
    expect(() => quoteArgv([])).toThrow(/empty/);
  });

  it('never runs a command substitution', () => {
    execFileSync('rm', ['-f', '/tmp/nfsctl-pwned']);
    throughShell(['$(touch /tmp/nfsctl-pwned)', '`touch /tmp/nfsctl-pwned`'], 'sh');
    expect(() => execFileSync('test', ['-e', '/tmp/nfsctl-pwned'])).toThrow();
  });
});
