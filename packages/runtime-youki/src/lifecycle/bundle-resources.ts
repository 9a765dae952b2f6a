/**
 * An OCI bundle's `resources` against its config.json: libcontainer enforces what config.json's
 * `linux.resources` says, so a bundle whose `resources` are not there is refused rather than run
 * without them.
 *
 * @module lifecycle/bundle-resources
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode } from '@magikrun/core/errors';
import { assertLimitsSupported, type OciBundle, resourcesFor } from '@magikrun/core/runtime';
import { YOUKI_CAPABILITIES } from '../capabilities.js';

/**
 * Read config.json; refuse limits youki cannot enforce and `resources` that config.json does not carry.
 *
 * @throws MagikrunError `UNSUPPORTED` (wall clock, fuel), `INVALID_ARGUMENT` (config.json unreadable as
 *   JSON, or its memory, CPU quota/period or pids limit differ from `bundle.resources`), `NOT_FOUND` (no config.json).
 */
export async function checkBundleResources(bundle: OciBundle): Promise<void> {
  assertLimitsSupported({ name: 'youki', capabilities: YOUKI_CAPABILITIES }, bundle.resources);
  const file = path.join(bundle.path, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw err(ErrorCode.NotFound, `the bundle ${bundle.path} has no config.json; build it with BundleBuilder (kind 'oci') or \`magikrun bundle\``, { bundle: bundle.path });
  }
  if (!bundle.resources) return; // libcontainer reads and validates config.json itself
  let spec: { linux?: { resources?: Record<string, { limit?: number; quota?: number; period?: number } | undefined> } };
  try {
    spec = JSON.parse(text) as typeof spec;
  } catch (e) {
    throw err(ErrorCode.InvalidArgument, `${file} is not JSON: ${(e as Error).message}`, { bundle: bundle.path }, e);
  }
  const want = resourcesFor(bundle.resources);
  const have = spec.linux?.resources ?? {};
  const differs: string[] = [];
  if (want.memory && have.memory?.limit !== want.memory.limit) differs.push(`memory.limit ${String(have.memory?.limit)} (resources.memoryBytes ${want.memory.limit})`);
  if (want.cpu && (have.cpu?.quota !== want.cpu.quota || have.cpu?.period !== want.cpu.period)) differs.push(`cpu quota/period ${String(have.cpu?.quota)}/${String(have.cpu?.period)} (resources.cpus ${String(bundle.resources.cpus)})`);
  if (want.pids && have.pids?.limit !== want.pids.limit) differs.push(`pids.limit ${String(have.pids?.limit)} (resources.pids ${want.pids.limit})`);
  if (differs.length > 0) {
    throw err(
      ErrorCode.InvalidArgument,
      `the bundle's resources are not in its config.json's linux.resources, which is what is enforced: ${differs.join('; ')}; build the bundle with BundleBuilder.build({ resources }) or write them into config.json`,
      { bundle: bundle.path, differs },
    );
  }
}
