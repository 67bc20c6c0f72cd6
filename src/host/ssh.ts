// A remote storage host over SSH (node-ssh on ssh2). One connection per host per nfsctl
// invocation, opened on first use and reused for every step; host keys verified against
// known_hosts before any command runs.
import { readFile } from 'node:fs/promises';
import type { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import type { Host, RunOptions, RunResult, WriteOptions, WriteResult } from './host.js';
import { CommandCancelledError, readFileVia, writeFileAtomicVia } from './host.js';
import { runManyVia } from './batch.js';
import { quoteArgv } from './quote.js';
import { checkHostKey, hostKeyAlgorithms, hostKeyName, keysFor, parseKnownHosts } from '../core/known-hosts.js';
import { HostUnreachableError } from '../core/errors.js';

export interface SshOptions {
  user: string;
  port: number;
  identity: string;
  knownHosts: string;
  sudo: boolean;
  /** Extra names the host key may be filed under in known_hosts (e.g. the config name). */
  hostKeyAliases?: string[];
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/** Every SSH connection this process opened, by host name: tests assert one per host. */
export const connectionLog: { host: string; address: string; at: number }[] = [];

/**
 * Channels open at once on one connection. OpenSSH refuses more than MaxSessions (default
 * 10) with "Channel open failure"; parallel steps queue here instead.
 */
export const MAX_CHANNELS = 8;
/** How often one command's channel may be refused by a busy sshd before we give up (~4 s). */
const CHANNEL_OPEN_ATTEMPTS = 50;

/**
 * A cancellable command says its pid first (on stderr, taken off again): `timeout` then
 * runs under that pid as the leader of its own process group, so `kill -- -pid` reaches
 * the command and everything it started (rsync's receiver forks a generator).
 */
const PID_SCRIPT = 'echo "nfsctl-pid $$" >&2; exec "$@"';
const PID_LINE = /^nfsctl-pid (\d+)\n/;
/** After a cancel: TERM to the group at once, KILL after this long, give up after twice that. */
const CANCEL_KILL_MS = 5_000;

/** sshd refused to open a channel: the command never started. */
class ChannelRefusedError extends Error {
  constructor(readonly unreachable: HostUnreachableError) {
    super(unreachable.message);
  }
}

export class SshHost implements Host {
  readonly kind = 'ssh' as const;
  private conn: Promise<NodeSSH> | undefined;
  private lost: Error | undefined;
  private open_ = 0;
  private waiting: (() => void)[] = [];

  private async slot(): Promise<() => void> {
    if (this.open_ >= MAX_CHANNELS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.open_++;
    return () => {
      this.open_--;
      this.waiting.shift()?.();
    };
  }

  constructor(
    readonly name: string,
    readonly address: string,
    private readonly opts: SshOptions,
  ) {}

  private connect(): Promise<NodeSSH> {
    this.conn ??= this.open().catch((err: unknown) => {
      throw err instanceof HostUnreachableError
        ? err
        : new HostUnreachableError(
            this.name,
            `cannot reach ${this.name} (${this.address}:${this.opts.port}): ${(err as Error).message}`,
            {
              hint: `check that sshd runs there and that ${this.opts.identity} is authorised for ${this.opts.user}`,
              cause: err,
            },
          );
    });
    return this.conn;
  }

  private async open(): Promise<NodeSSH> {
    let knownText: string;
    try {
      knownText = await readFile(this.opts.knownHosts, 'utf8');
    } catch (err) {
      throw new HostUnreachableError(
        this.name,
        `cannot read known_hosts ${this.opts.knownHosts}: ${(err as Error).message}`,
        {
          hint: `host keys are always verified; create ${this.opts.knownHosts} (ssh-keyscan -p ${this.opts.port} ${this.address}, then compare fingerprints)`,
        },
      );
    }
    const entries = parseKnownHosts(knownText);
    const names = [
      hostKeyName(this.address, this.opts.port),
      ...(this.opts.hostKeyAliases ?? []).map((a) => hostKeyName(a, this.opts.port)),
    ];
    const known = keysFor(entries, names);
    let keyProblem: string | undefined;
    const privateKey = await readFile(this.opts.identity, 'utf8').catch((err: Error) => {
      throw new HostUnreachableError(this.name, `cannot read SSH identity ${this.opts.identity}: ${err.message}`);
    });
    const { NodeSSH } = await import('node-ssh');
    const ssh = new NodeSSH();
    try {
      await ssh.connect({
        host: this.address,
        port: this.opts.port,
        username: this.opts.user,
        privateKey,
        readyTimeout: this.opts.connectTimeoutMs,
        keepaliveInterval: 5_000,
        keepaliveCountMax: 3,
        // Offer only key types we have on file, so the server cannot pick one we can't check.
        ...(known.length > 0 ? { algorithms: { serverHostKey: hostKeyAlgorithms(known) as never } } : {}),
        hostVerifier: (key: Buffer) => {
          const check = checkHostKey(entries, names, key);
          if (!check.ok) keyProblem = check.detail;
          return check.ok;
        },
      });
    } catch (err) {
      if (keyProblem) {
        throw new HostUnreachableError(
          this.name,
          `refusing to connect to ${this.name} (${this.address}): ${keyProblem}`,
          {
            hint: `verify the host's key out of band (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on ${this.name}) and fix ${this.opts.knownHosts}`,
          },
        );
      }
      throw err;
    }
    connectionLog.push({ host: this.name, address: this.address, at: Date.now() });
    // every exec in flight adds listeners to the one connection; parallel steps are normal here
    ssh.connection?.setMaxListeners(0);
    // Our traffic is many small request/reply exchanges (exec, stdin, EOF): with Nagle on, a
    // small packet waits for the ACK of the previous one, which the far side delays by up to
    // 40 ms. A file write over SSH took 60-90 ms instead of ~20.
    ssh.connection?.setNoDelay(true);
    ssh.connection?.on('error', (e: Error) => (this.lost = e));
    ssh.connection?.on('close', () => (this.lost ??= new Error('connection closed')));
    return ssh;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new Error('empty argv');
    const ssh = await this.connect();
    const release = await this.slot();
    try {
      // sshd frees a session only after it has reaped the command and seen our close, a
      // moment after our side sees the channel end; in a burst of quick commands the next
      // open can land in that gap and be refused ("no more sessions"). Nothing ran then,
      // so opening again shortly after is safe.
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.exec(ssh, argv, opts);
        } catch (err) {
          if (!(err instanceof ChannelRefusedError) || attempt >= CHANNEL_OPEN_ATTEMPTS)
            throw err instanceof ChannelRefusedError ? err.unreachable : err;
          await new Promise((r) => setTimeout(r, Math.min(100, 5 * attempt)));
        }
      }
    } finally {
      release();
    }
  }

  private async exec(ssh: NodeSSH, argv: string[], opts: RunOptions): Promise<RunResult> {
    if (this.lost)
      throw new HostUnreachableError(this.name, `lost the SSH connection to ${this.name}: ${this.lost.message}`);
    if (opts.signal?.aborted) throw new CommandCancelledError(this.name, argv);
    const timeoutMs = opts.timeoutMs ?? this.opts.commandTimeoutMs;
    // The remote `timeout` ends the command on the host itself; the local guard below only
    // covers a host that stops answering altogether.
    let full = ['timeout', '-k', '2', `${Math.max(1, Math.ceil(timeoutMs / 1000))}`, ...argv];
    if (opts.env) full = ['env', ...Object.entries(opts.env).map(([k, v]) => `${k}=${v}`), ...full];
    if (opts.signal) full = ['sh', '-c', PID_SCRIPT, 'nfsctl-run', ...full];
    if (this.opts.sudo) full = ['sudo', '-n', '--', ...full];
    const started = Date.now();
    let channel: ClientChannel | undefined;
    let guard: NodeJS.Timeout | undefined;
    const guardFired = new Promise<'guard'>((resolve) => {
      guard = setTimeout(() => resolve('guard'), timeoutMs + 5_000);
    });
    // cancellation: the remote pid (from the first stderr line), and whether the command ended
    let pid: number | undefined;
    let errHead = '';
    let ended = false;
    let cancelled = false;
    let gaveUp: (v: 'gave-up') => void = () => undefined;
    const cancelGaveUp = new Promise<'gave-up'>((resolve) => (gaveUp = resolve));
    const onAbort = () => {
      cancelled = true;
      void this.cancelRemote(
        ssh,
        () => channel,
        () => pid,
        () => ended,
      ).then((ok) => ok || gaveUp('gave-up'));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const onOut = opts.onStdout;
    try {
      const res = await Promise.race([
        ssh
          .execCommand(quoteArgv(full), {
            stdin: opts.input ?? '',
            noTrim: true,
            onChannel: (ch) => (channel = ch),
            ...(onOut ? { onStdout: (b: Buffer) => onOut(b.toString('utf8')) } : {}),
            ...(opts.signal
              ? {
                  onStderr: (b: Buffer) => {
                    if (pid !== undefined || errHead.length > 64) return;
                    errHead += b.toString('utf8');
                    const m = /^nfsctl-pid (\d+)\n/.exec(errHead);
                    if (m) pid = Number(m[1]);
                  },
                }
              : {}),
          })
          .finally(() => (ended = true)),
        guardFired,
        cancelGaveUp,
      ]);
      if (res === 'gave-up') throw new CommandCancelledError(this.name, argv, true);
      if (cancelled) throw new CommandCancelledError(this.name, argv);
      if (res === 'guard') {
        channel?.close();
        throw new HostUnreachableError(
          this.name,
          `${this.name} stopped answering while running \`${argv.join(' ')}\` (no reply in ${timeoutMs + 5000} ms)`,
        );
      }
      if (opts.signal) res.stderr = res.stderr.replace(PID_LINE, '');
      if (res.code === null && Date.now() - started >= timeoutMs - 50) {
        // our remote `timeout` fired: as a session leader it signals its whole group, itself
        // included, so the channel ends by signal rather than with exit code 124
        return {
          host: this.name,
          argv,
          exitCode: 124,
          stdout: res.stdout,
          stderr: res.stderr,
          durationMs: Date.now() - started,
          timedOut: true,
        };
      }
      if (res.code === null) {
        const why = res.signal ? `killed by signal ${res.signal}` : 'the connection dropped';
        throw new HostUnreachableError(this.name, `\`${argv.join(' ')}\` on ${this.name} did not finish: ${why}`);
      }
      const timedOut = res.code === 124 && Date.now() - started >= timeoutMs - 50;
      return {
        host: this.name,
        argv,
        exitCode: res.code,
        stdout: res.stdout,
        stderr: res.stderr,
        durationMs: Date.now() - started,
        timedOut,
      };
    } catch (err) {
      if (err instanceof HostUnreachableError || err instanceof CommandCancelledError) throw err;
      if (cancelled) throw new CommandCancelledError(this.name, argv);
      const unreachable = new HostUnreachableError(
        this.name,
        `lost ${this.name} while running \`${argv.join(' ')}\`: ${(err as Error).message}`,
        { cause: err },
      );
      if (channel === undefined && /Channel open failure/.test((err as Error).message))
        throw new ChannelRefusedError(unreachable);
      throw unreachable;
    } finally {
      clearTimeout(guard);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Stop a cancelled command on the host: a TERM signal on its channel (sshd passes it to the
   * command), TERM to its process group over a second channel as soon as its pid is known,
   * KILL after CANCEL_KILL_MS. True once the command has ended; false when it could not be
   * confirmed in time (the channel is closed then, and the command may still run).
   */
  private async cancelRemote(
    ssh: NodeSSH,
    channel: () => ClientChannel | undefined,
    pid: () => number | undefined,
    ended: () => boolean,
  ): Promise<boolean> {
    const t0 = Date.now();
    try {
      channel()?.signal('TERM');
    } catch {
      /* the channel is not open yet, or already gone */
    }
    const kill = async (sig: 'TERM' | 'KILL') => {
      await this.exec(ssh, ['sh', '-c', `kill -s ${sig} -- "-$1" 2>/dev/null; true`, 'nfsctl-cancel', String(pid())], {
        timeoutMs: 10_000,
      }).catch(() => undefined);
    };
    let term = false;
    let killed = false;
    while (!ended()) {
      const t = Date.now() - t0;
      if (pid() !== undefined && !term) {
        term = true;
        await kill('TERM');
      } else if (pid() !== undefined && t >= CANCEL_KILL_MS && !killed) {
        killed = true;
        await kill('KILL');
      } else if (t >= 2 * CANCEL_KILL_MS) {
        channel()?.close();
        return false;
      } else await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  }

  runMany(argvs: string[][], opts?: RunOptions): Promise<RunResult[]> {
    return runManyVia(this, argvs, opts ?? {}, this.opts.commandTimeoutMs);
  }

  readFile(path: string): Promise<string | null> {
    return readFileVia(this, path);
  }

  writeFileAtomic(path: string, content: string, opts: WriteOptions = {}): Promise<WriteResult> {
    return writeFileAtomicVia(this, path, content, opts);
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    if (!c) return;
    try {
      (await c).dispose();
    } catch {
      /* a host that never connected has nothing to close */
    }
  }
}
