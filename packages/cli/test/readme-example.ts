import type { Writable } from 'node:stream';
import { BlobStore, BundleBuilder, imageBundleKind, Platform, pullImage, removeBundle } from '@magikrun/core';
import type { ExitStatus } from '@magikrun/core';
import { RuntimeRegistry } from '@magikrun/registry';

/** Pull `reference`, build its bundle, and run it to completion on the first installed backend that fits. */
export async function runImage(reference: string, args: string[], out: { stdout: Writable; stderr: Writable; root?: string }): Promise<ExitStatus> {
  const platform = await Platform.detect();
  const registry = await RuntimeRegistry.create(platform);
  console.log('available runtimes:', registry.availableRuntimes()); // [ 'wasmtime', 'youki' ] as root on Linux

  const store = new BlobStore({ root: out.root }); // ~/.magikrun unless root or MAGIKRUN_ROOT says otherwise
  const image = await pullImage(reference, store); // every blob sha256-verified before it is visible
  const kind = imageBundleKind(image); // 'wasm' for WebAssembly images, 'oci' (rootfs + config.json) for Linux ones
  const bundle = await new BundleBuilder({ root: out.root }).image(image).storage(store).build({ kind, args });

  const runtime = registry.requireForBundle(bundle.kind);
  const id = 'readme-example';
  await runtime.create(id, bundle, { stdio: { stdout: out.stdout, stderr: out.stderr } });
  await runtime.start(id);
  const status = await runtime.wait(id); // { code: 0, reason: 'exited' }
  await runtime.delete(id);
  await removeBundle(bundle); // OCI delete leaves the bundle, as runc does
  return status;
}
