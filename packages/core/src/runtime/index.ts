export * from './types.js';
export * from './signal.js';
export * from './lifecycle.js';
export * from './container-id.js';
export * from './limits.js';
export * from './capabilities.js';
export * from './host-scoped.js';
