// Intentional states on the real lab: after `volume unexport` or `volume delete --keep-data`
// both hosts are identical, so health has no finding for the volume and switchover's preflight
// passes; a host whose record disagrees is drift again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labExec, labExecOk, undoAllFaults, vipHolders, waitFor, NS } from './helpers.js';

const nfsctl = (host: 'primary' | 'backup', args: string[], timeoutMs = 300_000) =>
  labExec(host, ['nfsctl', ...args], { timeoutMs });
const VOL = 'team-b/keep';
const META = '/nfs/.nfsctl/meta/pv.team-b.keep.json'; // xfsMetaPath: the XFS project name

interface Check {
  id: string;
  status: string;
  evidence: string;
  fix?: string;
}
const volumeFinding = async (): Promise<Check | undefined> =>
  (JSON.parse((await nfsctl('primary', ['health', '--json'])).stdout).checks as Check[]).find(
    (c) => c.id === `volume:${VOL}`,
  );
const listed = async () =>
  (
    JSON.parse((await nfsctl('primary', ['volume', 'list', '--json'])).stdout).volumes as {
      id: string;
      state: string;
      drift: string[];
      hosts: Record<string, { served: boolean }>;
    }[]
  ).find((v) => v.id === VOL)!;

describe.sequential(`intentional volume states on lab ${NS}`, () => {
  beforeAll(async () => {
    await undoAllFaults();
    await labExec('primary', [
      'bash',
      '-c',
      'labsvc start nfs-ganesha; labsvc enable keepalived; labsvc start keepalived',
    ]);
    await waitFor(async () => (await vipHolders()).join() === 'primary', 30_000);
    await nfsctl('primary', ['lock', 'break', '--yes']); // an aborted earlier run may have left it
    await nfsctl('primary', ['volume', 'delete', VOL, '--yes', '--force']);
    const r = await nfsctl('primary', ['volume', 'create', VOL, '--size', '32M', '--backend', 'xfsquota', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await nfsctl('primary', ['volume', 'delete', VOL, '--yes', '--force']);
  }, 120_000);

  it('volume unexport: recorded, shown, no health finding, switchover preflight passes; a disagreeing host is drift', async () => {
    const u = await nfsctl('primary', ['volume', 'unexport', VOL, '--yes']);
    expect(u.exitCode, u.stderr).toBe(0);
    const v = await listed();
    expect(v).toMatchObject({ state: 'unexported', drift: [] });
    expect(v.hosts.primary!.served || v.hosts.backup!.served).toBe(false);
    expect(await volumeFinding()).toBeUndefined();
    const show = await nfsctl('primary', ['volume', 'show', VOL]);
    expect(show.stdout).toMatch(/state: +unexported \(chosen by the operator/);
    const so = await nfsctl('primary', ['switchover', '--dry-run']);
    expect(so.exitCode, so.stdout + so.stderr).toBe(0);

    // the backup's own record says otherwise: that is drift, and it blocks a switchover
    const rec = await labExecOk('backup', ['cat', META]);
    expect(JSON.parse(rec).state).toBe('unexported');
    await labExecOk('backup', ['bash', '-c', `sed -i 's/,"state":"unexported"//' ${META}`]);
    const f = await volumeFinding();
    expect(f).toMatchObject({ status: 'critical' });
    expect(f!.evidence).toMatch(/state differs: primary unexported, backup active/);
    const so2 = await nfsctl('primary', ['switchover', '--dry-run']);
    expect(so2.exitCode).toBe(4);
    expect(so2.stderr).toMatch(/state differs/);
    await labExecOk('backup', ['bash', '-c', `cat > ${META} <<'J'\n${rec.trim()}\nJ`]);

    // volume export serves it again and clears the state
    const e = await nfsctl('primary', ['volume', 'export', VOL, '--yes']);
    expect(e.exitCode, e.stderr).toBe(0);
    const v2 = await listed();
    expect(v2).toMatchObject({ state: 'active', drift: [] });
    expect(v2.hosts.primary!.served && v2.hosts.backup!.served).toBe(true);
  });

  it('volume delete --keep-data: retired, not a health finding, not a switchover blocker', async () => {
    const d = await nfsctl('primary', ['volume', 'delete', VOL, '--keep-data', '--yes', '--force']);
    expect(d.exitCode, d.stderr).toBe(0);
    expect(await listed()).toMatchObject({ state: 'retired', drift: [] });
    expect(await volumeFinding()).toBeUndefined();
    const so = await nfsctl('primary', ['switchover', '--dry-run']);
    expect(so.exitCode, so.stdout + so.stderr).toBe(0);
  });
});
