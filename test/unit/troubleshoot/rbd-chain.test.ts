// troubleshoot-mount rbd:<pool>/<image>: the parsers and decisions behind each link, and bad
// input refused (exit 2) before anything runs anywhere.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  kubeletPathFinding,
  parseMonAddrs,
  parseNodeRbdFacts,
  rbdTarget,
} from '../../../src/troubleshoot/rbd-chain.js';
import { BASE, DIR } from '../../support/hostile-config.js';
import { runInProcess } from '../../support/inprocess.js';

describe('parsers', () => {
  it('ceph mon dump: every v2 and v1 address, once', () => {
    const dump = JSON.stringify({
      mons: [
        {
          name: 'a',
          public_addrs: {
            addrvec: [
              { type: 'v2', addr: '198.51.100.31:3300', nonce: 0 },
              { type: 'v1', addr: '198.51.100.31:6789', nonce: 0 },
            ],
          },
          addr: '198.51.100.31:6789/0',
        },
        { name: 'b', addr: '[2001:db8::5]:6789/0' },
      ],
    });
    expect(parseMonAddrs(dump)).toEqual([
      { host: '198.51.100.31', port: 3300 },
      { host: '198.51.100.31', port: 6789 },
      { host: '2001:db8::5', port: 6789 },
    ]);
  });
  it("the node script's facts", () => {
    const f = parseNodeRbdFacts(
      'uid 0\nkubelet 4242\nkubelet-path /opt/x:/usr/local/bin\nrbd-binary none\nkrbd loadable\nuname-r 6.1.0-18-amd64\nkeyring /etc/ceph/ceph.client.admin.keyring\nconf /etc/ceph/ceph.conf\nsrc 198.51.100.21\n',
    );
    expect(f).toEqual({
      uid: '0',
      kubelet: { pid: 4242, path: '/opt/x:/usr/local/bin' },
      rbd: null,
      krbd: 'loadable',
      kernel: '6.1.0-18-amd64',
      keyrings: ['/etc/ceph/ceph.client.admin.keyring'],
      conf: true,
      src: '198.51.100.21',
    });
    expect(parseNodeRbdFacts('kubelet 7\nkubelet-path-unset\nrbd-binary none\n').kubelet).toEqual({ pid: 7, path: '' });
  });
});

describe('kubelet PATH', () => {
  it("kubelet's own PATH lacking rbd: critical, naming that PATH and both fixes", () => {
    const f = kubeletPathFinding(
      parseNodeRbdFacts('kubelet 4242\nkubelet-path /opt/x\nrbd-binary none\n'),
      'node-3',
      'node-3',
    );
    expect(f).toMatchObject({ id: 'rbd-kubelet-path', status: 'critical' });
    expect(f.evidence).toContain('kubelet (pid 4242) runs with PATH=/opt/x');
    expect(f.evidence).toContain('executable file not found in $PATH');
    expect(f.fix).toMatch(/ceph-common.*Environment=PATH=/);
  });
  it('found on it: ok; no kubelet running: warn, the systemd default PATH checked instead', () => {
    expect(
      kubeletPathFinding(parseNodeRbdFacts('kubelet 1\nkubelet-path /usr/bin\nrbd-binary /usr/bin/rbd\n'), 'n', 'n')
        .status,
    ).toBe('ok');
    const none = kubeletPathFinding(parseNodeRbdFacts('rbd-binary /usr/bin/rbd\n'), 'n', 'n');
    expect(none.status).toBe('warn');
    expect(none.evidence).toMatch(/no kubelet process/);
  });
});

describe('bad input', () => {
  it('rbdTarget: only rbd: targets, validated', () => {
    expect(rbdTarget('team-a/data')).toBeNull();
    expect(rbdTarget('rbd:kube/pvc-1')).toEqual({ pool: 'kube', image: 'pvc-1' });
    expect(rbdTarget('rbd:pvc-1', 'rbd')).toEqual({ pool: 'rbd', image: 'pvc-1' });
    expect(() => rbdTarget('rbd:a/b/c')).toThrow(/expected <pool>\/<image>/);
  });
  it('a bad image spec, a bad --from, --pv with an rbd target, an unreadable --pv: exit 2, nothing ran anywhere', async () => {
    const config = join(DIR, 'troubleshoot-rbd.yaml');
    writeFileSync(config, BASE);
    const pvFile = join(DIR, 'pod.yaml');
    writeFileSync(pvFile, 'kind: Pod\n');
    for (const args of [
      ['rbd:a/b/c', '--from', 'node-1'],
      ['rbd:-x/y', '--from', 'node-1'],
      ['rbd:kube/img', '--from', '-oProxyCommand=x'],
      ['rbd:kube/img', '--pv', pvFile],
      ['team-a/data', '--pv', pvFile],
      ['team-a/data', '--pv', join(DIR, 'does-not-exist.yaml')],
    ]) {
      const r = await runInProcess(['--config', config, 'troubleshoot-mount', ...args]);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.touches, args.join(' ')).toEqual([]);
    }
  });
});
