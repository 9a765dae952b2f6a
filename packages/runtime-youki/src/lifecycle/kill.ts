/**
 * OCI `kill`: allowed in `created` and `running`; delivered through a pidfd (never to a reused pid).
 *
 * @module lifecycle/kill
 */
import { assertTransition, parseSignal, type Signal, signalNumber } from '@magikrun/core/runtime';
import { callBinding } from '../binding/errors.js';
import { handleFor, stateOf, type RuntimeContext } from './context.js';

/** @throws MagikrunError `NOT_FOUND`, `INVALID_STATE`, `INVALID_ARGUMENT` (unknown signal, bad id) */
export async function kill(ctx: RuntimeContext, id: string, signal: Signal = 'SIGTERM'): Promise<void> {
  const sig = parseSignal(signal);
  assertTransition('kill', stateOf(ctx, id, 'kill').status, id);
  await callBinding(() => handleFor(ctx, id).kill(id, signalNumber(sig)), `kill "${id}"`, { id, signal: sig });
}
