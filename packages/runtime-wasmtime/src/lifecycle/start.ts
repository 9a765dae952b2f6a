/**
 * OCI `start` (runtime.md "start"): run the module's `_start` off the JavaScript thread.
 *
 * @module lifecycle/start
 */
import { assertTransition } from '@magikrun/core/runtime';
import { fromBindingError } from '../binding/errors.js';
import { trackExit } from '../record.js';
import type { RuntimeContext } from './context.js';

export async function start(ctx: RuntimeContext, id: string): Promise<void> {
  const r = ctx.records.get(id);
  assertTransition('start', r.status, id);
  const handle = r.handle as number; // set whenever status is created
  // Synchronous in the binding: no kill or delete can come between the status change and the run.
  try {
    ctx.engine.start(handle);
  } catch (e) {
    throw fromBindingError(e, `start "${id}"`, { id });
  }
  r.status = 'running';
  r.activate();
  r.outputDone = r.stdio.pump(ctx.engine, handle, r.exited);
  trackExit(ctx.engine, r);
}
