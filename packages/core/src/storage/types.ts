/**
 * The content store's public shapes.
 *
 * @module storage/types
 */

/** A blob as stored: its digest, its size in bytes and its path on disk. */
export interface BlobInfo {
  /** `sha256:<64 lowercase hex>` */
  digest: string;
  /** Size in bytes. */
  size: number;
  /** Absolute path `<root>/blobs/sha256/<2 hex>/<64 hex>`. */
  path: string;
}

/** Result of a put. */
export interface PutResult extends BlobInfo {
  /** False when the blob was already present (deduplicated): the existing copy was kept and nothing was written. */
  created: boolean;
}

/** Options of a streaming put. */
export interface PutOptions {
  /** Expected size in bytes; more or fewer bytes is an error (`LIMIT_EXCEEDED` / `INVALID_ARGUMENT`). */
  size?: number;
  /** Refuse more than this many bytes (`LIMIT_EXCEEDED`). */
  maxSize?: number;
  /** Cancel the write; nothing is left behind (`ABORTED`). */
  signal?: AbortSignal;
  /** Called with the running byte count as data arrives. */
  onProgress?: (bytes: number) => void;
}
