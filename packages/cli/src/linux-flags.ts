/**
 * The Linux-container flags of `run` and `bundle` (`--memory`, `--cpus`, `--pids-limit`, `--network`) into the
 * shapes the OCI config builder takes, checked before anything is pulled. Sizes are read as
 * `docker run --memory` reads them (`64m` = `64mb` = `64MiB` = 64 MiB; see units.ts).
 *
 * @module linux-flags
 */
import { err, ErrorCode, parseNetworkMode } from '@magikrun/core';
import type { NetworkMode, ResourceOptions } from '@magikrun/core';
import { parseSize } from './units.js';

/** The flags, as commander gives them (strings). */
export interface LinuxFlags {
  memory?: string;
  cpus?: string;
  pidsLimit?: string;
  network?: string;
}

/**
 * Memory (cgroup limit, bytes), CPUs (decimal, as `docker run --cpus`) and the pids limit; undefined
 * when none was given. Ranges (at least 6 MiB, up to the host's CPUs) are checked by the config builder.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a malformed value.
 */
export function resourcesFromFlags(flags: LinuxFlags): ResourceOptions | undefined {
  const r: ResourceOptions = {};
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
