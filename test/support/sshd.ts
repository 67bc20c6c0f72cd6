// Real OpenSSH servers on loopback ports for host-layer tests (before and besides the lab).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './config.js';

export interface TestSshd {
  port: number;
  dir: string;
  hostKeyPub: string;
  /** Log lines so far. */
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A client key pair shared by the test servers. */
export function clientKey(dir: string): { priv: string; pub: string } {
  const priv = join(dir, 'id_ed25519');
  if (!existsSync(priv)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'nfsctl-test', '-f', priv]);
  return { priv, pub: readFileSync(`${priv}.pub`, 'utf8') };
}

export async function startSshd(authorizedKey: string): Promise<TestSshd> {
  const dir = tempDir('nfsctl-sshd-');
  const port = await freePort();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_ed25519')]);
  writeFileSync(join(dir, 'authorized_keys'), authorizedKey, { mode: 0o600 });
  const logFile = join(dir, 'sshd.log');
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'LogLevel INFO',
      'MaxStartups 50',
    ].join('\n') + '\n',
  );
  // sshd runs each command through root's login shell, which reads ~/.bashrc: give it a stock
  // Debian home (as on a storage node) in a private mount namespace, not this machine's
  // (whose .bashrc may start pyenv and the like, ~70 ms per command, hiding timing races).
  const home = join(dir, 'home');
  mkdirSync(home, { mode: 0o700 });
  for (const f of ['bashrc', 'profile'])
    if (existsSync(`/usr/share/base-files/dot.${f}`))
      writeFileSync(join(home, `.${f}`), readFileSync(`/usr/share/base-files/dot.${f}`));
  const child: ChildProcess = spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      'mount --bind "$1" /root && shift && exec /usr/sbin/sshd "$@"',
      'nfsctl-test-sshd',
      home,
      '-D',
      '-f',
      join(dir, 'sshd_config'),
      '-E',
      logFile,
    ],
    { stdio: 'ignore' },
  );
  // Wait until it listens.
  for (let i = 0; i < 100; i++) {
    if (existsSync(logFile) && readFileSync(logFile, 'utf8').includes('Server listening')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    dir,
    hostKeyPub: readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim(),
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    },
  };
}

/** known_hosts line for a loopback server, as ssh would write it. */
export function knownHostsLine(s: TestSshd, keyPub = s.hostKeyPub): string {
  const [type, key] = keyPub.split(/\s+/);
  return `[127.0.0.1]:${s.port} ${type} ${key}\n`;
}
