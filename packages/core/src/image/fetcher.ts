/**
 * What a pull reads from: a registry or an OCI image layout on disk. Nothing a fetcher returns is
 * trusted; `pullImage` verifies every size and digest.
 *
 * @module image/fetcher
 */
import type { Descriptor } from './manifest.js';

/** The document a reference points at, unverified. */
export interface TopDocument {
  bytes: Buffer;
  /** Announced media type (Content-Type, or the layout's descriptor). */
  contentType: string | undefined;
  /** The digest it must have, when known (pull by digest, a layout descriptor, Docker-Content-Digest). */
  expectedDigest: string | undefined;
  /** Where the expected digest came from, for messages. */
  expectedFrom: string;
  /** The size it must have, when known. */
  expectedSize: number | undefined;
}

/** A source of manifests and blobs. */
export interface ImageFetcher {
  /** The image as messages name it. */
  readonly label: string;
  /** Fetch the document the reference points at (a manifest or an index). */
  top(signal: AbortSignal): Promise<TopDocument>;
  /** Fetch a manifest or index by descriptor, at most `maxSize` bytes. */
  manifest(descriptor: Descriptor, maxSize: number, signal: AbortSignal): Promise<Buffer>;
  /** Open a blob as a byte stream. The consumer must read it to the end or destroy it. */
  blob(descriptor: Descriptor, signal: AbortSignal): Promise<AsyncIterable<Uint8Array> & { destroy?(error?: Error): void }>;
  /**
   * Open a blob from byte `offset` on (resuming a download). `start` is where the returned body
   * really begins: 0 when the source ignored the offset. Without it, downloads restart from 0.
   */
  blobAt?(descriptor: Descriptor, offset: number, signal: AbortSignal): Promise<{ body: AsyncIterable<Uint8Array> & { destroy?(error?: Error): void }; start: number }>;
}
