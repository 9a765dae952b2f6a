/**
 * Tar entry names as the layer applier accepts them.
 *
 * Leading `/` and `./` are dropped and repeated slashes collapsed (an absolute name means "from the
 * image root", as Docker and containerd treat it); an entry naming the root itself yields `[]` and is
 * skipped by the applier, as containerd does. A `..` component anywhere is refused — containerd
 * would clamp it at the root, but no image tool writes one and an entry that tries is hostile.
 * Names longer than the path limit, deeper than the depth limit, with a NUL byte or with a component
 * longer than NAME_MAX (255 bytes) are refused too.
 *
 * @module rootfs/entry-name
 */
import { err, ErrorCode } from '../errors.js';
import { MAX_ENTRY_PATH_DEPTH, MAX_ENTRY_PATH_LENGTH } from '../constants.js';

/** OCI whiteout prefix (image-spec layer.md "Whiteouts"). */
export const WHITEOUT_PREFIX = '.wh.';
/** OCI opaque-directory marker. */
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
/** AUFS metadata prefix (`.wh..wh.plnk`, `.wh..wh.aufs`…): never content, skipped as Docker does. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';

/** Longest file name component on Linux (NAME_MAX), in bytes. */
export const NAME_MAX = 255;

/** Limits on entry names. */
export interface NameLimits {
  /** Longest name, in bytes. @default MAX_ENTRY_PATH_LENGTH */
  maxPathLength: number;
  /** Most components. @default MAX_ENTRY_PATH_DEPTH */
  maxPathDepth: number;
}

const DEFAULT_NAME_LIMITS: NameLimits = { maxPathLength: MAX_ENTRY_PATH_LENGTH, maxPathDepth: MAX_ENTRY_PATH_DEPTH };

/**
 * The components of an entry name (or hard-link target), relative to the image root (`[]` for the root itself).
 *
 * @param layer the layer digest, for messages.
 * @throws MagikrunError `PATH_ESCAPE` for a `..` component; `INVALID_ARGUMENT` for a NUL byte or a
 *   component over NAME_MAX; `LIMIT_EXCEEDED` for a name over the length or depth limit.
 */
export function entryComponents(name: string, layer: string, limits: NameLimits = DEFAULT_NAME_LIMITS): string[] {
  if (name.includes('\0')) throw err(ErrorCode.InvalidArgument, `layer ${layer} has an entry name with a NUL byte`, { layer });
  if (Buffer.byteLength(name) > limits.maxPathLength) {
    throw err(ErrorCode.LimitExceeded, `layer ${layer} has an entry name of ${Buffer.byteLength(name)} bytes, more than the limit of ${limits.maxPathLength}`, {
      layer,
      entry: name.slice(0, 200),
      limit: 'maxPathLength',
      max: limits.maxPathLength,
    });
  }
  const parts = name.split('/').filter((c) => c !== '' && c !== '.');
  for (const c of parts) {
    if (c === '..') {
      throw err(ErrorCode.PathEscape, `layer ${layer} has an entry ${JSON.stringify(name)} that climbs out of the image root with ".."; refusing the image`, {
        layer,
        entry: name,
      });
    }
    if (c.length > NAME_MAX / 4 && Buffer.byteLength(c) > NAME_MAX) {
      throw err(ErrorCode.InvalidArgument, `layer ${layer} has an entry ${JSON.stringify(name.slice(0, 200))} with a component longer than ${NAME_MAX} bytes`, { layer });
    }
  }
  if (parts.length > limits.maxPathDepth) {
    throw err(ErrorCode.LimitExceeded, `layer ${layer} has an entry ${parts.length} directories deep, more than the limit of ${limits.maxPathDepth}`, {
      layer,
      entry: name.slice(0, 200),
      limit: 'maxPathDepth',
      max: limits.maxPathDepth,
    });
  }
  return parts;
}
