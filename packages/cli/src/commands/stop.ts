/**
 * `magikrun stop [-t SECONDS] ID…`: send each container its stop signal (the image's StopSignal, else
 * SIGTERM), wait up to the timeout, then SIGKILL — as `docker stop`. A container that has already
 * stopped is left as it is. Prints each id stopped; exits 125 if any failed.
 *
 * @module commands/stop
 */
import type { Command } from 'commander';
import { DEFAULT_STOP_TIMEOUT, err, ErrorCode } from '@magikrun/core';
import { findContainer, openHostRuntimes } from '../host-containers.js';
import { eachArgument, type GlobalOptions } from '../global-options.js';

/** `-t SECONDS` in ms. @throws MagikrunError `INVALID_ARGUMENT` for anything but a whole number of seconds ≥ 0. */
export function stopTimeoutMs(value: string | undefined): number {
  if (value === undefined) return DEFAULT_STOP_TIMEOUT;
  if (!/^\d{1,7}$/.test(value)) throw err(ErrorCode.InvalidArgument, `-t ${JSON.stringify(value)}: expected a whole number of seconds, such as 10`, { time: value });
  return Number(value) * 1000;
}

export function registerStop(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('stop')
    .description('stop containers: their stop signal, then SIGKILL after the timeout')
    .argument('<id...>', 'container ids')
    .option('-t, --time <seconds>', `seconds to wait before SIGKILL (default ${DEFAULT_STOP_TIMEOUT / 1000})`)
    .action(async (ids: string[], opts: { time?: string }, cmd: Command) => {
      const timeoutMs = stopTimeoutMs(opts.time);
      const hosts = await openHostRuntimes(cmd.optsWithGlobals<GlobalOptions>().root);
      setExitCode(
        await eachArgument(ids, async (id) => {
          const { runtime, info } = await findContainer(hosts, id);
          if (info.status !== 'stopped') {
            await runtime.stop(id, { timeoutMs }).catch(async (e: unknown) => {
              // A container whose monitor died stops without an exit status (the runtime reports that as
              // an error of wait): it is stopped all the same, which is what was asked.
              if ((await runtime.state(id).catch(() => undefined))?.status !== 'stopped') throw e;
              process.stderr.write(`magikrun: warning: container ${id} stopped, but its exit status was lost (its monitor had died)\n`);
            });
          }
          process.stdout.write(`${id}\n`);
        }),
      );
    });
}
