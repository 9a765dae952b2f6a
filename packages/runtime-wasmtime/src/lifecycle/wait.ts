/**
 * `wait`: the exit status, once the module has ended and its output has reached file and `Writable`
 * targets.
 *
 * @module lifecycle/wait
 */
import { assertTransition, type ExitStatus, type WaitOptions } from '@magikrun/core/runtime';
import type { ContainerRecord } from '../record.js';
import type { RuntimeContext } from './context.js';
import { withDeadline } from './deadline.js';

/** The exit status after all output is delivered. */
export async function exitAfterOutput(r: ContainerRecord): Promise<ExitStatus> {
  const status = await r.exited;
  await r.outputDone;
  return status;
}

export async function wait(ctx: RuntimeContext, id: string, options: WaitOptions = {}): Promise<ExitStatus> {
  const r = ctx.records.get(id);
  assertTransition('wait', r.status, id);
  return withDeadline(exitAfterOutput(r), `wait for "${id}"`, undefined, options.signal);
}
