/**
 * `magikrun rm [-f] ID…`: remove stopped containers — the runtime's state, cgroups and mounts, and
 * for containers of `magikrun run` also their bundle and snapshot. A running container is refused
 * unless `-f` (which kills it first, as `docker rm -f`); a created one that never started is removed
 * (its waiting init is killed). Prints each id removed; exits 125 if any failed.
 *
 * @module commands/rm
 */
import type { Command } from 'commander';
import { err, ErrorCode } from '@magikrun/core';
import { findContainer, openHostRuntimes } from '../host-containers.js';
import { removeLinuxBundle } from '../linux-bundle.js';
import { formatError, type GlobalOptions } from '../program.js';
import { EXIT_MAGIKRUN_FAILED } from '../exit-codes.js';

export function registerRm(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('rm')
    .description('remove stopped containers (-f: running ones too, killing them)')
    .argument('<id...>', 'container ids')
    .option('-f, --force', 'kill and remove running containers')
    .action(async (ids: string[], opts: { force?: boolean }, cmd: Command) => {
      const hosts = await openHostRuntimes(cmd.optsWithGlobals<GlobalOptions>().root);
      let failed = false;
      for (const id of ids) {
        try {
          const { runtime, info } = await findContainer(hosts, id);
          if ((info.status === 'running' || info.status === 'creating') && !opts.force) {
            throw err(ErrorCode.InvalidState, `container ${id} is ${info.status}; stop it first ("magikrun stop ${id}") or use "magikrun rm -f ${id}"`, { id, status: info.status });
          }
          await runtime.delete(id, { force: info.status !== 'stopped' });
          await removeLinuxBundle(id, info.bundle, info.annotations);
          process.stdout.write(`${id}\n`);
        } catch (e) {
          failed = true;
          process.stderr.write(`magikrun: ${formatError(e)}\n`);
        }
      }
      setExitCode(failed ? EXIT_MAGIKRUN_FAILED : 0);
    });
}
