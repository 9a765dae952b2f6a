/**
 * @magikrun/registry — finds and combines the installed magikrun runtime backends.
 *
 * @packageDocumentation
 */
export { RuntimeRegistry } from './registry.js';
export type { RuntimeRegistryOptions, UnavailableRuntime } from './registry.js';
export { BUILTIN_CANDIDATES } from './candidates.js';
export type { RuntimeCandidate, RuntimeConstructor, PackageImporter } from './candidates.js';
export { selectRuntime, missingCapabilities } from './select.js';
export type { RuntimeNeeds, SelectionRequest, Selection, RefusedRuntime, UnavailableCandidate, MissingCapability } from './select.js';
export { createContainer, run, Container, needsOf, KIND_NOUNS } from './container.js';
export type { ContainerOptions, RunOptions } from './container.js';
export { bindToCreator } from './owner/bind.js';
export type { OwnerBinding } from './owner/bind.js';
export type { WatchedContainer } from './owner/protocol.js';
