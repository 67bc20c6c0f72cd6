// nfsctl deletes only what carries its own metadata for exactly this volume, and never a
// path that is not one plain directory directly inside the NFS root: the plan refuses from
// the inventory, and each removal script refuses again on the host (run here for real on
// temp dirs, with stand-ins for xfs_io / lvs / rbd on PATH).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { pairInventory } from '../../src/volume/inventory.js';
import { mergeVolumes } from '../../src/volume/state.js';
import { planDelete, type PairState } from '../../src/volume/plans.js';
import { identify } from '../../src/volume/identity.js';
import { volumeRef } from '../../src/core/names.js';
import { describeAction, planSteps } from '../../src/plan/plan.js';
import { encodeMetaTags } from '../../src/core/lvm-json.js';
import {
  checkRemovablePath,
  metaNeedle,
  removeEmptyDirArgv,
  removeOwnedDirArgv,
  removeOwnedImageArgv,
  removeOwnedLvArgv,
} from '../../src/volume/delete-guard.js';
import { ExitCode, PreconditionError } from '../../src/core/errors.js';
import { Context } from '../../src/cli/context.js';
import { Output } from '../../src/cli/output.js';
import { runDelete } from '../../src/commands/volume/delete.run.js';
import { tempDir, testConfigYaml } from '../support/config.js';
import { fakeStorageHost, type FakeStorage } from '../support/fake-pair.js';
import type { Config } from '../../src/config/schema.js';
import type { FakeHost } from '../../src/host/fake.js';

function cfg(backend = 'xfsquota', stateRoot = '/tmp/nfsctl-unit'): Config {
  return parseConfig(
    testConfigYaml(stateRoot)
      .replace('server: ganesha', 'server: kernel')
      .replace(
        'default: lvm\n  lvm: { vg: vgnfs }',
        `default: ${backend}\n  lvm: { vg: vgnfs }\n  xfsquota: { root: /nfs }\n  rbd: { pool: rbd }`,
      ),
  );
}
async function state(config: Config, p: FakeStorage = {}, b: FakeStorage = {}): Promise<PairState> {
  const hosts = {
    primary: fakeStorageHost('primary', { vip: true, exports: '', ...p }),
    backup: fakeStorageHost('backup', { exports: '', ...b }),
  };
  const inv = await pairInventory(config, hosts);
  return { inv, vipHolder: 'primary', views: mergeVolumes(config, inv) };
}

const ref = volumeRef('team-b', 'scratch');
const G = 2 ** 30;
const meta = {
  v: 1 as const,
  namespace: 'team-b',
  name: 'scratch',
  labels: {},
  createdAt: '2026-11-22T10:00:00Z',
  createdBy: 'alice',
  backend: 'xfs' as const,
  size: G,
};
const metaFile = (m: object = meta) => ({ 'pv.team-b.scratch.json': JSON.stringify(m) });
const destructive = (argv: string[]) => argv.some((a) => /\brm\b|rmdir|lvremove|rbd-rm/.test(a));

describe('volume delete plans only what nfsctl owns', () => {
  it('an unowned directory (no metadata record) is refused with exit 4, nothing planned', async () => {
    const config = cfg();
    const st = await state(config, { dirs: ['/nfs/team-b_scratch'] }, { dirs: ['/nfs/team-b_scratch'] });
    let err: unknown;
    try {
      planDelete(config, st, { ref, keepData: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as PreconditionError).exitCode).toBe(ExitCode.precondition);
    expect((err as Error).message).toMatch(
      /refusing to delete team-b\/scratch: nfsctl deletes only what carries its own metadata/,
    );
    expect((err as Error).message).toContain('primary: /nfs/team-b_scratch exists and is not empty');
    expect((err as Error).message).toContain('backup: /nfs/team-b_scratch exists and is not empty');
    expect((err as Error).message).toContain('nothing was changed');
  });

  it('a metadata record of the volume on one host does not cover the other host', async () => {
    const config = cfg();
    const st = await state(
      config,
      { dirs: ['/nfs/team-b_scratch'], metas: metaFile() },
      { dirs: ['/nfs/team-b_scratch'] },
    );
    expect(() => planDelete(config, st, { ref, keepData: false })).toThrow(
      /backup: \/nfs\/team-b_scratch exists and is not empty/,
    );
  });

  it('a record of another volume proves nothing', async () => {
    const config = cfg();
    const other = { ...meta, name: 'other' };
    const st = await state(
      config,
      { dirs: ['/nfs/team-b_scratch'], metas: { 'pv.team-b.scratch.json': JSON.stringify(other) } },
      {},
    );
    expect(() => planDelete(config, st, { ref, keepData: false })).toThrow(PreconditionError);
  });

  it('an empty unowned directory (an interrupted create) gets only a guarded rmdir, never rm -rf', async () => {
    const config = cfg();
    const st = await state(config, {}, { dirs: ['/nfs/team-b_scratch'] });
    const { plan } = planDelete(config, st, { ref, keepData: false, emptyDirs: { backup: true } });
    const steps = planSteps(plan);
    expect(steps.map((s) => s.id)).toEqual(['backup:rmdir']);
    const a = steps[0]!.action;
    expect(a.kind === 'run' && a.argv.slice(4, 7)).toEqual(['/nfs', '/nfs/team-b_scratch', 'rmdir']);
    expect(steps.some((s) => s.action.kind === 'run' && s.action.argv.includes('rm'))).toBe(false);
  });

  it("an owned volume: the data removal is the guarded script, checking this volume's record and project id", async () => {
    const config = cfg();
    const v = identify(config, ref);
    const host: FakeStorage = {
      dirs: ['/nfs/team-b_scratch'],
      metas: metaFile(),
      projects: `#${v.projectId} 0 0 ${G / 1024} 0 0\n`,
    };
    const st = await state(config, host, host);
    const steps = planSteps(planDelete(config, st, { ref, keepData: false }).plan);
    const rm = steps.find((s) => s.id === 'backup:rm-data')!;
    expect(rm.action.kind === 'run' && rm.action.argv).toEqual(
      removeOwnedDirArgv(
        '/nfs',
        '/nfs/team-b_scratch',
        '/nfs/.nfsctl/meta/pv.team-b.scratch.json',
        metaNeedle('team-b', 'scratch'),
        v.projectId,
      ),
    );
    expect(describeAction(rm.action)).toContain(
      `rm -rf --one-file-system -- /nfs/team-b_scratch (after checking it is nfsctl's`,
    );
  });

  it('lvm: lvremove carries the tags that prove ownership; an unowned directory next to no LV is refused', async () => {
    const config = cfg('lvm');
    const tags = encodeMetaTags({ ...meta, backend: 'lvm' });
    const host: FakeStorage = {
      lvs: [{ name: 'pv.team-b.scratch', size: G, tags: [...tags, 'foreign'] }],
      dirs: ['/nfs/team-b_scratch'],
    };
    const st = await state(config, host, host);
    const lvremove = planSteps(planDelete(config, st, { ref, keepData: false }).plan).find(
      (s) => s.id === 'primary:lvremove',
    )!;
    expect(lvremove.action.kind === 'run' && lvremove.action.argv).toEqual(
      removeOwnedLvArgv('vgnfs/pv.team-b.scratch', tags, []),
    );
    const st2 = await state(config, { dirs: ['/nfs/team-b_scratch'] }, {});
    expect(() => planDelete(config, st2, { ref, keepData: false })).toThrow(
      /primary: \/nfs\/team-b_scratch exists and is not empty/,
    );
  });

  it('the command: exit 4, and the fake hosts record no removal at all', async () => {
    const root = tempDir('nfsctl-del-');
    const config = cfg('xfsquota', root);
    const primary = fakeStorageHost('primary', { vip: true, exports: '', dirs: ['/nfs/team-b_scratch'] });
    const backup = fakeStorageHost('backup', { exports: '', dirs: ['/nfs/team-b_scratch'] });
    // the directory is not empty (its emptiness is read before planning)
    for (const h of [primary, backup])
      h.on((a) => a[0] === 'find' && a[1] === '/nfs/team-b_scratch', { stdout: '/nfs/team-b_scratch/precious\n' });
    const out = new Output({ jsonMode: false, color: false });
    const ctx = new Context(join(root, 'config.yaml'), config, { yes: true }, { primary, backup }, out);
    const err = await runDelete(ctx, 'team-b/scratch', { yes: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PreconditionError);
    for (const h of [primary, backup] as FakeHost[]) {
      const lines = h.calls.map((c) => c.argv);
      expect(
        lines.filter((a) => destructive(a) && !a.join(' ').includes('lock')),
        h.name,
      ).toEqual([]);
      expect(lines.some((a) => a.includes('rm') && a.includes('/nfs/team-b_scratch'))).toBe(false);
    }
  });
});

describe('the path guard', () => {
  it('accepts exactly one component below the root, and nothing else', () => {
    expect(checkRemovablePath('/nfs', '/nfs/team-a_data')).toBe('/nfs/team-a_data');
    const bad: [string, string][] = [
      ['/', '/etc'],
      ['/nfs', '/nfs'],
      ['/nfs', '/nfs/'],
      ['/nfs', '/nfs/a/b'],
      ['/nfs', '/nfs/../etc'],
      ['/nfs', '/nfs/./x'],
      ['/nfs', '/nfs//x'],
      ['/nfs', 'nfs/x'],
      ['/nfs', '/nfsx/y'],
      ['/nfs', '/etc'],
      ['/nfs/', '/nfs/x'],
      ['nfs', 'nfs/x'],
      ['/nfs', '/nfs/a\nb'],
      ['/nfs', '/nfs/..'],
    ];
    for (const [root, path] of bad)
      expect(() => checkRemovablePath(root, path), `${root} ${path}`).toThrow(PreconditionError);
    expect(() => removeOwnedDirArgv('/', '/etc', '/x', 'y', 1)).toThrow(/the NFS root is "\/"/);
  });
});

// ---- the scripts themselves, on this machine's filesystem -------------------------------
function sandbox() {
  const d = tempDir('nfsctl-guard-');
  const bin = join(d, 'bin');
  const root = join(d, 'nfs');
  mkdirSync(bin);
  mkdirSync(join(root, '.nfsctl', 'meta'), { recursive: true });
  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  const run = (argv: string[]) =>
    spawnSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
  return { d, bin, root, tool, run };
}

describe('the removal scripts check on the host before they act', () => {
  it('rm: refuses a symlink, a missing or foreign record, a wrong project id; deletes only the owned directory', () => {
    const s = sandbox();
    const path = join(s.root, 'team-b_scratch');
    const metaPath = join(s.root, '.nfsctl', 'meta', 'pv.team-b.scratch.json');
    const needle = metaNeedle('team-b', 'scratch');
    s.tool('xfs_io', 'echo "projid = ${PROJID:-0}"');
    const argv = removeOwnedDirArgv(s.root, path, metaPath, needle, 4242);
    // a directory with no metadata record: refused, kept
    mkdirSync(path);
    writeFileSync(join(path, 'precious'), 'x');
    let r = s.run(argv);
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/refusing to delete .*team-b_scratch: it has no nfsctl metadata record/);
    expect(existsSync(join(path, 'precious'))).toBe(true);
    // a record of another volume: refused
    writeFileSync(metaPath, JSON.stringify({ v: 1, namespace: 'team-b', name: 'other' }));
    r = s.run(argv);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('is not the record of this volume');
    // this volume's record, but the directory is not its XFS project
    writeFileSync(metaPath, JSON.stringify(meta));
    r = s.run(argv);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('its XFS project id is 0, not 4242');
    expect(existsSync(join(path, 'precious'))).toBe(true);
    // owned: removed
    r = spawnSync('sh', ['-c', 'PROJID=4242 exec "$@"', 'x', ...argv], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${s.bin}:${process.env.PATH}` },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(path)).toBe(false);
    // and again: already gone is success
    expect(s.run(argv).status).toBe(0);
  });

  it('rm and rmdir: a symlink planted at the volume path is refused, its target survives', () => {
    const s = sandbox();
    const outside = join(s.d, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep'), 'x');
    const path = join(s.root, 'team-b_scratch');
    symlinkSync(outside, path);
    const metaPath = join(s.root, '.nfsctl', 'meta', 'pv.team-b.scratch.json');
    writeFileSync(metaPath, JSON.stringify(meta));
    s.tool('xfs_io', 'echo "projid = 4242"');
    for (const argv of [
      removeOwnedDirArgv(s.root, path, metaPath, metaNeedle('team-b', 'scratch'), 4242),
      removeEmptyDirArgv(s.root, path),
    ]) {
      const r = s.run(argv);
      expect(r.status).toBe(4);
      expect(r.stderr).toContain('it is a symbolic link');
      expect(readFileSync(join(outside, 'keep'), 'utf8')).toBe('x');
    }
  });

  it('rm: a root whose entry resolves elsewhere (symlinked parent) is refused', () => {
    const s = sandbox();
    const elsewhere = join(s.d, 'elsewhere');
    mkdirSync(join(elsewhere, 'vol'), { recursive: true });
    writeFileSync(join(elsewhere, 'vol', 'keep'), 'x');
    // root/sub is a symlink; the path root/sub is refused as a symlink even though "one below"
    symlinkSync(elsewhere, join(s.root, 'sub'));
    const r = s.run(removeEmptyDirArgv(s.root, join(s.root, 'sub')));
    expect(r.status).toBe(4);
    expect(existsSync(join(elsewhere, 'vol', 'keep'))).toBe(true);
  });

  it('rmdir: removes an empty directory, never a non-empty one', () => {
    const s = sandbox();
    const path = join(s.root, 'team-b_half');
    mkdirSync(path);
    writeFileSync(join(path, 'f'), 'x');
    expect(s.run(removeEmptyDirArgv(s.root, path)).status).not.toBe(0);
    expect(existsSync(join(path, 'f'))).toBe(true);
    const empty = join(s.root, 'team-b_empty');
    mkdirSync(empty);
    expect(s.run(removeEmptyDirArgv(s.root, empty)).status).toBe(0);
    expect(existsSync(empty)).toBe(false);
  });

  it('lvremove runs only when the LV still carries every ownership tag', () => {
    const s = sandbox();
    const log = join(s.d, 'calls');
    s.tool('lvs', `echo "lvs $*" >> ${log}; echo "  \${TAGS}"`);
    s.tool('lvremove', `echo "lvremove $*" >> ${log}`);
    const argv = removeOwnedLvArgv(
      'vgnfs/pv.team-b.scratch',
      ['nfsctl', 'nfsctl.meta.0.1=abc'],
      ['--config', 'global { activation = 0 }'],
    );
    const env = (tags: string) => ({ ...process.env, TAGS: tags, PATH: `${s.bin}:${process.env.PATH}` });
    let r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: env('nfsctl,nfsctl.meta.0.1=xyz') });
    expect(r.status).toBe(4);
    expect(r.stderr).toContain("does not carry nfsctl's metadata tags for this volume");
    r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: env('') });
    expect(r.status).toBe(4);
    expect(readFileSync(log, 'utf8')).not.toContain('lvremove');
    r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: env('foreign,nfsctl,nfsctl.meta.0.1=abc') });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(log, 'utf8')).toContain(
      'lvremove --config global { activation = 0 } --yes vgnfs/pv.team-b.scratch',
    );
  });

  it('rbd rm runs only when the image-meta names this volume', () => {
    const s = sandbox();
    const log = join(s.d, 'calls');
    s.tool(
      'rbd',
      `case "$*" in *image-meta*) [ -n "$META" ] && echo "$META" || exit 2 ;; *) echo "rbd $*" >> ${log} ;; esac`,
    );
    const argv = removeOwnedImageArgv('rbd/pv.team-b.scratch', metaNeedle('team-b', 'scratch'), ['--id', 'admin']);
    const go = (m: string) =>
      spawnSync(argv[0]!, argv.slice(1), {
        encoding: 'utf8',
        env: { ...process.env, META: m, PATH: `${s.bin}:${process.env.PATH}` },
      });
    expect(go('').status).toBe(4);
    expect(go(JSON.stringify({ ...meta, name: 'other' })).status).toBe(4);
    expect(existsSync(log)).toBe(false);
    expect(go(JSON.stringify(meta)).status).toBe(0);
    expect(readFileSync(log, 'utf8')).toContain('rbd --id admin rm --no-progress -- rbd/pv.team-b.scratch');
  });
});
