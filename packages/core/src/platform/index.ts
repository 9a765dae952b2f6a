export * from './types.js';
export { Platform, hasCapability, DETECT_COMMAND_TIMEOUT, type PlatformInit } from './platform.js';
export { ociPlatformOf, formatOciPlatform } from './oci-platform.js';
export { REQUIRE_ENV, requiredCapabilities, requireCapabilities, canRun } from './require.js';
export { userName } from './user-name.js';
