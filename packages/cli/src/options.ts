/**
 * Parsing of `run`'s repeatable options (`--env`, `--volume`) into the shapes the bundle builder takes.
 *
 * @module options
 */
import { isAbsolute, resolve } from 'node:path';
import { err, ErrorCode } from '@magikrun/core';

/** commander's accumulator for a repeatable option (`-e A -e B` → `['A', 'B']`). */
export const collect = (v: string, acc: string[]): string[] => [...acc, v];

/** `--env K=V` (or `--env K`, which takes K from magikrun's own environment, as docker does). */
export function parseEnv(values: readonly string[], hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  return values.map((v) => {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!/^[^=\0]+$/.test(key)) throw err(ErrorCode.InvalidArgument, `--env ${JSON.stringify(v)}: expected KEY=VALUE`, { env: v });
    if (eq >= 0) return v;
    const hostValue = hostEnv[key];
    if (hostValue === undefined) throw err(ErrorCode.InvalidArgument, `--env ${key}: not set in this environment; use KEY=VALUE`, { env: v });
    return `${key}=${hostValue}`;
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
