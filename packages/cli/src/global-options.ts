/**
 * What every command shares: the global options and how an error is shown to the user.
 *
 * @module global-options
 */
import { isMagikrunError } from '@magikrun/core';

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
