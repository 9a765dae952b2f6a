/**
 * The OciRuntime conformance suite from @magikrun/core/testing, run against WasmtimeRuntime with the
 * clang-built fixtures: `emit` (writes given stdout/stderr, exits with a code) and `sleep` (blocks in
 * poll_oneoff for two hours).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeOciRuntime } from '@magikrun/core/testing';
import { WasmtimeRuntime } from './runtime.js';
import { programBundle, scratch } from './test-support/fixtures.js';

describeOciRuntime(
  'WasmtimeRuntime',
  async () => {
    const { dir, cleanup } = await scratch('conformance');
    const runtime = new WasmtimeRuntime({ cacheDir: path.join(dir, 'cache') });
    return {
      runtime,
      async exitBundle(code, output = {}) {
        const files = await mkdtemp(path.join(dir, 'emit-'));
        if (output.stdout !== undefined) await writeFile(path.join(files, 'stdout'), output.stdout);
        if (output.stderr !== undefined) await writeFile(path.join(files, 'stderr'), output.stderr);
        return programBundle('emit', dir, { args: [String(code)], preopens: [{ hostPath: files, guestPath: '/fixture', readonly: true }] });
      },
      sleepBundle: () => programBundle('sleep', dir),
      cleanup,
    };
  },
  { pid: false, signals: 'terminate-only' },
);
