/**
 * Racing a promise against a deadline and an AbortSignal.
 *
 * @module lifecycle/deadline
 */
import { err, ErrorCode } from '@magikrun/core/errors';

/**
 * Resolve with `p`, or reject with `TIMEOUT` after `timeoutMs` or `ABORTED` when `signal` aborts.
 * The timer is cleared either way.
 */
export async function withDeadline<T>(p: Promise<T>, what: string, timeoutMs: number | undefined, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) throw err(ErrorCode.Aborted, `${what} was aborted`, {}, signal.reason);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const guards = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => reject(err(ErrorCode.Timeout, `${what} did not finish within ${timeoutMs} ms`, { timeoutMs })), timeoutMs);
    }
    if (signal) {
      onAbort = () => reject(err(ErrorCode.Aborted, `${what} was aborted`, {}, signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([p, guards]);
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** Check a timeout option: a non-negative safe integer (ms). @throws MagikrunError `INVALID_ARGUMENT` */
export function checkTimeout(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw err(ErrorCode.InvalidArgument, `${name} must be a non-negative integer of milliseconds, got ${String(v)}`, { [name]: v });
  }
  return v;
}
