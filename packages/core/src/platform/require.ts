/**
 * Capability requirements for test runs: CI lists the capabilities its machines must have in
 * `MAGIKRUN_REQUIRE` (comma-separated names of {@link Capability}), so that a test that would skip for
 * lack of one fails instead.
 *
 * @module platform/require
 */
import { err, ErrorCode } from '../errors.js';
import type { Platform } from './platform.js';
import { CAPABILITIES, type Capability } from './types.js';

/** The environment variable listing required capabilities, e.g. `namespaces,cgroups,webassembly`. */
export const REQUIRE_ENV = 'MAGIKRUN_REQUIRE';

/**
 * Parse a comma-separated capability list (default: `MAGIKRUN_REQUIRE`). Blank entries are ignored.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a name that is not a {@link Capability} — a typo must
 *   not silently require nothing.
 */
export function requiredCapabilities(value: string | undefined = process.env[REQUIRE_ENV]): Capability[] {
  const names = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !CAPABILITIES.includes(n as Capability));
  if (unknown.length > 0) {
    throw err(
      ErrorCode.InvalidArgument,
      `${REQUIRE_ENV} names unknown capabilities: ${unknown.join(', ')}; use a comma-separated list of ${CAPABILITIES.join(', ')}`,
      { unknown, value },
    );
  }
  return [...new Set(names as Capability[])];
}

/**
 * Throw unless the platform has every required capability (default: those in `MAGIKRUN_REQUIRE`).
 *
 * @throws MagikrunError `UNAVAILABLE` with `details.missing` (name → reason) listing each missing one;
 *   `INVALID_ARGUMENT` for an unknown name.
 */
export function requireCapabilities(platform: Platform, required: Iterable<Capability> | string | undefined = process.env[REQUIRE_ENV]): void {
  const list = typeof required === 'string' || required === undefined ? requiredCapabilities(required ?? '') : [...required];
  const missing = platform.missing(list);
  if (missing.length === 0) return;
  const reasons = Object.fromEntries(missing.map((m) => [m, platform.capabilities[m].reason]));
  throw err(
    ErrorCode.Unavailable,
    `required capabilities are missing on this host: ${missing.map((m) => `${m} (${reasons[m]})`).join('; ')}. ` +
      `Run on a host that has them, or remove them from ${REQUIRE_ENV}`,
    { missing: reasons, reason: 'required capability missing' },
  );
}

/**
 * Gate for tests: true when the platform has every capability in `needed`. When one is missing and
 * `MAGIKRUN_REQUIRE` (or `required`) lists it, throws instead of returning false, so CI fails rather
 * than skipping.
 *
 * @example describe.runIf(canRun(platform, [Capability.Namespaces, Capability.Cgroups]))('youki', …)
 * @throws MagikrunError `UNAVAILABLE`, `INVALID_ARGUMENT` as {@link requireCapabilities}.
 */
export function canRun(platform: Platform, needed: Iterable<Capability>, required: string | undefined = process.env[REQUIRE_ENV]): boolean {
  const list = [...needed];
  const requiredSet = new Set(requiredCapabilities(required ?? ''));
  const missing = platform.missing(list);
  requireCapabilities(platform, missing.filter((m) => requiredSet.has(m)));
  return missing.length === 0;
}
