import { DEFAULT_WASM_FUEL, DEFAULT_WASM_MEMORY_SIZE, MAX_WASM_MODULE_SIZE } from '@magikrun/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WASM_STACK_SIZE, MAX_WASM_MEMORY_SIZE, resolveLimits, resolveStackSize } from './options.js';

describe('resolveLimits', () => {
  it('defaults', () => {
    expect(resolveLimits()).toEqual({
      fuel: DEFAULT_WASM_FUEL,
      wallClockMs: undefined,
      memorySize: DEFAULT_WASM_MEMORY_SIZE,
      tableElements: 100_000,
      instances: 1,
      tables: 1,
      memories: 1,
      openFiles: 1024,
      maxModuleSize: MAX_WASM_MODULE_SIZE,
    });
  });

  it('per-create values override runtime values; fuel:false means unlimited', () => {
    const r = resolveLimits({ fuel: 10, wallClockMs: 5000, memorySize: 1 << 20 }, { fuel: false, memorySize: 2 << 20 });
    expect(r).toMatchObject({ fuel: undefined, wallClockMs: 5000, memorySize: 2 << 20 });
  });

  it('lowering is free, raising needs allowAboveDefault from either layer, ceilings hold', () => {
    expect(() => resolveLimits({}, { fuel: DEFAULT_WASM_FUEL + 1 })).toThrow(/allowAboveDefault/);
    expect(resolveLimits({ allowAboveDefault: true }, { fuel: DEFAULT_WASM_FUEL + 1 }).fuel).toBe(DEFAULT_WASM_FUEL + 1);
    expect(resolveLimits({}, { memorySize: MAX_WASM_MEMORY_SIZE, allowAboveDefault: true }).memorySize).toBe(MAX_WASM_MEMORY_SIZE);
    expect(() => resolveLimits({}, { memorySize: MAX_WASM_MEMORY_SIZE + 1, allowAboveDefault: true })).toThrow(/hard ceiling/);
  });

  it('rejects non-positive or non-integer values', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => resolveLimits({}, { memorySize: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => resolveLimits({}, { wallClockMs: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('stack size', () => {
    expect(resolveStackSize({})).toBe(DEFAULT_WASM_STACK_SIZE);
    expect(resolveStackSize({ maxWasmStack: 4096 })).toBe(4096);
    expect(() => resolveStackSize({ maxWasmStack: 1 << 30, allowAboveDefault: true })).toThrow(/hard ceiling/);
  });
});
