/**
 * @magikrun/core — contracts and shared machinery of magikrun.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './constants.js';
export * from './runtime/index.js';
export type * from './runtime/bundle.js';
export * from './platform/index.js';
export * from './storage/index.js';
export * from './image/index.js';
export * from './rootfs/index.js';
export * from './bundle-builder/index.js';
export * from './snapshots/index.js';
export * from './gc/index.js';
