/**
 * Parsing of `run`'s repeatable options (`--env`, `--volume`) into the shapes the bundle builder takes.
 *
 * @module options
 */
import { isAbsolute, resolve } from 'node:path';
import { err, ErrorCode } from '@magikrun/core';

/** commander's accumulator for a repeatable option (`-e A -e B` → `['A', 'B']`). */
export const collect = (v: string, acc: string[]): string[] => [...acc, v];

/**
 * `--env K=V`, or `--env K`, which takes K's value from magikrun's own environment and, when K is not
 * set there, leaves it out, as `docker run -e K` does (the image's own K, if any, then stays).
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for an empty key or a NUL byte in it.
 */
export function parseEnv(values: readonly string[], hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  return values.flatMap((v) => {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!/^[^=\0]+$/.test(key)) throw err(ErrorCode.InvalidArgument, `--env ${JSON.stringify(v)}: expected KEY=VALUE`, { env: v });
    if (eq >= 0) return [v];
    const hostValue = hostEnv[key];
    return hostValue === undefined ? [] : [`${key}=${hostValue}`];
  });
}

/** One `--volume HOST:GUEST[:ro|:rw]`. */
export interface VolumeSpec {
  hostPath: string;
  guestPath: string;
  readonly: boolean;
}

/** `--volume HOST:GUEST[:ro|:rw]`; HOST relative to the current directory, GUEST absolute. */
export function parseVolume(value: string, cwd: string = process.cwd()): VolumeSpec {
  const parts = value.split(':');
  let mode = 'rw';
  if (parts.length === 3) mode = parts.pop()!;
  if (parts.length !== 2 || !parts[0] || !parts[1] || (mode !== 'ro' && mode !== 'rw')) {
    throw err(ErrorCode.InvalidArgument, `--volume ${JSON.stringify(value)}: expected HOST:GUEST or HOST:GUEST:ro`, { volume: value });
  }
  const [host, guest] = parts as [string, string];
  if (!isAbsolute(guest)) throw err(ErrorCode.InvalidArgument, `--volume ${JSON.stringify(value)}: the guest path must be absolute`, { volume: value });
  return { hostPath: resolve(cwd, host), guestPath: guest, readonly: mode === 'ro' };
}
