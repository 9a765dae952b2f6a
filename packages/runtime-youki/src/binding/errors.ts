/**
 * Internal: turn a rejection of the native binding into a `MagikrunError`.
 *
 * The binding carries its errors as data: the message is `[CODE] text`, with CODE one of core's
 * `ErrorCode` values. Anything else (a panic, a napi argument error) becomes `INTERNAL`.
 *
 * An entrypoint libcontainer's default executor refuses while it validates the spec in the init —
 * `executable 'ARGV0' not found in $PATH` (`NOT_FOUND`) or `executable 'ARGV0' at path '…' does not
 * have correct permissions` (`INVALID_ARGUMENT`; the binding maps both codes) — gets
 * `details.entrypoint` = ARGV0, as core's bundle checks report it.
 *
 * @internal
 * @module binding/errors
 */
import { err, ErrorCode, isMagikrunError, type MagikrunError } from '@magikrun/core';

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));
const PATTERN = /^\[([A-Z_]+)\] ([\s\S]*)$/;
/** libcontainer 0.7's executor messages for argv[0] (workload/default.rs `validate`). */
const ENTRYPOINT_PATTERNS: readonly [ErrorCode, RegExp][] = [
  [ErrorCode.NotFound, /executable '(.*)' not found in \$PATH/],
  [ErrorCode.InvalidArgument, /executable '(.*)' at path '.*' does not have correct permissions/],
];

/** `{ entrypoint }` when `text` is libcontainer's refusal of argv[0] under `code`; else `{}`. */
function entrypointDetails(code: ErrorCode, text: string): { entrypoint?: string } {
  for (const [c, re] of ENTRYPOINT_PATTERNS) {
    const m = c === code ? re.exec(text) : null;
    if (m) return { entrypoint: m[1] as string };
  }
  return {};
}

/** Parse `[CODE] text` into a `MagikrunError`; `context` (e.g. `create "web"`) prefixes the message. */
export function fromBindingError(e: unknown, context: string, details: Record<string, unknown> = {}): MagikrunError {
  if (isMagikrunError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  const m = PATTERN.exec(message);
  if (m && CODES.has(m[1] as string)) {
    const code = m[1] as ErrorCode;
    const text = m[2] as string;
    return err(code, `${context}: ${text}`, { ...details, ...entrypointDetails(code, text) }, e);
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
