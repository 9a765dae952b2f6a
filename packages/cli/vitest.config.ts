import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'cli',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Builds the test images (clang-16, umoci, skopeo) and starts docker-registry on 127.0.0.1.
    globalSetup: ['test/global-setup.ts'],
  },
});
