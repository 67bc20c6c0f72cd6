// Fixture for the SIGKILL test: nfsctl's own atomic write (dist build), of a big file.
import { LocalHost } from '../../dist/host/local.js';
const [path, fill, megabytes] = process.argv.slice(2);
const line = `/nfs/${fill} 198.51.100.0/24(rw,sync,no_subtree_check) # nfsctl:${fill}\n`;
const content = line.repeat(Math.ceil((Number(megabytes) * 1024 * 1024) / line.length));
process.stdout.write('start\n');
await new LocalHost('local').writeFileAtomic(path, content, { backup: false });
process.stdout.write('done\n');
