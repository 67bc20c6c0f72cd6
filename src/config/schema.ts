// The shape of /etc/nfsctl/config.yaml. Every field is validated before any command runs;
// defaults here are what a stock systemd storage host with kernel NFS would use.
import { z } from 'zod';

const DURATION = /^(\d+)(ms|s|m|h)$/;
export function parseDuration(s: string): number {
  const m = DURATION.exec(s);
  if (!m) throw new Error(`not a duration: ${s}`);
  const n = Number(m[1]);
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}
const duration = z
  .string()
  .regex(DURATION, 'expected a duration like 500ms, 5s, 15m or 1h')
  .transform(parseDuration);

const absPath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/') && !p.split('/').includes('..') && !/[\0\n]/.test(p), 'expected an absolute path without ".." or newlines');

const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const address = z.string().refine((a) => ipv4.test(a) || /^[0-9a-fA-F:]+$/.test(a) || /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(a), 'expected an IP address or DNS name');

const ssh = z
  .object({
    user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, 'expected a login name').default('root'),
    port: z.number().int().min(1).max(65535).default(22),
    identity: absPath.default('/root/.ssh/id_ed25519'),
    knownHosts: absPath.default('/root/.ssh/known_hosts'),
    sudo: z.boolean().default(false),
    hostKeyAliases: z.array(z.string()).default([]),
  })
  .strict()
  .default({});

const host = z.object({ address, ssh }).strict();

const argvTemplate = z.array(z.string().min(1)).min(1);

export const configSchema = z
  .object({
    this: z.enum(['primary', 'backup']).optional(),
    hosts: z.object({ primary: host, backup: host }).strict(),
    vip: address,
    nfs: z
      .object({
        root: absPath.default('/nfs'),
        pathTemplate: z
          .string()
          .default('{root}/{namespace}_{name}')
          .refine((t) => t.includes('{namespace}') && t.includes('{name}') && t.startsWith('{root}/'), 'must start with {root}/ and contain {namespace} and {name}'),
        server: z.enum(['kernel', 'ganesha']).default('kernel'),
        exportsFile: absPath.default('/etc/exports.d/nfsctl.exports'),
        ganeshaExportsDir: absPath.default('/etc/ganesha/nfsctl'),
        clients: z.array(z.string().min(1)).min(1).default(['*']),
        options: z.array(z.string().min(1)).default(['rw', 'sync', 'no_root_squash', 'no_subtree_check']),
      })
      .strict()
      .default({}),
    backends: z
      .object({
        default: z.enum(['lvm', 'rbd', 'xfsquota']).default('lvm'),
        lvm: z
          .object({
            vg: z.string().regex(/^[A-Za-z0-9+_.-]+$/, 'expected an LVM volume group name'),
            mkfsArgs: z.array(z.string()).default([]),
            /** Lab only: hosts without device-mapper keep LVs inactive; no mkfs/mount. */
            metadataOnly: z.boolean().default(false),
          })
          .strict()
          .optional(),
        rbd: z
          .object({
            pool: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a Ceph pool name'),
            cephConf: absPath.default('/etc/ceph/ceph.conf'),
            id: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('admin'),
            keyring: absPath.optional(),
            /** Map/mkfs/mount images on the VIP holder (false where krbd is unavailable, e.g. the netns lab). */
            map: z.boolean().default(true),
          })
          .strict()
          .optional(),
        xfsquota: z
          .object({
            root: absPath,
            /** false on kernels without XFS quota support (the netns lab): sizes are recorded, not enforced. */
            quota: z.boolean().default(true),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    keepalived: z
      .object({
        config: absPath.default('/etc/keepalived/keepalived.conf'),
        instance: z.string().default('VI_NFS'),
        interface: z.string().default('eth0'),
      })
      .strict()
      .default({}),
    rsync: z
      .object({
        module: z.string().default('nfs'),
        interval: duration.default('15m'),
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
            keepalived: z.string().default('keepalived'),
            nfs: z.string().default('nfs-server'),
            rsyncd: z.string().default('rsync'),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({})
      .refine((s) => s.manager !== 'command' || s.command !== undefined, 'manager "command" needs services.command, e.g. ["svc", "{action}", "{service}"]'),
    timeouts: z
      .object({
        connect: duration.default('5s'),
        command: duration.default('60s'),
        check: duration.default('5s'),
      })
      .strict()
      .default({}),
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
    if (c.hosts.primary.address === c.hosts.backup.address) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['hosts', 'backup', 'address'], message: 'primary and backup must have different addresses' });
    }
    if (c.backends[c.backends.default] === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['backends', 'default'], message: `default backend "${c.backends.default}" has no backends.${c.backends.default} section` });
    }
  });

export type Config = z.output<typeof configSchema>;
export type PairRole = 'primary' | 'backup';
export const ROLES: readonly PairRole[] = ['primary', 'backup'];
