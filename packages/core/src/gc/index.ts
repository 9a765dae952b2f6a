/**
 * Garbage collection on top of the content store, the image index and the snapshots.
 *
 * @module gc
 */
export { gc, type GcOptions, type GcReport } from './gc.js';
