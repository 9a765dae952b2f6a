/**
 * `magikrun logs [-f] ID`: the output of a container started with `run -d` — its stdout to our stdout,
 * its stderr to our stderr — streamed from the log files its monitor writes, never held whole in
 * memory. `-f` follows both until the container stops (or Ctrl-C), as `docker logs -f`.
 *
 * @module commands/logs
 */
import type { Command } from 'commander';
import { err, ErrorCode } from '@magikrun/core';
import { copyLog } from '../copy-log.js';
import { findContainer, openHostRuntimes } from '../host-containers.js';
import type { GlobalOptions } from '../program.js';

export function registerLogs(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('logs')
    .description('print the stdout and stderr of a container started with run -d')
    .argument('<id>', 'container id')
    .option('-f, --follow', 'keep printing new output until the container stops')
    .action(async (id: string, opts: { follow?: boolean }, cmd: Command) => {
      const hosts = await openHostRuntimes(cmd.optsWithGlobals<GlobalOptions>().root);
      const { runtime, info } = await findContainer(hosts, id);
      const { stdout, stderr } = info.logs ?? {};
      if (stdout === undefined && stderr === undefined) {
        throw err(ErrorCode.NotFound, `container ${id} has no logs: its output went where its creator sent it (only "magikrun run -d" writes logs)`, { id });
      }
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        // Done once the container has stopped (or was removed meanwhile).
        const stopped = async (): Promise<boolean> => {
          const status = (await runtime.state(id).catch(() => undefined))?.status;
          return status !== 'running' && status !== 'created' && status !== 'creating';
        };
        const follow = opts.follow ? { done: stopped } : undefined;
        const copies: Promise<number>[] = [];
        if (stdout !== undefined) copies.push(copyLog(stdout, process.stdout, { follow, signal: abort.signal }));
        if (stderr !== undefined) copies.push(copyLog(stderr, process.stderr, { follow, signal: abort.signal }));
        await Promise.all(copies).catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') throw err(ErrorCode.NotFound, `the logs of ${id} are gone (was it removed?)`, { id }, e);
          throw e;
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      setExitCode(0);
    });
}
