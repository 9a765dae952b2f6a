/**
 * A native binding's failure as a `MagikrunError`.
 *
 * magikrun's native crates report every failure as data (`crates/native-error`): a JavaScript `Error`
 * whose `code` property is one of {@link ErrorCode}'s values and whose `message` is the text — the
 * shape of Node.js's own system errors. Nothing is parsed out of the message. An error without such a
 * code (napi's own argument errors, whose `code` is napi's status such as `InvalidArg`; a panic) is a
 * bug and becomes `INTERNAL`.
 *
 * @module native/native-error
 */
import { err, ErrorCode, isMagikrunError, type ErrorDetails, type MagikrunError } from '../errors.js';

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** The `ErrorCode` a native error carries in its `code` property, or undefined when it carries none. */
export function nativeErrorCode(e: unknown): ErrorCode | undefined {
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && CODES.has(code) ? (code as ErrorCode) : undefined;
}

/** Where a native failure happened, for its message and details. */
export interface NativeCallContext {
  /** Prefixes the message: `create "web"`, `kill "web"`. */
  context: string;
  /** Names the binding in the message of an unexpected failure: `the youki binding`. */
  binding: string;
  /** Merged into the error's details. */
  details?: ErrorDetails;
}

/**
 * `e` (a rejection or throw of a native binding) as a `MagikrunError` with the code it carries;
 * `INTERNAL` when it carries none. A `MagikrunError` passes through unchanged. The original error is
 * the `cause`.
 */
export function fromNativeError(e: unknown, where: NativeCallContext): MagikrunError {
  if (isMagikrunError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  const code = nativeErrorCode(e);
  if (code !== undefined) return err(code, `${where.context}: ${message}`, where.details ?? {}, e);
  return err(ErrorCode.Internal, `${where.context}: ${where.binding} failed unexpectedly: ${message}`, where.details ?? {}, e);
}

/** Call a binding (synchronous or returning a promise) and map its failure with {@link fromNativeError}. */
export async function callNative<T>(call: () => Promise<T> | T, where: NativeCallContext): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw fromNativeError(e, where);
  }
}
