import { isMagikrunError } from '@magikrun/core';
import { describe, expect, it } from 'vitest';
import { fromBindingError } from './errors.js';

describe('fromBindingError', () => {
  it('maps "[CODE] text" onto the MagikrunError of that code', () => {
    const e = fromBindingError(new Error('[DIGEST_MISMATCH] module m hashes to sha256:aa'), 'create "x"', { id: 'x' });
    expect(isMagikrunError(e, 'DIGEST_MISMATCH')).toBe(true);
    expect(e.message).toBe('create "x": module m hashes to sha256:aa');
    expect(e.details).toEqual({ id: 'x' });
  });

  it('keeps multi-line messages whole', () => {
    expect(fromBindingError(new Error('[INVALID_ARGUMENT] a\nb'), 'c').message).toBe('c: a\nb');
  });

  it('turns anything else (unknown code, no code, non-errors) into INTERNAL', () => {
    expect(fromBindingError(new Error('[BOGUS] x'), 'c').code).toBe('INTERNAL');
    expect(fromBindingError(new Error('panicked'), 'c').code).toBe('INTERNAL');
    expect(fromBindingError('weird', 'c').code).toBe('INTERNAL');
  });
});
