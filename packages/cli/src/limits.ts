/**
 * `run`'s sandbox limit flags (`--fuel`, `--memory`, `--timeout`) into the per-container limits that
 * `WasmtimeRuntime.create` takes. Sizes are parsed by `bytes` (`64mb` = 64 MiB), durations by `ms`.
 *
 * @module limits
 */
import parseBytes from 'bytes';
import parseMs from 'ms';
import { err, ErrorCode } from '@magikrun/core';

export interface LimitFlags {
  fuel?: string;
  memory?: string;
  timeout?: string;
  allowAboveDefault?: boolean;
}

/** The limits to pass to `create`, or undefined when no flag was given. @throws MagikrunError `INVALID_ARGUMENT` */
export function limitsFromFlags(flags: LimitFlags): Record<string, unknown> | undefined {
  const limits: Record<string, unknown> = {};
  if (flags.fuel !== undefined) {
    const n = Number(flags.fuel);
    if (flags.fuel === 'unlimited') limits.fuel = false;
    else if (/^[0-9.e+]+$/i.test(flags.fuel) && Number.isSafeInteger(n) && n > 0) limits.fuel = n;
    else throw err(ErrorCode.InvalidArgument, `--fuel ${JSON.stringify(flags.fuel)}: expected a positive whole number (such as 1000000 or 1e9) or "unlimited"`, { fuel: flags.fuel });
  }
  if (flags.memory !== undefined) {
    const n = parseBytes.parse(flags.memory);
    if (n === null || !Number.isSafeInteger(n) || n <= 0) throw err(ErrorCode.InvalidArgument, `--memory ${JSON.stringify(flags.memory)}: expected a size such as 64mb or 1gb`, { memory: flags.memory });
    limits.memorySize = n;
  }
  if (flags.timeout !== undefined) {
    const n = /^\d+$/.test(flags.timeout) ? Number(flags.timeout) : (parseMs(flags.timeout as parseMs.StringValue) as number | undefined);
    if (n === undefined || !Number.isSafeInteger(n) || n <= 0) throw err(ErrorCode.InvalidArgument, `--timeout ${JSON.stringify(flags.timeout)}: expected a duration such as 500ms, 30s or 2m`, { timeout: flags.timeout });
    limits.wallClockMs = n;
  }
  if (Object.keys(limits).length === 0) return undefined;
  if (flags.allowAboveDefault) limits.allowAboveDefault = true;
  return limits;
}
