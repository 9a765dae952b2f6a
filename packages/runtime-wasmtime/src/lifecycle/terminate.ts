/**
 * Signals on wasm: there are no signal handlers in WASI preview 1, so a signal whose default action is
 * terminate ends the module (`'terminate-only'` in the conformance suite's terms).
 *
 * @module lifecycle/terminate
 */
import { err, ErrorCode } from '@magikrun/core/errors';
import { defaultAction, type ExitStatus, type Signal, signalNumber } from '@magikrun/core/runtime';
import { fromBindingError } from '../binding/errors.js';
import { markStopped, type ContainerRecord } from '../record.js';
import type { RuntimeContext } from './context.js';

/** The exit status a signal produces: SIGKILL → `killed` 137; others → `signaled`, 128 + N. */
export function terminationStatus(signal: Signal): ExitStatus {
  const code = 128 + signalNumber(signal);
  return signal === 'SIGKILL'
    ? { code, reason: 'killed', signal, message: 'killed by SIGKILL' }
    : { code, reason: 'signaled', signal, message: `ended by ${signal}` };
}

/**
 * Deliver `signal` to a created or running container.
 * - default action terminate: the module is ended wherever it is (in wasm or blocked in a host call);
 * - default action ignore (SIGCHLD, SIGCONT, SIGURG, SIGWINCH): nothing happens;
 * - default action stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU): `UNSUPPORTED`, wasm cannot be paused.
 *
 * @returns whether the signal ends the container.
 * @throws MagikrunError `UNSUPPORTED` for stop signals; the binding's code (e.g. `NOT_FOUND`) if it fails.
 */
export function deliver(ctx: RuntimeContext, r: ContainerRecord, signal: Signal): boolean {
  const action = defaultAction(signal);
  if (action === 'ignore') return false;
  if (action === 'stop') {
    throw err(ErrorCode.Unsupported, `cannot deliver ${signal} to wasm container "${r.id}": a WebAssembly module cannot be stopped and resumed; send SIGTERM or SIGKILL to end it`, {
      id: r.id,
      signal,
    });
  }
  const status = terminationStatus(signal);
  if (r.handle !== undefined) {
    const b = { reason: status.reason, code: status.code, signal: status.signal, message: status.message };
    try {
      ctx.engine.kill(r.handle, b);
    } catch (e) {
      throw fromBindingError(e, `kill "${r.id}"`, { id: r.id, signal });
    }
  }
  // A created container has no run to interrupt: it is stopped now, with this status.
  if (r.status === 'created') markStopped(r, status);
  return true;
}
