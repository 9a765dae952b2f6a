/**
 * The stop algorithm every backend shares (`docker stop`, `podman stop`): send the stop signal, give the
 * workload `timeoutMs` to end, then SIGKILL, and resolve with its exit status.
 *
 * @module runtime/stop
 */
import { isMagikrunError } from '../errors.js';
import type { Signal } from './signal.js';
import type { ExitStatus, WaitOptions } from './types.js';

/** What {@link stopWithGrace} needs of a backend, for one container. */
export interface StopSteps {
  /** Deliver `signal`; a container that has stopped meanwhile is not an error (resolve). */
  kill(signal: Signal): Promise<void>;
  /** The exit status once stopped; `signal` aborts the wait with `ABORTED`. */
  wait(options?: WaitOptions): Promise<ExitStatus>;
}

/**
 * Send `signal`, wait up to `timeoutMs` (ms) for the workload to end, then send SIGKILL and wait.
 *
 * @throws what `steps.kill` and `steps.wait` throw (never `ABORTED` from the grace period itself).
 */
export async function stopWithGrace(steps: StopSteps, signal: Signal, timeoutMs: number): Promise<ExitStatus> {
  await steps.kill(signal);
  const grace = new AbortController();
  const timer = setTimeout(() => grace.abort(), timeoutMs);
  try {
    return await steps.wait({ signal: grace.signal });
  } catch (e) {
    if (!isMagikrunError(e, 'ABORTED') || !grace.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
  }
  await steps.kill('SIGKILL');
  return steps.wait();
}
