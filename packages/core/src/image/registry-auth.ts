/**
 * Registry authentication: anonymous, Basic, and the Docker Registry v2 Bearer token flow
 * (distribution docs "Token Authentication Specification": a 401 with
 * `WWW-Authenticate: Bearer realm=…,service=…` → `GET realm?service=…&scope=repository:NAME:pull`
 * → `{ "token" | "access_token", "expires_in" }` → `Authorization: Bearer …`).
 *
 * With an identity token (Docker config `identitytoken`, a helper's `<token>` user) the token is
 * fetched as containerd does: `POST realm` with `grant_type=refresh_token` (OAuth2, distribution docs
 * "OAuth2 Token Authentication"). Credentials are resolved lazily, only when a registry challenges:
 * explicit ones, else Docker's config.json and credential helpers (image/credentials).
 *
 * Credentials go only to the registry itself and to its token realm, and only over HTTPS unless the
 * realm is on loopback: a plain-HTTP realm elsewhere never gets them (even with `plainHttp`).
 *
 * @module image/registry-auth
 */
import type { Dispatcher } from 'undici';
import { httpRequest } from './http.js';
import { err, ErrorCode } from '../errors.js';
import { findChallenge, type AuthChallenge } from './auth-challenge.js';
import { dockerConfigCredentials } from './credentials/resolve-credentials.js';
import type { RegistryCredentials } from './credentials/types.js';
import { describeRegistryErrors, networkError } from './http-errors.js';
import { readLimited } from './read-limited.js';
import { isLoopbackRegistry } from './reference.js';

export type { RegistryCredentials } from './credentials/types.js';

/**
 * Credentials, or a function that finds them for a registry (e.g. an ECR token provider). It is
 * called at most once per client, only when the registry asks for authentication.
 */
export type CredentialSource = RegistryCredentials | ((registry: string) => Promise<RegistryCredentials | undefined> | RegistryCredentials | undefined);

/** How RegistryAuth sends a request (the client's, with its agent and retries). */
export type AuthSend = (
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  what: string,
  method?: 'GET' | 'POST',
  body?: string,
) => Promise<Dispatcher.ResponseData>;

/** The OAuth2 client id sent with refresh-token grants. */
export const OAUTH_CLIENT_ID = 'magikrun';

/** Largest token response read, in bytes: 1 MiB. */
export const MAX_TOKEN_RESPONSE_SIZE = 1024 * 1024;
/** Token lifetime assumed when the issuer gives none, in seconds (the spec's default): 60. */
export const DEFAULT_TOKEN_LIFETIME = 60;

interface CachedToken {
  token: string;
  /** ms since epoch */
  expiresAt: number;
}

/** `repository:NAME:pull` — the scope a pull needs. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** Options of {@link RegistryAuth}. */
export interface RegistryAuthOptions {
  /** @default Docker's config.json (see `dockerConfig`), else anonymous */
  credentials?: CredentialSource;
  /** Directory of Docker's config.json, or false to read no auth file. @default skopeo's search (see RegistryAccessOptions) */
  dockerConfig?: string | false;
  /** Allow an anonymous token request to a plain-HTTP realm on a non-loopback host. @default false */
  plainHttp?: boolean;
  dispatcher?: Dispatcher;
  /** @default undici request through `dispatcher`, no retries */
  send?: AuthSend;
  userAgent: string;
}

/** Holds what a registry said about authentication, and the tokens obtained, per scope. */
export class RegistryAuth {
  private scheme: 'none' | 'basic' | 'bearer' = 'none';
  private bearer: AuthChallenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<void>>();
  private creds: Promise<RegistryCredentials | undefined> | undefined;
  private resolved: RegistryCredentials | undefined;

  constructor(
    private readonly registry: string,
    private readonly options: RegistryAuthOptions,
  ) {}

  /** Record the challenges of a 401 (from the ping or any request). Returns false when none is usable. */
  learn(challenges: readonly AuthChallenge[]): boolean {
    const bearer = findChallenge(challenges, 'bearer');
    if (bearer && bearer.params.realm) {
      this.scheme = 'bearer';
      this.bearer = bearer;
      return true;
    }
    if (findChallenge(challenges, 'basic')) {
      this.scheme = 'basic';
      return true;
    }
    return false;
  }

  /** The credentials to use (resolved once: explicit, else Docker's config), if any. */
  credentials(): Promise<RegistryCredentials | undefined> {
    return (this.creds ??= (async () => {
      const c = this.options.credentials;
      const got = typeof c === 'function' ? await c(this.registry) : c !== undefined ? c : this.options.dockerConfig === false ? undefined : await dockerConfigCredentials(this.registry, this.options.dockerConfig);
      this.resolved = got;
      return got;
    })());
  }

  /**
   * True when requests need {@link authorize} first: Bearer with no live token for `scope`, or Basic
   * with credentials not yet resolved.
   */
  needsToken(scope: string): boolean {
    if (this.scheme === 'basic') return this.creds === undefined;
    if (this.scheme !== 'bearer') return false;
    const t = this.tokens.get(scope);
    return !t || t.expiresAt <= Date.now();
  }

  /** The Authorization header for a request in `scope`, if any. */
  header(scope: string): string | undefined {
    if (this.scheme === 'bearer') {
      const t = this.tokens.get(scope);
      return t && t.expiresAt > Date.now() ? `Bearer ${t.token}` : undefined;
    }
    if (this.scheme === 'basic' && this.resolved && !this.resolved.identityToken) return basicHeader(this.resolved);
    return undefined;
  }

  /**
   * Make sure a request in `scope` can carry credentials: fetch a Bearer token, or check that Basic
   * credentials exist.
   *
   * @param challengeScope the scope the registry's challenge asked for, if it named one.
   * @throws MagikrunError `UNAUTHORIZED` (the issuer refused, or Basic auth without credentials),
   *   `REGISTRY` (an issuer that breaks the protocol or cannot be reached).
   */
  authorize(scope: string, signal: AbortSignal | undefined, challengeScope?: string): Promise<void> {
    // Concurrent requests in one scope (parallel layers after a token expired) share one token fetch.
    const key = `${scope}\n${challengeScope ?? ''}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.authorizeOnce(scope, signal, challengeScope).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async authorizeOnce(scope: string, signal: AbortSignal | undefined, challengeScope?: string): Promise<void> {
    if (this.scheme === 'basic') {
      const c = await this.credentials();
      if (!c || c.identityToken) {
        throw err(ErrorCode.Unauthorized, `registry ${this.registry} requires a user name and password (Basic auth); give credentials (the credentials option, or docker login)`, { registry: this.registry });
      }
      return;
    }
    if (this.scheme !== 'bearer' || !this.bearer) return;
    const realm = this.bearer.params.realm!;
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw err(ErrorCode.Registry, `registry ${this.registry} sent a token realm that is not a URL: ${JSON.stringify(realm)}`, { registry: this.registry });
    }
    const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackRegistry(url.host));
    if (!secure && !(url.protocol === 'http:' && this.options.plainHttp === true)) {
      throw err(
        ErrorCode.Registry,
        `registry ${this.registry} sent a token realm ${url.origin} that is not HTTPS; refusing to send a token request there (pass plainHttp to allow an anonymous one)`,
        { registry: this.registry, realm },
      );
    }
    const creds = await this.credentials();
    if (creds && !secure) {
      throw err(
        ErrorCode.Registry,
        `registry ${this.registry} sent a plain-HTTP token realm ${url.origin}; magikrun never sends credentials over plain HTTP off loopback`,
        { registry: this.registry, realm },
      );
    }
    const service = this.bearer.params.service;
    const scopes = [...new Set([scope, ...(challengeScope ? challengeScope.split(' ').filter(Boolean) : [])])];
    const headers: Record<string, string> = { accept: 'application/json' };
    let method: 'GET' | 'POST' = 'GET';
    let body: string | undefined;
    if (creds?.identityToken) {
      // containerd remotes/docker/auth FetchTokenWithOAuth: an identity token is an OAuth2 refresh token.
      method = 'POST';
      headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: OAUTH_CLIENT_ID, access_type: 'offline' });
      if (service) form.set('service', service);
      form.set('scope', scopes.join(' '));
      body = form.toString();
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds) {
        headers.authorization = basicHeader(creds);
        url.searchParams.set('account', creds.username);
      }
    }
    const res = await this.send(url, headers, signal, `a token for ${scope}`, method, body);
    const text = (await readLimited(res.body, MAX_TOKEN_RESPONSE_SIZE, `the token response of ${url.host}`)).toString('utf8');
    if (res.statusCode === 401 || res.statusCode === 403 || (creds?.identityToken && res.statusCode === 400)) {
      throw err(
        ErrorCode.Unauthorized,
        `the token issuer ${url.host} of registry ${this.registry} refused ${scope} (${res.statusCode} ${describeTokenError(text)}); check your credentials${creds?.identityToken ? ' (the identity token may have expired: docker login again)' : ''}`,
        { registry: this.registry, status: res.statusCode },
      );
    }
    if (res.statusCode !== 200) {
      throw err(ErrorCode.Registry, `the token issuer ${url.host} of registry ${this.registry} answered ${res.statusCode}`, { registry: this.registry, status: res.statusCode });
    }
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (e) {
      throw err(ErrorCode.Registry, `the token issuer ${url.host} answered with something that is not JSON`, { registry: this.registry }, e);
    }
    const token = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (!token) throw err(ErrorCode.Registry, `the token issuer ${url.host} answered without a token`, { registry: this.registry });
    const lifetime = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_TOKEN_LIFETIME;
    // Renew a little early so a token does not expire in flight (but never cache for less than 1 s).
    this.tokens.set(scope, { token, expiresAt: Date.now() + Math.max(1, lifetime - Math.min(5, lifetime / 2)) * 1000 });
  }

  private async send(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined, what: string, method: 'GET' | 'POST', body?: string): Promise<Dispatcher.ResponseData> {
    if (this.options.send) return this.options.send(url, headers, signal, what, method, body);
    try {
      return await httpRequest(url, {
        method,
        headers: { 'user-agent': this.options.userAgent, ...headers },
        ...(body !== undefined ? { body } : {}),
        signal,
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw networkError(e, url.host, what);
    }
  }

  /** Forget the token of `scope` (after the registry refused it). */
  forget(scope: string): void {
    this.tokens.delete(scope);
  }
}

/** An issuer's error body: the registry's `{"errors":[…]}` or OAuth2's `{"error","error_description"}`. */
function describeTokenError(text: string): string {
  try {
    const doc = JSON.parse(text) as { error?: unknown; error_description?: unknown; details?: unknown };
    if (typeof doc.error === 'string') return [doc.error, typeof doc.error_description === 'string' ? doc.error_description : typeof doc.details === 'string' ? doc.details : ''].filter(Boolean).join(': ');
  } catch {
    // fall through
  }
  return describeRegistryErrors(text);
}

function basicHeader(c: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}
