import path from 'node:path';
import { isMagikrunError } from '@magikrun/core';
import { afterEach, describe, expect, it } from 'vitest';
import { BINDING_ENV, loadBinding, platformSuffix, resetBindingForTests } from './load.js';

afterEach(() => resetBindingForTests());

describe('loadBinding', () => {
  it('loads the local .node built beside the package', () => {
    resetBindingForTests();
    expect(typeof loadBinding({}).BindingEngine).toBe('function');
  });

  it(`honours ${BINDING_ENV}, and fails with one UNAVAILABLE error listing the attempt`, () => {
    resetBindingForTests();
    const bogus = path.join('/nonexistent', 'magikrun-wasmtime.node');
    let caught: unknown;
    try {
      loadBinding({ [BINDING_ENV]: bogus });
    } catch (e) {
      caught = e;
    }
    expect(isMagikrunError(caught, 'UNAVAILABLE')).toBe(true);
    const e = caught as { message: string; details: { attempts: string[] } };
    expect(e.details.attempts).toHaveLength(1);
    expect(e.details.attempts[0]).toContain(`${bogus} (from ${BINDING_ENV})`);
    expect(e.message).toContain(bogus);
  });

  it("names platforms as napi-rs does", () => {
    expect(platformSuffix('darwin', 'arm64')).toBe('darwin-arm64');
    expect(platformSuffix('win32', 'x64')).toBe('win32-x64-msvc');
    expect(platformSuffix('linux', 'x64')).toMatch(/^linux-x64-(gnu|musl)$/);
  });
});
