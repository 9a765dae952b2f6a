/**
 * What every command shares: the global options and how an error is shown to the user.
 *
 * @module global-options
 */
import { isMagikrunError } from '@magikrun/core/errors';
import { EXIT_MAGIKRUN_FAILED } from './exit-codes.js';

/** Options every command accepts. */
export interface GlobalOptions {
  /** magikrun's data root (blobs, images, bundles, cache). @default $MAGIKRUN_ROOT or ~/.magikrun */
  root?: string;
}

/** One line for the user: the message, plus the error code for typed errors. */
export function formatError(e: unknown): string {
  if (isMagikrunError(e)) return `${e.message} [${e.code}]`;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Run `fn` for each argument of a command that takes several (`rm`, `stop`, `rmi`), as docker does: an
 * error is one line on stderr and the next argument is still tried; resolves with the exit code (0, or
 * 125 when any failed).
 */
export async function eachArgument(args: readonly string[], fn: (arg: string) => Promise<void>): Promise<number> {
  let failed = false;
  for (const arg of args) {
    try {
      await fn(arg);
    } catch (e) {
      failed = true;
      process.stderr.write(`magikrun: ${formatError(e)}\n`);
    }
  }
  return failed ? EXIT_MAGIKRUN_FAILED : 0;
}
