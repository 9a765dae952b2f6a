import { defineProject } from 'vitest/config';

// Fixtures (*.fixture.ts, suite-defects/) are not tests; suite-defects has its own config.
export default defineProject({
  test: {
    name: 'core',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Builds the test images (clang-16, umoci, skopeo) and starts docker-registry on 127.0.0.1.
    globalSetup: ['test/global-setup.ts'],
  },
});
