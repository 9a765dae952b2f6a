/**
 * One shape of resource limits for every bundle kind and backend.
 *
 * @module runtime/limits
 */
import { err, ErrorCode } from '../errors.js';

/**
 * Resource limits of one workload, the same shape for every bundle kind. They live in the bundle
 * (`BundleBuilder.build({ resources })` → `Bundle.resources`; for `oci` bundles also config.json's
 * `linux.resources`), so that every process that runs the bundle — a monitor, each verb of the
 * runc-compatible command, a microVM launcher — reads the same limits, and so that Kubernetes' limits,
 * which arrive in config.json, need no second channel. Whether a value above a runtime's default is
 * permitted is the caller's decision, at create (`CreateOptions.allowAboveDefault`).
 */
export interface ResourceLimits {
  /**
   * Most memory, in bytes: a Linux container's cgroup limit (`memory.max`; at least 6 MiB, as docker
   * requires; the OOM killer ends it above), a wasm module's largest linear memory (a growth beyond
   * it fails), a microVM's guest memory (rounded up to whole MiB).
   */
  memoryBytes?: number;
  /** CPUs, as a decimal (`1.5`): a CFS quota over a 100 ms period (`docker run --cpus`), or a microVM's vCPUs (rounded up). */
  cpus?: number;
  /** Most processes and threads (`pids.max`). */
  pids?: number;
  /** Wall-clock limit of a run, in ms from `start`; reaching it ends the workload with reason `timed-out` (124). */
  wallClockMs?: number;
  /** WebAssembly fuel (about one unit per instruction); `false` for none. Running out ends the module with reason `fuel-exhausted`. */
  fuel?: number | false;
}

/** The name of one limit in {@link ResourceLimits}. */
export type LimitName = keyof ResourceLimits;

/** Every limit name, in a stable order. */
export const LIMIT_NAMES: readonly LimitName[] = ['memoryBytes', 'cpus', 'pids', 'wallClockMs', 'fuel'];

/** The limit names set in `limits` (a `fuel: false` counts: it asks for no fuel metering). */
export function limitsGiven(limits: ResourceLimits | undefined): LimitName[] {
  if (!limits) return [];
  return LIMIT_NAMES.filter((k) => limits[k] !== undefined);
}


/**
 * Check the shape of `limits`: whole positive numbers (CPUs: a positive finite decimal; fuel also
 * `false`; wall clock at most 2^31 − 1 ms, the longest timer Node.js keeps). Kind-specific floors and
 * ceilings (6 MiB of cgroup memory, the host's CPUs, the wasm defaults) are checked where they apply.
 *
 * @returns a copy holding only the limits given.
 * @throws MagikrunError `INVALID_ARGUMENT` naming the limit and its value.
 */
export function validateResources(limits: ResourceLimits | undefined): ResourceLimits | undefined {
  if (limits === undefined) return undefined;
  if (typeof limits !== 'object' || limits === null) throw err(ErrorCode.InvalidArgument, `resources must be an object, not ${JSON.stringify(limits)}`, {});
  const unknown = Object.keys(limits).filter((k) => !(LIMIT_NAMES as readonly string[]).includes(k));
  if (unknown.length > 0) throw err(ErrorCode.InvalidArgument, `unknown resource limit ${unknown.join(', ')}; known: ${LIMIT_NAMES.join(', ')}`, { limits: unknown });
  const out: ResourceLimits = {};
  const whole = (name: LimitName, v: unknown, max = Number.MAX_SAFE_INTEGER): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0 || v > max) {
      throw err(ErrorCode.InvalidArgument, `resource limit ${name} ${String(v)} is not valid: give a whole number from 1 to ${max}`, { limit: name, value: v });
    }
    return v;
  };
  if (limits.memoryBytes !== undefined) out.memoryBytes = whole('memoryBytes', limits.memoryBytes);
  if (limits.pids !== undefined) out.pids = whole('pids', limits.pids);
  if (limits.wallClockMs !== undefined) out.wallClockMs = whole('wallClockMs', limits.wallClockMs, 2 ** 31 - 1);
  if (limits.fuel !== undefined) out.fuel = limits.fuel === false ? false : whole('fuel', limits.fuel);
  if (limits.cpus !== undefined) {
    if (typeof limits.cpus !== 'number' || !Number.isFinite(limits.cpus) || limits.cpus <= 0) {
      throw err(ErrorCode.InvalidArgument, `resource limit cpus ${String(limits.cpus)} is not valid: give a positive number such as 0.5 or 2`, { limit: 'cpus', value: limits.cpus });
    }
    out.cpus = limits.cpus;
  }
  return out;
}

/** `{ resources }` when `limits` holds any limit, else `{}`: spread into a bundle. @throws as {@link validateResources} */
export function resourcesField(limits: ResourceLimits | undefined): { resources?: ResourceLimits } {
  const r = validateResources(limits);
  return r && Object.keys(r).length > 0 ? { resources: r } : {};
}
