/**
 * @magikrun/runtime-wasmtime — the WebAssembly backend of magikrun: WASI preview 1 command modules on
 * wasmtime 48 behind the OCI runtime lifecycle. Containers live inside the creating process.
 *
 * @packageDocumentation
 */
export { WasmtimeRuntime, defaultCacheDir } from './runtime.js';
export {
  DEFAULT_WASM_INSTANCES,
  DEFAULT_WASM_MEMORIES,
  DEFAULT_WASM_OPEN_FILES,
  DEFAULT_WASM_STACK_SIZE,
  DEFAULT_WASM_TABLE_ELEMENTS,
  DEFAULT_WASM_TABLES,
  MAX_WASM_MEMORY_SIZE,
  MAX_WASM_OPEN_FILES,
  MAX_WASM_STACK_SIZE,
  type WasmSandboxLimits,
  type WasmtimeCreateOptions,
  type WasmtimeRuntimeOptions,
} from './options.js';
export { BINDING_ENV } from './binding/load.js';
