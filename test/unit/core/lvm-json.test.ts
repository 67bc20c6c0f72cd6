import { describe, expect, it } from 'vitest';

import { OutputParseError, UsageError } from '../../../src/core/errors.js';
import {
  NFSCTL_TAG,
  decodeMetaTags,
  encodeMetaTags,
  isMetaTag,
  lvmTagProblem,
  parseLvmBytes,
  parseLvmTags,
  parseLvsJson,
  parseVgsJson,
  planTagUpdate,
  type VolumeMetaInput,
} from '../../../src/core/lvm-json.js';

// Shape copied from `lvs --reportformat json --units b --nosuffix -o lv_name,vg_name,lv_size,lv_tags,lv_attr,lv_path,lv_active`
// (LVM 2.03): two-space indented, one record per line, every value a string.
const LVS = `  {
      "report": [
          {
              "lv": [
                  {"lv_name":"pv.team-a.data", "vg_name":"vg_nfs", "lv_size":"10737418240", "lv_tags":"nfsctl,nfsctl.meta.0.1=eyJ2IjoxfQ", "lv_attr":"-wi-ao----", "lv_path":"/dev/vg_nfs/pv.team-a.data", "lv_active":"active"},
                  {"lv_name":"root", "vg_name":"vg_sys", "lv_size":"21474836480", "lv_tags":"", "lv_attr":"-wi-ao----", "lv_path":"/dev/vg_sys/root", "lv_active":"active"},
                  {"lv_name":"pv.team-b.logs", "vg_name":"vg_nfs", "lv_size":"1073741824", "lv_tags":"nfsctl", "lv_attr":"-wi-------", "lv_path":"/dev/vg_nfs/pv.team-b.logs", "lv_active":""},
                  {"lv_name":"thinpool", "vg_name":"vg_nfs", "lv_size":"53687091200", "lv_tags":"", "lv_attr":"twi-aotz--", "lv_path":"", "lv_active":"active"}
              ]
          }
      ]
  }
`;

const VGS = `  {
      "report": [
          {
              "vg": [
                  {"vg_name":"vg_nfs", "vg_size":"107369988096", "vg_free":"42945478656", "vg_extent_size":"4194304"},
                  {"vg_name":"vg_sys", "vg_size":"63883804672", "vg_free":"0", "vg_extent_size":"4194304"}
              ]
          }
      ]
  }
`;

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('parseLvsJson', () => {
  it('reads LV records', () => {
    const lvs = parseLvsJson(LVS);
    expect(lvs).toHaveLength(4);
    expect(lvs[0]).toEqual({
      name: 'pv.team-a.data',
      vg: 'vg_nfs',
      size: 10737418240,
      tags: ['nfsctl', 'nfsctl.meta.0.1=eyJ2IjoxfQ'],
      attr: '-wi-ao----',
      path: '/dev/vg_nfs/pv.team-a.data',
      active: true,
      open: true,
      uuid: null,
    });
    expect(lvs[1]?.tags).toEqual([]);
    expect(lvs[2]).toMatchObject({ active: false, open: false, tags: [NFSCTL_TAG] });
    expect(lvs[3]?.path).toBeNull();
  });

  it('reads an empty report', () => {
    expect(
      parseLvsJson(
        '  {\n      "report": [\n          {\n              "lv": [\n              ]\n          }\n      ]\n  }\n',
      ),
    ).toEqual([]);
  });

  it('combines several report sections (one per VG with some options)', () => {
    const two = JSON.stringify({
      report: [
        { lv: [{ lv_name: 'a', vg_name: 'v1', lv_size: '4194304', lv_attr: '-wi-a-----' }] },
        { lv: [{ lv_name: 'b', vg_name: 'v2', lv_size: '8388608', lv_attr: '-wi-------' }] },
      ],
    });
    expect(parseLvsJson(two).map((l) => [l.name, l.size, l.active])).toEqual([
      ['a', 4194304, true],
      ['b', 8388608, false],
    ]);
  });

  it('accepts json_std output (numbers and tag arrays) and the log section', () => {
    const std = JSON.stringify({
      report: [
        {
          lv: [
            {
              lv_name: 'a',
              vg_name: 'v',
              lv_size: 4194304,
              lv_tags: ['x', 'y'],
              lv_attr: '-wi-a-----',
              lv_active: 'active',
            },
          ],
        },
      ],
      log: [
        {
          log_seq_num: 1,
          log_type: 'status',
          log_context: 'shell',
          log_object_type: 'cmd',
          log_message: 'success',
          log_errno: 0,
          log_ret_code: 1,
        },
      ],
    });
    expect(parseLvsJson(std)[0]).toMatchObject({ size: 4194304, tags: ['x', 'y'] });
  });

  it('skips WARNING lines that some LVM builds print on stdout', () => {
    const noisy = `  WARNING: Not using device /dev/sdc for PV abc.\n  WARNING: PV abc prefers device /dev/sdb.\n${LVS}`;
    expect(parseLvsJson(noisy)).toHaveLength(4);
  });

  it('stderr-only warnings never reach the parser (stdout alone is valid JSON)', () => {
    expect(() => JSON.parse(LVS)).not.toThrow();
  });

  it('rejects sizes not in bytes, with a hint', () => {
    const wrong = LVS.replace('"10737418240"', '"10.00g"');
    const err = errorOf(() => parseLvsJson(wrong));
    expect(err).toBeInstanceOf(OutputParseError);
    expect(err.message).toMatch(/--units b --nosuffix/);
  });

  it('rejects junk', () => {
    expect(errorOf(() => parseLvsJson(''))).toBeInstanceOf(OutputParseError);
    expect(errorOf(() => parseLvsJson('  Volume group "vg" not found\n'))).toBeInstanceOf(OutputParseError);
    expect(errorOf(() => parseLvsJson('{"report": 1}')).message).toMatch(/no "report" array/);
    expect(errorOf(() => parseLvsJson('{"report": [ {"lv": [ {"lv_name": "x"} ] } ]')).message).toMatch(/invalid JSON/);
    expect(errorOf(() => parseLvsJson('{"report": [ {"lv": [ {"lv_name": "x"} ] } ]}')).message).toMatch(/vg_name/);
  });

  it('parseLvmBytes and parseLvmTags handle the field variants', () => {
    expect(parseLvmBytes('4194304', 'x')).toBe(4194304);
    expect(parseLvmBytes('4194304B', 'x')).toBe(4194304);
    expect(parseLvmBytes(0, 'x')).toBe(0);
    expect(() => parseLvmBytes('99999999999999999999', 'x')).toThrow(OutputParseError);
    expect(() => parseLvmBytes(1.5, 'x')).toThrow(OutputParseError);
    expect(parseLvmTags('a,b,,c')).toEqual(['a', 'b', 'c']);
    expect(parseLvmTags('')).toEqual([]);
    expect(parseLvmTags(undefined)).toEqual([]);
  });
});

describe('parseVgsJson', () => {
  it('reads VG records', () => {
    expect(parseVgsJson(VGS)).toEqual([
      { name: 'vg_nfs', size: 107369988096, free: 42945478656, extentSize: 4194304 },
      { name: 'vg_sys', size: 63883804672, free: 0, extentSize: 4194304 },
    ]);
  });

  it('requires the size fields', () => {
    expect(errorOf(() => parseVgsJson('{"report":[{"vg":[{"vg_name":"x"}]}]}')).message).toMatch(/vg_size/);
  });
});

describe('metadata tags', () => {
  const meta: VolumeMetaInput = {
    v: 1,
    namespace: 'team-a',
    name: 'data',
    labels: { app: 'postgres', 'example.com/tier': 'gold' },
    createdAt: '2025-01-02T03:04:05.000Z',
    createdBy: 'alice@nfs-1',
    backend: 'lvm',
    size: 10737418240,
  };

  it('round-trips', () => {
    const tags = encodeMetaTags(meta);
    expect(tags[0]).toBe('nfsctl');
    for (const t of tags) expect(lvmTagProblem(t)).toBeNull();
    expect(decodeMetaTags(tags)).toEqual(meta);
  });

  it('splits large metadata into several legal tags and reassembles in any order', () => {
    const labels: Record<string, string> = {};
    for (let i = 0; i < 60; i++) labels[`label-${i}`] = 'v'.repeat(40);
    const big = { ...meta, labels };
    const tags = encodeMetaTags(big);
    expect(tags.length).toBeGreaterThan(3);
    for (const t of tags) {
      expect(t.length).toBeLessThanOrEqual(1024);
      expect(lvmTagProblem(t)).toBeNull();
    }
    expect(decodeMetaTags([...tags].reverse())).toEqual(big);
  });

  it('keeps unknown fields from newer versions', () => {
    const tags = encodeMetaTags({ ...meta, futureField: { x: 1 } } as VolumeMetaInput);
    expect(decodeMetaTags(tags)).toMatchObject({ futureField: { x: 1 } });
  });

  it('returns null for LVs without metadata, ignoring foreign tags', () => {
    expect(decodeMetaTags([])).toBeNull();
    expect(decodeMetaTags(['nfsctl', 'backup', 'owner=bob'])).toBeNull();
  });

  it('detects missing, mixed or corrupt chunks', () => {
    const labels: Record<string, string> = {};
    for (let i = 0; i < 40; i++) labels[`k${i}`] = 'x'.repeat(40);
    const tags = encodeMetaTags({ ...meta, labels }).filter(isMetaTag);
    expect(tags.length).toBeGreaterThan(1);
    expect(errorOf(() => decodeMetaTags(tags.slice(1))).message).toMatch(/chunk 0 of \d+ is missing/);
    expect(errorOf(() => decodeMetaTags([...tags, 'nfsctl.meta.0.1=eyJ2IjoxfQ'])).message).toMatch(/disagree/);
    expect(errorOf(() => decodeMetaTags(['nfsctl.meta.0.1=!!!'])).message).toMatch(/malformed/);
    expect(errorOf(() => decodeMetaTags(['nfsctl.meta.1.1=abc'])).message).toMatch(/out of range/);
    expect(errorOf(() => decodeMetaTags(['nfsctl.meta.0.1=bm90IGpzb24'])).message).toMatch(/do not decode to JSON/);
    const wrongShape = Buffer.from(JSON.stringify({ v: 1, namespace: 'a' })).toString('base64url');
    expect(errorOf(() => decodeMetaTags([`nfsctl.meta.0.1=${wrongShape}`]))).toBeInstanceOf(OutputParseError);
  });

  it('rejects invalid or oversized metadata when encoding', () => {
    expect(errorOf(() => encodeMetaTags({ ...meta, size: 0 }))).toBeInstanceOf(UsageError);
    expect(errorOf(() => encodeMetaTags({ ...meta, backend: 'zfs' as 'lvm' })).message).toMatch(/backend/);
    expect(errorOf(() => encodeMetaTags({ ...meta, labels: { huge: 'x'.repeat(20000) } })).message).toMatch(
      /too large/,
    );
  });

  it('plans minimal tag changes', () => {
    const current = ['backup-daily', ...encodeMetaTags(meta)];
    expect(planTagUpdate(current, meta)).toEqual({ add: [], remove: [] });
    const changed = planTagUpdate(current, { ...meta, size: 2 * 10737418240 });
    expect(changed.add).toHaveLength(1);
    expect(changed.remove).toEqual(current.filter(isMetaTag));
    expect(changed.remove).not.toContain('backup-daily');
    expect(planTagUpdate([], meta).add[0]).toBe('nfsctl');
  });

  it('lvmTagProblem follows LVM tag rules', () => {
    expect(lvmTagProblem('ok_tag+1.2-3/4=5!6:7&8#9')).toBeNull();
    expect(lvmTagProblem('has space')).toMatch(/characters/);
    expect(lvmTagProblem('comma,tag')).toMatch(/characters/);
    expect(lvmTagProblem('-lead')).toMatch(/starts with "-"/);
    expect(lvmTagProblem('x'.repeat(1025))).toMatch(/1024/);
    expect(lvmTagProblem('')).toMatch(/empty/);
  });
});
