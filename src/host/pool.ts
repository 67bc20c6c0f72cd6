// Hosts of the pair for one nfsctl invocation: the local machine when the config says
// "this" is that member (no SSH to ourselves), one lazily-opened SSH connection otherwise.
import type { Config, PairRole } from '../config/schema.js';
import type { Host } from './host.js';
import { LocalHost } from './local.js';
import { SshHost } from './ssh.js';
import { TracingHost, traceEnabled } from './trace.js';

export class HostPool {
  private hosts = new Map<string, Host>();

  constructor(
    private readonly config: Config,
    /** Overrides for tests: role -> host. */
    private readonly overrides: Partial<Record<string, Host>> = {},
  ) {}

  get(role: PairRole): Host {
    const existing = this.hosts.get(role);
    if (existing) return existing;
    const host = this.overrides[role] ?? traced(this.create(role));
    this.hosts.set(role, host);
    return host;
  }

  /**
   * Any node reachable over SSH with the pair's SSH settings (e.g. troubleshoot --from),
   * `over` the user and port given for it. Its host key is checked against the known_hosts
   * entries for the node's own address and name only (`[host]:port` off port 22), never
   * against the primary's aliases.
   */
  node(name: string, address: string, over: { user?: string; port?: number } = {}): Host {
    const key = `node:${over.user ?? ''}@${name}:${over.port ?? ''}`;
    const existing = this.hosts.get(key) ?? this.overrides[key] ?? this.overrides[`node:${name}`];
    if (existing) return existing;
    const t = this.config.timeouts;
    const ssh = this.config.hosts.primary.ssh;
    const host = traced(
      new SshHost(name, address, {
        ...ssh,
        ...(over.user !== undefined ? { user: over.user } : {}),
        ...(over.port !== undefined ? { port: over.port } : {}),
        hostKeyAliases: name !== address ? [name] : [],
        connectTimeoutMs: t.connect,
        commandTimeoutMs: t.command,
      }),
    );
    this.hosts.set(key, host);
    return host;
  }

  local(): Host {
    const key = 'local';
    let h = this.hosts.get(key) ?? this.overrides[key];
    if (!h) {
      h = traced(new LocalHost('local', '127.0.0.1', this.config.timeouts.command));
      this.hosts.set(key, h);
    }
    return h;
  }

  isLocal(role: PairRole): boolean {
    return this.config.this === role;
  }

  private create(role: PairRole): Host {
    const h = this.config.hosts[role];
    const t = this.config.timeouts;
    if (this.config.this === role) return new LocalHost(role, h.address, t.command, h.ssh.sudo);
    return new SshHost(role, h.address, {
      ...h.ssh,
      hostKeyAliases: [role, ...h.ssh.hostKeyAliases],
      connectTimeoutMs: t.connect,
      commandTimeoutMs: t.command,
    });
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.close()));
    this.hosts.clear();
  }
}

function traced(h: Host): Host {
  return traceEnabled() ? new TracingHost(h) : h;
}
