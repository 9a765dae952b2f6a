export * from './media-types.js';
export {
  parseReference,
  familiarName,
  registryApiHost,
  isLoopbackRegistry,
  withDigest,
  DOCKER_HUB,
  DOCKER_HUB_API_HOST,
  DEFAULT_TAG,
  MAX_NAME_LENGTH,
  type ImageReference,
} from './reference.js';
export { parseImageSource, parseLayoutReference, sourceKey, type ImageSource, type LayoutReference } from './source.js';
export {
  parsePlatform,
  formatPlatform,
  normalizePlatform,
  platformMatches,
  isWasmPlatform,
  hostLinuxPlatform,
  defaultAcceptPlatforms,
  WASM_PLATFORM,
  type PlatformSpec,
} from './platform-match.js';
export { selectManifest, offeredPlatforms, type PlatformChoice } from './select-manifest.js';
export { parseManifestDocument, parseDescriptor, type Descriptor, type ImageManifest, type ImageIndex, type ManifestDocument } from './manifest.js';
export { parseImageConfig, type ImageConfig, type ImageRunConfig } from './image-config.js';
export { parseAuthChallenges, findChallenge, type AuthChallenge } from './auth-challenge.js';
export {
  RegistryClient,
  MAX_REDIRECTS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  type RegistryClientOptions,
  type RegistryAccessOptions,
  type FetchedManifest,
  type BlobResponse,
} from './registry-client.js';
export { pullScope, type RegistryCredentials, type CredentialSource } from './registry-auth.js';
export { SYSTEM_CA_BUNDLE_PATHS, systemCaBundle, type RegistryTlsOptions } from './tls.js';
export { DEFAULT_RETRY, type RetryOptions } from './retry.js';
export { dockerConfigCredentials } from './credentials/resolve-credentials.js';
export { runCredentialHelper, CREDENTIAL_HELPER_TIMEOUT_MS, type HelperCredentials } from './credentials/credential-helper.js';
export { isNonDistributable } from './non-distributable.js';
export { MAX_INDEX_ENTRIES } from './manifest.js';
export { platformMatchRank } from './platform-match.js';
export { LocalImageIndex, type ImageIndexEntry } from './local-index.js';
export { pullImage } from './pull.js';
export { loadImage } from './load-image.js';
export { currentLayoutDigest } from './layout-digest.js';
export type { PulledImage, PullOptions, PullProgress } from './types.js';
export { parseArchiveReference, type ArchiveReference } from './source.js';
export { importArchive } from './pull.js';
export { exportImage, type ExportResult } from './export-layout.js';
export { loadArchive, CONTAINERD_IMAGE_NAME, type LoadedArchive } from './load-archive.js';
