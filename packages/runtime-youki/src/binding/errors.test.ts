import { describe, expect, it } from 'vitest';
import { callBinding, fromBindingError, fromMonitorFailure } from './errors.js';

/** An error as the binding throws it: `code` is data (crates/native-error). */
function nativeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('fromBindingError', () => {
  it("takes the code from the error's code property, with context", () => {
    const e = fromBindingError(nativeError('INVALID_STATE', 'cannot kill container "x": its status is stopped'), 'kill "x"', { id: 'x' });
    expect(e).toMatchObject({ code: 'INVALID_STATE', message: 'kill "x": cannot kill container "x": its status is stopped', details: { id: 'x' } });
  });

  it("never reads a code out of the message; napi's own codes and plain errors are INTERNAL", () => {
    expect(fromBindingError(new Error('[NOT_FOUND] x'), 'state "x"').code).toBe('INTERNAL');
    expect(fromBindingError(nativeError('InvalidArg', 'Failed to convert JavaScript value'), 'state "x"').code).toBe('INTERNAL');
    expect(fromBindingError(new Error('thread panicked'), 'state "x"').message).toMatch(/the youki binding failed unexpectedly/);
  });
});

describe('fromMonitorFailure', () => {
  it('takes the code from the report and names argv[0] in details.entrypoint only under the executor codes', () => {
    const missing = fromMonitorFailure({ code: 'NOT_FOUND', message: "libcontainer could not create the container: exec process failed with error error in executing process : executable 'it's-missing' not found in $PATH; the process args[0] must…" }, 'create "x"', { id: 'x' });
    expect(missing).toMatchObject({ code: 'NOT_FOUND', details: { id: 'x', entrypoint: "it's-missing" } });
    const noExec = fromMonitorFailure({ code: 'INVALID_ARGUMENT', message: "…: executable '/s.sh' at path '\"/s.sh\"' does not have correct permissions; …" }, 'create "x"', { id: 'x' });
    expect(noExec).toMatchObject({ code: 'INVALID_ARGUMENT', details: { id: 'x', entrypoint: '/s.sh' } });
    expect(fromMonitorFailure({ code: 'INTERNAL', message: "executable 'a' not found in $PATH" }, 'create "x"').details).toEqual({});
    expect(fromMonitorFailure({ code: 'NOT_FOUND', message: 'container "x" not found' }, 'state "x"').details).toEqual({});
  });

  it('an unknown code in a report is INTERNAL', () => {
    expect(fromMonitorFailure({ code: 'NOPE', message: 'x' }, 'create "x"').code).toBe('INTERNAL');
  });
});

describe('errors of the real youki binding', () => {
  it('throw and reject with the code as data', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { loadBinding } = await import('./load.js');
    const { BindingRuntime } = loadBinding().binding;
    expect(() => new BindingRuntime('relative/root')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const root = mkdtempSync(`${tmpdir()}/magikrun-errors-`);
    try {
      const rt = new BindingRuntime(root);
      expect(() => rt.state('absent')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
      await expect(rt.start('absent')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(callBinding(() => rt.kill('absent', 15), 'kill "absent"', { id: 'absent' })).rejects.toMatchObject({
        name: 'MagikrunError',
        code: 'NOT_FOUND',
        details: { id: 'absent' },
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
