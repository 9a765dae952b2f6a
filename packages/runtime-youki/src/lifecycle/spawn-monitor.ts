/**
 * Spawning the monitor and reading its one report line (fd 3), within a deadline and an AbortSignal.
 *
 * @module lifecycle/spawn-monitor
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { err, ErrorCode, type MagikrunError } from '@magikrun/core/errors';
import type { MonitorConfig, MonitorReport } from '../binding/monitor-protocol.js';

/** Largest report line, in bytes (it is a few dozen). */
const MAX_REPORT = 64 * 1024;

/** The monitor's environment: nothing of ours leaks into it (libcontainer sets the container's own). */
function monitorEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
}

/**
 * Spawn the monitor in its own session (so that it, and the container, outlive this process and its
 * terminal's signals).
 */
export function spawnMonitor(monitorPath: string, config: MonitorConfig, stdio: readonly ('ignore' | 'pipe')[]): ChildProcess {
  return spawn(monitorPath, [JSON.stringify(config)], { detached: true, stdio: [...stdio], env: monitorEnv(), cwd: '/' });
}

/**
 * Resolve with the report, or reject: the monitor failed to start (UNAVAILABLE), exited without a
 * report (INTERNAL), the deadline passed (TIMEOUT) or the signal aborted (ABORTED).
 */
export function readReport(child: ChildProcess, id: string, timeoutMs: number, signal?: AbortSignal): Promise<MonitorReport> {
  const pipe = child.stdio[3] as Readable | null | undefined;
  return new Promise<MonitorReport>((resolve, reject) => {
    let text = '';
    let settled = false;
    const finish = (e: MagikrunError | undefined, report?: MonitorReport): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      child.removeListener('error', onError);
      child.removeListener('exit', onExit);
      pipe?.removeListener('data', onData);
      pipe?.destroy();
      if (e) reject(e);
      else resolve(report as MonitorReport);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        try {
          finish(undefined, JSON.parse(text.slice(0, nl)) as MonitorReport);
        } catch (e) {
          finish(err(ErrorCode.Internal, `create "${id}": the monitor sent a malformed report: ${(e as Error).message}`, { id }));
        }
      } else if (text.length > MAX_REPORT) {
        finish(err(ErrorCode.Internal, `create "${id}": the monitor's report is longer than ${MAX_REPORT} bytes`, { id }));
      }
    };
    const onError = (e: Error): void =>
      finish(err(ErrorCode.Unavailable, `create "${id}": the monitor could not be started: ${e.message}`, { id, reason: 'monitor not executable' }, e));
    // 'exit' may fire before the last data event: give the pipe a turn to deliver it.
    const onExit = (code: number | null, sig: NodeJS.Signals | null): void =>
      void setImmediate(() =>
        finish(err(ErrorCode.Internal, `create "${id}": the monitor exited (${sig ?? `code ${code}`}) before it reported`, { id, code, signal: sig })),
      );
    const onAbort = (): void => finish(err(ErrorCode.Aborted, `create "${id}" was aborted`, { id }));
    const timer = setTimeout(
      () => finish(err(ErrorCode.Timeout, `create "${id}" did not finish within ${timeoutMs} ms`, { id, timeoutMs })),
      timeoutMs,
    );
    if (!pipe) {
      finish(err(ErrorCode.Internal, `create "${id}": the monitor has no report pipe`, { id }));
      return;
    }
    pipe.on('data', onData);
    child.once('error', onError);
    child.once('exit', onExit);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
