import { defineConfig } from 'tsup';
import { base } from '../../tsup.base.js';

export default defineConfig({ ...base, entry: { index: 'src/index.ts', watchdog: 'src/owner/watchdog-main.ts' }, external: [/^@magikrun\//] });
