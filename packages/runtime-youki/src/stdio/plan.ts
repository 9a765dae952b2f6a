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
import { Readable, Writable } from 'node:stream';
import { type ContainerStreams, routeInput, routeOutput, type StdioRoute } from '@magikrun/core/runtime';
import type { MonitorStdio } from '../binding/monitor-protocol.js';
import type { YoukiStdioOptions } from '../options.js';
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

/** The monitor's side of a route, and what `spawn` gives the monitor for it. */
function monitorSide(route: StdioRoute): [MonitorStdio, SpawnFd] {
  switch (route.kind) {
    case 'ignore':
      return [{ kind: 'null' }, 'ignore'];
    case 'log':
      return [{ kind: 'log' }, 'ignore'];
    case 'pipe':
      return [{ kind: 'inherit' }, 'pipe'];
    case 'file':
      return [{ kind: 'file', path: route.path, append: route.append }, 'ignore'];
  }
}

/** @throws MagikrunError `INVALID_ARGUMENT` for a target of another shape. */
export function planStdio(stdio: YoukiStdioOptions = {}, detach = false): StdioPlan {
  const fallback = detach ? 'log' : 'ignore';
  const [inCfg, inFd] = monitorSide(routeInput(stdio.stdin));
  const [outCfg, outFd] = monitorSide(routeOutput(stdio.stdout, 'stdout', { log: true, fallback }));
  const [errCfg, errFd] = monitorSide(routeOutput(stdio.stderr, 'stderr', { log: true, fallback }));
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
