/**
 * The stop algorithm every backend shares (`docker stop`, `podman stop`): send the stop signal, give the
 * workload `timeoutMs` to end, then SIGKILL, and resolve with its exit status.
 *
 * @module runtime/stop
 */
import { err, ErrorCode, isMagikrunError } from '../errors.js';
import type { Signal } from './signal.js';
import type { ExitStatus, WaitOptions } from './types.js';

/** What {@link stopWithGrace} needs of a backend, for one container. */
export interface StopSteps {
  /** Deliver `signal`; a container that has stopped meanwhile is not an error (resolve). */
  kill(signal: Signal): Promise<void>;
  /** The exit status once stopped; `signal` aborts the wait with `ABORTED`. */
  wait(options?: WaitOptions): Promise<ExitStatus>;
}

/** How {@link stopWithGrace} stops one container. */
export interface StopPlan {
  /** The first signal (the caller's, else the bundle's StopSignal, else SIGTERM). */
  signal: Signal;
  /** Grace period before SIGKILL, in ms. */
  timeoutMs: number;
  /** Gives up stopping: rejects with `ABORTED`; whatever was sent stays sent, and nothing more is. */
  abortSignal?: AbortSignal;
  /** Names the operation in errors: `stop "web"`. */
  what: string;
}

/**
 * Send `plan.signal`, wait up to `plan.timeoutMs` (ms) for the workload to end, then send SIGKILL and
 * wait. An abort before anything was sent sends nothing; an abort during the grace period leaves the
 * workload with the signal it got (no SIGKILL follows); an abort after SIGKILL stops the wait.
 *
 * @throws MagikrunError `ABORTED` (through `plan.abortSignal`), and what `steps.kill` and `steps.wait`
 *   throw (never `ABORTED` from the grace period itself).
 */
export async function stopWithGrace(steps: StopSteps, plan: StopPlan): Promise<ExitStatus> {
  const { abortSignal } = plan;
  const aborted = () => err(ErrorCode.Aborted, `${plan.what} was aborted`);
  if (abortSignal?.aborted) throw aborted();
  await steps.kill(plan.signal);
  // An abort that came while the signal was being sent: the workload keeps that signal, nothing more.
  if (abortSignal?.aborted) throw aborted();
  const grace = new AbortController();
  const timer = setTimeout(() => grace.abort(), plan.timeoutMs);
  const onAbort = () => grace.abort();
  abortSignal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await steps.wait({ signal: grace.signal });
  } catch (e) {
    if (!isMagikrunError(e, 'ABORTED') || !grace.signal.aborted) throw e;
    if (abortSignal?.aborted) throw aborted();
  } finally {
    clearTimeout(timer);
    abortSignal?.removeEventListener('abort', onAbort);
  }
  await steps.kill('SIGKILL');
  return steps.wait(abortSignal ? { signal: abortSignal } : undefined);
}
