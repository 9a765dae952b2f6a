/**
 * Internal: the youki binding's and the monitor's failures as `MagikrunError`s.
 *
 * The binding rejects with an `Error` whose `code` is one of core's `ErrorCode` values
 * (`crates/native-error`); the monitor reports `{ ok: false, code, message }` on its report pipe. Both
 * carry the code as data: `@magikrun/core/native` maps it, anything without one is `INTERNAL`.
 *
 * An entrypoint libcontainer's default executor refuses while it validates the spec in the init —
 * `executable 'ARGV0' not found in $PATH` (`NOT_FOUND`) or `executable 'ARGV0' at path '…' does not
 * have correct permissions` (`INVALID_ARGUMENT`; the monitor maps both codes) — gets
 * `details.entrypoint` = ARGV0, as core's bundle checks report it. That is the one place upstream text
 * is read, and only for a detail: never for the code.
 *
 * @internal
 * @module binding/errors
 */
import { err, ErrorCode, type MagikrunError } from '@magikrun/core/errors';
import { callNative, fromNativeError } from '@magikrun/core/native';

const BINDING = 'the youki binding';
const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));
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

/** A binding rejection or throw as a `MagikrunError`; `context` (e.g. `create "web"`) prefixes the message. */
export function fromBindingError(e: unknown, context: string, details: Record<string, unknown> = {}): MagikrunError {
  return fromNativeError(e, { context, binding: BINDING, details });
}

/** Await a binding call, mapping its failure. */
export function callBinding<T>(call: () => Promise<T> | T, context: string, details?: Record<string, unknown>): Promise<T> {
  return callNative(call, { context, binding: BINDING, ...(details ? { details } : {}) });
}

/** The monitor's failure report (`{ ok: false, code, message }`) as a `MagikrunError`; an unknown code is `INTERNAL`. */
export function fromMonitorFailure(report: { code: string; message: string }, context: string, details: Record<string, unknown> = {}): MagikrunError {
  if (!CODES.has(report.code)) {
    return err(ErrorCode.Internal, `${context}: the youki monitor failed unexpectedly (${report.code}): ${report.message}`, details);
  }
  const code = report.code as ErrorCode;
  return err(code, `${context}: ${report.message}`, { ...details, ...entrypointDetails(code, report.message) });
}
