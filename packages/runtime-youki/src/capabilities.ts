/**
 * What {@link YoukiRuntime} supports, as data (core's `RuntimeCapabilities`).
 *
 * @module capabilities
 */
import type { RuntimeCapabilities } from '@magikrun/core/runtime';

/**
 * Linux containers that outlive their creator: memory, CPUs and pids are enforced by cgroups from
 * config.json's `linux.resources`; no wall clock or fuel. stdin, detach (log files), the user and
 * hostname from config.json, and any network namespace config.json names.
 */
export const YOUKI_CAPABILITIES: RuntimeCapabilities = Object.freeze({
  bundleKinds: Object.freeze(['oci'] as const),
  scope: 'host',
  limits: Object.freeze(['memoryBytes', 'cpus', 'pids'] as const),
  stdin: true,
  detach: true,
  process: Object.freeze({ user: true, hostname: true }),
  networkModes: Object.freeze(['none', 'host', 'path'] as const),
});
