/**
 * A delay that an AbortSignal cuts short. Unlike `timers/promises` it resolves (never rejects) on
 * abort: the caller's loop checks the signal and throws its own typed error.
 *
 * @module storage/sleep
 */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
