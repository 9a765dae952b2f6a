/**
 * Registry authentication: anonymous, Basic, and the Docker Registry v2 Bearer token flow
 * (distribution docs "Token Authentication Specification": a 401 with
 * `WWW-Authenticate: Bearer realm=…,service=…` → `GET realm?service=…&scope=repository:NAME:pull`
 * → `{ "token" | "access_token", "expires_in" }` → `Authorization: Bearer …`).
 *
 * Credentials go only to the registry itself and to its token realm, and only over HTTPS unless the
 * host is on loopback or the caller opted into plain HTTP.
 *
 * @module image/registry-auth
 */
import type { Dispatcher } from 'undici';
import { httpRequest } from './http.js';
import { err, ErrorCode } from '../errors.js';
import { findChallenge, type AuthChallenge } from './auth-challenge.js';
import { describeRegistryErrors, networkError } from './http-errors.js';
import { readLimited } from './read-limited.js';
import { isLoopbackRegistry } from './reference.js';

/** A user name and password (or token used as password) for a registry. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

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
  credentials?: RegistryCredentials;
  /** Allow a plain-HTTP token realm on a non-loopback host. @default false */
  plainHttp?: boolean;
  dispatcher?: Dispatcher;
  userAgent: string;
}

/** Holds what a registry said about authentication, and the tokens obtained, per scope. */
export class RegistryAuth {
  private scheme: 'none' | 'basic' | 'bearer' = 'none';
  private bearer: AuthChallenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();

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

  /** True when requests need a token fetched first (Bearer scheme, nothing cached for `scope`). */
  needsToken(scope: string): boolean {
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
    if (this.scheme === 'basic' && this.options.credentials) return basicHeader(this.options.credentials);
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
  async authorize(scope: string, signal: AbortSignal | undefined, challengeScope?: string): Promise<void> {
    if (this.scheme === 'basic') {
      if (!this.options.credentials) {
        throw err(ErrorCode.Unauthorized, `registry ${this.registry} requires a user name and password (Basic auth); give credentials`, { registry: this.registry });
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
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (isLoopbackRegistry(url.host) || this.options.plainHttp === true))) {
      throw err(
        ErrorCode.Registry,
        `registry ${this.registry} sent a token realm ${url.origin} that is not HTTPS; refusing to send a token request there (pass plainHttp to allow it)`,
        { registry: this.registry, realm },
      );
    }
    const service = this.bearer.params.service;
    if (service) url.searchParams.set('service', service);
    const scopes = new Set([scope, ...(challengeScope ? challengeScope.split(' ') : [])]);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent, accept: 'application/json' };
    if (this.options.credentials) {
      headers.authorization = basicHeader(this.options.credentials);
      url.searchParams.set('account', this.options.credentials.username);
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await httpRequest(url, { method: 'GET', headers, signal, ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}) });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw networkError(e, url.host, `a token for ${scope}`);
    }
    const body = await readLimited(res.body, MAX_TOKEN_RESPONSE_SIZE, `the token response of ${url.host}`);
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw err(
        ErrorCode.Unauthorized,
        `the token issuer ${url.host} of registry ${this.registry} refused ${scope} (${res.statusCode} ${describeRegistryErrors(body.toString('utf8'))}); check your credentials`,
        { registry: this.registry, status: res.statusCode },
      );
    }
    if (res.statusCode !== 200) {
      throw err(ErrorCode.Registry, `the token issuer ${url.host} of registry ${this.registry} answered ${res.statusCode}`, { registry: this.registry, status: res.statusCode });
    }
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch (e) {
      throw err(ErrorCode.Registry, `the token issuer ${url.host} answered with something that is not JSON`, { registry: this.registry }, e);
    }
    const token = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (!token) throw err(ErrorCode.Registry, `the token issuer ${url.host} answered without a token`, { registry: this.registry });
    const lifetime = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_TOKEN_LIFETIME;
    // Renew a little early so a token does not expire in flight.
    this.tokens.set(scope, { token, expiresAt: Date.now() + Math.max(1, lifetime - 5) * 1000 });
  }

  /** Forget the token of `scope` (after the registry refused it). */
  forget(scope: string): void {
    this.tokens.delete(scope);
  }
}

function basicHeader(c: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}
