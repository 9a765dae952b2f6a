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
import { Readable, Writable } from 'node:stream';
import { type ContainerStreams, routeInput, routeOutput, type StdioOptions, type StdioRoute } from '@magikrun/core/runtime';
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

function binding(route: StdioRoute): BindingOutput {
  if (route.kind === 'file') return { kind: 'file', path: route.path, append: route.append };
  return { kind: route.kind === 'pipe' ? 'pipe' : 'ignore' };
}

/** @throws MagikrunError `INVALID_ARGUMENT` for a target of another shape. */
export function planStdio(stdio: StdioOptions = {}): StdioPlan {
  const stdin = routeInput(stdio.stdin);
  const plan = {
    stdin: (stdin.kind === 'file' ? { kind: 'file', path: stdin.path } : binding(stdin)) as BindingInput,
    stdout: binding(routeOutput(stdio.stdout, 'stdout')),
    stderr: binding(routeOutput(stdio.stderr, 'stderr')),
  };
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
