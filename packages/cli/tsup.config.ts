import { defineConfig } from 'tsup';
import { base } from '../../tsup.base.js';

export default defineConfig({
  ...base,
  entry: { bin: 'src/main/bin.ts' },
  dts: false,
  external: [/^@magikrun\//],
  banner: { js: '#!/usr/bin/env node' },
  // Each command is a chunk of its own, loaded when it runs (program.ts): start-up pays only for it.
  splitting: true,
});
