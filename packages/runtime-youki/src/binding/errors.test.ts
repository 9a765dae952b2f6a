import { describe, expect, it } from 'vitest';
import { fromBindingError } from './errors.js';

describe('fromBindingError', () => {
  it('maps "[CODE] text" onto core error codes, with context', () => {
    const e = fromBindingError(new Error('[INVALID_STATE] cannot kill container "x": its status is stopped'), 'kill "x"', { id: 'x' });
    expect(e).toMatchObject({ code: 'INVALID_STATE', message: 'kill "x": cannot kill container "x": its status is stopped', details: { id: 'x' } });
  });

  it('anything else (a panic, an unknown code) is INTERNAL', () => {
    expect(fromBindingError(new Error('thread panicked'), 'state "x"').code).toBe('INTERNAL');
    expect(fromBindingError(new Error('[NOPE] x'), 'state "x"').code).toBe('INTERNAL');
  });
});
