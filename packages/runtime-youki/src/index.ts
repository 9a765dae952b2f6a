/**
 * @magikrun/runtime-youki — the Linux container backend of magikrun: OCI bundles on youki's
 * libcontainer, one monitor process per container, containers that outlive the creating process.
 *
 * @packageDocumentation
 */
export { YoukiRuntime, type YoukiContainerInfo } from './runtime.js';
export { defaultStateRoot, type YoukiCreateOptions, type YoukiOutputTarget, type YoukiRuntimeOptions, type YoukiStdioOptions } from './options.js';
export { missingForYouki } from './host-check.js';
export { FOLLOW_POLL_MS } from './logs/follow.js';
export { BINDING_ENV, MONITOR_ENV } from './binding/load.js';
