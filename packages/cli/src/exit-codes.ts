/**
 * Exit codes of `magikrun run`, as `docker run` uses them: the workload's own code, or
 * 125 when magikrun itself failed, 126 when the entrypoint cannot be run, 127 when it is not found.
 *
 * @module exit-codes
 */
import { ErrorCode, isMagikrunError } from '@magikrun/core/errors';

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

/** True for an exit code a process can report as it is (0-255). */
export function isShellExitCode(code: number): boolean {
  return Number.isInteger(code) && code >= 0 && code <= 255;
}

/**
 * The exit code to give the shell for a workload's code: 0-255 as it is; anything else (a WASI module
 * may exit with any i32) becomes 255, since the kernel would truncate it and 256 would read as success.
 */
export function shellExitCode(code: number): number {
  return isShellExitCode(code) ? code : 255;
}
