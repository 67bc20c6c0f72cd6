import { describe, expect, it } from 'vitest';
import {
  DURATION_UNITS,
  ValueError,
  escapeControls,
  formatDuration,
  optionDuration,
  optionInt,
  parseDurationMs,
  parseStrictInt,
  quoteValue,
} from '../../../src/core/numbers.js';
import { UsageError } from '../../../src/core/errors.js';

describe('parseStrictInt', () => {
  it.each([
    ['0', 0],
    ['7', 7],
    ['500', 500],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('%s = %d', (text, n) => expect(parseStrictInt(text)).toBe(n));

  // Number() accepts every one of these (and reads "" as 0).
  it.each([
    ['', /empty/],
    ['1e3', /no exponent/],
    ['0x10', /not hex/],
    ['0o10', /not hex, octal/],
    ['0b1', /binary/],
    ['-1', /no sign/],
    ['+5', /no sign/],
    ['1.5', /no fraction/],
    ['1.', /no fraction/],
    [' 5', /no blanks/],
    ['5\n', /decimal digits only|no blanks/],
    ['010', /no leading zeros/],
    ['1_000', /decimal digits only/],
    ['Infinity', /decimal digits only/],
    ['NaN', /decimal digits only/],
    ['12345678901234567890', /too large/],
    ['٣', /decimal digits only/],
  ])('%j is refused (%s)', (text, why) => {
    expect(() => parseStrictInt(text)).toThrow(ValueError);
    expect(() => parseStrictInt(text)).toThrow(why);
  });

  it('checks the range and says it', () => {
    expect(() => parseStrictInt('0', { min: 1, max: 254 })).toThrow('expected a whole number from 1 to 254, got "0"');
    expect(() => parseStrictInt('255', { min: 1, max: 254 })).toThrow(/from 1 to 254/);
    expect(parseStrictInt('254', { min: 1, max: 254 })).toBe(254);
  });

  it('quotes the bad value without raw control characters', () => {
    const m = (() => {
      try {
        parseStrictInt('1\u001b[2J');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(m).toContain('"1\\u001b[2J"');
    expect(m).not.toMatch(/\u001b/);
  });
});

describe('parseDurationMs / formatDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
  ])('%s = %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each([
    '',
    '15',
    '900000',
    '15 m',
    '15M',
    '1.5h',
    '-5m',
    '+5m',
    '015m',
    '5min',
    '1h30m',
    'm',
    '0x10s',
    '1e3s',
    '15m\n',
  ])('%j is refused', (text) => {
    expect(() => parseDurationMs(text)).toThrow(ValueError);
  });

  it('refuses 0 by default and values out of range, naming the range', () => {
    expect(() => parseDurationMs('0m')).toThrow(/from 1ms to 30d/);
    expect(() => parseDurationMs('25h', { minMs: 60_000, maxMs: DURATION_UNITS.d })).toThrow(
      'expected a duration from 1m to 1d, got "25h"',
    );
    expect(() => parseDurationMs('30s', { minMs: 60_000 })).toThrow(/from 1m/);
  });

  it.each([
    [900_000, '15m'],
    [5000, '5s'],
    [1500, '1500ms'],
    [90 * 60_000, '90m'],
    [3_600_000, '1h'],
    [86_400_000, '1d'],
    [0, '0s'],
  ])('formatDuration(%d) = %s, and it parses back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    if (ms > 0) expect(parseDurationMs(text)).toBe(ms);
  });
});

describe('option parsers', () => {
  it('name the option and are usage errors (exit 2)', () => {
    expect(() => optionInt('--max-delete', '1e3', 500)).toThrow(UsageError);
    expect(() => optionInt('--max-delete', '1e3', 500)).toThrow(
      /^--max-delete: expected a whole number 0 or more \(no exponent\), got "1e3"$/,
    );
    expect(optionInt('--max-delete', undefined, 500)).toBe(500);
    expect(optionInt('--max-delete', '0', 500)).toBe(0);
    expect(() => optionDuration('--interval', '15', 1)).toThrow(
      /^--interval: expected a duration like 500ms, 5s, 15m or 1h \(a unit is needed/,
    );
    expect(optionDuration('--interval', undefined, 42)).toBe(42);
    expect(optionDuration('--interval', '2h', 42)).toBe(7_200_000);
  });

  it('quoteValue / escapeControls never let a control character through', () => {
    for (const c of ['\u0000', '\u0007', '\u001b', '\n', '\r', '\u007f', '\u009b', '\u2028']) {
      expect(quoteValue(`a${c}b`)).not.toContain(c);
      if (c !== '\n') expect(escapeControls(`a${c}b`)).not.toContain(c);
    }
    expect(escapeControls('line 1\nline 2')).toBe('line 1\nline 2'); // newlines separate the lines of a message
    expect(quoteValue('x'.repeat(200))).toHaveLength(83);
  });
});
