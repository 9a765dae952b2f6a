/**
 * OCI `delete` (runtime.md "delete"); with `force`, as runc `delete --force`: SIGKILL, wait, delete.
 * Frees the store, the instance, its memory and stdin. The `'pipe'` output Readables keep what the
 * module wrote (at most 64 KiB each) until they are read to their end, destroyed or garbage-collected.
 *
 * @module lifecycle/delete
 */
import { assertTransition, type DeleteOptions } from '@magikrun/core/runtime';
import type { RuntimeContext } from './context.js';
import { deliver } from './terminate.js';

export async function deleteContainer(ctx: RuntimeContext, id: string, options: DeleteOptions = {}): Promise<void> {
  let r = ctx.records.get(id);
  if (options.force === true) {
    assertTransition('forceDelete', r.status, id);
    if (r.status === 'creating') {
      await r.creating;
      if (!ctx.records.has(id)) return; // create failed and removed it
      r = ctx.records.get(id);
    }
    if (r.status === 'created' || r.status === 'running') {
      deliver(ctx, r, 'SIGKILL');
      await r.exited;
    }
  } else {
    assertTransition('delete', r.status, id);
  }
  if (r.handle !== undefined) {
    try {
      ctx.engine.delete(r.handle);
    } catch {
      // already gone from the binding: nothing left to free
    }
  }
  ctx.records.remove(r);
}
