/**
 * A client of the OCI distribution API (distribution-spec spec.md "Pull"), on undici.
 *
 * It pings `GET /v2/`, authenticates (anonymous, Basic, Bearer token with one retry on 401), fetches
 * manifests with an `Accept` naming OCI and Docker schema 2 types, and opens blob streams (following
 * redirects to storage backends without leaking credentials). Plain HTTP is used only for loopback
 * registries or with the explicit `plainHttp` option. Retries, Range resume and push are for later.
 *
 * @module image/registry-client
 */
import type { Dispatcher } from 'undici';
import { httpRequest } from './http.js';
import { err, ErrorCode } from '../errors.js';
import { MAX_MANIFEST_SIZE } from '../constants.js';
import { parseAuthChallenges } from './auth-challenge.js';
import { networkError, statusError } from './http-errors.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { readLimited } from './read-limited.js';
import { isLoopbackRegistry, registryApiHost } from './reference.js';
import { pullScope, RegistryAuth, type RegistryCredentials } from './registry-auth.js';

/** Most redirects followed for one request: 5. */
export const MAX_REDIRECTS = 5;
/** Largest error body read from a registry, in bytes: 64 KiB. */
const MAX_ERROR_BODY = 64 * 1024;

/** Options of {@link RegistryClient}. */
export interface RegistryClientOptions {
  /**
   * Talk plain HTTP (no TLS) to this registry. Needed for a registry that is not on loopback and has
   * no TLS; never implied for other hosts.
   * @default true for loopback registries (localhost, 127.0.0.0/8, [::1]), false otherwise
   */
  plainHttp?: boolean;
  /** Credentials for Basic auth or for the Bearer token issuer. @default anonymous */
  credentials?: RegistryCredentials;
  /** undici dispatcher (connection pool, proxy, custom TLS). @default undici's global dispatcher */
  dispatcher?: Dispatcher;
  /** @default 'magikrun/<version>' */
  userAgent?: string;
}

/** A fetched manifest: its bytes and what the registry said about them. */
export interface FetchedManifest {
  bytes: Buffer;
  /** The Content-Type header, if any. */
  contentType: string | undefined;
  /** The Docker-Content-Digest header, if any. */
  digestHeader: string | undefined;
}

/** An open blob stream. The caller must consume it or call `body.destroy()`. */
export interface BlobResponse {
  body: Dispatcher.ResponseData['body'];
  /** Content-Length, when the server sent one. */
  size: number | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** One registry, one client: it keeps the auth state and tokens (per repository scope). */
export class RegistryClient {
  /** The registry as references name it (`docker.io`, `127.0.0.1:5000`). */
  readonly registry: string;
  /** `https://host` or `http://host` for loopback / plainHttp. */
  readonly baseUrl: URL;
  private readonly auth: RegistryAuth;
  private readonly plainHttp: boolean;
  private readonly userAgent: string;
  private pinged = false;

  constructor(registry: string, private readonly options: RegistryClientOptions = {}) {
    this.registry = registry;
    this.plainHttp = options.plainHttp ?? isLoopbackRegistry(registry);
    this.baseUrl = new URL(`${this.plainHttp ? 'http' : 'https'}://${registryApiHost(registry)}/`);
    this.userAgent = options.userAgent ?? 'magikrun/0.1';
    this.auth = new RegistryAuth(registry, {
      userAgent: this.userAgent,
      plainHttp: options.plainHttp === true,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  }

  /**
   * `GET /v2/`: check that this is a registry v2 endpoint and learn how it authenticates.
   *
   * @throws MagikrunError `REGISTRY` (unreachable, or not a v2 registry).
   */
  async ping(signal?: AbortSignal): Promise<void> {
    const res = await this.raw('GET', new URL('/v2/', this.baseUrl), {}, signal, 'the API check GET /v2/');
    const body = await readLimited(res.body, MAX_ERROR_BODY, `the answer of ${this.registry}/v2/`).catch(() => Buffer.alloc(0));
    if (res.statusCode === 401) {
      this.auth.learn(parseAuthChallenges(res.headers['www-authenticate']));
    } else if (res.statusCode !== 200) {
      throw err(
        ErrorCode.Registry,
        `${this.registry} does not serve the registry API v2 (GET ${this.baseUrl.origin}/v2/ answered ${res.statusCode}${body.length ? `: ${body.toString('utf8').slice(0, 120)}` : ''})`,
        { registry: this.registry, status: res.statusCode },
      );
    }
    this.pinged = true;
  }

  /**
   * `GET /v2/<name>/manifests/<reference>`.
   *
   * @param reference a tag or a digest.
   * @param maxSize refuse a larger document (bytes). @default MAX_MANIFEST_SIZE
   * @throws MagikrunError `NOT_FOUND` (404, message names `what`), `UNAUTHORIZED`, `REGISTRY`,
   *   `LIMIT_EXCEEDED`.
   */
  async getManifest(repository: string, reference: string, what: string, options: { maxSize?: number; signal?: AbortSignal } = {}): Promise<FetchedManifest> {
    const maxSize = options.maxSize ?? MAX_MANIFEST_SIZE;
    const res = await this.call('GET', `/v2/${repository}/manifests/${reference}`, repository, { accept: MANIFEST_ACCEPT }, options.signal, what);
    await this.check(res, what);
    const length = Number(res.headers['content-length']);
    if (Number.isFinite(length) && length > maxSize) {
      discard(res.body);
      throw err(ErrorCode.LimitExceeded, `${what}: the manifest is ${length} bytes, more than the ${maxSize}-byte limit`, { limit: maxSize, value: length });
    }
    const bytes = await readLimited(res.body, maxSize, `${what}: the manifest`);
    return { bytes, contentType: header(res, 'content-type'), digestHeader: header(res, 'docker-content-digest') };
  }

  /**
   * `GET /v2/<name>/blobs/<digest>`, following redirects. The body is not verified here: stream it
   * into the BlobStore, which checks size and digest.
   *
   * @throws MagikrunError `NOT_FOUND`, `UNAUTHORIZED`, `REGISTRY`.
   */
  async getBlob(repository: string, digest: string, what: string, signal?: AbortSignal): Promise<BlobResponse> {
    const res = await this.call('GET', `/v2/${repository}/blobs/${digest}`, repository, {}, signal, what);
    await this.check(res, what);
    const length = Number(res.headers['content-length']);
    return { body: res.body, size: Number.isFinite(length) ? length : undefined };
  }

  private async check(res: Dispatcher.ResponseData, what: string): Promise<void> {
    if (res.statusCode === 200) return;
    const body = await readLimited(res.body, MAX_ERROR_BODY, 'an error body').catch(() => Buffer.alloc(0));
    throw statusError(res.statusCode, what, this.registry, body.toString('utf8'));
  }

  /** A request with auth (one retry on 401) and redirects. */
  private async call(
    method: 'GET' | 'HEAD',
    path: string,
    repository: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<Dispatcher.ResponseData> {
    if (!this.pinged) await this.ping(signal);
    const scope = pullScope(repository);
    if (this.auth.needsToken(scope)) await this.auth.authorize(scope, signal);
    let url = new URL(path, this.baseUrl);
    let retried = false;
    for (let hops = 0; ; ) {
      const h: Record<string, string> = { ...headers };
      const sameOrigin = url.origin === this.baseUrl.origin;
      if (sameOrigin) {
        const a = this.auth.header(scope);
        if (a) h.authorization = a;
      }
      const res = await this.raw(method, url, h, signal, what);
      if (res.statusCode === 401 && sameOrigin && !retried) {
        retried = true;
        await res.body.dump().catch(() => undefined);
        const challenges = parseAuthChallenges(res.headers['www-authenticate']);
        if (!this.auth.learn(challenges)) throw statusError(401, what, this.registry, '');
        this.auth.forget(scope);
        const bearer = challenges.find((c) => c.scheme === 'bearer');
        await this.auth.authorize(scope, signal, bearer?.params.scope);
        continue;
      }
      if (REDIRECTS.has(res.statusCode)) {
        await res.body.dump().catch(() => undefined);
        const location = header(res, 'location');
        if (!location) throw err(ErrorCode.Registry, `${what}: registry ${this.registry} redirected without a Location`, { registry: this.registry });
        if (++hops > MAX_REDIRECTS) throw err(ErrorCode.Registry, `${what}: more than ${MAX_REDIRECTS} redirects`, { registry: this.registry });
        const next = new URL(location, url);
        if (next.protocol !== 'https:' && !(next.protocol === 'http:' && (this.plainHttp || isLoopbackRegistry(next.host)))) {
          throw err(ErrorCode.Registry, `${what}: registry ${this.registry} redirected to ${next.origin}, which is not HTTPS; refusing`, { registry: this.registry });
        }
        url = next;
        continue;
      }
      return res;
    }
  }

  private async raw(method: string, url: URL, headers: Record<string, string>, signal: AbortSignal | undefined, what: string): Promise<Dispatcher.ResponseData> {
    try {
      return await httpRequest(url, {
        method: method as Dispatcher.HttpMethod,
        headers: { 'user-agent': this.userAgent, ...headers },
        ...(signal ? { signal } : {}),
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw networkError(e, this.registry, what);
    }
  }
}

/** Release a body we will not read (without an unhandled 'error' event from undici's abort). */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
