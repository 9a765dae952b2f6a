/**
 * Internal: the shape of the native binding (`crates/youki-binding`), taken from the declarations
 * napi-rs generates from the Rust source (`binding.d.cts`, committed; CI fails when a build changes
 * it). Nothing here is public API; {@link YoukiRuntime} is.
 *
 * @internal
 * @module binding/types
 */
import type { BindingRuntime } from '../../binding.cjs';

export type { BindingExit, BindingRuntime, BindingState, BindingWaiter } from '../../binding.cjs';

/** The loaded `.node` module. @internal */
export interface BindingModule {
  BindingRuntime: typeof BindingRuntime;
}
