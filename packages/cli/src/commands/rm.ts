/**
 * `magikrun rm [-f] ID…`: remove stopped containers — the runtime's state, cgroups and mounts, and
 * for containers of `magikrun run` also their bundle and snapshot. A running container is refused
 * unless `-f` (which kills it first, as `docker rm -f`); a created one that never started is removed
 * (its waiting init is killed). Prints each id removed; exits 125 if any failed.
 *
 * @module commands/rm
 */
import type { Command } from 'commander';
import { claimBundle, err, ErrorCode, isMagikrunError, sweepBundleLeftovers } from '@magikrun/core';
import { containerExists, findContainer, noHostRuntime, openHostRuntimes, type HostRuntimes } from '../host-containers.js';
import { NAME_RELEASE_WAIT_MS } from '../container-name.js';
import { removeRunBundle } from '../run-bundle.js';
import { eachArgument, type GlobalOptions } from '../global-options.js';

export function registerRm(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('rm')
    .description('remove stopped containers (-f: running ones too, killing them)')
    .argument('<id...>', 'container ids')
    .option('-f, --force', 'kill and remove running containers')
    .action(async (ids: string[], opts: { force?: boolean }, cmd: Command) => {
      const hosts = await openHostRuntimes(cmd.optsWithGlobals<GlobalOptions>().root);
      setExitCode(
        await eachArgument(ids, async (id) => {
          await remove(hosts, id, opts.force === true);
          process.stdout.write(`${id}\n`);
        }),
      );
    });
}

/** Wait up to NAME_RELEASE_WAIT_MS for the live process that claims `id` to let go (the claim is taken only to be released at once). */
async function waitForNameRelease(root: string, id: string): Promise<void> {
  try {
    const { claim, fresh } = await claimBundle(root, id, { waitTimeoutMs: NAME_RELEASE_WAIT_MS });
    if (fresh) await claim.release();
  } catch (e) {
    if (!isMagikrunError(e, ErrorCode.Locked)) throw e;
  }
}

/**
 * Remove container `id`, or — when no runtime knows it (its monitor died and its state was cleaned up,
 * or `/run` was cleared by a reboot, or `magikrun run` was killed before it created it) — what it left
 * in the data root: staging directories, bundle, snapshot.
 *
 * @throws MagikrunError `NOT_FOUND` (nothing of that name), `INVALID_STATE` (running without force; or
 *   a live magikrun process is creating it), and what the runtime's delete throws.
 */
async function remove(hosts: HostRuntimes, id: string, force: boolean): Promise<void> {
  let found;
  try {
    found = hosts.runtimes.length > 0 ? await findContainer(hosts, id) : undefined;
  } catch (e) {
    if (!isMagikrunError(e, ErrorCode.NotFound)) throw e;
  }
  if (found) {
    const { runtime, info } = found;
    if ((info.status === 'running' || info.status === 'creating') && !force) {
      throw err(ErrorCode.InvalidState, `container ${id} is ${info.status}; stop it first ("magikrun stop ${id}") or use "magikrun rm -f ${id}"`, { id, status: info.status });
    }
    await runtime.delete(id, { force: info.status !== 'stopped' });
    try {
      if (await removeRunBundle(id, info.bundle, info.annotations)) return;
    } catch (e) {
      // The `magikrun run` attached to it is alive and removes its bundle itself when it sees the end.
      if (!isMagikrunError(e, ErrorCode.Locked)) throw e;
      return;
    }
    // Not a `magikrun run` bundle (a library program made it): what a process that is gone left under
    // this id in the data root goes too; a live process's claim keeps it.
    await sweepBundleLeftovers(hosts.ctx.root, { ids: [id], inUse: (x) => containerExists(hosts.runtimes, x) });
    return;
  }
  const sweep = () => sweepBundleLeftovers(hosts.ctx.root, { ids: [id], inUse: (x) => containerExists(hosts.runtimes, x) });
  let report = await sweep();
  if (report.busy.some((b) => b.id === id)) {
    // Another process holds the name: one removing it (a killed run's watchdog) is done within moments.
    await waitForNameRelease(hosts.ctx.root, id);
    report = await sweep();
  }
  if (report.removed.includes(id)) return;
  const busy = report.busy.find((b) => b.id === id);
  if (busy) throw err(ErrorCode.InvalidState, `container ${id} is being created or removed by the magikrun process ${busy.holder.pid}; try again once it has finished`, { id, pid: busy.holder.pid });
  if (hosts.runtimes.length === 0) throw noHostRuntime(hosts);
  throw err(ErrorCode.NotFound, `no such container: ${id} (see "magikrun ps -a")`, { id });
}
