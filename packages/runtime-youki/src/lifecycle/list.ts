/**
 * `list`: the containers under the state root, from any process (scope 'host'). Stale entries —
 * monitor and container gone without an exit record — are cleaned up (cgroup, mounts, state).
 *
 * @module lifecycle/list
 */
import { callBinding } from '../binding/errors.js';
import type { BindingState } from '../binding/types.js';
import { rootHandle, type RuntimeContext } from './context.js';

/** Every container of the runtime's state root (and of other roots this runtime created in). */
export async function listStates(ctx: RuntimeContext): Promise<BindingState[]> {
  const roots = new Set([ctx.stateRoot, ...[...ctx.local.values()].map((l) => l.root)]);
  const all: BindingState[] = [];
  for (const root of roots) all.push(...(await callBinding(() => rootHandle(ctx, root).list(), `list ${root}`, { stateRoot: root })));
  return all;
}
