/**
 * A client of the OCI distribution API (distribution-spec spec.md "Pull"), on undici.
 *
 * It pings `GET /v2/`, authenticates (anonymous, Basic, Bearer token with one retry on 401), fetches
 * manifests with an `Accept` naming OCI and Docker schema 2 types, and opens blob streams (following
 * redirects to storage backends without leaking credentials). Plain HTTP is used only for loopback
 * registries or with the explicit `plainHttp` option. TLS trusts Node's list + the system CA bundle +
 * an optional custom CA (see image/tls). Idempotent requests (ping, manifests, tokens, the opening of
 * a blob GET) are retried with exponential backoff and jitter on 5xx, 429 (`Retry-After`) and
 * connection resets (see image/retry). Connect and idle timeouts come from an undici Agent.
 *
 * @module image/registry-client
 */
import type { Dispatcher } from 'undici';
import { httpRequest, registryAgent } from './http.js';
import { err, ErrorCode, isMagikrunError } from '../errors.js';
import { MAX_MANIFEST_SIZE } from '../constants.js';
import { parseAuthChallenges } from './auth-challenge.js';
import { networkError, statusError } from './http-errors.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { readLimited } from './read-limited.js';
import { isLoopbackRegistry, registryApiHost } from './reference.js';
import { pullScope, RegistryAuth, type CredentialSource } from './registry-auth.js';
import { backoffDelay, DEFAULT_RETRY, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, waitBeforeRetry, type RetryOptions } from './retry.js';
import type { RegistryTlsOptions } from './tls.js';

/** Most redirects followed for one request: 5. */
export const MAX_REDIRECTS = 5;
/** Largest error body read from a registry, in bytes: 64 KiB. */
const MAX_ERROR_BODY = 64 * 1024;

/** Default time to establish a connection (TCP + TLS), in ms: 30 000 (containerd's dialer uses 30 s). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Default longest silence of a connection (no headers, or no body bytes), in ms: 60 000. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/**
 * How magikrun reaches a registry: transport, TLS, credentials, timeouts and retries. `PullOptions`
 * extends it.
 */
export interface RegistryAccessOptions extends RegistryTlsOptions {
  /**
   * Talk plain HTTP (no TLS) to this registry. Needed for a registry that is not on loopback and has
   * no TLS; never implied for other hosts.
   * @default true for loopback registries (localhost, 127.0.0.0/8, [::1]), false otherwise
   */
  plainHttp?: boolean;
  /**
   * Credentials for the registry (Basic, or for its token issuer). They win over Docker's config.
   * @default from Docker's config.json / credential helpers (see `dockerConfig`), else anonymous
   */
  credentials?: CredentialSource;
  /**
   * Where to look for credentials in Docker's `config.json` format (`auths`, `credHelpers`,
   * `credsStore`): a directory (like `$DOCKER_CONFIG`; then only its config.json is read), or `false`
   * to read no file at all.
   * @default skopeo's search: `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
   *   `~/.config/containers/auth.json`, then `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`
   */
  dockerConfig?: string | false;
  /**
   * undici dispatcher (connection pool, proxy, custom TLS). When given, the TLS, proxy and timeout
   * options are the dispatcher's business and are ignored.
   * @default a shared undici Agent with the system CA bundle and the timeouts below, through
   *   `HTTPS_PROXY` / `HTTP_PROXY` when set (not for `NO_PROXY` hosts and loopback registries)
   */
  dispatcher?: Dispatcher;
  /** Time to establish TCP + TLS, in ms. @default DEFAULT_CONNECT_TIMEOUT_MS (30 000) */
  connectTimeoutMs?: number;
  /**
   * Longest silence while waiting for response headers or between two chunks of a body (a stalled
   * transfer), in ms. @default DEFAULT_IDLE_TIMEOUT_MS (60 000)
   */
  idleTimeoutMs?: number;
  /** Retries of idempotent requests. @default DEFAULT_RETRY (4 attempts, 200 ms base, 10 s cap) */
  retry?: RetryOptions;
  /**
   * Fetch non-distributable ("foreign") layers: layers with a non-distributable media type or with
   * `urls`. Without it such a layer is refused (`UNSUPPORTED`) before anything is downloaded. With it,
   * the registry is asked first and then the descriptor's `urls` (HTTPS only, never with credentials).
   * @default false
   */
  allowNonDistributable?: boolean;
  /** @default 'magikrun/0.1' */
  userAgent?: string;
}

/** Options of {@link RegistryClient}. */
export type RegistryClientOptions = RegistryAccessOptions;

const ACCESS_KEYS = [
  'plainHttp', 'credentials', 'dockerConfig', 'dispatcher', 'connectTimeoutMs', 'idleTimeoutMs', 'retry',
  'allowNonDistributable', 'userAgent', 'ca', 'insecureSkipTlsVerify', 'systemCa',
] as const satisfies readonly (keyof RegistryAccessOptions)[];

/** The {@link RegistryAccessOptions} part of a larger options object (e.g. PullOptions), without undefined values. */
export function registryAccess(o: RegistryAccessOptions): RegistryAccessOptions {
  const out: Record<string, unknown> = {};
  for (const k of ACCESS_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return out as RegistryAccessOptions;
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
  private readonly retry: Required<RetryOptions>;
  private dispatcher: Promise<Dispatcher> | undefined;
  private pinged = false;
  /** The ping in flight, shared by concurrent first requests. */
  private pinging: Promise<void> | undefined;

  constructor(registry: string, private readonly options: RegistryClientOptions = {}) {
    this.registry = registry;
    this.plainHttp = options.plainHttp ?? isLoopbackRegistry(registry);
    this.baseUrl = new URL(`${this.plainHttp ? 'http' : 'https'}://${registryApiHost(registry)}/`);
    this.userAgent = options.userAgent ?? 'magikrun/0.1';
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    if (!(this.retry.attempts >= 1 && Number.isInteger(this.retry.attempts))) {
      throw err(ErrorCode.InvalidArgument, `retry.attempts must be a whole number of at least 1, got ${String(options.retry?.attempts)}`);
    }
    for (const k of ['connectTimeoutMs', 'idleTimeoutMs'] as const) {
      const v = options[k];
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw err(ErrorCode.InvalidArgument, `${k} must be a positive number of ms, got ${String(v)}`);
    }
    this.auth = new RegistryAuth(registry, {
      userAgent: this.userAgent,
      plainHttp: options.plainHttp === true,
      send: (url, headers, signal, what, method, body) => this.raw(method ?? 'GET', url, headers, signal, what, true, body),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.dockerConfig !== undefined ? { dockerConfig: options.dockerConfig } : {}),
    });
  }

  /** The dispatcher of all requests: the caller's, or a shared Agent with TLS trust and timeouts. */
  private agent(): Promise<Dispatcher> {
    return (this.dispatcher ??= this.options.dispatcher
      ? Promise.resolve(this.options.dispatcher)
      : registryAgent({
          ...(this.options.ca !== undefined ? { ca: this.options.ca } : {}),
          ...(this.options.insecureSkipTlsVerify !== undefined ? { insecureSkipTlsVerify: this.options.insecureSkipTlsVerify } : {}),
          ...(this.options.systemCa !== undefined ? { systemCa: this.options.systemCa } : {}),
          loopback: isLoopbackRegistry(registryApiHost(this.registry)),
          connectTimeoutMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
          idleTimeoutMs: this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
        }));
  }

  /**
   * `GET /v2/`: check that this is a registry v2 endpoint and learn how it authenticates.
   *
   * @throws MagikrunError `REGISTRY` (unreachable, or not a v2 registry).
   */
  async ping(signal?: AbortSignal): Promise<void> {
    const res = await this.raw('GET', new URL('/v2/', this.baseUrl), {}, signal, 'the API check GET /v2/', true);
    const body = await readLimited(res.body, MAX_ERROR_BODY, `the answer of ${this.registry}/v2/`).catch(() => Buffer.alloc(0));
    if (res.statusCode === 401) {
      this.auth.learn(parseAuthChallenges(res.headers['www-authenticate']));
    } else if (res.statusCode !== 200) {
      const text = body.toString('utf8');
      // Go's net/http answers a plain request to a TLS listener with exactly this 400.
      const hint =
        this.baseUrl.protocol === 'http:' && /HTTP request to an HTTPS server/i.test(text)
          ? '; it speaks HTTPS: pass plainHttp: false (magikrun --no-plain-http), with its CA if it is not publicly trusted'
          : '';
      throw err(
        ErrorCode.Registry,
        `${this.registry} does not serve the registry API v2 (GET ${this.baseUrl.origin}/v2/ answered ${res.statusCode}${text.length ? `: ${text.trim().slice(0, 120)}` : ''})${hint}`,
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
    // A body cut short (reset, stall, truncation) is retried like a failed request: manifests are small.
    for (let attempt = 1; ; attempt++) {
      const res = await this.call('GET', `/v2/${repository}/manifests/${reference}`, repository, { accept: MANIFEST_ACCEPT }, options.signal, what);
      await this.check(res, what);
      const length = Number(res.headers['content-length']);
      if (Number.isFinite(length) && length > maxSize) {
        discard(res.body);
        throw err(ErrorCode.LimitExceeded, `${what}: the manifest is ${length} bytes, more than the ${maxSize}-byte limit`, { limit: maxSize, value: length });
      }
      try {
        const bytes = await readLimited(res.body, maxSize, `${what}: the manifest`);
        if (Number.isFinite(length) && bytes.length !== length) {
          throw Object.assign(new Error(`the manifest body has ${bytes.length} bytes, Content-Length said ${length}`), { code: 'UND_ERR_SOCKET' });
        }
        return { bytes, contentType: header(res, 'content-type'), digestHeader: header(res, 'docker-content-digest') };
      } catch (e) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (isMagikrunError(e)) throw e;
        if (attempt < this.retry.attempts && isRetryableNetworkError(e)) {
          await waitBeforeRetry(backoffDelay(attempt, this.retry), options.signal);
          continue;
        }
        throw networkError(e, this.registry, what);
      }
    }
  }

  /**
   * `GET /v2/<name>/blobs/<digest>`, following redirects. The body is not verified here: stream it
   * into the BlobStore, which checks size and digest.
   *
   * @param urls the descriptor's `urls` (a non-distributable layer): tried, in order and without any
   *   credentials, when the registry answers 404 — only with `allowNonDistributable`, only HTTPS (or
   *   plain HTTP to loopback).
   * @throws MagikrunError `NOT_FOUND`, `UNAUTHORIZED`, `REGISTRY`.
   */
  async getBlob(repository: string, digest: string, what: string, signal?: AbortSignal, urls?: readonly string[]): Promise<BlobResponse> {
    const res = await this.call('GET', `/v2/${repository}/blobs/${digest}`, repository, {}, signal, what);
    if (res.statusCode === 404 && urls && urls.length > 0 && this.options.allowNonDistributable === true) {
      await res.body.dump().catch(() => undefined);
      return this.getForeignBlob(urls, what, signal);
    }
    await this.check(res, what);
    const length = Number(res.headers['content-length']);
    return { body: res.body, size: Number.isFinite(length) ? length : undefined };
  }
  /**
   * `GET /v2/<name>/blobs/<digest>` from byte `offset` on, with `Range: bytes=<offset>-` (RFC 9110
   * §14.2) when `offset > 0`, following redirects (the Range goes along). A server may ignore the
   * range (200: the body starts at 0) or answer another one (206 with its `Content-Range`): `start`
   * says where the body begins, and the caller decides. A 416 (range not satisfiable) is answered by
   * asking for the whole blob. The body is not verified here.
   *
   * @param offset first byte wanted (0 = the whole blob)
   * @returns the body and the offset of its first byte
   * @throws MagikrunError `NOT_FOUND`, `UNAUTHORIZED`, `REGISTRY` (also for a 206 without a readable `Content-Range`).
   */
  async getBlobFrom(repository: string, digest: string, what: string, offset: number, signal?: AbortSignal): Promise<BlobResponse & { start: number }> {
    const path = `/v2/${repository}/blobs/${digest}`;
    let res = await this.call('GET', path, repository, offset > 0 ? { range: `bytes=${offset}-` } : {}, signal, what);
    if (res.statusCode === 416) {
      await res.body.dump().catch(() => undefined);
      res = await this.call('GET', path, repository, {}, signal, what);
    }
    let start = 0;
    if (res.statusCode === 206) {
      const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(header(res, 'content-range') ?? '');
      if (!m) {
        discard(res.body);
        throw err(ErrorCode.Registry, `${what}: registry ${this.registry} answered 206 without a readable Content-Range (${header(res, 'content-range') ?? 'none'})`, { registry: this.registry, status: 206 });
      }
      start = Number(m[1]);
    } else {
      await this.check(res, what);
    }
    const length = Number(res.headers['content-length']);
    return { body: res.body, size: Number.isFinite(length) ? length : undefined, start };
  }


  /** A non-distributable layer from its descriptor's `urls`: no credentials ever, the first 200 wins. */
  private async getForeignBlob(urls: readonly string[], what: string, signal: AbortSignal | undefined): Promise<BlobResponse> {
    const failures: string[] = [];
    for (const u of urls) {
      let url: URL;
      try {
        url = new URL(u);
      } catch {
        failures.push(`${u}: not a URL`);
        continue;
      }
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackRegistry(url.host))) {
        failures.push(`${url.origin}: not HTTPS`);
        continue;
      }
      const res = await this.follow('GET', url, {}, signal, what, () => undefined);
      if (res.statusCode === 200) {
        const length = Number(res.headers['content-length']);
        return { body: res.body, size: Number.isFinite(length) ? length : undefined };
      }
      await res.body.dump().catch(() => undefined);
      failures.push(`${url.origin}: HTTP ${res.statusCode}`);
    }
    throw err(ErrorCode.NotFound, `${what} is not in the registry and none of its urls served it (${failures.join('; ')})`, { registry: this.registry, urls: [...urls] });
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
    if (!this.pinged) await (this.pinging ??= this.ping(signal).finally(() => (this.pinging = undefined)));
    const scope = pullScope(repository);
    if (this.auth.needsToken(scope)) await this.auth.authorize(scope, signal);
    const url = new URL(path, this.baseUrl);
    const authFor = (u: URL) => (u.origin === this.baseUrl.origin ? this.auth.header(scope) : undefined);
    const res = await this.follow(method, url, headers, signal, what, authFor);
    if (res.statusCode !== 401) return res;
    await res.body.dump().catch(() => undefined);
    // The token expired, or the registry wants another scope: learn its challenge, renew once.
    const challenges = parseAuthChallenges(res.headers['www-authenticate']);
    if (!this.auth.learn(challenges)) throw statusError(401, what, this.registry, '');
    this.auth.forget(scope);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    await this.auth.authorize(scope, signal, bearer?.params.scope);
    return this.follow(method, url, headers, signal, what, authFor);
  }

  /**
   * Send, following up to MAX_REDIRECTS redirects. `Authorization` goes only where `authFor` gives it
   * (the registry's own origin): a redirect to a CDN or object store never sees credentials. A 401
   * from another origin is returned as is (the caller treats it as an error, not a challenge).
   */
  private async follow(
    method: 'GET' | 'HEAD',
    start: URL,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    what: string,
    authFor: (url: URL) => string | undefined,
  ): Promise<Dispatcher.ResponseData> {
    let url = start;
    for (let hops = 0; ; ) {
      const h: Record<string, string> = { ...headers };
      const a = authFor(url);
      if (a) h.authorization = a;
      const res = await this.raw(method, url, h, signal, what, true);
      if (res.statusCode === 401 && url.origin !== this.baseUrl.origin) {
        await res.body.dump().catch(() => undefined);
        throw err(ErrorCode.Unauthorized, `${what}: ${url.origin} (where registry ${this.registry} redirected) answered 401; magikrun does not send registry credentials to another host`, { registry: this.registry, status: 401 });
      }
      if (!REDIRECTS.has(res.statusCode)) return res;
      await res.body.dump().catch(() => undefined);
      const location = header(res, 'location');
      if (!location) throw err(ErrorCode.Registry, `${what}: registry ${this.registry} redirected without a Location`, { registry: this.registry });
      if (++hops > MAX_REDIRECTS) throw err(ErrorCode.Registry, `${what}: more than ${MAX_REDIRECTS} redirects`, { registry: this.registry });
      const next = new URL(location, url);
      // Plain HTTP only to loopback, or anywhere with an explicit plainHttp (not the loopback default).
      if (next.protocol !== 'https:' && !(next.protocol === 'http:' && (this.options.plainHttp === true || isLoopbackRegistry(next.host)))) {
        throw err(ErrorCode.Registry, `${what}: registry ${this.registry} redirected to ${next.origin}, which is not HTTPS; refusing`, { registry: this.registry });
      }
      url = next;
    }
  }

  /**
   * One HTTP exchange. With `idempotent`, 5xx / 408 / 429 answers and connection failures are retried
   * with backoff (the body of a failed answer is drained first); the last answer or error stands.
   */
  private async raw(
    method: string,
    url: URL,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    what: string,
    idempotent = false,
    body?: string,
  ): Promise<Dispatcher.ResponseData> {
    const dispatcher = await this.agent();
    const attempts = idempotent ? this.retry.attempts : 1;
    for (let attempt = 1; ; attempt++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await httpRequest(url, {
          method: method as Dispatcher.HttpMethod,
          headers: { 'user-agent': this.userAgent, ...headers },
          dispatcher,
          ...(body !== undefined ? { body } : {}),
          ...(signal ? { signal } : {}),
        });
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        if (attempt < attempts && isRetryableNetworkError(e)) {
          await waitBeforeRetry(backoffDelay(attempt, this.retry), signal);
          continue;
        }
        throw networkError(e, url.host, what);
      }
      if (attempt < attempts && isRetryableStatus(res.statusCode)) {
        await res.body.dump().catch(() => undefined);
        await waitBeforeRetry(backoffDelay(attempt, this.retry, parseRetryAfter(res.headers['retry-after'])), signal);
        continue;
      }
      return res;
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
