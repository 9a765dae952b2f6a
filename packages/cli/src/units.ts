/**
 * Sizes and durations on the command line, as docker and podman read them.
 *
 * - Sizes (`--memory`): docker's `RAMInBytes` (github.com/docker/go-units): a number, optionally with a
 *   fraction, then an optional unit `b`, `k`, `m`, `g`, `t` or `p` — each a power of 1024, case-insensitive,
 *   optionally followed by `b` or `ib` (`64m` = `64mb` = `64MiB` = 64 × 2^20 bytes). A bare number is bytes.
 * - Durations (`--timeout`, `--connect-timeout`, `--idle-timeout`): a bare number is seconds (as coreutils
 *   `timeout` and docker's `--stop-timeout`); otherwise Go's `time.ParseDuration` grammar — one or more
 *   number+unit pairs with the units `ns`, `us` (`µs`), `ms`, `s`, `m`, `h` (`1m30s`, `1.5h`, `500ms`),
 *   converted by `parse-duration`.
 *
 * Anything else is refused with `INVALID_ARGUMENT`; nothing is silently read as another unit.
 *
 * @module units
 */
import parseDuration from 'parse-duration';
import { err, ErrorCode } from '@magikrun/core';

/** docker's size grammar: number, optional space, optional unit (k m g t p, then b or ib; or b alone). */
const SIZE = /^(\d+(?:\.\d+)?) ?(?:([kmgtp])(?:i?b)?|b)?$/i;
const UNIT_POWER: Readonly<Record<string, number>> = { k: 1, m: 2, g: 3, t: 4, p: 5 };

/**
 * A size flag in bytes (whole bytes; a fraction is cut, as docker cuts it).
 *
 * @param flag the flag as typed, for the message (`--memory`).
 * @returns a positive safe integer number of bytes.
 * @throws MagikrunError `INVALID_ARGUMENT` for anything outside the grammar, zero, or more than 2^53 − 1 bytes.
 */
export function parseSize(flag: string, value: string): number {
  const m = SIZE.exec(value);
  const n = m ? Math.floor(Number(m[1]) * 1024 ** (m[2] ? UNIT_POWER[m[2].toLowerCase()]! : 0)) : NaN;
  if (m && n > Number.MAX_SAFE_INTEGER) {
    throw err(ErrorCode.InvalidArgument, `${flag} ${JSON.stringify(value)}: at most ${Number.MAX_SAFE_INTEGER} bytes (2^53 − 1)`, { flag, value, max: Number.MAX_SAFE_INTEGER });
  }
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw err(ErrorCode.InvalidArgument, `${flag} ${JSON.stringify(value)}: expected a positive size such as 64m, 512MiB or 1g (units b, k, m, g, t, p, powers of 1024)`, { flag, value });
  }
  return n;
}

/** Go's duration grammar (time.ParseDuration), without a sign: at least one number+unit pair. */
const GO_DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const BARE_SECONDS = /^\d+(?:\.\d+)?$/;
/** The longest duration, in ms: 2^31 − 1, the longest timer Node.js keeps. */
const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * A duration flag in whole milliseconds (rounded to the nearest; at least 1).
 *
 * @param flag the flag as typed, for the message (`--timeout`).
 * @returns a positive safe integer of ms (a positive duration under 1 ms counts as 1 ms).
 * @throws MagikrunError `INVALID_ARGUMENT` for anything outside the grammar, zero, or a duration above
 *   2^31 − 1 ms (about 596 hours, the longest timer Node.js keeps).
 */
export function parseDurationMs(flag: string, value: string): number {
  const ms = BARE_SECONDS.test(value) ? Number(value) * 1000 : GO_DURATION.test(value) ? parseDuration(value.replace(/μ/g, 'µ')) : undefined;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw err(ErrorCode.InvalidArgument, `${flag} ${JSON.stringify(value)}: expected a duration such as 30 (seconds), 500ms, 1m30s or 2h`, { flag, value });
  }
  // Below a millisecond counts as one: the timers have millisecond resolution.
  const n = Math.max(1, Math.round(ms));
  if (n > MAX_DURATION_MS) {
    throw err(ErrorCode.InvalidArgument, `${flag} ${JSON.stringify(value)}: at most ${MAX_DURATION_MS} ms (about 596h, the longest timer Node.js keeps)`, { flag, value, max: MAX_DURATION_MS });
  }
  return n;
}
