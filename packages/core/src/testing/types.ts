/**
 * What a backend's test hands the conformance suite.
 *
 * @module testing/types
 */
import type { Bundle } from '../runtime/bundle.js';
import type { OciRuntime } from '../runtime/types.js';

/** Bundles and a runtime made by a backend's test for {@link describeOciRuntime}. */
export interface ConformanceFixture {
  /** A fresh runtime instance (its own state root). */
  runtime: OciRuntime;
  /** A bundle whose process writes `stdout` to stdout and `stderr` to stderr, then exits with `code`. */
  exitBundle(code: number, output?: { stdout?: string; stderr?: string }): Promise<Bundle>;
  /** A bundle whose process blocks in a host call (sleeps) for a long time (≥ 1 h) until it is killed. */
  sleepBundle(): Promise<Bundle>;
  /** Called once after the suite; remove whatever the fixture made. */
  cleanup?(): Promise<void>;
}

/** What the backend supports, so that the suite checks exactly that. */
export interface ConformanceCapabilities {
  /** The state reports a host pid while created or running. */
  pid: boolean;
  /**
   * Signals reach a real process with handlers (`'posix'`); or any signal whose default action is
   * terminate ends the workload, and ignore-by-default signals are no-ops (`'terminate-only'`, wasm).
   */
  signals: 'posix' | 'terminate-only';
}
