/**
 * Leases: what keeps blobs that an in-flight operation (a pull, an import) has written, or is about to
 * reference, from being swept by garbage collection before an image index entry references them.
 * Modelled on containerd's leases (`leases.Manager`): a lease names resources; GC treats every resource
 * of a live lease as a root.
 *
 * Shapes only; the implementation lives in `storage/leases.ts`.
 *
 * @module storage/lease-types
 */

/** One lease as stored under `<root>/leases/<id>.json`. */
export interface LeaseRecord {
  /** `[A-Za-z0-9._-]{1,128}`; generated when not given. */
  id: string;
  /** Creation time, ms since the epoch. */
  createdAt: number;
  /** Expiry, ms since the epoch; a lease past it is dead. Absent = until released or its holder dies. */
  expiresAt?: number;
  /** The process that holds it: pid plus its start time (from /proc/<pid>/stat), so a reused pid is not mistaken for the holder. */
  holder?: { pid: number; startTime: string };
  /** Digests the lease protects. */
  digests: string[];
  labels?: Record<string, string>;
}

/** A lease held by this process. */
export interface Lease {
  readonly id: string;
  /** Protect `digest` (idempotent); call before the blob is written or referenced. */
  add(digest: string): Promise<void>;
  /** Drop the lease; its blobs become collectable unless something else references them. */
  release(): Promise<void>;
}

/** Options of `BlobStore.leases.create`. */
export interface LeaseOptions {
  id?: string;
  /** Lifetime in ms from now. @default none: until released, or until the holder process is gone */
  expiresInMs?: number;
  labels?: Record<string, string>;
}
