import { describe, expect, it } from 'vitest';

import { UsageError } from '../../../src/core/errors.js';
import { GiB, KiB, MAX_SIZE_BYTES, MiB, PiB, TiB, formatSize, parseSize, roundUpTo } from '../../../src/core/sizes.js';

describe('parseSize: accepted', () => {
  it.each([
    ['500M', 500 * MiB],
    ['10G', 10 * GiB],
    ['10Gi', 10 * GiB],
    ['10GiB', 10 * GiB],
    ['1T', TiB],
    ['1024K', MiB],
    ['1Ki', KiB],
    ['4096B', 4096],
    ['1B', 1],
    ['1.5K', 1536],
    ['1.5G', 1.5 * GiB],
    ['0.5K', 512],
    ['2.25M', 2.25 * MiB],
    ['0.125K', 128],
  ])('%s = %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
    expect(Number.isSafeInteger(parseSize(input))).toBe(true);
  });

  it('accepts exactly 1P and leading zeros', () => {
    expect(parseSize('1P')).toBe(PiB);
    expect(parseSize('1024T')).toBe(PiB);
    expect(parseSize('010G')).toBe(10 * GiB);
  });
});

describe('parseSize: rejected', () => {
  it.each([
    ['', /empty/],
    ['10', /missing unit \(plain byte counts need a "B" suffix\)/],
    ['0G', /greater than zero/],
    ['0.0M', /greater than zero/],
    ['-1G', /negative/],
    ['+1G', /leading "\+"/],
    ['0.1K', /whole number of bytes/],
    ['1.5B', /whole number of bytes/],
    ['1.3333G', /whole number of bytes/],
    ['0.001P', /whole number of bytes/],
    ['1.5P', /1 PiB/],
    ['2P', /1 PiB/],
    ['1025T', /1 PiB/],
    ['10GB', /"GB" is ambiguous .* write "G" or "GiB"/],
    ['10MB', /"MB" is ambiguous/],
    ['10g', /upper case/],
    ['10gi', /upper case/],
    ['1e3G', /exponent/],
    ['10 G', /whitespace/],
    [' 10G', /whitespace/],
    ['10G ', /whitespace/],
    ['.5G', /malformed number/],
    ['5.G', /malformed number/],
    ['G', /not a size/],
    ['10X', /not a size/],
    ['10Gib', /not a size/],
    ['10iG', /not a size/],
    ['1,5G', /not a size/],
    ['0x10G', /not a size/],
    ['99999999999999999999999999999G', /too long|1 PiB/],
  ])('%j', (input, why) => {
    let msg = '';
    try {
      parseSize(input);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      msg = (err as Error).message;
    }
    expect(msg).toMatch(why);
    expect(msg).toContain('binary units');
  });
});

describe('formatSize', () => {
  it.each([
    [0, '0B'],
    [1, '1B'],
    [1023, '1023B'],
    [1024, '1Ki'],
    [1536, '1.5Ki'],
    [10 * GiB, '10Gi'],
    [1.5 * TiB, '1.5Ti'],
    [PiB, '1Pi'],
    [1234567, '1.18Mi'],
    [MiB - 1, '1Mi'], // 1023.999Ki rounds up into the next unit
  ])('%d -> %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it('round-trips through parseSize when exact', () => {
    for (const s of ['10G', '1.5K', '4096B', '500M', '1.25T', '1P', '3B']) {
      const bytes = parseSize(s);
      expect(parseSize(formatSize(bytes, { exact: true }))).toBe(bytes);
    }
    expect(formatSize(1234567, { exact: true })).toBe('1234567B');
    expect(formatSize(1536, { exact: true })).toBe('1.5Ki');
    expect(formatSize(MAX_SIZE_BYTES - KiB, { exact: true })).toBe('1099511627775Ki');
    expect(formatSize(MAX_SIZE_BYTES - MiB, { exact: true })).toBe('1073741823Mi');
    expect(parseSize(formatSize(MAX_SIZE_BYTES - KiB, { exact: true }))).toBe(MAX_SIZE_BYTES - KiB);
  });

  it('rejects non-integers and negatives', () => {
    expect(() => formatSize(-1)).toThrow(RangeError);
    expect(() => formatSize(1.5)).toThrow(RangeError);
    expect(() => formatSize(Number.MAX_SAFE_INTEGER + 2)).toThrow(RangeError);
  });
});

describe('roundUpTo', () => {
  const extent = 4 * MiB;
  it('rounds up to whole extents', () => {
    expect(roundUpTo(10 * GiB, extent)).toBe(10 * GiB);
    expect(roundUpTo(10 * GiB + 1, extent)).toBe(10 * GiB + extent);
    expect(roundUpTo(1, extent)).toBe(extent);
    expect(roundUpTo(0, extent)).toBe(0);
    expect(roundUpTo(PiB - 1, extent)).toBe(PiB);
  });

  it('is exact near the top of the safe range', () => {
    const big = 2 ** 52 + 3;
    expect(roundUpTo(big, 2)).toBe(2 ** 52 + 4);
  });

  it('rejects bad input', () => {
    expect(() => roundUpTo(10, 0)).toThrow(RangeError);
    expect(() => roundUpTo(-1, 4)).toThrow(RangeError);
    expect(() => roundUpTo(1.5, 4)).toThrow(RangeError);
    expect(() => roundUpTo(Number.MAX_SAFE_INTEGER, 2 ** 52)).toThrow(RangeError);
  });
});
