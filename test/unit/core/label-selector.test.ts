import { describe, expect, it } from 'vitest';
import { matchesSelector, parseLabelSelector } from '../../../src/core/label-selector.js';
import { UsageError } from '../../../src/core/errors.js';

const gold = { tier: 'gold', app: 'db' };
const silver = { tier: 'silver' };
const none = {};
const match = (sel: string) => [gold, silver, none].map((l) => matchesSelector(l, parseLabelSelector(sel)));

describe('label selectors as kubectl reads them', () => {
  it('=, ==, !=, in, notin, exists, !exists, and their conjunction', () => {
    expect(match('tier=gold')).toEqual([true, false, false]);
    expect(match('tier==gold')).toEqual([true, false, false]);
    // != and notin match objects without the key too (Kubernetes semantics)
    expect(match('tier!=gold')).toEqual([false, true, true]);
    expect(match('tier in (gold, silver)')).toEqual([true, true, false]);
    expect(match('tier notin (gold)')).toEqual([false, true, true]);
    expect(match('tier')).toEqual([true, true, false]);
    expect(match('!tier')).toEqual([false, false, true]);
    expect(match('tier in (gold,silver),!app')).toEqual([false, true, false]);
    expect(match('example.com/x=')).toEqual([false, false, false]);
    expect(matchesSelector({ 'example.com/x': '' }, parseLabelSelector('example.com/x='))).toBe(true);
  });
  it('bad selectors are usage errors naming the selector', () => {
    for (const bad of [
      '',
      ',',
      'tier=',
      'a=b,',
      'tier in ()',
      'tier in (gold',
      'tier in gold)',
      'tier>5',
      'Tier Gold',
      'tier=gold=x',
      'tier=-x',
      'UPPER_/x=1',
      '!',
      'a=b c',
    ]) {
      if (bad === 'tier=') continue; // an empty value is a valid value
      let err: unknown;
      try {
        parseLabelSelector(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(UsageError);
      expect((err as Error).message, bad).toContain('-l');
    }
    expect(parseLabelSelector('tier=')).toEqual([{ key: 'tier', op: 'eq', values: [''] }]);
  });
});
