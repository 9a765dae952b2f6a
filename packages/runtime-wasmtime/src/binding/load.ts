/**
 * Internal: find and load the native binding.
 *
 * Order, as napi-rs projects do it: `$MAGIKRUN_WASMTIME_BINDING` if set (then only that file); else
 * the `.node` file beside this package (a local `pnpm build:native`); else the platform package
 * `@magikrun/runtime-wasmtime-binding-<platform>`. When none loads, one `UNAVAILABLE` error lists
 * every attempt and why it failed.
 *
 * @internal
 * @module binding/load
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ErrorCode } from '@magikrun/core';
import type { BindingModule } from './types.js';

/** Environment variable naming a binding `.node` file to load instead of the packaged one. */
export const BINDING_ENV = 'MAGIKRUN_WASMTIME_BINDING';
const PACKAGE_NAME = '@magikrun/runtime-wasmtime';
const BINARY_NAME = 'magikrun-wasmtime';
const PLATFORM_PACKAGE = '@magikrun/runtime-wasmtime-binding';

const require = createRequire(import.meta.url);
let cached: BindingModule | undefined;

/** napi-rs's platform suffix: `linux-x64-gnu`, `linux-x64-musl`, `darwin-arm64`, `win32-x64-msvc`… */
export function platformSuffix(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  if (platform === 'linux') {
    const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
    const glibc = report?.header?.glibcVersionRuntime !== undefined;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** The directory of this package's `package.json`, found by walking up from this file. */
function packageRoot(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function check(mod: unknown): BindingModule {
  if (typeof (mod as Partial<BindingModule> | null)?.BindingEngine !== 'function') {
    throw new Error('it does not export BindingEngine (a binary from another version?)');
  }
  return mod as BindingModule;
}

/**
 * Load the binding (once per process).
 *
 * @param env where `MAGIKRUN_WASMTIME_BINDING` is read
 * @throws MagikrunError `UNAVAILABLE` with `details.attempts` listing each place tried and why it failed.
 */
export function loadBinding(env: NodeJS.ProcessEnv = process.env): BindingModule {
  if (cached) return cached;
  const attempts: string[] = [];
  const suffix = platformSuffix();
  const explicit = env[BINDING_ENV];
  const candidates: { label: string; load: () => unknown }[] = [];
  if (explicit !== undefined && explicit !== '') {
    const file = path.resolve(explicit);
    candidates.push({ label: `${file} (from ${BINDING_ENV})`, load: () => require(file) });
  } else {
    const root = packageRoot();
    if (root) {
      const file = path.join(root, `${BINARY_NAME}.${suffix}.node`);
      candidates.push({ label: file, load: () => require(file) });
    } else {
      attempts.push(`the local .node file: the ${PACKAGE_NAME} package directory was not found above ${fileURLToPath(import.meta.url)}`);
    }
    const pkg = `${PLATFORM_PACKAGE}-${suffix}`;
    candidates.push({ label: `package ${pkg}`, load: () => require(pkg) });
  }
  for (const c of candidates) {
    try {
      cached = check(c.load());
      return cached;
    } catch (e) {
      attempts.push(`${c.label}: ${(e as Error).message.split('\n')[0] ?? String(e)}`);
    }
  }
  throw err(
    ErrorCode.Unavailable,
    `the wasmtime binding for ${suffix} could not be loaded; install ${PLATFORM_PACKAGE}-${suffix}, build it with ` +
      `"pnpm --filter ${PACKAGE_NAME} build", or point ${BINDING_ENV} at a .node file. Tried:\n  - ${attempts.join('\n  - ')}`,
    { reason: 'binding not loadable', platform: suffix, attempts },
  );
}

/** Forget the loaded binding (tests of the loader only). @internal */
export function resetBindingForTests(): void {
  cached = undefined;
}
