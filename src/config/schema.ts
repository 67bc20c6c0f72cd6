// The shape of /etc/nfsctl/config.yaml. Every field is validated before any command runs;
// defaults here are what a stock systemd storage host with kernel NFS would use.
import { z } from 'zod';
import { validateClientSpec, validateExportOptions } from '../core/exports-file.js';
import { durationProblem, parseDurationMs, type DurationRange } from '../core/numbers.js';
import * as v from '../core/config-values.js';
import { cronIntervalProblem } from '../core/cron.js';
import { absPath, checked, dataRoot } from './checked.js';
import {
  BACKEND_LIST,
  backendNames,
  backendSections,
  configuredBackends,
  withImpliedSections,
} from '../volume/backend/registry.js';
import { exporterNames } from '../volume/nfs-server/registry.js';
import { listenProblem } from '../core/listen.js';
import { drbdHostnameProblem } from '../core/drbd.js';

/** Marks duration keys for the printer of the effective config (src/config/print.ts). */
export const DURATION_DESCRIPTION = 'duration';
const duration = (range: DurationRange = {}) =>
  checked((s) => durationProblem(s, range), 'expected a duration like 500ms, 5s, 15m or 1h (a number needs its unit)')
    .transform((s) => parseDurationMs(s, range))
    .describe(DURATION_DESCRIPTION);

const address = checked(v.hostAddressProblem);
const clientSpec = z.string().superRefine((s, ctx) => {
  try {
    validateClientSpec(s);
  } catch (err) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
  }
});
const exportOptions = z.array(z.string()).superRefine((opts, ctx) => {
  try {
    validateExportOptions(opts);
  } catch (err) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
  }
});

const ssh = z
  .object({
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]*$/, 'expected a login name')
      .default('root'),
    port: z.number().int().min(1).max(65535).default(22),
    identity: absPath.default('/root/.ssh/id_ed25519'),
    knownHosts: absPath.default('/root/.ssh/known_hosts'),
    sudo: z.boolean().default(false),
    hostKeyAliases: z.array(checked(v.hostKeyAliasProblem)).default([]),
  })
  .strict()
  .default({});

// hostname: DRBD's `on` name for the host (what `uname -n` prints there); default: the role name
const host = z.object({ address, ssh, hostname: checked(drbdHostnameProblem).optional() }).strict();

const argvTemplate = z
  .array(checked(v.argvElementProblem))
  .min(1)
  .superRefine((argv, ctx) => {
    const p = v.serviceCommandProblem(argv);
    if (p) ctx.addIssue({ code: z.ZodIssueCode.custom, message: p });
  });

export const configSchema = z
  .object({
    this: z.enum(['primary', 'backup']).optional(),
    hosts: z.object({ primary: host, backup: host }).strict(),
    vip: checked(v.vipProblem),
    nfs: z
      .object({
        root: dataRoot.default('/nfs'),
        pathTemplate: checked(v.pathTemplateProblem).default('{root}/{namespace}_{name}'),
        server: z.enum(exporterNames()).default('kernel'),
        exportsFile: absPath.default('/etc/exports.d/nfsctl.exports'),
        ganeshaExportsDir: absPath.default('/etc/ganesha/nfsctl'),
        clients: z.array(clientSpec).min(1).default(['*']),
        options: exportOptions.default(['rw', 'sync', 'no_root_squash', 'no_subtree_check']),
      })
      .strict()
      .default({}),
    backends: z
      .object({
        default: z.enum(backendNames()).default('lvm'),
        ...backendSections(),
      })
      .strict()
      .transform(withImpliedSections)
      .default({}),
    keepalived: z
      .object({
        config: absPath.default('/etc/keepalived/keepalived.conf'),
        instance: checked(v.vrrpInstanceProblem).default('VI_NFS'),
        interface: checked(v.interfaceProblem).default('eth0'),
      })
      .strict()
      .default({}),
    rsync: z
      .object({
        module: checked(v.rsyncModuleProblem).default('nfs'),
        // the sync timer is a cron line: an interval cron cannot run exactly is refused here, not at install-timer
        interval: duration({ minMs: 60_000, maxMs: 86_400_000 })
          .superRefine((ms, ctx) => {
            const p = cronIntervalProblem(ms);
            if (p) ctx.addIssue({ code: z.ZodIssueCode.custom, message: p });
          })
          .describe(DURATION_DESCRIPTION)
          .default('15m'),
        // rsync's own --timeout: a copy that moves no data for this long ends (exit 30) instead of
        // hanging the step; e.g. one half of rsync's process pair killed leaves the other waiting
        // on the socket forever. rsync sends keepalives while it works, so a slow copy is not cut.
        ioTimeout: duration({ minMs: 10_000, maxMs: 3_600_000 }).describe(DURATION_DESCRIPTION).default('5m'),
      })
      .strict()
      .default({}),
    services: z
      .object({
        manager: z.enum(['systemctl', 'command']).default('systemctl'),
        /** With manager=command: argv with {action} and {service} placeholders. */
        command: argvTemplate.optional(),
        names: z
          .object({
            keepalived: checked(v.serviceNameProblem).default('keepalived'),
            nfs: checked(v.serviceNameProblem).default('nfs-server'),
            rsyncd: checked(v.serviceNameProblem).default('rsync'),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({})
      .refine(
        (s) => s.manager !== 'command' || s.command !== undefined,
        'manager "command" needs services.command, e.g. ["svc", "{action}", "{service}"]',
      ),
    timeouts: z
      .object({
        connect: duration({ minMs: 100, maxMs: 300_000 }).default('5s'),
        command: duration({ minMs: 1000, maxMs: 86_400_000 }).default('60s'),
        check: duration({ minMs: 100, maxMs: 600_000 }).default('5s'),
      })
      .strict()
      .default({}),
    capacity: z
      .object({
        /** health: how far apart (percent) the two hosts' disk sizes and free space may be. */
        tolerancePercent: z.number().min(0).max(100).default(10),
      })
      .strict()
      .default({}),
    health: z
      .object({
        /** A volume at or above this use% is a health warning (and flagged in metrics). */
        usageWarnPercent: z.number().gt(0).max(100).default(85),
        /** At or above this use%: critical. */
        usageCriticalPercent: z.number().gt(0).max(100).default(95),
        /** `health serve`: how long one round of checks answers requests before the hosts are asked again. */
        cacheTtl: duration({ minMs: 0, maxMs: 3_600_000 }).default('10s'),
        /** `health serve`: where to listen (ADDR:PORT; default loopback only). */
        listen: checked(listenProblem).default('127.0.0.1:9655'),
      })
      .strict()
      .default({})
      .refine((h) => h.usageWarnPercent < h.usageCriticalPercent, {
        message: 'health.usageWarnPercent must be below health.usageCriticalPercent',
        path: ['usageWarnPercent'],
      }),
    state: z
      .object({
        auditLog: absPath.default('/var/log/nfsctl/audit.jsonl'),
        lockDir: absPath.default('/run/lock/nfsctl'),
        stateDir: absPath.default('/var/lib/nfsctl'),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const addr = (a: string) => v.canonicalAddress(a);
    if (addr(c.hosts.primary.address) === addr(c.hosts.backup.address)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['hosts', 'backup', 'address'],
        message: 'primary and backup must have different addresses',
      });
    }
    // nfsctl's own files must not live where volumes live: sync would copy them over, volume delete could remove them.
    const roots = [c.nfs.root, ...BACKEND_LIST.flatMap((b) => b.dataRoots?.(c as Config) ?? [])];
    const own: [string[], string][] = [
      [['state', 'auditLog'], c.state.auditLog],
      [['state', 'lockDir'], c.state.lockDir],
      [['state', 'stateDir'], c.state.stateDir],
      [['nfs', 'exportsFile'], c.nfs.exportsFile],
      [['nfs', 'ganeshaExportsDir'], c.nfs.ganeshaExportsDir],
      [['keepalived', 'config'], c.keepalived.config],
    ];
    for (const [path, p] of own) {
      const root = roots.find((r) => p === r || p.startsWith(`${r}/`));
      if (root !== undefined)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path,
          message: `${p} is inside the NFS root ${root}: sync would copy it to the other host and volume operations could remove it`,
        });
    }
    for (const role of ['primary', 'backup'] as const) {
      if (addr(c.vip) === addr(c.hosts[role].address)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['vip'],
          message: `the VIP must not be the ${role}'s own address (${c.vip}): it moves between the hosts`,
        });
      }
    }
    for (const b of configuredBackends(c as Config))
      for (const p of b.configProblems?.(c as Config) ?? [])
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: p.path, message: p.message });
    if (c.backends[c.backends.default] === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['backends', 'default'],
        message: `default backend "${c.backends.default}" has no backends.${c.backends.default} section`,
      });
    }
  });

export type Config = z.output<typeof configSchema>;
export type PairRole = 'primary' | 'backup';
export const ROLES: readonly PairRole[] = ['primary', 'backup'];
