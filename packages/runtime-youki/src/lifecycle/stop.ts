/**
 * `stop`: the stop signal (the option, else the bundle's StopSignal, else SIGTERM), then SIGKILL
 * after `timeoutMs` — as `docker stop` / `podman stop`. A stopped container returns its status.
 *
 * @module lifecycle/stop
 */
import { DEFAULT_STOP_TIMEOUT } from '@magikrun/core/constants';
import { isMagikrunError } from '@magikrun/core/errors';
import { assertTransition, type ExitStatus, parseSignal, type Signal, type StopOptions, stopWithGrace } from '@magikrun/core/runtime';
import { kill } from './kill.js';
import { stateOf, type RuntimeContext } from './context.js';
import { wait } from './wait.js';

async function killUnlessStopped(ctx: RuntimeContext, id: string, signal: Signal): Promise<void> {
  try {
    await kill(ctx, id, signal);
  } catch (e) {
    if (!isMagikrunError(e, 'INVALID_STATE')) throw e; // it stopped meanwhile
  }
}

/** @throws MagikrunError `NOT_FOUND`, `INVALID_STATE` (creating), `INVALID_ARGUMENT`, `ABORTED` (`options.abortSignal`) */
export async function stop(ctx: RuntimeContext, id: string, options: StopOptions = {}): Promise<ExitStatus> {
  const state = stateOf(ctx, id, 'stop');
  assertTransition('stop', state.status, id);
  if (state.status === 'stopped') return wait(ctx, id);
  const signal = options.signal ? parseSignal(options.signal) : state.stopSignal ? parseSignal(state.stopSignal) : 'SIGTERM';
  const timeoutMs = options.timeoutMs ?? DEFAULT_STOP_TIMEOUT;
  const plan = { signal, timeoutMs, what: `stop "${id}"`, ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}) };
  return stopWithGrace({ kill: (s) => killUnlessStopped(ctx, id, s), wait: (o) => wait(ctx, id, o) }, plan);
}
