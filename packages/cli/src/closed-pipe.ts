/**
 * A closed pipe on our own stdout/stderr (`magikrun logs ID | head -c 3`): the reader has gone, so
 * there is nothing left to tell it. bin.ts keeps such stream errors from crashing the process (which
 * is how `run` survives them); commands that pipe into stdout use this to end quietly, exit 0, as
 * `cat` does when SIGPIPE is ignored.
 *
 * @module closed-pipe
 */

/** Whether `e` says our output's reader has gone (`EPIPE`, or the stream destroyed / closed early). */
export function isClosedPipe(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}
