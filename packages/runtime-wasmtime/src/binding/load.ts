/**
 * Internal: find and load the native binding.
 *
 * Order, as napi-rs projects do it: `$MAGIKRUN_WASMTIME_BINDING` if set (then only that file); else
 * the `.node` file beside this package (a local `pnpm build:native`); else the platform package
 * `@magikrun/runtime-wasmtime-binding-<platform>`. When none loads, one `UNAVAILABLE` error lists
 * every attempt and why it failed. The search itself is `@magikrun/core/native`'s `loadNativeBinding`.
 *
 * @internal
 * @module binding/load
 */
import { createRequire } from 'node:module';
import { loadNativeBinding } from '@magikrun/core/native';
import type { BindingModule } from './types.js';

export { platformSuffix } from '@magikrun/core/native';

/** Environment variable naming a binding `.node` file to load instead of the packaged one. */
export const BINDING_ENV = 'MAGIKRUN_WASMTIME_BINDING';

const require = createRequire(import.meta.url);
let cached: BindingModule | undefined;

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
  cached ??= loadNativeBinding({
    from: import.meta.url,
    require,
    packageName: '@magikrun/runtime-wasmtime',
    binaryName: 'magikrun-wasmtime',
    platformPackage: '@magikrun/runtime-wasmtime-binding',
    envVar: BINDING_ENV,
    env,
    title: 'the wasmtime binding',
    check,
  }).binding;
  return cached;
}

/** Forget the loaded binding (tests of the loader only). @internal */
export function resetBindingForTests(): void {
  cached = undefined;
}
