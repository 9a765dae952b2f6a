/**
 * OCI `kill` (runtime.md "kill").
 *
 * @module lifecycle/kill
 */
import { assertTransition, parseSignal, type Signal } from '@magikrun/core/runtime';
import type { RuntimeContext } from './context.js';
import { deliver } from './terminate.js';

export async function kill(ctx: RuntimeContext, id: string, signal: Signal = 'SIGTERM'): Promise<void> {
  const r = ctx.records.get(id);
  const sig = parseSignal(signal);
  assertTransition('kill', r.status, id);
  deliver(ctx, r, sig);
}
