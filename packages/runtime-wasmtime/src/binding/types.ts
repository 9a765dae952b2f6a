/**
 * Internal: the shape of the native binding (`crates/wasmtime-binding`), taken from the declarations
 * napi-rs generates from the Rust source (`binding.d.cts`, committed; CI fails when a build changes
 * it). Nothing here is public API; {@link WasmtimeRuntime} is.
 *
 * @internal
 * @module binding/types
 */
import type { BindingEngine } from '../../binding.cjs';

export type {
  BindingCreated,
  BindingCreateOptions,
  BindingEngine,
  BindingEngineOptions,
  BindingExitStatus,
  BindingInput,
  BindingOutput,
  BindingPreopen,
  BindingStats,
} from '../../binding.cjs';

/** What the `.node` file exports. @internal */
export interface BindingModule {
  BindingEngine: typeof BindingEngine;
}
