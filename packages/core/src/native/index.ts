/**
 * `@magikrun/core/native`: the bridge to magikrun's napi-rs bindings, shared by the native backend
 * packages (`@magikrun/runtime-wasmtime`, `@magikrun/runtime-youki`): finding and loading a binding,
 * and turning its failures into `MagikrunError`s. Internal to magikrun's backends — not a user API;
 * its shape may change with them.
 *
 * @packageDocumentation
 */
export { loadNativeBinding, type LoadedNativeBinding, type NativeBindingOptions } from './load-binding.js';
export { callNative, fromNativeError, nativeErrorCode, type NativeCallContext } from './native-error.js';
export { packageRoot } from './package-root.js';
export { platformSuffix } from './platform-suffix.js';
