import { describe, expect, it } from 'vitest';
import { keepalivedScript, keepalivedWord, splitKeepalivedScript } from '../../../src/core/keepalived-conf.js';
import { instanceBlock, parseKeepalivedConf } from '../../../src/ha/status.js';
import { runInstall, withNotify } from '../../../src/commands/ha/ha.run.js';
import { testConfig } from '../../support/config.js';
import { fakeContext } from '../../support/fake-context.js';
import { notifyWrapperScript, wrapperProgram } from '../../../src/ha/notify-wrapper.js';

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

describe('ha install writes the notify wrapper and names it in keepalived.conf', () => {
  const KA = '/etc/keepalived/keepalived.conf';
  const W = '/etc/keepalived/nfsctl-notify';
  const setUp = (conf: string, wrapper?: string) => {
    const f = fakeContext(testConfig());
    for (const h of [f.primary, f.backup]) {
      h.files.set(KA, conf);
      if (wrapper !== undefined) h.files.set(W, wrapper);
    }
    return f;
  };
  it('on both hosts: the wrapper (running the given nfsctl), then the notify line naming it; again: nothing to do', async () => {
    const f = setUp(CONF);
    await runInstall(f.ctx, { nfsctlPath: '/usr/local/sbin/nfsctl', yes: true });
    for (const h of [f.primary, f.backup]) {
      expect(wrapperProgram(h.files.get(W)!)).toBe('/usr/local/sbin/nfsctl');
      expect(parseKeepalivedConf(h.files.get(KA)!, 'VI_NFS').notify).toBe(W);
      expect(h.writes.map((w) => w.path).indexOf(W)).toBeLessThan(h.writes.map((w) => w.path).indexOf(KA));
    }
    const again = fakeContext(f.ctx.config, { primary: f.primary, backup: f.backup });
    const n = f.primary.writes.length;
    await runInstall(again.ctx, { nfsctlPath: '/usr/local/sbin/nfsctl', yes: true });
    expect(f.primary.writes.slice(n).map((w) => w.path)).toEqual([]);
  });
  it("an older install's notify line (nfsctl itself) is replaced without --replace; another script is not", async () => {
    const old = withNotify(CONF, 'VI_NFS', 'notify "/usr/local/sbin/nfsctl ha notify"', false)!;
    const f = setUp(old);
    await runInstall(f.ctx, { nfsctlPath: '/usr/local/sbin/nfsctl', yes: true });
    expect(parseKeepalivedConf(f.primary.files.get(KA)!, 'VI_NFS').notify).toBe(W);
    const other = setUp(withNotify(CONF, 'VI_NFS', 'notify "/etc/keepalived/mine.sh"', false)!);
    const err = await runInstall(other.ctx, { nfsctlPath: '/usr/local/sbin/nfsctl', yes: true }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ exitCode: 4, message: expect.stringMatching(/already has a notify script/) });
  });
  it('a wrapper of ours that runs something else (an older one) is rewritten', async () => {
    const older = notifyWrapperScript('/opt/old/nfsctl').replace('exec setsid -w ', '');
    const f = setUp(CONF, older);
    await runInstall(f.ctx, { nfsctlPath: '/usr/local/sbin/nfsctl', yes: true });
    expect(wrapperProgram(f.primary.files.get(W)!)).toBe('/usr/local/sbin/nfsctl');
  });
  it("a file of someone else's at the wrapper's path: exit 4, nothing written on either host", async () => {
    const f = setUp(CONF, '#!/bin/sh\necho mine\n');
    const err = await runInstall(f.ctx, { nfsctlPath: '/usr/local/sbin/nfsctl', yes: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: 4, message: expect.stringMatching(/is not nfsctl's notify wrapper/) });
    expect(f.primary.writes.length + f.backup.writes.length).toBe(0);
  });
});
