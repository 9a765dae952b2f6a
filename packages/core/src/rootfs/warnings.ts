/**
 * Warnings of an unpack: what could not be materialised as the image asks, and why. They go to the
 * caller's `onWarning` callback and into the returned stats, never to the console.
 *
 * @module rootfs/warnings
 */

/** Why an entry (or part of it) was not applied as written. */
export type UnpackWarningCode =
  /** A device node was not created (not privileged, or mknod refused). */
  | 'device-skipped'
  /** A FIFO could not be created (mknod refused or missing). */
  | 'fifo-skipped'
  /** Ownership (uid/gid) was not applied: the unpack does not run as root. One per layer. */
  | 'ownership-skipped'
  /** An extended attribute was not applied (no `setfattr`, not privileged, not supported by the filesystem, or an overlay-internal name). */
  | 'xattr-skipped'
  /** AUFS metadata (`.wh..wh.plnk`, `.wh..wh.aufs`…) skipped, as Docker does. */
  | 'aufs-metadata-skipped';

/** One warning. */
export interface UnpackWarning {
  code: UnpackWarningCode;
  /** Digest of the layer. */
  layer: string;
  /** The entry name as stored in the tar, when the warning is about one entry. */
  entry?: string;
  /** What happened and what it means for the rootfs. */
  message: string;
}

/** Receives warnings as they happen. */
export type WarningSink = (warning: UnpackWarning) => void;
