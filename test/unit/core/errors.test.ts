import { describe, expect, it } from 'vitest';

import { NfsctlError, OutputParseError, PreconditionError, UsageError, excerpt } from '../../../src/core/errors.js';

describe('errors', () => {
  it('carry the exit code the CLI should use', () => {
    expect(new UsageError('bad').exitCode).toBe(2);
    expect(new PreconditionError('not now').exitCode).toBe(4);
    expect(new OutputParseError('huh').exitCode).toBe(1);
    expect(new NfsctlError('generic').exitCode).toBe(1);
    expect(new NfsctlError('custom', 7).exitCode).toBe(7);
  });

  it('are Errors with a useful name, message and cause', () => {
    const cause = new Error('root');
    const err = new PreconditionError('exports busy', { cause });
    expect(err).toBeInstanceOf(NfsctlError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('PreconditionError');
    expect(err.message).toBe('exports busy');
    expect(err.cause).toBe(cause);
    expect(new UsageError('x').name).toBe('UsageError');
    expect('cause' in new UsageError('x')).toBe(false);
  });

  it('excerpt quotes and shortens tool output', () => {
    expect(excerpt('a\nb')).toBe('"a\\nb"');
    expect(excerpt('x'.repeat(200), 10)).toBe(`"${'x'.repeat(10)}…"`);
  });
});
