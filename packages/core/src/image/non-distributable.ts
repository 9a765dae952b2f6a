/**
 * Non-distributable ("foreign") layers: image-spec layer media types `…nondistributable…` and
 * Docker's `…rootfs.foreign.diff.tar.gzip`, or any layer with `urls` (image-spec descriptor.md
 * "urls"). Their content may live outside the registry, at hosts the image's author picked; magikrun
 * fetches them only with an explicit opt-in (containerd and skopeo also treat them specially), and
 * never sends registry credentials to those hosts.
 *
 * @module image/non-distributable
 */
import { err, ErrorCode } from '../errors.js';
import type { Descriptor, ImageManifest } from './manifest.js';

/** True for a layer whose media type marks it non-distributable or that names `urls`. */
export function isNonDistributable(d: Descriptor): boolean {
  return /nondistributable|\.foreign\./.test(d.mediaType) || (d.urls !== undefined && d.urls.length > 0);
}

/**
 * Refuse non-distributable layers unless `allow` — before anything is downloaded.
 *
 * @throws MagikrunError `UNSUPPORTED` naming the layer and the `allowNonDistributable` option.
 */
export function checkDistributable(manifest: ImageManifest, allow: boolean, label: string): void {
  if (allow) return;
  const foreign = manifest.layers.find(isNonDistributable);
  if (!foreign) return;
  const where = foreign.urls?.length ? ` (its urls point at ${[...new Set(foreign.urls.map((u) => { try { return new URL(u).host; } catch { return u; } }))].join(', ')})` : '';
  throw err(
    ErrorCode.Unsupported,
    `${label}: layer ${foreign.digest} is non-distributable (${foreign.mediaType})${where}; pass allowNonDistributable to fetch it (from the registry, else its urls, without credentials)`,
    { digest: foreign.digest, mediaType: foreign.mediaType },
  );
}
