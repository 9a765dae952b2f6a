/**
 * Tar entry names as the layer applier accepts them.
 *
 * Leading `/` and `./` are dropped (an absolute name means "from the image root", as Docker and
 * containerd treat it); a `..` component anywhere is refused — containerd would clamp it, but no
 * image tool writes one, and an entry that tries is hostile.
 *
 * @module bundle-builder/rootfs/entry-name
 */
import { err, ErrorCode } from '../../errors.js';

/** OCI whiteout prefix (image-spec layer.md "Whiteouts"). */
export const WHITEOUT_PREFIX = '.wh.';
/** OCI opaque-directory marker. */
export const WHITEOUT_OPAQUE = '.wh..wh..opq';

/**
 * The components of an entry name, relative to the image root (`[]` for the root itself).
 *
 * @param layer the layer digest, for messages.
 * @throws MagikrunError `PATH_ESCAPE` for a `..` component; `INVALID_ARGUMENT` for a NUL byte.
 */
export function entryComponents(name: string, layer: string): string[] {
  if (name.includes('\0')) throw err(ErrorCode.InvalidArgument, `layer ${layer} has an entry name with a NUL byte`, { layer });
  const parts = name.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) {
    throw err(ErrorCode.PathEscape, `layer ${layer} has an entry ${JSON.stringify(name)} that climbs out of the image root with ".."; refusing the image`, {
      layer,
      entry: name,
    });
  }
  return parts;
}
