/**
 * What a runtime can do, as data: the registry's selection step, the CLI and library users decide from
 * a runtime's {@link RuntimeCapabilities}, never from its name. A limit (runtime/limits) a runtime cannot
 * enforce is refused with `UNSUPPORTED`, never ignored.
 *
 * @module runtime/capabilities
 */
import type { BundleKind } from './bundle.js';
import { limitsGiven, type LimitName, type ResourceLimits } from './limits.js';
import { err, ErrorCode } from '../errors.js';

/** Network modes a runtime may offer: a private namespace with loopback only, the host's, or an existing namespace by path. */
export type NetworkModeKind = 'none' | 'host' | 'path';

/** What a runtime supports, declared by the runtime itself (`OciRuntime.capabilities`). */
export interface RuntimeCapabilities {
  /** The bundle kinds it runs. */
  bundleKinds: readonly BundleKind[];
  /**
   * Where containers live: `'host'` — they outlive the creating process and any process can see them
   * (it then implements `HostScopedRuntime`); `'process'` — they live inside the process that created
   * them and vanish with it.
   */
  scope: 'host' | 'process';
  /** The limits it enforces; a bundle carrying another is refused at create with `UNSUPPORTED`. */
  limits: readonly LimitName[];
  /** Whether a container's stdin can be connected (`StdioOptions.stdin` other than `'ignore'`). */
  stdin: boolean;
  /** Whether `create({ detach: true })` works: output goes to log files and the container outlives its creator. */
  detach: boolean;
  /** Process settings it applies from the bundle beyond args, env and cwd. */
  process: { user: boolean; hostname: boolean };
  /** Network modes it offers (empty: the workload has no network namespace of its own to choose). */
  networkModes: readonly NetworkModeKind[];
}

/** The limits in `limits` that `capabilities` does not enforce. */
export function unsupportedLimits(capabilities: RuntimeCapabilities, limits: ResourceLimits | undefined): LimitName[] {
  return limitsGiven(limits).filter((k) => !capabilities.limits.includes(k));
}

/**
 * Refuse limits a runtime cannot enforce.
 *
 * @throws MagikrunError `UNSUPPORTED` naming each limit and the runtime, `details.limits`.
 */
export function assertLimitsSupported(runtime: { name: string; capabilities: RuntimeCapabilities }, limits: ResourceLimits | undefined): void {
  const missing = unsupportedLimits(runtime.capabilities, limits);
  if (missing.length > 0) {
    throw err(
      ErrorCode.Unsupported,
      `the ${runtime.name} runtime cannot enforce ${missing.join(', ')} (it enforces ${runtime.capabilities.limits.join(', ') || 'no limits'}); drop ${missing.length === 1 ? 'that limit' : 'those limits'} or choose another runtime`,
      { runtime: runtime.name, limits: missing },
    );
  }
}
