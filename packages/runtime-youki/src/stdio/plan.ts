/**
 * Translating stdio options into what the monitor takes and what Node.js attaches.
 *
 * - `'ignore'`: /dev/null.
 * - `{ path, append? }`: a host file the monitor opens (output: created 0644, truncated unless `append`).
 * - `'log'`: `stdout.log` / `stderr.log` in the state directory, created by the monitor.
 * - `'pipe'`, a `Writable` or a `Readable`: Node.js spawns the monitor with a pipe on that fd, and the
 *   container inherits it; this process reads (or feeds) it, honouring backpressure. Output never
 *   collects in memory beyond the stream buffers.
 *
 * @module stdio/plan
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { err, ErrorCode, type ContainerStreams, type InputSource } from '@magikrun/core';
import type { MonitorStdio } from '../binding/types.js';
import type { YoukiOutputTarget, YoukiStdioOptions } from '../options.js';
import { pumpToWritable } from './pump.js';

type SpawnFd = 'ignore' | 'pipe';

/** What create needs for stdio. */
export interface StdioPlan {
  monitor: { stdin: MonitorStdio; stdout: MonitorStdio; stderr: MonitorStdio };
  /** The monitor's stdio for `spawn` (fd 3 is its report pipe). */
  spawn: [SpawnFd, SpawnFd, SpawnFd, 'pipe'];
  /** Attach this process's side once the monitor is spawned. */
  attach(child: ChildProcess): { streams: ContainerStreams; outputDone: Promise<void> };
}

function filePath(p: unknown, which: string): string {
  if (typeof p !== 'string' || p === '' || p.includes('\0')) {
    throw err(ErrorCode.InvalidArgument, `${which}: a file target needs a path string`, { stream: which });
  }
  return path.resolve(p);
}

function output(t: YoukiOutputTarget | undefined, which: 'stdout' | 'stderr', detach: boolean): [MonitorStdio, SpawnFd] {
  if (t === undefined) return detach ? [{ kind: 'log' }, 'ignore'] : [{ kind: 'null' }, 'ignore'];
  if (t === 'ignore') return [{ kind: 'null' }, 'ignore'];
  if (t === 'log') return [{ kind: 'log' }, 'ignore'];
  if (t === 'pipe' || t instanceof Writable) return [{ kind: 'inherit' }, 'pipe'];
  if (typeof t === 'object' && t !== null && 'path' in t) return [{ kind: 'file', path: filePath(t.path, which), append: t.append === true }, 'ignore'];
  throw err(ErrorCode.InvalidArgument, `${which} must be 'ignore', 'pipe', 'log', { path, append? } or a Writable`, { stream: which });
}

function input(s: InputSource | undefined): [MonitorStdio, SpawnFd] {
  if (s === undefined || s === 'ignore') return [{ kind: 'null' }, 'ignore'];
  if (s === 'pipe' || s instanceof Readable) return [{ kind: 'inherit' }, 'pipe'];
  if (typeof s === 'object' && s !== null && 'path' in s) return [{ kind: 'file', path: filePath(s.path, 'stdin') }, 'ignore'];
  throw err(ErrorCode.InvalidArgument, `stdin must be 'ignore', 'pipe', { path } or a Readable`, { stream: 'stdin' });
}

/** @throws MagikrunError `INVALID_ARGUMENT` for a target of another shape. */
export function planStdio(stdio: YoukiStdioOptions = {}, detach = false): StdioPlan {
  const [inCfg, inFd] = input(stdio.stdin);
  const [outCfg, outFd] = output(stdio.stdout, 'stdout', detach);
  const [errCfg, errFd] = output(stdio.stderr, 'stderr', detach);
  return {
    monitor: { stdin: inCfg, stdout: outCfg, stderr: errCfg },
    spawn: [inFd, outFd, errFd, 'pipe'],
    attach(child) {
      const streams: ContainerStreams = {};
      const jobs: Promise<void>[] = [];
      if (child.stdin) {
        // The container may exit (or close its stdin) before the writer is done: EPIPE is expected.
        child.stdin.on('error', () => undefined);
        if (stdio.stdin === 'pipe') streams.stdin = child.stdin;
        else if (stdio.stdin instanceof Readable) stdio.stdin.pipe(child.stdin);
      }
      for (const [which, target, stream] of [
        ['stdout', stdio.stdout, child.stdout],
        ['stderr', stdio.stderr, child.stderr],
      ] as const) {
        if (!stream) continue;
        if (target === 'pipe') streams[which] = stream;
        else if (target instanceof Writable) jobs.push(pumpToWritable(stream, target));
      }
      return { streams, outputDone: Promise.all(jobs).then(() => undefined) };
    },
  };
}
