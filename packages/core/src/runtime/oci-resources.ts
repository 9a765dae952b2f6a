/**
 * Core's `ResourceLimits` in their `linux.resources` form: memory (`memory.max`, at least 6 MiB as docker
 * requires), CPUs as a CFS quota over a 100 ms period (`docker run --cpus`; 0.01 to the host's CPUs), pids.
 * Wall clock and fuel have no config.json form: a runtime that cannot enforce them refuses the bundle.
 *
 * @module runtime/oci-resources
 */
import { availableParallelism } from 'node:os';
import { err, ErrorCode } from '../errors.js';
import { validateResources, type ResourceLimits } from './limits.js';

/** The `linux.resources` entries limits map to (config-linux.md; device rules are the bundle builder's). */
export interface LinuxResources {
  /** Bytes. */
  memory?: { limit?: number };
  /** CFS bandwidth: `quota` µs of CPU time per `period` µs. */
  cpu?: { quota?: number; period?: number };
  pids?: { limit: number };
}


/** Smallest memory limit, in bytes: 6 MiB (Docker's `linuxMinMemory`). */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;
/** CFS period written with a CPU limit, in µs: 100 000 (100 ms). */
export const CPU_PERIOD_US = 100_000;

/**
 * `linux.resources` entries for `options` (the device rules are added by the caller).
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a memory limit that is not an integer of at least
 *   {@link MIN_MEMORY_BYTES}, CPUs outside 0.01..host CPUs, or pids that is not a positive integer.
 */
export function resourcesFor(limits: ResourceLimits | undefined): LinuxResources {
  const out: LinuxResources = {};
  const options = validateResources(limits);
  if (!options) return out;
  const { memoryBytes, cpus, pids } = options;
  if (memoryBytes !== undefined) {
    if (!Number.isSafeInteger(memoryBytes) || memoryBytes < MIN_MEMORY_BYTES) {
      throw err(ErrorCode.InvalidArgument, `memory limit ${String(memoryBytes)} is not valid: give a whole number of bytes of at least ${MIN_MEMORY_BYTES} (6 MiB)`, { memoryBytes });
    }
    out.memory = { limit: memoryBytes };
  }
  if (cpus !== undefined) {
    const host = availableParallelism();
    if (typeof cpus !== 'number' || !Number.isFinite(cpus) || cpus < 0.01 || cpus > host) {
      throw err(ErrorCode.InvalidArgument, `cpus ${String(cpus)} is not valid: give a number from 0.01 to ${host} (this host's CPUs)`, { cpus, hostCpus: host });
    }
    out.cpu = { quota: Math.round(cpus * CPU_PERIOD_US), period: CPU_PERIOD_US };
  }
  if (pids !== undefined) {
    if (!Number.isSafeInteger(pids) || pids <= 0) throw err(ErrorCode.InvalidArgument, `pids limit ${String(pids)} is not valid: give a positive whole number`, { pids });
    out.pids = { limit: pids };
  }
  return out;
}
