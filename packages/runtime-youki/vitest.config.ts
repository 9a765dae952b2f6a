import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'runtime-youki',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Builds the busybox test image (umoci, Debian busybox-static) and its bundle.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
