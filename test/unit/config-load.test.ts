// The loader's own guarantees (issue 14 and issue 20 item 7): unknown keys at their real
// line:column with a suggestion, the effective config round-trips, an alias bomb or a huge
// file is a clean config error, warnings for insecure settings, and the lab's configs load.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  loadConfig,
  loadConfigWithWarnings,
  parseConfig,
  parseConfigDetailed,
  MAX_CONFIG_BYTES,
} from '../../src/config/load.js';
import { effectiveConfig } from '../../src/config/print.js';
import { UsageError } from '../../src/core/errors.js';
import { EXAMPLE_CONFIG } from '../../src/cli/config-reference.js';
import { tempDir, testConfigYaml } from '../support/config.js';
import { ensureBuilt, ROOT, runCli } from '../support/cli.js';
import { BASE } from '../support/hostile-config.js';

function errorOf(text: string): string {
  try {
    parseConfig(text, '/etc/nfsctl/config.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    return (err as UsageError).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('unknown keys', () => {
  it('are reported at their own line:column with "did you mean" (issue 20: `vpi` on line 9 was reported at 1:1)', () => {
    const text = testConfigYaml('/tmp/x')
      .replace('vip: 198.51.100.100\n', 'nfs2: 1\nvip: 198.51.100.100\n')
      .replace('this: primary\n', 'this: primary\n# a comment\n');
    const lines = text.replace('vip: 198.51.100.100', 'vpi: 198.51.100.100').split('\n');
    const m = errorOf(lines.join('\n'));
    const vpiLine = lines.findIndex((l) => l.startsWith('vpi:')) + 1;
    expect(vpiLine).toBe(9);
    expect(m).toContain('/etc/nfsctl/config.yaml:9:1: vpi: unknown key "vpi"; did you mean "vip"?');
    expect(m).toContain('/etc/nfsctl/config.yaml:8:1: nfs2: unknown key "nfs2"; did you mean "nfs"?');
    expect(m).toContain('vip: required key is missing');
  });

  it('inside a section, with the keys of that section', () => {
    const m = errorOf(testConfigYaml('/tmp/x').replace('    address: 198.51.100.12', '    adress: 198.51.100.12'));
    expect(m).toContain(
      '/etc/nfsctl/config.yaml:6:5: hosts.backup.adress: unknown key "adress"; did you mean "address"?',
    );
    const far = errorOf(testConfigYaml('/tmp/x', 'rsync:\n  frobnicate: 3\n'));
    expect(far).toMatch(
      /config\.yaml:19:3: rsync\.frobnicate: unknown key "frobnicate" \(known here: module, interval, ioTimeout\)/,
    );
    const flow = errorOf(testConfigYaml('/tmp/x', 'keepalived: { interface: eth0, instanse: VI_NFS }\n'));
    expect(flow).toMatch(/config\.yaml:18:32: keepalived\.instanse: unknown key "instanse"; did you mean "instance"\?/);
  });

  it('a key with control characters is quoted with escapes', () => {
    const m = errorOf(testConfigYaml('/tmp/x', '"evil\\u001b[2J\\n": 1\n'));
    expect(m).toContain('unknown key "evil\\u001b[2J\\n"');
    expect(m).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('a duplicate key names the key', () => {
    expect(errorOf(testConfigYaml('/tmp/x', 'vip: 198.51.100.101\n'))).toMatch(
      /config\.yaml:18:1: invalid YAML: Map keys must be unique \("vip" appears twice\)/,
    );
  });
});

describe('the effective config round-trips', () => {
  const roundTrip = (text: string) => {
    const c = parseConfig(text, 'a.yaml');
    const printed = stringify(effectiveConfig(c));
    return { c, printed, again: parseConfig(printed, 'printed.yaml') };
  };

  it.each([
    ['the test config', testConfigYaml('/tmp/x')],
    ['the corpus base config', BASE],
    ['the man page example', EXAMPLE_CONFIG],
    [
      'odd durations',
      testConfigYaml('/tmp/x', 'rsync: { interval: 1d }\ntimeouts: { connect: 1500ms, command: 1d, check: 10m }\n'),
    ],
  ])('%s: printed, parsed again, equal', (_n, text) => {
    const { c, printed, again } = roundTrip(text);
    expect(again).toEqual(c);
    expect(printed).not.toMatch(/interval: \d+\n/);
  });

  it('prints durations as the file writes them (issue 20: `interval: 900000` for 15m)', () => {
    const { printed } = roundTrip(testConfigYaml('/tmp/x', 'timeouts: { connect: 1500ms, command: 1d }\n'));
    const p = parse(printed) as { rsync: { interval: unknown }; timeouts: Record<string, unknown> };
    expect(p.rsync.interval).toBe('15m');
    expect(p.timeouts).toEqual({ connect: '1500ms', command: '1d', check: '5s' });
  });

  it('`nfsctl config check` output is accepted by `nfsctl config check` (YAML and --json)', async () => {
    await ensureBuilt();
    const dir = tempDir();
    const f = join(dir, 'c.yaml');
    writeFileSync(f, testConfigYaml(dir));
    const first = await runCli(['--config', f, 'config', 'check'], { env: { NO_COLOR: '1' } });
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('interval: 15m');
    const g = join(dir, 'printed.yaml');
    writeFileSync(g, first.stdout);
    const second = await runCli(['--config', g, 'config', 'check'], { env: { NO_COLOR: '1' } });
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    const json = await runCli(['--config', f, 'config', 'check', '--json'], { env: { NO_COLOR: '1' } });
    const h = join(dir, 'printed.json');
    writeFileSync(h, JSON.stringify((JSON.parse(json.stdout) as { config: unknown }).config));
    const third = await runCli(['--config', h, 'config', 'check'], { env: { NO_COLOR: '1' } });
    expect(third.status).toBe(0);
    expect(third.stdout).toBe(first.stdout);
  });
});

describe('resource limits', () => {
  const bomb = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;

  it('a "billion laughs" alias bomb is a config error, not a crash', () => {
    const m = errorOf(bomb);
    expect(m).toMatch(/^\/etc\/nfsctl\/config\.yaml:2:8: the config uses 72 aliases \(at most 50\)/);
  });

  it('few aliases that still expand too much are refused by the YAML reader, cleanly', () => {
    // 3 anchors, 30 aliases: under the alias cap, over the expansion cap.
    const small = `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`;
    expect(errorOf(small)).toMatch(/^\/etc\/nfsctl\/config\.yaml: invalid YAML: Excessive alias count/);
  });

  it('`config check` on the bomb exits 2 without a stack trace', async () => {
    await ensureBuilt();
    const f = join(tempDir(), 'bomb.yaml');
    writeFileSync(f, bomb);
    const r = await runCli(['--config', f, 'config', 'check']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('aliases');
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('a file larger than the cap is refused without reading it all', async () => {
    const f = join(tempDir(), 'big.yaml');
    writeFileSync(f, testConfigYaml('/tmp/x') + `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    await expect(loadConfig(f)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/larger than 256 KiB/),
    });
    await expect(loadConfig('/dev/zero')).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/larger than 256 KiB/),
    });
  });

  it('a directory or a path with control characters is a clean error', async () => {
    await expect(loadConfig(tempDir())).rejects.toMatchObject({ exitCode: 2 });
    const e = await loadConfig('/nonexistent/\u001b[2Jx.yaml').catch((err: Error) => err);
    expect((e as Error).message).toContain('\\u001b[2J');
    expect((e as Error).message).not.toMatch(/\u001b/);
  });
});

describe('odd documents are config errors with a position, never a crash', () => {
  it.each([
    ['an empty file', '', /config\.yaml:1:1: hosts: required key is missing/],
    ['a top-level list', '- a\n- b\n', /config\.yaml:1:1: \(top level\): Expected object, received array/],
    ['a top-level scalar', 'hello\n', /config\.yaml:1:1: \(top level\): Expected object, received string/],
    [
      'two documents',
      `${testConfigYaml('/tmp/x')}---\nvip: 198.51.100.101\n`,
      /config\.yaml:\d+:\d+: invalid YAML: Source contains multiple documents/,
    ],
    ['binary garbage', '\u0000\u0001\u001b[2J\u00ff: [', /config\.yaml:\d+:\d+: invalid YAML/],
    ['a tab-indented file', 'hosts:\n\tprimary: x\n', /config\.yaml:\d+:\d+: invalid YAML/],
    [
      'a string where a section goes',
      testConfigYaml('/tmp/x', 'rsync: every 15m\n'),
      /config\.yaml:18:8: rsync: Expected object, received string/,
    ],
    [
      'a number where a name goes',
      testConfigYaml('/tmp/x').replace('vg: vgnfs', 'vg: 42'),
      /config\.yaml:13:14: backends\.lvm\.vg: Expected string, received number/,
    ],
  ])('%s', (_n, text, want) => {
    const m = errorOf(text);
    expect(m).toMatch(want);
    expect(m).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });
});

describe('warnings for insecure or lab-only settings', () => {
  const warn = (extra: string, replace: [string, string] = ['', '']) =>
    parseConfigDetailed(testConfigYaml('/tmp/x', extra).replace(...replace), 'w.yaml').warnings;

  it('no_root_squash to a network, "*" read-write, insecure', () => {
    const w = warn('', [
      '  clients: [198.51.100.0/24]',
      '  clients: [198.51.100.0/24, "*"]\n  options: [rw, sync, no_root_squash, insecure]',
    ]);
    expect(w.map((x) => x.key)).toEqual(['nfs.options.2', 'nfs.options.3', 'nfs.clients.1']);
    expect(w[0]).toMatchObject({
      line: 11,
      column: 23,
      message: expect.stringContaining('no_root_squash is exported to 198.51.100.0/24, *'),
    });
    expect(w[1]!.message).toMatch(/^insecure: clients may connect from ports above 1023/);
  });

  it('the defaults (no_root_squash to *) warn at the default, not at a line', () => {
    const w = warn('', ['  clients: [198.51.100.0/24]\n', '']);
    expect(w.find((x) => x.key === 'nfs.options.2')).toMatchObject({ line: 0, column: 0 });
  });

  it('no_root_squash to single hosts (/32, an address, a host name) is not a warning', () => {
    const w = warn('', [
      '  clients: [198.51.100.0/24]',
      '  clients: [198.51.100.21/32, 198.51.100.22, node-3.example.com, "2001:db8::1/128"]\n  options: [rw, sync, no_root_squash, no_subtree_check]',
    ]);
    expect(w).toEqual([]);
  });

  it('root_squash to a network is not a warning; lab-only switches are', () => {
    expect(
      warn('', ['  clients: [198.51.100.0/24]', '  clients: [198.51.100.0/24]\n  options: [rw, root_squash]']),
    ).toEqual([]);
    const w = warn('', [
      'lvm: { vg: vgnfs }',
      'lvm: { vg: vgnfs, metadataOnly: true }\n  xfsquota: { root: /nfs, quota: false }',
    ]);
    expect(w.map((x) => x.key)).toEqual(
      expect.arrayContaining(['backends.lvm.metadataOnly', 'backends.xfsquota.quota']),
    );
  });

  it('`config check` prints them on stderr and still exits 0; --json lists them', async () => {
    await ensureBuilt();
    const dir = tempDir();
    const f = join(dir, 'c.yaml');
    writeFileSync(
      f,
      testConfigYaml(dir).replace(
        '  clients: [198.51.100.0/24]\n',
        '  clients: [198.51.100.0/24]\n  options: [rw, sync, no_root_squash]\n',
      ),
    );
    const r = await runCli(['--config', f, 'config', 'check'], { env: { NO_COLOR: '1' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`warning: .*c\\.yaml:11:23: nfs\\.options\\.2: no_root_squash is exported to 198\\.51\\.100\\.0/24`),
    );
    const j = await runCli(['--config', f, 'config', 'check', '--json'], { env: { NO_COLOR: '1' } });
    expect(JSON.parse(j.stdout)).toMatchObject({
      valid: true,
      warnings: [{ key: 'nfs.options.2', line: 11, column: 23 }],
    });
    expect((await loadConfigWithWarnings(f)).warnings).toHaveLength(1);
  });
});

describe("the lab's configs (lab/netns/host-config.sh, lab/vm/vm.sh) still validate", () => {
  /** The heredoc that writes config.yaml, expanded by bash with the lab's own variable definitions. */
  function labConfig(script: string, vars: string, marker: RegExp): string {
    const text = readFileSync(join(ROOT, script), 'utf8');
    const start = text.search(marker);
    expect(start).toBeGreaterThan(0);
    const body = text.slice(text.indexOf('\n', start) + 1, text.indexOf('\nEOF\n', start));
    return execFileSync('bash', ['-c', `${vars}\nset -- x x "$QUOTA"\ncat <<EOF\n${body}\nEOF\n`], {
      encoding: 'utf8',
      env: { ...process.env, QUOTA: 'yes' },
    });
  }
  const defs = (file: string, names: RegExp) =>
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .filter((l) => names.test(l))
      .join('\n');

  it.each(['primary', 'backup'])('netns lab, %s (with and without XFS quota)', (role) => {
    const vars = `${defs('lab/netns/common.sh', /^(LAB_NET|VIP|declare -A IP)=?/)}\nthis="this: ${role}"`;
    for (const quota of ['yes', 'no']) {
      const yaml = labConfig(
        'lab/netns/host-config.sh',
        `${vars}\nQUOTA=${quota}`,
        /cat >\/etc\/nfsctl\/config\.yaml <<EOF/,
      );
      const { config, warnings } = parseConfigDetailed(yaml, 'host-config.sh');
      expect(config.this).toBe(role);
      expect(config.nfs.root).toBe('/nfs');
      expect(config.backends.xfsquota?.quota).toBe(quota === 'yes');
      expect(warnings.map((w) => w.key)).toContain('nfs.options.2'); // no_root_squash to the lab network
    }
  });

  it('the client hosts (no `this`) of both tiers', () => {
    const netns = labConfig(
      'lab/netns/host-config.sh',
      `${defs('lab/netns/common.sh', /^(LAB_NET|VIP|declare -A IP)=?/)}\nthis="# this: (client is not a pair member)"`,
      /cat >\/etc\/nfsctl\/config\.yaml <<EOF/,
    );
    expect(parseConfig(netns, 'host-config.sh').this).toBeUndefined();
    const vm = labConfig(
      'lab/vm/vm.sh',
      `${defs('lab/vm/vm.sh', /^(NET|VIP|declare -A IPS)=/)}\nthis="# this: (client: not a storage node)"`,
      /cat >"\$r\/etc\/nfsctl\/config\.yaml" <<EOF/,
    );
    expect(parseConfig(vm, 'vm.sh').this).toBeUndefined();
  });

  it.each(['primary', 'backup'])('vm lab, %s', (role) => {
    const vars = `${defs('lab/vm/vm.sh', /^(NET|VIP|declare -A IPS)=/)}\nthis="this: ${role}"`;
    const yaml = labConfig('lab/vm/vm.sh', vars, /cat >"\$r\/etc\/nfsctl\/config\.yaml" <<EOF/);
    const config = parseConfig(yaml, 'vm.sh');
    expect(config.this).toBe(role);
    expect(config.vip).toBe('198.51.100.100');
  });
});
