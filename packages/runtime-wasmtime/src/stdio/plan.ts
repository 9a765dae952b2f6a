/**
 * Translating core's `StdioOptions` into what the binding takes, and attaching the Node side.
 *
 * - `'ignore'` (default): stdin closed (the module reads EOF at once); output discarded.
 * - `'pipe'`: a bounded pipe, exposed through `streams(id)`.
 * - `{ path }`: a host file opened by the binding (output: created 0644, truncated unless `append`).
 * - a `Writable` / `Readable`: a pipe that this package pumps, honouring backpressure.
 *
 * @module stdio/plan
 */
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { err, ErrorCode, type ContainerStreams, type InputSource, type OutputTarget, type StdioOptions } from '@magikrun/core';
import type { BindingEngine, BindingInput, BindingOutput } from '../binding/types.js';
import { pipeReadable, pumpFromReadable, pumpToWritable, stdinWritable } from './streams.js';

/** What to do once a container exists (and once it starts). */
export interface StdioPlan {
  stdin: BindingInput;
  stdout: BindingOutput;
  stderr: BindingOutput;
  /** Build the `'pipe'` streams for `streams(id)`; output is read once `gate` resolves (started or stopped). */
  streams(engine: BindingEngine, handle: number, gate: Promise<void>): ContainerStreams;
  /**
   * Start the pumps for `Writable`/`Readable` targets; resolves when all output has reached them. A
   * `Readable` stdin is pumped until the module can no longer read or `ended` resolves.
   */
  pump(engine: BindingEngine, handle: number, ended: Promise<unknown>): Promise<void>;
}

function filePath(p: unknown, which: string): string {
  if (typeof p !== 'string' || p === '' || p.includes('\0')) {
    throw err(ErrorCode.InvalidArgument, `${which}: a file target needs a path string`, { stream: which });
  }
  return path.resolve(p);
}

function output(t: OutputTarget | undefined, which: 'stdout' | 'stderr'): BindingOutput {
  if (t === undefined || t === 'ignore') return { kind: 'ignore' };
  if (t === 'pipe' || t instanceof Writable) return { kind: 'pipe' };
  if (typeof t === 'object' && t !== null && 'path' in t) return { kind: 'file', path: filePath(t.path, which), append: t.append === true };
  throw err(ErrorCode.InvalidArgument, `${which} must be 'ignore', 'pipe', { path, append? } or a Writable`, { stream: which });
}

function input(s: InputSource | undefined): BindingInput {
  if (s === undefined || s === 'ignore') return { kind: 'ignore' };
  if (s === 'pipe' || s instanceof Readable) return { kind: 'pipe' };
  if (typeof s === 'object' && s !== null && 'path' in s) return { kind: 'file', path: filePath(s.path, 'stdin') };
  throw err(ErrorCode.InvalidArgument, `stdin must be 'ignore', 'pipe', { path } or a Readable`, { stream: 'stdin' });
}

/** @throws MagikrunError `INVALID_ARGUMENT` for a target of another shape. */
export function planStdio(stdio: StdioOptions = {}): StdioPlan {
  const plan = { stdin: input(stdio.stdin), stdout: output(stdio.stdout, 'stdout'), stderr: output(stdio.stderr, 'stderr') };
  return {
    ...plan,
    streams(engine, handle, gate) {
      const s: ContainerStreams = {};
      if (stdio.stdin === 'pipe') s.stdin = stdinWritable(engine, handle);
      if (stdio.stdout === 'pipe') s.stdout = pipeReadable(engine, handle, 'stdout', gate);
      if (stdio.stderr === 'pipe') s.stderr = pipeReadable(engine, handle, 'stderr', gate);
      return s;
    },
    async pump(engine, handle, ended) {
      const jobs: Promise<void>[] = [];
      if (stdio.stdout instanceof Writable) jobs.push(pumpToWritable(engine, handle, 'stdout', stdio.stdout));
      if (stdio.stderr instanceof Writable) jobs.push(pumpToWritable(engine, handle, 'stderr', stdio.stderr));
      // stdin is not awaited for the exit: a source that never ends must not delay `wait`.
      if (stdio.stdin instanceof Readable) void pumpFromReadable(engine, handle, stdio.stdin, ended).catch(() => undefined);
      await Promise.allSettled(jobs);
    },
  };
}
