/**
 * Internal: the wasmtime binding's failures as `MagikrunError`s. The binding throws and rejects with
 * an `Error` whose `code` is one of core's `ErrorCode` values (`crates/native-error`);
 * `@magikrun/core/native` maps it, and anything without one is `INTERNAL`.
 *
 * @internal
 * @module binding/errors
 */
import type { MagikrunError } from '@magikrun/core/errors';
import { callNative, fromNativeError } from '@magikrun/core/native';

const BINDING = 'the wasmtime binding';

/** A binding rejection or throw as a `MagikrunError`; `context` (e.g. `create "web"`) prefixes the message. */
export function fromBindingError(e: unknown, context: string, details: Record<string, unknown> = {}): MagikrunError {
  return fromNativeError(e, { context, binding: BINDING, details });
}

/** Await a binding call, mapping its failure. */
export function callBinding<T>(call: () => Promise<T> | T, context: string, details?: Record<string, unknown>): Promise<T> {
  return callNative(call, { context, binding: BINDING, ...(details ? { details } : {}) });
}
