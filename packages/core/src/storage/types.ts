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

/** Bytes for a streaming put: a Node `Readable`, a web `ReadableStream`, an async generator, or an array of chunks. */
export type BlobSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Options of a whole-blob read. */
export interface GetOptions {
  /** Refuse a blob larger than this many bytes before reading it (`LIMIT_EXCEEDED`). */
  maxSize?: number;
}

/**
 * What a content store offers; {@link BlobStore} implements it and `describeBlobStore` checks it.
 * Every method validates the digest first (`INVALID_ARGUMENT`, `UNSUPPORTED` for sha512).
 */
export interface ContentStore {
  /** Absolute path of the store root. */
  readonly root: string;
  /** True when the blob is stored. */
  has(digest: string): Promise<boolean>;
  /** The stored blob. @throws `NOT_FOUND` */
  stat(digest: string): Promise<BlobInfo>;
  /** The whole blob, verified. @throws `NOT_FOUND`, `LIMIT_EXCEEDED`, `DIGEST_MISMATCH` */
  get(digest: string, options?: GetOptions): Promise<Buffer>;
  /** A stream of the blob that errors with `DIGEST_MISMATCH` at its end if the bytes do not hash to `digest`. @throws `NOT_FOUND` */
  createReadStream(digest: string): Promise<import('node:stream').Readable>;
  /** Store bytes under their digest. @throws `DIGEST_MISMATCH`, `LIMIT_EXCEEDED`, `ABORTED` */
  put(digest: string, data: Uint8Array, options?: Omit<PutOptions, 'size'>): Promise<PutResult>;
  /** Stream bytes into the store, hashing on the fly. @throws `DIGEST_MISMATCH`, `LIMIT_EXCEEDED`, `INVALID_ARGUMENT` (short), `ABORTED` */
  putStream(digest: string, source: BlobSource, options?: PutOptions): Promise<PutResult>;
  /** Remove a blob; false when it was not there. */
  delete(digest: string): Promise<boolean>;
  /** Every stored blob. */
  list(): AsyncIterable<BlobInfo>;
}
