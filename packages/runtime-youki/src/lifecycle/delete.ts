/**
 * OCI `delete`: allowed in `stopped`; with `force` in any status (SIGKILL, wait for the exit
 * record, then remove cgroups, rootfs mounts and state), as `runc delete --force`.
 *
 * @module lifecycle/delete
 */
import { assertTransition, type DeleteOptions } from '@magikrun/core/runtime';
import { callBinding } from '../binding/errors.js';
import { handleFor, stateOf, type RuntimeContext } from './context.js';

/** @throws MagikrunError `NOT_FOUND`, `INVALID_STATE`, `INVALID_ARGUMENT`, `TIMEOUT` */
export async function deleteContainer(ctx: RuntimeContext, id: string, options: DeleteOptions = {}): Promise<void> {
  const force = options.force === true;
  assertTransition(force ? 'forceDelete' : 'delete', stateOf(ctx, id, 'delete').status, id);
  await callBinding(() => handleFor(ctx, id).delete(id, force, ctx.deleteTimeoutMs), `delete "${id}"`, { id });
  ctx.local.delete(id);
}
