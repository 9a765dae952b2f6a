/**
 * `@magikrun/core/native`: the napi-rs binding loader shared by magikrun's native backend packages
 * (`@magikrun/runtime-wasmtime`, `@magikrun/runtime-youki`). Internal to magikrun's backends — not
 * a user API; its shape may change with them.
 *
 * @packageDocumentation
 */
export { loadNativeBinding, type LoadedNativeBinding, type NativeBindingOptions } from './load-binding.js';
export { packageRoot } from './package-root.js';
export { platformSuffix } from './platform-suffix.js';
