/**
 * Where each of a container's stdio streams goes, decided once for every backend from core's
 * `StdioOptions` (plus a backend's own log target): the backends only translate a route into what their
 * engine or monitor takes.
 *
 * @module runtime/stdio-route
 */
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { err, ErrorCode } from '../errors.js';
import type { InputSource, OutputTarget } from './types.js';

/**
 * A stream's route: discarded / closed (`ignore`), a pipe to this process (`pipe`: `'pipe'` stdio, or a
 * `node` stream this process pumps), a host file (`file`: an absolute path; output appends or truncates),
 * or the backend's log file (`log`, where it has one).
 */
export type StdioRoute =
  | { kind: 'ignore' }
  | { kind: 'pipe'; node?: Readable | Writable }
  | { kind: 'file'; path: string; append: boolean }
  | { kind: 'log' };

function filePath(p: unknown, which: string): string {
  if (typeof p !== 'string' || p === '' || p.includes('\0')) {
    throw err(ErrorCode.InvalidArgument, `${which}: a file target needs a path string`, { stream: which });
  }
  return path.resolve(p);
}

/** @throws MagikrunError `INVALID_ARGUMENT` for a source of another shape. */
export function routeInput(s: InputSource | undefined): StdioRoute {
  if (s === undefined || s === 'ignore') return { kind: 'ignore' };
  if (s === 'pipe') return { kind: 'pipe' };
  if (s instanceof Readable) return { kind: 'pipe', node: s };
  if (typeof s === 'object' && s !== null && 'path' in s) return { kind: 'file', path: filePath(s.path, 'stdin'), append: false };
  throw err(ErrorCode.InvalidArgument, `stdin must be 'ignore', 'pipe', { path } or a Readable`, { stream: 'stdin' });
}

/**
 * @param log whether the backend has log files (then `'log'` is a target, and `fallback` may be `log`).
 * @param fallback the route of an absent target. @default ignore
 * @throws MagikrunError `INVALID_ARGUMENT` for a target of another shape.
 */
export function routeOutput(t: OutputTarget | 'log' | undefined, which: 'stdout' | 'stderr', options: { log?: boolean; fallback?: 'ignore' | 'log' } = {}): StdioRoute {
  if (t === undefined) return { kind: options.fallback ?? 'ignore' };
  if (t === 'ignore') return { kind: 'ignore' };
  if (t === 'log' && options.log) return { kind: 'log' };
  if (t === 'pipe') return { kind: 'pipe' };
  if (t instanceof Writable) return { kind: 'pipe', node: t };
  if (typeof t === 'object' && t !== null && 'path' in t) return { kind: 'file', path: filePath(t.path, which), append: t.append === true };
  throw err(ErrorCode.InvalidArgument, `${which} must be 'ignore', 'pipe',${options.log ? " 'log'," : ''} { path, append? } or a Writable`, { stream: which });
}
