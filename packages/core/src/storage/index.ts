export type * from './types.js';
export { parseDigest, validateDigest, isDigest, sha256Digest, type ParsedDigest } from './digest.js';
export { BlobStore, STALE_INGEST_AGE, type BlobStoreOptions, type ReadStreamOptions } from './blob-store.js';
export { resolveStoreRoot, ROOT_ENV } from './root.js';
export { LeaseManager, isLeaseLive } from './leases.js';
export type { Lease, LeaseOptions, LeaseRecord } from './lease-types.js';
export { acquireProcessLock, isHolderAlive, readLockHolder, currentHolder, type ProcessLock, type LockHolder, type AcquireLockOptions } from './process-lock.js';
export type { OpenAt, RangeSource, ResumableWriteOptions, ResumableResult } from './resumable-ingest.js';
