// Stale mounts on a node and the PV check: parsing and the decision on the fake host (the
// netns lab has no kernel NFS client, so a real ESTALE is only reachable on the vm tier).
import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../../src/host/fake.js';
import { checkNodeMounts, classifyStat, kubeletPodOf, nfsMountsOf } from '../../../src/troubleshoot/stale.js';
import { parsePvDocument, pickPv, pvFinding } from '../../../src/troubleshoot/pv-check.js';
import { mountHelperFinding } from '../../../src/troubleshoot/why-facts.js';

const POD = '/var/lib/kubelet/pods/6f1c2a3b-0000-4000-8000-00000000abcd/volumes/kubernetes.io~nfs/nfs-lab.x';
const MOUNTS = [
  `198.51.100.100:/nfs/lab_x ${POD} nfs rw,relatime,vers=3 0 0`,
  '198.51.100.100:/nfs/lab_x/ /mnt/by\\040hand nfs4 rw 0 0',
  '198.51.100.100:/nfs/lab_xy /mnt/other nfs rw 0 0',
  '/dev/sda1 / ext4 rw 0 0',
].join('\n');

describe('stale mounts', () => {
  it("finds the volume's nfs/nfs4 mounts (escaped paths), not a longer path's", () => {
    expect(nfsMountsOf(MOUNTS, '/nfs/lab_x').map((m) => m.target)).toEqual([POD, '/mnt/by hand']);
  });
  it("classifies stat's answer", () => {
    expect(classifyStat({ exitCode: 1, stderr: "stat: cannot statx '/mnt': Stale file handle" })).toBe('ESTALE');
    expect(classifyStat({ exitCode: 1, stderr: "stat: cannot statx '/mnt': Input/output error" })).toBe('EIO');
    expect(classifyStat({ exitCode: 124, stderr: '' })).toBe('hung');
    expect(classifyStat({ exitCode: 0, stderr: '' })).toBe('ok');
    expect(kubeletPodOf(POD)).toEqual({ uid: '6f1c2a3b-0000-4000-8000-00000000abcd', pv: 'nfs-lab.x' });
    expect(kubeletPodOf('/mnt/x')).toBeNull();
  });
  it('a stale pod mount: critical, names the pod uid and the restart command; a hand mount gets umount/mount', async () => {
    const node = new FakeHost('node-3');
    node.files.set('/proc/mounts', MOUNTS);
    node.on((a) => a.includes('stat') && a.at(-1) === POD, {
      exitCode: 1,
      stderr: `stat: cannot statx '${POD}': Stale file handle`,
    });
    node.on((a) => a.includes('stat') && a.at(-1) === '/mnt/by hand', { exitCode: 1, stderr: 'Input/output error' });
    const f = (await checkNodeMounts(node, '/nfs/lab_x', 'node-3', 'node-3', 2))!;
    expect(f).toMatchObject({ id: 'stale-mount', status: 'critical' });
    expect(f.evidence).toContain('ESTALE');
    expect(f.evidence).toContain('pods: 6f1c2a3b-0000-4000-8000-00000000abcd');
    expect(f.fix).toContain('@.metadata.uid=="6f1c2a3b-0000-4000-8000-00000000abcd"');
    expect(f.fix).toContain('kubectl delete pod');
    expect(f.fix).toContain("umount -f -l '/mnt/by hand'");
    // every stat is bounded
    expect(
      node.calls.filter((c) => c.argv.includes('stat')).every((c) => c.argv[0] === 'timeout' && c.argv.includes('-k')),
    ).toBe(true);
  });
  it('healthy mounts: ok; no mounts: no finding', async () => {
    const node = new FakeHost('node-3');
    node.files.set('/proc/mounts', MOUNTS);
    expect((await checkNodeMounts(node, '/nfs/lab_x', 'node-3', 'node-3', 2))!.status).toBe('ok');
    expect(await checkNodeMounts(node, '/nfs/none', 'node-3', 'node-3', 2)).toBeNull();
  });
});

describe('mount helper', () => {
  it('missing /sbin/mount.nfs is critical with the package to install', async () => {
    const node = new FakeHost('node-3').on(['timeout'], { exitCode: 1 });
    const f = await mountHelperFinding(node, 'node-3', 'node-3', 2);
    expect(f).toMatchObject({ id: 'mount-helper', status: 'critical' });
    expect(f.fix).toMatch(/nfs-common/);
    const ok = await mountHelperFinding(
      new FakeHost('n').on(['timeout'], { stdout: '/sbin/mount.nfs\n' }),
      'n',
      'n',
      2,
    );
    expect(ok.status).toBe('ok');
  });
});

describe('--pv', () => {
  const pv = (server: string, path: string, extra = '') =>
    `apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: nfs-lab.x\nspec:\n  nfs:\n    server: ${server}\n    path: ${path}\n${extra}`;
  const want = {
    vip: '198.51.100.100',
    path: '/nfs/lab_x',
    volume: 'lab/x',
    hostAddresses: { primary: '198.51.100.11', backup: '198.51.100.12' },
  };
  it("a PV through the VIP at the volume's path is ok; JSON and Lists parse", () => {
    expect(pvFinding(parsePvDocument(pv('198.51.100.100', '/nfs/lab_x'), 'f')[0]!, want).status).toBe('ok');
    const list = JSON.stringify({
      kind: 'List',
      items: [
        { kind: 'PersistentVolume', metadata: { name: 'a' }, spec: { nfs: { server: 'x', path: '/nfs/a' } } },
        {
          kind: 'PersistentVolume',
          metadata: { name: 'nfs-lab.x' },
          spec: { nfs: { server: '198.51.100.100', path: '/nfs/lab_x' } },
        },
      ],
    });
    expect(pickPv(parsePvDocument(list, 'f'), '/nfs/lab_x', 'nfs-lab.x').name).toBe('nfs-lab.x');
  });
  it("a storage host's own address, a wrong path, UDP: critical, each named", () => {
    const f = pvFinding(
      parsePvDocument(pv('198.51.100.11', '/nfs/lab_y', '  mountOptions: [vers=3, proto=udp]\n'), 'f')[0]!,
      want,
    );
    expect(f.status).toBe('critical');
    expect(f.evidence).toContain("the primary's own address");
    expect(f.evidence).toContain("not the volume's /nfs/lab_x");
    expect(f.evidence).toContain('UDP');
  });
  it('not a PV, not NFS, not YAML: usage errors', () => {
    expect(() => parsePvDocument('kind: Pod\n', 'f')).toThrow(/no PersistentVolume/);
    expect(() => parsePvDocument('kind: PersistentVolume\nspec: { rbd: {} }\n', 'f')).toThrow(/not an NFS PV/);
    expect(() => parsePvDocument('{ "a": ', 'f')).toThrow(/not JSON or YAML/);
  });
});
