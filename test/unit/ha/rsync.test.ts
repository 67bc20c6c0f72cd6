import { describe, expect, it } from 'vitest';
import { parseItemLine, parseRsyncOutput, parseRsyncNumber, rsyncExitMeaning } from '../../../src/core/rsync.js';

const OUT = `.d..t...... ./
*deleting   drill_data/old file.txt
*deleting   drill_data/gone/
cd+++++++++ drill_data/new/
>f+++++++++ drill_data/new/a.bin
>f.st...... drill_data/f1
.f....og... drill_data/owner-only
cL+++++++++ drill_data/link -> a.bin
hf+++++++++ drill_data/hard => drill_data/f1

Number of files: 1,234 (reg: 1,000, dir: 234)
Number of created files: 3 (reg: 2, dir: 1)
Number of deleted files: 2 (reg: 1, dir: 1)
Number of regular files transferred: 2
Total file size: 1,234,567,890 bytes
Total transferred file size: 12,345 bytes
Literal data: 12,345 bytes
Matched data: 0 bytes
File list size: 0
Total bytes sent: 1,024
Total bytes received: 13,000

sent 1,024 bytes  received 13,000 bytes  28,048.00 bytes/sec
total size is 1,234,567,890  speedup is 88,032.58 (DRY RUN)
`;

describe('rsync --itemize-changes / --stats parsing', () => {
  it('itemised lines: deletions (with spaces), transfers, creates, attrs, links', () => {
    const r = parseRsyncOutput(OUT);
    expect(r.deletions).toEqual(['drill_data/old file.txt', 'drill_data/gone/']);
    expect(r.transfers).toEqual(['drill_data/new/a.bin', 'drill_data/f1']);
    expect(r.changes.find((c) => c.path === 'drill_data/new/')).toMatchObject({ op: 'create', type: 'd', isNew: true });
    expect(r.changes.find((c) => c.path === 'drill_data/owner-only')).toMatchObject({
      op: 'attrs',
      type: 'f',
      isNew: false,
    });
    expect(r.changes.find((c) => c.path.startsWith('drill_data/link'))).toMatchObject({ op: 'create', type: 'L' });
    expect(r.changes.find((c) => c.path.startsWith('drill_data/hard'))).toMatchObject({ op: 'hardlink' });
    expect(parseItemLine('Number of files: 3')).toBeNull();
    expect(parseItemLine('')).toBeNull();
  });
  it('stats with thousands separators, and the dry-run marker', () => {
    const s = parseRsyncOutput(OUT).stats;
    expect(s).toMatchObject({
      files: 1234,
      createdFiles: 3,
      deletedFiles: 2,
      transferredFiles: 2,
      totalFileSize: 1234567890,
      transferredFileSize: 12345,
      literalData: 12345,
      bytesSent: 1024,
      bytesReceived: 13000,
      dryRun: true,
    });
    expect(parseRsyncOutput('Number of files: 7\nTotal file size: 300019 bytes\n').stats).toMatchObject({
      files: 7,
      totalFileSize: 300019,
      dryRun: false,
      deletedFiles: null,
    });
  });
  it('numbers: plain, grouped, human-readable', () => {
    expect(parseRsyncNumber('1,234')).toBe(1234);
    expect(parseRsyncNumber('1234')).toBe(1234);
    expect(parseRsyncNumber('1.50K')).toBe(1536);
    expect(parseRsyncNumber('x')).toBeNull();
  });
  it('exit codes: 24 (vanished files) is fine for a live tree, 20/23/25 are not', () => {
    expect(rsyncExitMeaning(0).ok).toBe(true);
    expect(rsyncExitMeaning(24).ok).toBe(true);
    expect(rsyncExitMeaning(20)).toMatchObject({ ok: false });
    expect(rsyncExitMeaning(25).text).toMatch(/max-delete/);
  });
});
