/**
 * Exit codes of `magikrun run`, as `docker run` uses them: the workload's own code, or
 * 125 when magikrun itself failed, 126 when the entrypoint cannot be run, 127 when it is not found.
 *
 * @module exit-codes
 */
import { ErrorCode, isMagikrunError } from '@magikrun/core';

export const EXIT_MAGIKRUN_FAILED = 125;
export const EXIT_CANNOT_RUN = 126;
export const EXIT_NOT_FOUND = 127;

/**
 * The exit code for an error raised before the workload ran. Errors about the entrypoint carry
 * `details.entrypoint`: not found → 127; present but not runnable (not a module, a component,
 * too large, invalid) → 126. Anything else is magikrun's own failure → 125.
 */
export function exitCodeForError(e: unknown): number {
  if (isMagikrunError(e) && e.details['entrypoint'] !== undefined) {
    return e.code === ErrorCode.NotFound ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
  }
  return EXIT_MAGIKRUN_FAILED;
}
