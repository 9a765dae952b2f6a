/**
 * Image references with Docker's defaults (distribution/reference `ParseNormalizedNamed`).
 *
 * `alpine` → `docker.io/library/alpine:latest`; `index.docker.io/x` → `docker.io/library/x`;
 * `host:5000/a/b:tag`, `name@sha256:…`, `name:tag@sha256:…`. The first path component is a registry
 * host when it contains `.` or `:`, is `localhost`, or has an upper-case letter — exactly Docker's rule.
 *
 * @module image/reference
 */
import { err, ErrorCode } from '../errors.js';

/** The registry `docker.io` names; its API lives at {@link DOCKER_HUB_API_HOST}. */
export const DOCKER_HUB = 'docker.io';
/** The host that serves Docker Hub's registry API. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The tag used when a reference has neither tag nor digest. */
export const DEFAULT_TAG = 'latest';
/** Longest repository name (registry + path), in characters, as distribution/reference. */
export const MAX_NAME_LENGTH = 255;

/** A parsed, normalised registry image reference. */
export interface ImageReference {
  /** Registry host as written (normalised for Docker Hub): `docker.io`, `127.0.0.1:5000`, `ghcr.io`. */
  readonly registry: string;
  /** Repository path inside the registry: `library/alpine`, `org/team/app`. */
  readonly repository: string;
  /** The tag; `latest` when the reference had neither tag nor digest; undefined for a digest-only reference. */
  readonly tag: string | undefined;
  /** `sha256:<64 hex>` when the reference pins a digest (it then decides what is pulled; the tag is informative). */
  readonly digest: string | undefined;
  /** `registry/repository`. */
  readonly name: string;
  /** The full normalised form: `docker.io/library/alpine:latest`, `host/x@sha256:…`, `host/x:t@sha256:…`. */
  readonly canonical: string;
}

// distribution/reference's grammar (reference/regexp.go).
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = new RegExp(`^${ALNUM}(?:${SEPARATOR}${ALNUM})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST_GRAMMAR = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const HEX64 = /^[a-f0-9]{64}$/;

function invalid(input: string, why: string): never {
  throw err(
    ErrorCode.InvalidArgument,
    `invalid image reference ${JSON.stringify(input)}: ${why}; write it as [REGISTRY/]REPOSITORY[:TAG][@sha256:DIGEST], e.g. alpine:3.20 or 127.0.0.1:5000/hello:latest`,
    { reference: input },
  );
}

/**
 * Check a digest as a reference or descriptor carries it.
 *
 * @returns the digest (`sha256:<64 lowercase hex>`).
 * @throws MagikrunError `INVALID_ARGUMENT` when malformed; `UNSUPPORTED` for a well-formed digest of
 *   another algorithm (only sha256 is supported, as the BlobStore).
 */
export function checkReferenceDigest(digest: string, context: string): string {
  if (SHA256_DIGEST.test(digest)) return digest;
  if (DIGEST_GRAMMAR.test(digest) && !digest.startsWith('sha256:')) {
    throw err(ErrorCode.Unsupported, `${context}: digest algorithm of ${digest} is not supported; only sha256 digests are`, { digest });
  }
  throw err(ErrorCode.InvalidArgument, `${context}: malformed digest ${JSON.stringify(digest)}; expected sha256:<64 lowercase hex digits>`, { digest });
}

/** Docker's splitDockerDomain: is the first component a registry host? */
function looksLikeHost(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first;
}

/**
 * Parse a reference the way `docker pull` does.
 *
 * @param input e.g. `alpine`, `alpine:3.20`, `ghcr.io/org/app@sha256:…`, `127.0.0.1:5000/hello:v1`.
 *   A leading `docker://` (skopeo's transport prefix) is accepted and ignored.
 * @returns the normalised reference; `tag` is `latest` when neither tag nor digest was given.
 * @throws MagikrunError `INVALID_ARGUMENT` for anything the grammar refuses (upper-case repository,
 *   empty components, a tag over 128 characters, a bare 64-hex name, a malformed digest…);
 *   `UNSUPPORTED` for a digest algorithm other than sha256.
 */
export function parseReference(input: string): ImageReference {
  if (typeof input !== 'string') invalid(String(input), 'not a string');
  let s = input.startsWith('docker://') ? input.slice('docker://'.length) : input;
  if (s.length === 0) invalid(input, 'it is empty');
  if (/\s/.test(s)) invalid(input, 'it contains white space');

  let digest: string | undefined;
  const at = s.indexOf('@');
  if (at >= 0) {
    digest = s.slice(at + 1);
    s = s.slice(0, at);
    if (!DIGEST_GRAMMAR.test(digest)) invalid(input, `malformed digest ${JSON.stringify(digest)}`);
    checkReferenceDigest(digest, `image reference ${JSON.stringify(input)}`);
  }

  let tag: string | undefined;
  const colon = s.lastIndexOf(':');
  if (colon > s.lastIndexOf('/')) {
    tag = s.slice(colon + 1);
    s = s.slice(0, colon);
    if (!TAG.test(tag)) invalid(input, `malformed tag ${JSON.stringify(tag)} (use letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`);
  }

  if (s.length === 0) invalid(input, 'the repository name is missing');
  if (HEX64.test(s)) invalid(input, 'a repository name cannot be a 64-character hexadecimal string (an image id?)');

  let registry = DOCKER_HUB;
  let path = s;
  const slash = s.indexOf('/');
  if (slash >= 0 && looksLikeHost(s.slice(0, slash))) {
    registry = s.slice(0, slash);
    path = s.slice(slash + 1);
    if (!DOMAIN.test(registry)) invalid(input, `malformed registry host ${JSON.stringify(registry)}`);
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (path.toLowerCase() !== path) invalid(input, 'the repository name must be lower-case');
  const components = path.split('/');
  for (const c of components) {
    if (!PATH_COMPONENT.test(c)) {
      invalid(input, c === '' ? 'it has an empty path component' : `path component ${JSON.stringify(c)} is not allowed (use a-z, 0-9 and single ".", "_", "__" or "-" separators)`);
    }
  }
  if (registry === DOCKER_HUB && components.length === 1) path = `library/${path}`;
  const name = `${registry}/${path}`;
  if (name.length > MAX_NAME_LENGTH) invalid(input, `the repository name is longer than ${MAX_NAME_LENGTH} characters`);
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return makeReference(registry, path, tag, digest);
}

function makeReference(registry: string, repository: string, tag: string | undefined, digest: string | undefined): ImageReference {
  const name = `${registry}/${repository}`;
  const canonical = `${name}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  return Object.freeze({ registry, repository, tag, digest, name, canonical });
}

/** The same repository pinned to `digest` (tag kept for display). */
export function withDigest(ref: ImageReference, digest: string): ImageReference {
  return makeReference(ref.registry, ref.repository, ref.tag, checkReferenceDigest(digest, ref.canonical));
}

/** The host whose `/v2/` API serves a registry: `registry-1.docker.io` for `docker.io`, else the registry itself. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/** The shortest form Docker prints: `alpine:latest`, `user/app:1`, `127.0.0.1:5000/x:y`. */
export function familiarName(ref: ImageReference): string {
  let name = ref.name;
  if (ref.registry === DOCKER_HUB) {
    name = ref.repository.startsWith('library/') && ref.repository.split('/').length === 2 ? ref.repository.slice(8) : ref.repository;
  }
  return `${name}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/**
 * True for a registry on the loopback interface (`localhost`, `127.0.0.0/8`, `[::1]`, any port):
 * the only hosts magikrun talks plain HTTP to without an explicit `plainHttp` option.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.split(':')[0]!;
  if (host === 'localhost' || host === '[::1]') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}
