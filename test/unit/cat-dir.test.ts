import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local.js';
import { catDirArgv, splitCat } from '../../src/volume/inventory.js';
import { tempDir } from '../support/config.js';

describe('reading every record file of a directory in one command', () => {
  const host = new LocalHost('primary');

  it('returns each file byte for byte, skips dot files, directories and other suffixes', async () => {
    const d = tempDir();
    const files: Record<string, string> = {
      'pv.a.x.json': '{"v":1}\n',
      'pv.b.y.json': 'no newline',
      'pv.c.z.json': '',
      'pv.d.w.json': 'x\n\n\n',
      'pv.e.==> odd <==.json': 'odd name\n',
    };
    for (const [n, t] of Object.entries(files)) writeFileSync(join(d, n), t);
    writeFileSync(join(d, '.pv.a.x.json.tmp.json'), 'half written');
    writeFileSync(join(d, 'other.conf'), 'not mine');
    mkdirSync(join(d, 'dir.json'));
    const r = await host.run(catDirArgv(d, '.json', 'nfsctl-test'));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(Object.fromEntries(splitCat(r.stdout))).toEqual(files);
  });

  it('is empty for a missing or empty directory', async () => {
    for (const d of [join(tempDir(), 'missing'), tempDir()]) {
      const r = await host.run(catDirArgv(d, '.json', 'nfsctl-test'));
      expect(r.exitCode).toBe(0);
      expect(splitCat(r.stdout).size).toBe(0);
    }
  });

  it('reads thousands of files (more than one tail invocation) completely', async () => {
    const d = tempDir();
    const n = 6000;
    // long names so find -exec + has to split the list over several tail runs
    const name = (i: number) => `pv.namespace-${'n'.repeat(40)}.volume-${'v'.repeat(40)}-${i}.json`;
    for (let i = 0; i < n; i++) writeFileSync(join(d, name(i)), i % 2 ? `{"i":${i}}` : `{"i":${i}}\n`);
    const r = await host.run(catDirArgv(d, '.json', 'nfsctl-test'));
    const m = splitCat(r.stdout);
    expect(m.size).toBe(n);
    for (let i = 0; i < n; i++) expect(m.get(name(i))).toBe(i % 2 ? `{"i":${i}}` : `{"i":${i}}\n`);
  });
});
