// The connections a host keeps on the VIP after the VIP left it (vip-sockets.ts): the `ss`
// filters for IPv4 (plain and IPv4-mapped, as ganesha's IPv6 sockets show them) and IPv6,
// the count of what was reset and what is left, and the report line.
import { describe, expect, it } from 'vitest';
import { createServer, connect as connect_, type AddressInfo, type Server, type Socket } from 'node:net';
import { FakeHost } from '../../../src/host/fake.js';
import { LocalHost } from '../../../src/host/local.js';
import { listArgv, resetArgv, resetReport, resetVipConnections, vipSocketFilter } from '../../../src/ha/vip-sockets.js';
import { testConfig } from '../../support/config.js';

describe('connections on the VIP', () => {
  it('an IPv4 VIP is matched plain and IPv4-mapped; an IPv6 one in brackets; anything else is refused', () => {
    expect(vipSocketFilter('198.51.100.100')).toEqual([
      'src',
      '198.51.100.100',
      'or',
      'src',
      '[::ffff:198.51.100.100]',
    ]);
    expect(vipSocketFilter('2001:db8::10')).toEqual(['src', '[2001:db8::10]']);
    for (const bad of ['', 'vip.example', '198.51.100.100 or dport = :22', '198.51.100.100;reboot', '[::1]'])
      expect(() => vipSocketFilter(bad), bad).toThrow(/not an IP address/);
    const nfsOnly = [
      '(',
      'src',
      '198.51.100.100',
      'or',
      'src',
      '[::ffff:198.51.100.100]',
      ')',
      'and',
      '(',
      ...['sport', '=', ':111', 'or', 'sport', '=', ':2048', 'or', 'sport', '=', ':2049'],
      ...['or', 'sport', '=', ':20048', 'or', 'sport', '=', ':20049', 'or', 'sport', '=', ':20050'],
      ')',
    ];
    expect(resetArgv('198.51.100.100')).toEqual(['ss', '-K', '-H', '-t', '-n', ...nfsOnly]);
    expect(listArgv('198.51.100.100')).toEqual(['ss', '-H', '-t', '-n', ...nfsOnly]);
  });

  it("the real ss lists a connection on an NFS port of the address and leaves another service's alone", async () => {
    // two listeners on a loopback address, as nfsd (2049) and sshd (another port) on the VIP
    const addr = '127.0.0.77';
    const servers: Server[] = [];
    const clients: Socket[] = [];
    const listen = (port: number) =>
      new Promise<Server>((resolve, reject) => {
        const srv = createServer((sock) => void clients.push(sock));
        srv.once('error', reject);
        srv.listen(port, addr, () => resolve(srv));
      });
    const connect = (port: number) =>
      new Promise<void>((resolve, reject) => {
        const c = connect_({ host: addr, port }, () => resolve());
        c.once('error', reject);
        clients.push(c);
      });
    try {
      servers.push(await listen(2049), await listen(0));
      const other = (servers[1]!.address() as AddressInfo).port;
      await connect(2049);
      await connect(other);
      const r = await new LocalHost('primary', '127.0.0.1', 10_000).run(listArgv(addr));
      expect(r.exitCode, r.stderr).toBe(0);
      const local = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.trim().split(/\s+/)[3]);
      expect(local).toEqual([`${addr}:2049`]);
    } finally {
      for (const c of clients) c.destroy();
      await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
    }
  });

  it('counts the sockets ss killed and those left after', async () => {
    const config = testConfig();
    const h = new FakeHost('primary');
    const killed = [
      'ESTAB 0 140 [::ffff:198.51.100.100]:2049 [::ffff:198.51.100.21]:996',
      'ESTAB 0 188 [::ffff:198.51.100.100]:2049 [::ffff:198.51.100.21]:817',
      '',
    ].join('\n');
    let destroyed = true;
    h.on(['ss', '-K'], { stdout: killed });
    h.on(['ss', '-H'], () => ({ stdout: destroyed ? '' : killed }));
    expect(await resetVipConnections(config, h)).toEqual({ reset: 2, left: 0 });
    expect(resetReport('primary', { reset: 2, left: 0 })).toBe('primary: reset 2 connection(s) it kept on the VIP');
    expect(resetReport('primary', { reset: 0, left: 0 })).toBeNull();
    // a kernel without SOCK_DESTROY: ss lists them but they are still there
    destroyed = false;
    expect(await resetVipConnections(config, h)).toEqual({ reset: 0, left: 2 });
    expect(resetReport('primary', { reset: 0, left: 2 })).toMatch(/2 connection\(s\) on the VIP could not be reset/);
  });
});
