// node_exporter's textfile collector reads every *.prom file of its directory at each scrape:
// the file must never be seen half written. It is written to a private temp file in the same
// directory (O_CREAT|O_EXCL, mode 0600, a random name that does not end in .prom, so the
// collector skips it), fsynced, made world-readable (node_exporter runs as its own user), and
// renamed over the old one; the directory is fsynced after. A symlink planted at the final
// name is replaced, never followed.
import { constants, promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UsageError } from '../core/errors.js';

export const TEXTFILE_NAME = 'nfsctl.prom';

/** DIR must be an absolute path to an existing directory (checked before anything is collected). */
export async function checkTextfileDir(dir: string): Promise<string> {
  const trimmed = dir.replace(/(.)\/+$/, '$1');
  if (!path.isAbsolute(dir) || path.normalize(trimmed) !== trimmed)
    throw new UsageError(
      `--textfile ${JSON.stringify(dir)}: expected an absolute, normalised directory path such as /var/lib/prometheus/node-exporter`,
    );
  const st = await fs.stat(dir).catch(() => null);
  if (!st?.isDirectory())
    throw new UsageError(
      `--textfile ${JSON.stringify(dir)}: not an existing directory (node_exporter --collector.textfile.directory)`,
    );
  return trimmed;
}

export async function writeTextfile(dir: string, content: string, name = TEXTFILE_NAME): Promise<string> {
  const target = path.join(dir, name);
  const tmp = path.join(dir, `.${name}.nfsctl-${randomBytes(6).toString('hex')}`);
  const fh = await fs.open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    try {
      await fh.writeFile(content);
      await fh.sync();
      await fh.chmod(0o644);
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.unlink(tmp).catch(() => undefined);
    throw err;
  }
  const d = await fs.open(dir, constants.O_RDONLY).catch(() => null);
  if (d)
    await d
      .sync()
      .catch(() => undefined)
      .finally(() => d.close());
  return target;
}
