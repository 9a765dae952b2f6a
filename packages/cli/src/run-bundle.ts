/**
 * The bundles of `magikrun run` (built by the registry's `createContainer` under `<root>/bundles/<id>/`;
 * `oci` ones snapshot-backed). Every such bundle carries the annotation {@link DATA_ROOT_ANNOTATION}, so that any later `magikrun`
 * process (`rm`, `run --rm`) knows the container's bundle and snapshot are its to remove.
 *
 * @module run-bundle
 */
import path from 'node:path';
import { removeBundle } from '@magikrun/core';

/** Annotation naming the data root whose `bundles/<id>` and `snapshots` hold a `run` container's files. */
export const DATA_ROOT_ANNOTATION = 'io.magikrun.cli.root';

/**
 * Remove what `magikrun run` built for container `id`, once the runtime has deleted it (its
 * mounts are gone): the snapshot, then the bundle (core's `removeBundle`). Only for a bundle at
 * `<root>/bundles/<id>` whose annotation names `<root>`; anything else is not the CLI's and is left
 * alone (returns false).
 *
 * @throws MagikrunError `INVALID_STATE` when the snapshot is still mounted.
 */
export async function removeRunBundle(id: string, bundlePath: string, annotations: Readonly<Record<string, string>> | undefined): Promise<boolean> {
  const root = annotations?.[DATA_ROOT_ANNOTATION];
  if (root === undefined || !path.isAbsolute(root) || path.resolve(bundlePath) !== path.join(root, 'bundles', id)) return false;
  await removeBundle({ path: bundlePath, ...(annotations ? { annotations } : {}) });
  return true;
}
