import { describe, expect, it } from 'vitest';
import { parseEnv, parseVolume } from './options.js';

describe('parseEnv (--env of run and bundle)', () => {
  const host = { FROM_HOST: 'host value', EMPTY: '' };

  it('keeps KEY=VALUE as given (an empty value too)', () => {
    expect(parseEnv(['A=1', 'B=', 'C=x=y'], host)).toEqual(['A=1', 'B=', 'C=x=y']);
  });

  it('takes a bare KEY from magikrun\'s own environment, an empty value included', () => {
    expect(parseEnv(['FROM_HOST', 'EMPTY'], host)).toEqual(['FROM_HOST=host value', 'EMPTY=']);
  });

  it('leaves out a bare KEY that is not set here, as docker run -e does', () => {
    expect(parseEnv(['NOT_SET_HERE', 'A=1', 'FROM_HOST'], host)).toEqual(['A=1', 'FROM_HOST=host value']);
    expect(parseEnv(['NOT_SET_HERE'], host)).toEqual([]);
  });

  it('refuses an empty key or a NUL byte in it', () => {
    for (const bad of ['=value', '', 'A\0B=1', 'A\0B']) {
      expect(() => parseEnv([bad], host), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});

describe('parseVolume', () => {
  it('HOST:GUEST[:ro|:rw], HOST relative to cwd, GUEST absolute', () => {
    expect(parseVolume('data:/data:ro', '/w')).toEqual({ hostPath: '/w/data', guestPath: '/data', readonly: true });
    expect(parseVolume('/d:/d', '/w')).toEqual({ hostPath: '/d', guestPath: '/d', readonly: false });
    expect(() => parseVolume('/d:rel', '/w')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseVolume('/d:/d:rx', '/w')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
