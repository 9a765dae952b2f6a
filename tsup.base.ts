import type { Options } from 'tsup';

/** Shared build settings: ESM, declarations, Node 20 target. Each package extends this. */
export const base: Options = {
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: false,
  treeshake: true,
};
