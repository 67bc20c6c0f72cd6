// The connections a host keeps on the VIP after the VIP left it (vip-sockets.ts): the `ss`
// filters for IPv4 (plain and IPv4-mapped, as ganesha's IPv6 sockets show them) and IPv6,
// the count of what was reset and what is left, and the report line.
import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../../src/host/fake.js';
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
    expect(resetArgv('198.51.100.100')).toEqual([
      'ss',
      '-K',
      '-H',
      '-t',
      '-n',
      'src',
      '198.51.100.100',
      'or',
      'src',
      '[::ffff:198.51.100.100]',
    ]);
    expect(listArgv('198.51.100.100')).toEqual([
      'ss',
      '-H',
      '-t',
      '-n',
      'src',
      '198.51.100.100',
      'or',
      'src',
      '[::ffff:198.51.100.100]',
    ]);
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
