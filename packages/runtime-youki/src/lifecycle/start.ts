/**
 * OCI `start`: allowed only in `created` (runtime.md "start").
 *
 * @module lifecycle/start
 */
import { assertTransition } from '@magikrun/core/runtime';
import { callBinding } from '../binding/errors.js';
import { handleFor, stateOf, type RuntimeContext } from './context.js';

/** @throws MagikrunError `NOT_FOUND`, `INVALID_STATE`, `INVALID_ARGUMENT` */
export async function start(ctx: RuntimeContext, id: string): Promise<void> {
  assertTransition('start', stateOf(ctx, id, 'start').status, id);
  // The binding re-checks under the container's lock: a concurrent start fails with INVALID_STATE.
  await callBinding(() => handleFor(ctx, id).start(id), `start "${id}"`, { id });
}
