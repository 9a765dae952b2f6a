/**
 * Aborting a snapshot operation with the typed error.
 *
 * @module snapshots/abort
 */
import { err, ErrorCode } from '../errors.js';

/**
 * Throw when `signal` has aborted.
 *
 * @throws MagikrunError `ABORTED` (the signal's reason as its cause)
 */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw err(ErrorCode.Aborted, 'preparing the snapshot was aborted; nothing of it was kept', {}, signal.reason);
}
