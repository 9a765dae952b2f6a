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

  it("names argv[0] in details.entrypoint for libcontainer's executor refusals, only under their codes", () => {
    const missing = fromBindingError(new Error("[NOT_FOUND] libcontainer could not create the container: exec process failed with error error in executing process : executable 'it's-missing' not found in $PATH; the process args[0] must…"), 'create "x"', { id: 'x' });
    expect(missing).toMatchObject({ code: 'NOT_FOUND', details: { id: 'x', entrypoint: "it's-missing" } });
    const noExec = fromBindingError(new Error("[INVALID_ARGUMENT] …: executable '/s.sh' at path '\"/s.sh\"' does not have correct permissions; …"), 'create "x"', { id: 'x' });
    expect(noExec).toMatchObject({ code: 'INVALID_ARGUMENT', details: { id: 'x', entrypoint: '/s.sh' } });
    expect(fromBindingError(new Error("[INTERNAL] executable 'a' not found in $PATH"), 'create "x"').details).toEqual({});
    expect(fromBindingError(new Error('[NOT_FOUND] container "x" not found'), 'state "x"').details).toEqual({});
  });
});
