/**
 * Which kind of bundle an image needs.
 *
 * @module bundle-builder/bundle-kind
 */
import type { BundleKind } from '../runtime/bundle.js';
import { isWasmPlatform } from '../image/platform-match.js';
import { WASM_LAYER_MEDIA_TYPES } from '../image/media-types.js';
import type { PulledImage } from '../image/types.js';

/**
 * `wasm` when the image's config platform is a wasm one (architecture `wasm`, os `wasi`/`wasip1`/
 * `wasip2`) or a layer has a wasm media type; otherwise `oci`. (A Linux-labelled image whose
 * entrypoint happens to be a `.wasm` file is found only by building a wasm bundle, as runwasi does.)
 */
export function imageBundleKind(image: Pick<PulledImage, 'platform' | 'manifest'>): BundleKind {
  if (image.platform.architecture !== '' && isWasmPlatform(image.platform)) return 'wasm';
  if (image.manifest.layers.some((l) => WASM_LAYER_MEDIA_TYPES.has(l.mediaType))) return 'wasm';
  return 'oci';
}
