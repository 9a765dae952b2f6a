export * from './types.js';
export * from './signal.js';
export * from './lifecycle.js';
export * from './container-id.js';
