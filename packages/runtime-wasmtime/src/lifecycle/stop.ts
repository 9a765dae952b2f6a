/**
 * `stop` (as docker stop): the stop signal, up to `timeoutMs` of grace, then SIGKILL.
 *
 * @module lifecycle/stop
 */
import { DEFAULT_STOP_TIMEOUT } from '@magikrun/core/constants';
import { assertTransition, type ExitStatus, parseSignal, type Signal, type StopOptions, stopWithGrace } from '@magikrun/core/runtime';
import type { RuntimeContext } from './context.js';
import { checkTimeout, withDeadline } from './deadline.js';
import { deliver } from './terminate.js';
import { exitAfterOutput } from './wait.js';

export async function stop(ctx: RuntimeContext, id: string, options: StopOptions = {}): Promise<ExitStatus> {
  const r = ctx.records.get(id);
  assertTransition('stop', r.status, id);
  if (r.status === 'stopped') return exitAfterOutput(r);
  const signal = parseSignal(options.signal ?? r.bundle.stopSignal ?? 'SIGTERM');
  const timeoutMs = checkTimeout('timeoutMs', options.timeoutMs ?? DEFAULT_STOP_TIMEOUT);
  const kill = async (s: Signal): Promise<void> => {
    if (r.exit !== undefined) return; // ended meanwhile
    try {
      deliver(ctx, r, s);
    } catch (e) {
      // A stop signal (SIGSTOP…) cannot pause wasm: it has no effect, and SIGKILL follows the grace period.
      if (s === 'SIGKILL') throw e;
    }
  };
  const plan = { signal, timeoutMs, what: `stop "${id}"`, ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}) };
  return stopWithGrace({ kill, wait: (o) => withDeadline(exitAfterOutput(r), `stop "${id}"`, undefined, o?.signal) }, plan);
}
