/**
 * Build `pullImage` and `BlobStore` from the current source into plain ESM with tsup's API (as the
 * package build does), for child processes that run plain Node. The output goes under
 * `packages/core/node_modules/.magikrun-test/` so that the package's dependencies (undici,
 * tar-stream), kept external, resolve from there.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** @returns the module's file URL and a function that removes the build. */
export async function buildPullModule(): Promise<{ url: string; remove(): Promise<void> }> {
  const base = path.join(pkg, 'node_modules', '.magikrun-test');
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(path.join(base, 'pull-'));
  const entry = path.join(dir, 'entry.ts');
  await writeFile(
    entry,
    [
      `export { pullImage } from ${JSON.stringify(path.join(pkg, 'src', 'image', 'pull.ts'))};`,
      `export { BlobStore } from ${JSON.stringify(path.join(pkg, 'src', 'storage', 'blob-store.ts'))};`,
    ].join('\n'),
  );
  await build({
    entry: { pull: entry },
    outDir: path.join(dir, 'dist'),
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    external: ['undici', 'tar-stream'],
    dts: false,
    sourcemap: false,
    silent: true,
    config: false,
    clean: false,
  });
  return { url: pathToFileURL(path.join(dir, 'dist', 'pull.js')).href, remove: () => rm(dir, { recursive: true, force: true }) };
}
