// Running `rbd` and `ceph` on the storage host that has the cluster's ceph.conf and keyring
// (this host when config `this` is set, else the primary, over its SSH connection).
import type { Config } from '../config/schema.js';
import type { Host, RunResult } from '../host/host.js';
import { CommandFailedError } from '../host/host.js';
import { NfsctlError, PreconditionError, UsageError } from '../core/errors.js';
import { validateCephId, validatePath, type ImageSpec } from './validate.js';

export interface CephTarget {
  readonly conf: string;
  readonly id: string;
  /** Omitted: ceph's own keyring search (/etc/ceph/ceph.client.<id>.keyring, ...). */
  readonly keyring?: string;
  /** Default pool (config backends.rbd.pool), if any. */
  readonly pool?: string;
}

export interface CephOverrides {
  clusterConf?: string;
  id?: string;
  keyring?: string;
}

/** Config + command-line overrides, validated before anything runs (UsageError, exit 2). */
export function cephTarget(config: Config, o: CephOverrides): CephTarget {
  const r = config.backends.rbd;
  const conf = validatePath(o.clusterConf ?? r?.cephConf ?? '/etc/ceph/ceph.conf', '--cluster-conf');
  const id = validateCephId(o.id ?? r?.id ?? 'admin');
  // The configured keyring belongs to the configured id: with another --id, let ceph find its own.
  const keyring =
    o.keyring ?? (o.id === undefined || validateCephId(o.id) === (r?.id ?? 'admin') ? r?.keyring : undefined);
  return {
    conf,
    id,
    ...(keyring !== undefined ? { keyring: validatePath(keyring, '--keyring') } : {}),
    ...(r?.pool !== undefined ? { pool: r.pool } : {}),
  };
}

export function cephArgs(t: CephTarget): string[] {
  return ['--conf', t.conf, '--id', t.id, ...(t.keyring ? ['--keyring', t.keyring] : [])];
}

/** Distinct failures of rbd/ceph worth their own message and exit code. */
export function classifyFailure(r: RunResult, spec?: ImageSpec): NfsctlError {
  const err = r.stderr;
  const pool = /error opening pool '([^']*)': \(2\)/.exec(err);
  if (pool) {
    return new PreconditionError(`pool "${pool[1]}" does not exist`, {
      hint: 'ceph osd pool ls   (or: nfsctl rbd lock list --all-pools)',
    });
  }
  if (/error opening image [^:]*: \(2\)/.test(err) || (/error opening image/.test(err) && /No such file/.test(err))) {
    const what = spec ? `${spec.pool}/${spec.image}` : 'the image';
    return new PreconditionError(`image ${what} does not exist`, {
      hint: spec ? `rbd ls ${spec.pool}` : 'rbd ls <pool>',
    });
  }
  if (
    /\((1|13)\) (Operation not permitted|Permission denied)/.test(err) ||
    /error connecting to the cluster/.test(err) ||
    /auth: unable to find a keyring/.test(err)
  ) {
    return new NfsctlError(
      `${r.host}: cannot talk to the Ceph cluster as this user: ${err.trim().split('\n').slice(-2).join(' | ')}`,
      {
        hint: 'check --cluster-conf / --id / the keyring (config backends.rbd)',
      },
    );
  }
  if (r.exitCode === 127)
    return new UsageError(
      `${r.host}: \`${r.argv[0]}\` is not installed there; run nfsctl rbd from a host with the Ceph client tools`,
    );
  return new NfsctlError(new CommandFailedError(r).message);
}

export class Ceph {
  constructor(
    readonly host: Host,
    readonly target: CephTarget,
  ) {}

  rbd(args: string[]): Promise<RunResult> {
    return this.host.run(this.rbdArgv(args));
  }

  ceph(args: string[]): Promise<RunResult> {
    return this.host.run(this.cephArgv(args));
  }

  /** The argv of `rbd <args>` against this cluster (for a plan step). */
  rbdArgv(args: string[]): string[] {
    return ['rbd', ...cephArgs(this.target), ...args];
  }

  /** The argv of `ceph <args>` against this cluster (for a plan step). */
  cephArgv(args: string[]): string[] {
    return ['ceph', ...cephArgs(this.target), ...args];
  }

  /** The same cluster and credentials through another host object (the runner's audited one). */
  via(host: Host): Ceph {
    return new Ceph(host, this.target);
  }

  /** Fail early (exit 2) when the ceph.conf or keyring is not readable on the host. */
  async checkFiles(): Promise<void> {
    for (const [what, p] of [
      ['--cluster-conf', this.target.conf],
      ['--keyring', this.target.keyring],
    ] as const) {
      if (p === undefined) continue;
      const r = await this.host.run(['test', '-r', p]);
      if (r.exitCode !== 0)
        throw new UsageError(`${this.host.name}: ${what} ${p} is not readable there`, {
          hint: 'fix backends.rbd in the config, or pass --cluster-conf / --keyring',
        });
    }
  }
}
