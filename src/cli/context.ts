// Everything a command needs at run time, built once per invocation and loaded lazily so
// that `nfsctl --help` never pays for SSH, YAML or prompts.
import { configPath, loadConfig } from '../config/load.js';
import type { Config, PairRole } from '../config/schema.js';
import { HostPool } from '../host/pool.js';
import type { Host } from '../host/host.js';
import { Output } from './output.js';
import { makeProgress, type Progress } from './progress.js';
import { inquirerPrompter, promptTimeoutMs } from './prompt.js';
import { AuditLog } from '../state/audit.js';
import { Runner } from '../plan/runner.js';
import { PairLock, newOwner } from '../state/lock.js';
import { interrupts } from '../plan/interrupt.js';
import type { PlanDoor } from '../plan/reporter.js';

export interface GlobalOptions {
  config?: string;
  color?: boolean;
  json?: boolean;
  yes?: boolean;
  dryRun?: boolean;
}

export class Context implements PlanDoor {
  readonly out: Output;
  private pool: HostPool | undefined;

  constructor(
    readonly configFile: string,
    readonly config: Config,
    readonly opts: GlobalOptions,
    private readonly hostOverrides: Partial<Record<string, Host>> = {},
    out?: Output,
  ) {
    this.out = out ?? new Output({ jsonMode: opts.json ?? false, ...(opts.color === false ? { color: false } : {}) });
  }

  get hosts(): HostPool {
    this.pool ??= new HostPool(this.config, this.hostOverrides);
    return this.pool;
  }

  host(role: PairRole): Host {
    return this.hosts.get(role);
  }

  get audit(): AuditLog {
    return new AuditLog(this.config.state.auditLog);
  }

  get interactive(): boolean {
    return Boolean(process.stdin.isTTY && process.stderr.isTTY);
  }

  async progress(): Promise<Progress> {
    return makeProgress(this.out.stderr, this.opts.json);
  }

  async runner(): Promise<Runner> {
    return new Runner({
      out: this.out,
      progress: await this.progress(),
      audit: this.audit,
      prompter: () => inquirerPrompter(),
      host: (name) => this.hosts.get(name as PairRole),
      journalDir: `${this.config.state.stateDir}/journal`,
    });
  }

  /** Run `fn` holding the pair lock on both storage hosts (not needed for dry runs). */
  async withPairLock<T>(command: string, fn: () => Promise<T>): Promise<T> {
    if (this.opts.dryRun) return fn();
    await this.audit.checkWritable();
    const lock = new PairLock(this.config.state.lockDir, newOwner(command, this.config.this), (r) => this.host(r));
    // a signal outside a plan ends the process from main.ts: the lock is given back first
    const unregister = interrupts.addCleanup(() => lock.release());
    try {
      await lock.acquire([this.host('primary'), this.host('backup')]);
      return await fn();
    } finally {
      unregister();
      const keep = new Set([...interrupts.stillRunning].filter((h) => lock.hosts.some((x) => x.name === h)));
      const lost = await lock.release(keep);
      for (const h of keep)
        this.out.warn(
          `the pair lock on ${h} is kept: the abandoned step's command may still run there; when it has ended, \`nfsctl lock break --host ${h}\``,
        );
      if (lost.length > 0)
        this.out.warn(
          `the pair lock on ${lost.join(' and ')} was no longer ours (broken with \`nfsctl lock break\` while this ran): left as it is`,
        );
    }
  }

  async close(): Promise<void> {
    await this.pool?.closeAll();
  }
}

export async function createContext(opts: GlobalOptions): Promise<Context> {
  promptTimeoutMs(); // NFSCTL_PROMPT_TIMEOUT is checked before anything runs
  const path = configPath(opts.config);
  const { config } = await loadConfig(path);
  return new Context(path, config, opts);
}
