import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'runtime-wasmtime',
    include: ['src/**/*.test.ts'],
    // Compiles the C test programs with clang-16 + wasi-libc.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
