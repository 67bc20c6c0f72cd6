import { describe, expect, it } from 'vitest';
import { keepalivedScript, keepalivedWord, splitKeepalivedScript } from '../../../src/core/keepalived-conf.js';
import { instanceBlock, parseKeepalivedConf } from '../../../src/ha/status.js';
import { runInstall, withNotify } from '../../../src/commands/ha/ha.run.js';
import { testConfig } from '../../support/config.js';
import { fakeContext } from '../../support/fake-context.js';

const CONF = `global_defs {\n  router_id primary\n}\nvrrp_instance VI_NFS {\n    state MASTER\n    interface eth0\n    priority 150 # high\n    virtual_ipaddress {\n        198.51.100.100/24 dev eth0\n    }\n}\n`;

/** Top-level blocks of a keepalived.conf (name and brace depth), comments stripped as keepalived does. */
function topLevel(text: string): string[] {
  const names: string[] = [];
  let depth = 0;
  for (const raw of text.split('\n')) {
    let line = '';
    let q = false;
    for (const c of raw) {
      if (c === '"') q = !q;
      if (!q && (c === '#' || c === '!')) break;
      line += c;
    }
    for (const tok of line
      .replace(/"[^"]*"/g, 'STR')
      .split(/\s+/)
      .filter(Boolean)) {
      if (tok === '{') depth++;
      else if (tok === '}') depth--;
      else if (depth === 0 && !['{', '}'].includes(tok) && /^[a-z_]+$/.test(tok)) names.push(tok);
    }
  }
  expect(depth).toBe(0);
  return names;
}

const HOSTILE = [
  '/x" \n}\nvrrp_script evil {\n  script "/bin/sh -c id"\n}\nvrrp_instance VI_NFS {\n notify "/x',
  '/x"',
  '/x\n',
  '/x}',
  '/x{',
  '/x#y',
  '/x!y',
  '/x y',
  '/x\ty',
  "/x'y",
  '/x$y',
  '/x${EVIL}',
  '/x\\y',
  '',
];

describe('keepalived.conf script strings', () => {
  it('refuses every word that would break out of the string, split, or comment out the rest', () => {
    for (const w of HOSTILE)
      expect(() => keepalivedWord(w, '--nfsctl-path'), JSON.stringify(w)).toThrow(
        /--nfsctl-path: .* cannot be written into keepalived.conf/,
      );
  });
  it('a plain script reads back as the same argv, inside the same instance block, adding no block', () => {
    for (const argv of [
      ['/usr/local/sbin/nfsctl', 'ha', 'notify'],
      ['/opt/nfsctl-2.0/bin/nfsctl', 'ha', 'notify', '--config=/etc/nfsctl/a.yaml'],
    ]) {
      const line = `notify ${keepalivedScript(argv, 'x')}`;
      const out = withNotify(CONF, 'VI_NFS', line, false)!;
      expect(splitKeepalivedScript(parseKeepalivedConf(out, 'VI_NFS').notify!)).toEqual(argv);
      expect(topLevel(out)).toEqual(topLevel(CONF));
      expect(instanceBlock(out, 'VI_NFS')).not.toBeNull();
    }
  });
  for (const p of [HOSTILE[0]!, '/x"', '/usr/local/sbin/nfsctl #', '/opt/my nfsctl', 'nfsctl']) {
    it(`ha install --nfsctl-path ${JSON.stringify(p)}: exit 2, nothing read or written`, async () => {
      const f = fakeContext(testConfig());
      const err = await runInstall(f.ctx, { nfsctlPath: p, yes: true }).catch((e: unknown) => e);
      expect(err).toMatchObject({ exitCode: 2, message: expect.stringMatching(/--nfsctl-path/) });
      expect(f.untouched()).toBe(true);
    });
  }
});
