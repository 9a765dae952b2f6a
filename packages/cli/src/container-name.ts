/**
 * Checks on the container name `magikrun run --name` takes, made before anything is pulled or written.
 *
 * @module container-name
 */
import { claimBundle, err, ErrorCode, isMagikrunError, sweepBundleLeftovers, validateContainerId } from '@magikrun/core';
import type { BundleClaim, LockHolder } from '@magikrun/core';
import type { RuntimeRegistry } from '@magikrun/registry';
import { containerExists, containerStatus, hostScoped } from './host-containers.js';

/** Longest directory name (bytes) on Linux file systems: a host-scoped runtime keeps one state directory per container and refuses longer ids. */
export const MAX_DIRECTORY_NAME = 255;

/**
 * Longest container name, in characters (ids are ASCII): 237. The name becomes directory names — the
 * runtime's state directory and the bundle, which core stages first as `.tmp-NAME-<12 hex>` (18 more
 * characters) — and a directory name holds at most 255 bytes.
 */
export const MAX_CONTAINER_NAME_LENGTH = MAX_DIRECTORY_NAME - '.tmp--'.length - 12;

/**
 * How long `run --name` waits for another magikrun process to release the name before refusing it, in
 * ms: 5000 — a process removing what a killed run left is done well within it; one building or running
 * a container of that name is not, and the name is refused after the wait.
 */
export const NAME_RELEASE_WAIT_MS = 5_000;

/** docker's container name rule (daemon/names: `[a-zA-Z0-9][a-zA-Z0-9_.-]`), one character allowed. */
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * `name` if it is a valid container id (core's `validateContainerId`) of at most 237 characters.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` naming the rule broken.
 */
export function validateContainerName(name: string): string {
  const id = validateContainerId(name);
  if (!DOCKER_NAME.test(id)) {
    throw err(ErrorCode.InvalidArgument, `container name ${JSON.stringify(id)} must start with a letter or digit and hold only letters, digits, "_", "." and "-" (as docker requires)`, { name: id });
  }
  if (id.length > MAX_CONTAINER_NAME_LENGTH) {
    throw err(ErrorCode.InvalidArgument, `container name is ${id.length} characters long; use at most ${MAX_CONTAINER_NAME_LENGTH} (it names directories, whose names hold at most ${MAX_DIRECTORY_NAME} bytes with the bundle's staging affixes)`, {
      length: id.length,
      max: MAX_CONTAINER_NAME_LENGTH,
      directoryNameMax: MAX_DIRECTORY_NAME,
    });
  }
  return id;
}

/**
 * Reserve container name `id` for one `magikrun run` under data root `root`: refuse it while a
 * container holds it (see {@link refuseTakenName}) or another live `magikrun` process claims it
 * (core's bundle claim: it is building, running or removing that container); remove what a dead
 * process left under that name (staging directories, bundle, snapshot: core's `sweepBundleLeftovers`).
 * The claim is held until the run releases it (or its bundle is removed). With `generated` (a random
 * name magikrun made), only the claim is taken.
 *
 * @throws MagikrunError `ALREADY_EXISTS` naming the container or the process that holds the name.
 */
export async function reserveContainerName(root: string, registry: RuntimeRegistry, id: string, options: { generated?: boolean } = {}): Promise<BundleClaim> {
  if (!options.generated) await refuseTakenName(registry, id);
  let claim: BundleClaim;
  try {
    // A process that is removing what a killed run of this name left (its watchdog, an rm) is done
    // within moments: wait for it rather than refuse a name that is about to be free.
    ({ claim } = await claimBundle(root, id, { waitTimeoutMs: NAME_RELEASE_WAIT_MS }));
  } catch (e) {
    if (!isMagikrunError(e, ErrorCode.Locked)) throw e;
    const pid = (e.details as { holder?: LockHolder }).holder?.pid;
    throw err(ErrorCode.AlreadyExists, `container name "${id}" is in use by the magikrun process ${pid ?? '?'}, which is starting, running or removing it`, { id, pid }, e);
  }
  try {
    // A name magikrun just made up has no past: nothing to look for on the hot path of every run.
    if (options.generated) return claim;
    // A container created just before the claim's last holder died holds the name as well.
    await refuseTakenName(registry, id);
    await sweepBundleLeftovers(root, { ids: [id], inUse: (x) => containerExists(hostScoped(registry), x) });
    return claim;
  } catch (e) {
    await claim.release();
    throw e;
  }
}

/**
 * Refuse `id` when a runtime whose containers outlive magikrun (`capabilities.scope` `'host'`) already
 * holds a container of that name (its `state(id)` answers), as `docker run --name` does. A stopped one
 * is looked at once more after the runtime's `list()`, which removes containers whose monitor died
 * without recording an exit (nothing can show or wait for them any more; `ps -a` would not list them).
 *
 * @throws MagikrunError `ALREADY_EXISTS` pointing at `magikrun rm`.
 */
export async function refuseTakenName(registry: RuntimeRegistry, id: string): Promise<void> {
  for (const runtime of hostScoped(registry)) {
    const status = await containerStatus(runtime, id);
    if (status === undefined) continue;
    if (status === 'stopped') {
      await runtime.list();
      if ((await containerStatus(runtime, id)) === undefined) continue;
    }
    throw err(ErrorCode.AlreadyExists, `container name "${id}" is already in use (magikrun rm ${id} to remove it)`, { id, runtime: runtime.name });
  }
}
