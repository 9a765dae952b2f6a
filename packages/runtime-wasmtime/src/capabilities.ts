/**
 * What {@link WasmtimeRuntime} supports, as data (core's `RuntimeCapabilities`).
 *
 * @module capabilities
 */
import type { RuntimeCapabilities } from '@magikrun/core/runtime';

/**
 * WASI preview 1 modules in this process: memory (linear memory), fuel and a wall clock are enforced;
 * CPUs and pids are not (one module is one thread of this process). stdin can be connected; there is no
 * detach (containers end with this process), no user, hostname or network namespace.
 */
export const WASMTIME_CAPABILITIES: RuntimeCapabilities = Object.freeze({
  bundleKinds: Object.freeze(['wasm'] as const),
  scope: 'process',
  limits: Object.freeze(['memoryBytes', 'wallClockMs', 'fuel'] as const),
  stdin: true,
  detach: false,
  process: Object.freeze({ user: false, hostname: false }),
  networkModes: Object.freeze([] as const),
});
