import { isMagikrunError } from '@magikrun/core';
import { describe, expect, it } from 'vitest';
import { callBinding, fromBindingError } from './errors.js';
import { loadBinding } from './load.js';

/** The real binding: its errors cross as data (crates/native-error), not as text. */
function engine() {
  return new (loadBinding().BindingEngine)({ maxWasmStack: 512 * 1024 });
}

describe('errors of the real wasmtime binding', () => {
  it("a synchronous throw carries the code in its code property and the text alone in its message", () => {
    let thrown: unknown;
    try {
      engine().cacheEntryPath('sha256:not-hex');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as { code?: unknown }).code).toBe('INVALID_ARGUMENT');
    expect((thrown as Error).message).not.toMatch(/^\[|INVALID_ARGUMENT/);
    const mapped = fromBindingError(thrown, 'cache entry', { digest: 'x' });
    expect(isMagikrunError(mapped, 'INVALID_ARGUMENT')).toBe(true);
    expect(mapped.details).toEqual({ digest: 'x' });
    expect(mapped.cause).toBe(thrown);
  });

  it('a rejected promise does too (built back on the JavaScript thread)', async () => {
    const e = engine();
    await expect(e.wait(987654)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(callBinding(() => e.wait(987654), 'wait "x"', { id: 'x' })).rejects.toMatchObject({
      name: 'MagikrunError',
      code: 'NOT_FOUND',
      message: expect.stringMatching(/^wait "x": /),
      details: { id: 'x' },
    });
    const missing = callBinding(
      () =>
        e.create({
          modulePath: '/nonexistent/module.wasm',
          moduleDigest: `sha256:${'0'.repeat(64)}`,
          maxModuleSize: 1024,
          args: ['m'],
          env: [],
          preopens: [],
          stdin: { kind: 'ignore' },
          stdout: { kind: 'ignore' },
          stderr: { kind: 'ignore' },
          memorySize: 1 << 20,
          tableElements: 1000,
          instances: 1,
          tables: 1,
          memories: 1,
          openFiles: 16,
        }),
      'create "x"',
    );
    await expect(missing).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("napi's own argument errors carry napi's status, which is no ErrorCode: INTERNAL", () => {
    let thrown: unknown;
    try {
      (engine() as unknown as { start(h: unknown): void }).start('not a number');
    } catch (e) {
      thrown = e;
    }
    expect((thrown as { code?: unknown }).code).toBe('NumberExpected');
    expect(fromBindingError(thrown, 'start "x"').code).toBe('INTERNAL');
  });
});
