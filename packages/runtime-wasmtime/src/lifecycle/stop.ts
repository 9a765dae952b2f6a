/**
 * `stop` (as docker stop): the stop signal, up to `timeoutMs` of grace, then SIGKILL.
 *
 * @module lifecycle/stop
 */
import { assertTransition, DEFAULT_STOP_TIMEOUT, parseSignal, type ExitStatus, type StopOptions } from '@magikrun/core';
import type { RuntimeContext } from './context.js';
import { checkTimeout } from './deadline.js';
import { deliver } from './terminate.js';
import { exitAfterOutput } from './wait.js';

export async function stop(ctx: RuntimeContext, id: string, options: StopOptions = {}): Promise<ExitStatus> {
  const r = ctx.records.get(id);
  assertTransition('stop', r.status, id);
  if (r.status === 'stopped') return exitAfterOutput(r);
  const signal = parseSignal(options.signal ?? r.bundle.stopSignal ?? 'SIGTERM');
  const timeoutMs = checkTimeout('timeoutMs', options.timeoutMs ?? DEFAULT_STOP_TIMEOUT);
  let ends = false;
  try {
    ends = deliver(ctx, r, signal);
  } catch {
    // a stop signal (SIGSTOP…) cannot pause wasm: it has no effect, and SIGKILL follows the grace period
  }
  if (!ends) {
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([r.exited, graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout' && r.exit === undefined) deliver(ctx, r, 'SIGKILL');
  }
  return exitAfterOutput(r);
}
