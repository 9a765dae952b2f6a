/**
 * `wait`: the exit status from the monitor's exit record, waited for off the event loop (the
 * binding polls the monitor's pidfd through its reactor). For containers created by this runtime
 * with `Writable` targets, it also waits until all output reached them.
 *
 * @module lifecycle/wait
 */
import { err, ErrorCode } from '@magikrun/core/errors';
import { assertTransition, type ExitStatus, type WaitOptions } from '@magikrun/core/runtime';
import { callBinding } from '../binding/errors.js';
import { exitStatusOf } from '../exit-status.js';
import { handleFor, stateOf, type RuntimeContext } from './context.js';

/** @throws MagikrunError `NOT_FOUND`, `INVALID_ARGUMENT`, `ABORTED`, `INTERNAL` (the monitor died without a record) */
export async function wait(ctx: RuntimeContext, id: string, options: WaitOptions = {}): Promise<ExitStatus> {
  const state = stateOf(ctx, id, 'wait');
  assertTransition('wait', state.status, id);
  const signal = options.signal;
  if (signal?.aborted) throw err(ErrorCode.Aborted, `wait "${id}" was aborted`, { id });
  const record =
    state.exit ??
    (await (async () => {
      const waiter = handleFor(ctx, id).waiter(id);
      const onAbort = (): void => waiter.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return await callBinding(() => waiter.wait(), `wait "${id}"`, { id });
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    })());
  await ctx.local.get(id)?.outputDone;
  return exitStatusOf(record);
}
