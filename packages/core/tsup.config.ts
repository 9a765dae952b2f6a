import { defineConfig } from 'tsup';
import { base } from '../../tsup.base.js';

export default defineConfig({
  ...base,
  entry: {
    index: 'src/index.ts',
    'errors/index': 'src/errors.ts',
    'runtime/index': 'src/runtime/index.ts',
    'constants/index': 'src/constants.ts',
    'platform/index': 'src/platform/index.ts',
    'storage/index': 'src/storage/index.ts',
    'testing/index': 'src/testing/index.ts',
    'native/index': 'src/native/index.ts',
  },
  external: ['vitest'],
  // Shared modules (errors.ts above all) go into chunks the entries import, so a MagikrunError thrown
  // from `@magikrun/core/native` or `/testing` is the same class as `@magikrun/core`'s (`instanceof` holds).
  splitting: true,
});
