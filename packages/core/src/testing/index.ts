/**
 * `@magikrun/core/testing`: conformance suites that implementations run from their own tests.
 * Imports `vitest` (an optional peer dependency): import this entry from test files only.
 *
 * @packageDocumentation
 */
export type * from './types.js';
export { describeBlobStore, INVALID_DIGESTS, type BlobStoreFixture } from './describe-blob-store.js';
export { expectCode, rejection } from './expect-error.js';
export { describeOciRuntime, type OciConformanceOptions } from './describe-oci-runtime.js';
