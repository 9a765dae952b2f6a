/**
 * The resource flags of `run` and `bundle` (`--memory`, `--cpus`, `--pids-limit`, `--timeout`, `--fuel`)
 * into core's one `ResourceLimits` shape, and `--network`, checked before anything is pulled. Sizes are
 * read as `docker run --memory` reads them (`64m` = `64mb` = `64MiB` = 64 MiB), durations as bare
 * seconds or Go durations (see units.ts). Which runtime can enforce them is the selection step's call.
 *
 * @module resource-flags
 */
import { err, ErrorCode, parseNetworkMode } from '@magikrun/core';
import type { NetworkMode, ResourceLimits } from '@magikrun/core';
import { parseDurationMs, parseSize } from './units.js';

/** The flags, as commander gives them (strings). */
export interface ResourceFlags {
  memory?: string;
  cpus?: string;
  pidsLimit?: string;
  /** Wall-clock limit: bare seconds or a Go duration. */
  timeout?: string;
  /** WebAssembly fuel: a positive whole number or `unlimited`. */
  fuel?: string;
}

/** `--network`, as commander gives it. */
export interface NetworkFlag {
  network?: string;
}

/**
 * Memory (bytes), CPUs (decimal, as `docker run --cpus`), the pids limit, the wall clock (ms) and fuel;
 * undefined when none was given. Kind-specific ranges (at least 6 MiB of cgroup memory, up to the host's
 * CPUs, the wasm defaults) are checked where the bundle is built or the container created.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a malformed value.
 */
export function resourcesFromFlags(flags: ResourceFlags): ResourceLimits | undefined {
  const r: ResourceLimits = {};
  if (flags.memory !== undefined) r.memoryBytes = parseSize('--memory', flags.memory);
  if (flags.cpus !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(flags.cpus)) throw err(ErrorCode.InvalidArgument, `--cpus ${JSON.stringify(flags.cpus)}: expected a number such as 0.5 or 2`, { cpus: flags.cpus });
    r.cpus = Number(flags.cpus);
  }
  if (flags.pidsLimit !== undefined) {
    if (!/^\d+$/.test(flags.pidsLimit) || Number(flags.pidsLimit) <= 0) {
      throw err(ErrorCode.InvalidArgument, `--pids-limit ${JSON.stringify(flags.pidsLimit)}: expected a positive whole number`, { pids: flags.pidsLimit });
    }
    r.pids = Number(flags.pidsLimit);
  }
  if (flags.timeout !== undefined) r.wallClockMs = parseDurationMs('--timeout', flags.timeout);
  if (flags.fuel !== undefined) {
    const n = Number(flags.fuel);
    if (flags.fuel === 'unlimited') r.fuel = false;
    else if (/^[0-9.e+]+$/i.test(flags.fuel) && Number.isSafeInteger(n) && n > 0) r.fuel = n;
    else throw err(ErrorCode.InvalidArgument, `--fuel ${JSON.stringify(flags.fuel)}: expected a positive whole number (such as 1000000 or 1e9) or "unlimited"`, { fuel: flags.fuel });
  }
  return Object.keys(r).length > 0 ? r : undefined;
}

/**
 * `--network none|host|PATH` (a network namespace such as /run/netns/NAME); undefined when not given.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for anything else (a relative path, `bridge`).
 */
export function networkFromFlag(value: string | undefined): NetworkMode | undefined {
  if (value === undefined) return undefined;
  try {
    parseNetworkMode(value);
  } catch (e) {
    throw err(ErrorCode.InvalidArgument, `--network ${JSON.stringify(value)}: use none, host or the absolute path of a network namespace such as /run/netns/NAME`, { network: value }, e);
  }
  return value;
}
