/**
 * `magikrun logs [-f] ID`: the output of a container started with `run -d` — its stdout to our stdout,
 * its stderr to our stderr — streamed from the log files its monitor writes, never held whole in
 * memory. `-f` follows both until the container stops (or Ctrl-C), as `docker logs -f`.
 *
 * @module commands/logs
 */
import type { Command } from 'commander';
import { err, ErrorCode, isMagikrunError } from '@magikrun/core';
import { pipeline } from 'node:stream/promises';
import { isClosedPipe } from '../closed-pipe.js';
import { findContainer, openHostRuntimes } from '../host-containers.js';
import type { GlobalOptions } from '../global-options.js';
import { SignalForwarder } from '../signals.js';

export function registerLogs(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('logs')
    .description('print the stdout and stderr of a container started with run -d')
    .argument('<id>', 'container id')
    .option('-f, --follow', 'keep printing new output until the container stops')
    .action(async (id: string, opts: { follow?: boolean }, cmd: Command) => {
      const hosts = await openHostRuntimes(cmd.optsWithGlobals<GlobalOptions>().root);
      const { runtime, info } = await findContainer(hosts, id);
      if (!info.logs) {
        throw err(ErrorCode.NotFound, `container ${id} has no logs: its output went where its creator sent it (only "magikrun run -d" writes logs)`, { id });
      }
      // Ctrl-C (or SIGTERM, SIGHUP) ends following: the same handling as run's before its workload starts.
      const signals = new SignalForwarder();
      const { abort } = signals;
      try {
        const { stdout, stderr } = runtime.logs(id, { follow: opts.follow === true, signal: abort.signal });
        // Streamed with backpressure, chunk by chunk; our own stdout/stderr stay open.
        await Promise.all([
          stdout ? pipeline(stdout, process.stdout, { end: false, signal: abort.signal }) : undefined,
          stderr ? pipeline(stderr, process.stderr, { end: false, signal: abort.signal }) : undefined,
        ]);
      } catch (e) {
        // The reader of our output has gone (`| head`): stop reading both logs and end quietly.
        const interrupted = abort.signal.aborted && ((e as { name?: string }).name === 'AbortError' || isMagikrunError(e, ErrorCode.Aborted));
        if (!isClosedPipe(e) && !interrupted) throw e;
        abort.abort();
      } finally {
        signals.dispose();
      }
      setExitCode(0);
    });
}
