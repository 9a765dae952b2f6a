/**
 * Internal: turn a rejection of the native binding into a `MagikrunError`.
 *
 * The binding carries its errors as data: the message is `[CODE] text`, with CODE one of core's
 * `ErrorCode` values. Anything else (a panic, a napi argument error) becomes `INTERNAL`.
 *
 * @internal
 * @module binding/errors
 */
import { err, ErrorCode, isMagikrunError, type MagikrunError } from '@magikrun/core';

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));
const PATTERN = /^\[([A-Z_]+)\] ([\s\S]*)$/;

/** Parse `[CODE] text` into a `MagikrunError`; `context` (e.g. `create "web"`) prefixes the message. */
export function fromBindingError(e: unknown, context: string, details: Record<string, unknown> = {}): MagikrunError {
  if (isMagikrunError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  const m = PATTERN.exec(message);
  if (m && CODES.has(m[1] as string)) {
    return err(m[1] as ErrorCode, `${context}: ${m[2] as string}`, details, e);
  }
  return err(ErrorCode.Internal, `${context}: the youki binding failed unexpectedly: ${message}`, details, e);
}

/** Await a binding promise, mapping its rejection. */
export async function callBinding<T>(p: () => Promise<T> | T, context: string, details?: Record<string, unknown>): Promise<T> {
  try {
    return await p();
  } catch (e) {
    throw fromBindingError(e, context, details);
  }
}
