/**
 * Signal handling of `magikrun run`, installed before any work starts so that no signal can kill
 * magikrun between building a bundle and removing it.
 *
 * - Before the workload runs, SIGINT/SIGTERM/SIGHUP abort what magikrun is doing (pull, build, create);
 *   `run` cleans up and exits 128 + the signal number.
 * - While it runs, each signal is forwarded to it; a second SIGINT or SIGTERM sends SIGKILL, as
 *   `docker run` does on a repeated Ctrl-C with `--sig-proxy`.
 *
 * @module signals
 */
import { err, ErrorCode, parseSignal, signalNumber } from '@magikrun/core';
import type { Signal } from '@magikrun/core';

const HANDLED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export class SignalForwarder {
  /** Aborted on the first signal that arrives before a target is attached. */
  readonly abort = new AbortController();
  #received: Signal | undefined;
  #target: ((signal: Signal) => void) | undefined;
  #forwarded = 0;
  readonly #handler = (sig: NodeJS.Signals): void => this.#on(parseSignal(sig));

  constructor() {
    for (const s of HANDLED) process.on(s, this.#handler);
  }

  /** The first signal received, if any. */
  get received(): Signal | undefined {
    return this.#received;
  }

  /** Throw `ABORTED` if a signal arrived (call between steps). */
  throwIfReceived(): void {
    if (this.#received) throw err(ErrorCode.Aborted, `interrupted by ${this.#received}`, { signal: this.#received });
  }

  /** Forward signals to a running workload from now on. */
  attach(target: (signal: Signal) => void): void {
    this.#target = target;
  }

  detach(): void {
    this.#target = undefined;
  }

  /** Remove the handlers. */
  dispose(): void {
    for (const s of HANDLED) process.off(s, this.#handler);
  }

  /** The exit code for an interrupted run: 128 + the signal number. */
  exitCode(): number {
    return 128 + signalNumber(this.#received ?? 'SIGINT');
  }

  #on(signal: Signal): void {
    this.#received ??= signal;
    if (!this.#target) {
      this.abort.abort(err(ErrorCode.Aborted, `interrupted by ${signal}`, { signal }));
      return;
    }
    this.#forwarded += 1;
    this.#target(this.#forwarded > 1 && signal !== 'SIGHUP' ? 'SIGKILL' : signal);
  }
}
