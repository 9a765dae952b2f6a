/**
 * `run`'s sandbox limit flags (`--fuel`, `--memory`, `--timeout`) into the per-container limits that
 * `WasmtimeRuntime.create` takes. Sizes and durations are read as docker reads them (see units.ts).
 *
 * @module limits
 */
import { err, ErrorCode } from '@magikrun/core';
import { parseDurationMs, parseSize } from './units.js';

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
  if (flags.memory !== undefined) limits.memorySize = parseSize('--memory', flags.memory);
  if (flags.timeout !== undefined) limits.wallClockMs = parseDurationMs('--timeout', flags.timeout);
  if (Object.keys(limits).length === 0) return undefined;
  if (flags.allowAboveDefault) limits.allowAboveDefault = true;
  return limits;
}
