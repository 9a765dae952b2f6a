/**
 * How the CLI gets an image: from the local image index when it was pulled before, else by a pull
 * that accepts only the platforms an installed runtime can run. An OCI layout (`oci:DIR[:TAG]`) is
 * read on every use, as skopeo and podman read it: the local copy serves only while the layout still
 * names the same manifest.
 *
 * @module image-source
 */
import { BlobStore, currentLayoutDigest, err, ErrorCode, hostLinuxPlatform, parseImageSource, loadImage, parsePlatform, platformMatches, Platform, pullImage, resolveStoreRoot, WASM_PLATFORM } from '@magikrun/core';
import type { BundleKind, OciPlatform, PulledImage, RegistryAccessOptions } from '@magikrun/core';
import { RuntimeRegistry } from '@magikrun/registry';
import { PullProgressDisplay } from './progress.js';

/** What every command that touches images needs. */
export interface CliContext {
  root: string;
  platform: Platform;
  store: BlobStore;
}

/** The data root: `--root`, else `$MAGIKRUN_ROOT`, else `~/.magikrun`. */
export function dataRoot(root?: string): string {
  return resolveStoreRoot(root);
}

export async function openContext(root?: string): Promise<CliContext> {
  const resolved = dataRoot(root);
  return { root: resolved, platform: await Platform.detect(), store: new BlobStore({ root: resolved }) };
}

/**
 * The runtime registry for this data root: each runtime keeps its derived data (compiled-module
 * caches) under `<root>/cache/<runtime>`, so `--root` moves everything.
 */
export function openRegistry(ctx: Pick<CliContext, 'root' | 'platform'>): Promise<RuntimeRegistry> {
  return RuntimeRegistry.create(ctx.platform, { root: ctx.root });
}

export interface ResolveOptions {
  /** `--platform`; decides alone when given. */
  platform?: string;
  /**
   * `missing` (default): use the local copy if there is one; `always`: pull; `never`: local only. For an
   * OCI layout, `missing` and `never` both read the layout (no network is involved) and copy what it
   * names now into the store, unless the local copy is that already; blobs in the store are not copied again.
   */
  pull: 'missing' | 'always' | 'never';
  quiet: boolean;
  /** Registry credentials, TLS, timeouts (the registry flags). */
  access?: RegistryAccessOptions;
  /** Cancels a pull (Ctrl-C); verified blobs stay for the next try. */
  signal?: AbortSignal;
  /** Accept only platforms for these bundle kinds (`run --runtime`: that runtime's). @default all the registry runs */
  kinds?: readonly BundleKind[];
}

/**
 * The image for `reference`: the local copy (per the pull policy) or a fresh pull with progress on stderr.
 *
 * @throws MagikrunError `NOT_FOUND` with `--pull never` and no local copy of a registry or archive
 *   image, or for an OCI layout that is gone or lacks the tag; any error of `pullImage`.
 */
export async function resolveImage(ctx: CliContext, registry: RuntimeRegistry | undefined, reference: string, options: ResolveOptions): Promise<PulledImage> {
  const wanted = options.platform === undefined ? undefined : parsePlatform(options.platform);
  const source = parseImageSource(reference); // a malformed reference fails here, before any "pulling" line
  if (options.pull !== 'always') {
    const local = await loadImage(source, ctx.store);
    if (local && (wanted === undefined || platformMatches(wanted, local.platform))) {
      // A layout is the source of truth: its tag may name another manifest since it was read.
      if (source.transport !== 'oci') return local;
      if ((await currentLayoutDigest(source.layout)) === (local.indexDigest ?? local.digest)) return local;
    }
    if (options.pull === 'never' && source.transport !== 'oci') {
      throw err(ErrorCode.NotFound, `image ${reference} is not in the local store and --pull never forbids pulling it`, { reference });
    }
  }
  const display = options.quiet ? undefined : new PullProgressDisplay(process.stderr, reference);
  try {
    const image = await pullImage(source, ctx.store, {
      ...options.access,
      platform: options.platform,
      acceptPlatforms: registry ? registry.platforms(options.kinds) : undefined,
      signal: options.signal,
      onProgress: display ? (p) => display.update(p) : undefined,
    });
    display?.finish(image.digest);
    return image;
  } catch (e) {
    display?.fail();
    throw e;
  }
}
