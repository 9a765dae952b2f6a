import { defineProject } from 'vitest/config';

// Fixtures (*.fixture.ts, suite-defects/) are not tests; suite-defects has its own config.
export default defineProject({
  test: {
    name: 'core',
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
