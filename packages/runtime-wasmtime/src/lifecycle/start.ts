/**
 * OCI `start` (runtime.md "start"): run the module's `_start` off the JavaScript thread.
 *
 * @module lifecycle/start
 */
import { assertTransition } from '@magikrun/core';
import { callBinding } from '../binding/errors.js';
import { trackExit } from '../record.js';
import type { RuntimeContext } from './context.js';

export async function start(ctx: RuntimeContext, id: string): Promise<void> {
  const r = ctx.records.get(id);
  assertTransition('start', r.status, id);
  const handle = r.handle as number; // set whenever status is created
  r.status = 'running'; // at once, so that a concurrent start sees it
  try {
    await callBinding(() => ctx.engine.start(handle), `start "${id}"`, { id });
  } catch (e) {
    if (r.status === 'running') r.status = 'created';
    throw e;
  }
  r.activate();
  r.outputDone = r.stdio.pump(ctx.engine, handle);
  trackExit(ctx.engine, r);
}
