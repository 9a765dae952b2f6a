/**
 * How `run` ends: a line on stderr for anything but a plain exit, and the shell exit code.
 *
 * @module report-exit
 */
import type { ExitStatus } from '@magikrun/core';
import { isShellExitCode, shellExitCode } from './exit-codes.js';

/**
 * Report `status` of container `id` on `stderr` and return the exit code for the shell: the
 * container's own code (0-255), 128 + N for a signal (137 for SIGKILL, also after an OOM kill, which
 * is always named as such), 255 for codes outside 0-255.
 */
export function reportExit(id: string, status: ExitStatus, stderr: NodeJS.WritableStream = process.stderr): number {
  if (status.reason === 'oom') {
    stderr.write(`magikrun: ${id}: killed by the out-of-memory killer (exit ${status.code})${status.message ? `: ${status.message}` : ''}; raise --memory\n`);
  } else if (status.reason !== 'exited' && status.message) {
    stderr.write(`magikrun: ${id}: ${status.reason}: ${status.message}\n`);
  }
  if (!isShellExitCode(status.code)) stderr.write(`magikrun: ${id}: exit code ${status.code} is outside 0-255; exiting with 255\n`);
  return shellExitCode(status.code);
}
