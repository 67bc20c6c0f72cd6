// troubleshoot-mount prints its chain in the order of the walk: the broken link last, its fix
// on the line right above the verdict (health keeps problems first).
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { renderFindings } from '../../../src/health/render.js';
import type { Finding } from '../../../src/health/check.js';

const plain = new Chalk({ level: 0 });
const chain: Finding[] = [
  { id: 'exists', host: null, status: 'ok', title: 'lab/x exists', evidence: 'xfsquota' },
  { id: 'in-place', host: 'primary', status: 'warn', title: 'quota', evidence: '8Mi of 8Mi used' },
  {
    id: 'write-quota',
    host: 'client',
    status: 'critical',
    title: 'lab/x is at its quota',
    evidence: 'x',
    fix: 'nfsctl volume resize lab/x --size 16M',
  },
];

describe('render order', () => {
  it('in order: the broken link and its fix come last', () => {
    const lines = renderFindings(chain, plain, true, true).split('\n');
    expect(lines[0]).toMatch(/^✔ lab\/x exists/);
    expect(lines.at(-2)).toMatch(/^✖ \[client\] lab\/x is at its quota/);
    expect(lines.at(-1)).toBe('    fix: nfsctl volume resize lab/x --size 16M');
  });
  it('health: problems first', () => {
    expect(renderFindings(chain, plain, true).split('\n')[0]).toMatch(/^✖/);
  });
});
