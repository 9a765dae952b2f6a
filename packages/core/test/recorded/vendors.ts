/**
 * Registry conversations in the shapes Docker Hub, GHCR, ECR, Quay and Harbor answer with.
 *
 * HAND-WRITTEN, NOT CAPTURED: live registries are not reachable from this build environment. Each
 * shape follows the vendor's documentation and the responses quoted in public issue threads:
 * - Docker Hub: distribution "Token Authentication Specification" (auth.docker.io, service
 *   registry.docker.io, `{token, access_token, expires_in, issued_at}`), Docker docs "Docker Hub
 *   usage and limits" (429 TOOMANYREQUESTS, `ratelimit-*` headers), blobs 307 to a Cloudflare CDN.
 * - GHCR: `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:…:pull"`, token
 *   `{"token": "…"}` without expires_in, `{"errors":[{"code":"DENIED",…}]}` (argoproj-labs/
 *   argocd-image-updater#303), blobs 307 to pkg-containers.githubusercontent.com.
 * - ECR: `Basic realm="https://ACCOUNT.dkr.ecr.REGION.amazonaws.com/",service="ecr.amazonaws.com"`
 *   (mayflower/docker-ls#28), user `AWS` + `aws ecr get-login-password`, 403 DENIED "Your
 *   authorization token has expired", 404 MANIFEST_UNKNOWN "Requested image not found", blobs 307
 *   to a presigned S3 URL.
 * - Quay: `Bearer realm="https://quay.io/v2/auth",service="quay.io"` (quay/claircore#879), no scope in
 *   the /v2/ challenge, errors with an empty `detail` object, blobs 302 to its CDN.
 * - Harbor: `Bearer realm="https://HOST/service/token",service="harbor-registry"` with
 *   `scope="repository:…:pull"` on repository requests (goharbor/harbor#17930 getChallenge), token
 *   `{token, access_token, expires_in: 1800, issued_at}`, NOT_FOUND "artifact … not found".
 *
 * Hosts are rewritten to loopback servers: `realm` and redirect targets point at the test's own
 * servers, the CDN at a second loopback address (127.0.0.2) so "another host" is real.
 */
import { createHash } from 'node:crypto';
import type { Handler, RecordedRequest, Reply } from './replay-server.js';

export const LAYER = Buffer.from('recorded layer bytes\n');
export const LAYER_DIGEST = `sha256:${createHash('sha256').update(LAYER).digest('hex')}`;
export const CONFIG = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
export const CONFIG_DIGEST = `sha256:${createHash('sha256').update(CONFIG).digest('hex')}`;
export const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: CONFIG_DIGEST, size: CONFIG.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: LAYER_DIGEST, size: LAYER.length }],
  }),
);
export const MANIFEST_DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;

const json = (status: number, doc: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(doc),
});
const manifestReply = (): Reply => ({
  status: 200,
  headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': MANIFEST_DIGEST },
  body: MANIFEST,
});

/** What a vendor's servers need to know about each other. */
export interface VendorWorld {
  /** origin of the registry server, e.g. http://127.0.0.1:PORT */
  registry: string;
  /** origin of the token server (may equal registry) */
  auth: string;
  /** origin of the CDN / object store on another loopback address */
  cdn: string;
  /** valid credentials (user → password) */
  users: Record<string, string>;
  /** repositories that anonymous users may pull */
  publicRepos: string[];
}

function basicUser(req: RecordedRequest, users: Record<string, string>): string | undefined {
  const m = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const [u, ...p] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
  return u !== undefined && users[u] === p.join(':') ? u : undefined;
}

/** Tokens are `tok:<repository>:<account>`; the registry checks them. */
function tokenRepo(req: RecordedRequest): { repo: string; account: string } | undefined {
  const m = /^Bearer tok:([^:]+):(.*)$/.exec(req.headers.authorization ?? '');
  return m ? { repo: m[1]!, account: m[2]! } : undefined;
}

function repoOf(url: string): string | undefined {
  return /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(url)?.[1];
}

function blobOrManifest(req: RecordedRequest, w: VendorWorld, redirectStatus: number, cdnPath: (d: string) => string, notFound: () => Reply): Reply {
  const url = new URL(req.url, 'http://x');
  const m = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
  if (!m) return notFound();
  const [, , kind, ref] = m;
  if (kind === 'manifests') return ref === 'latest' || ref === MANIFEST_DIGEST ? manifestReply() : notFound();
  if (ref === LAYER_DIGEST || ref === CONFIG_DIGEST) return { status: redirectStatus, headers: { location: `${w.cdn}${cdnPath(ref!)}` } };
  return notFound();
}

/** A generic Bearer token endpoint (GET with optional Basic, or OAuth2 POST with a refresh token). */
function tokenEndpoint(req: RecordedRequest, w: VendorWorld, shape: (token: string) => unknown, refreshTokens: Record<string, string> = {}): Reply {
  const url = new URL(req.url, 'http://x');
  let scopes: string[];
  let account = '';
  if (req.method === 'POST') {
    const form = new URLSearchParams(req.body);
    if (form.get('grant_type') !== 'refresh_token' || !refreshTokens[form.get('refresh_token') ?? '']) return json(401, { error: 'invalid_grant', error_description: 'refresh token is invalid' });
    account = refreshTokens[form.get('refresh_token')!]!;
    scopes = (form.get('scope') ?? '').split(' ');
  } else {
    if (req.headers.authorization) {
      const u = basicUser(req, w.users);
      if (!u) return json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] });
      account = u;
    }
    scopes = url.searchParams.getAll('scope');
  }
  const repo = /^repository:([^:]+):pull$/.exec(scopes[0] ?? '')?.[1] ?? '';
  const granted = account !== '' || w.publicRepos.includes(repo) ? repo : 'none';
  return json(200, shape(`tok:${granted}:${account}`));
}

function bearerGate(req: RecordedRequest, w: VendorWorld, challenge: (scope?: string) => string, denied: () => Reply): Reply | undefined {
  const repo = repoOf(new URL(req.url, 'http://x').pathname);
  const t = tokenRepo(req);
  if (repo === undefined) {
    // /v2/
    return t ? { status: 200, body: '{}' } : json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] }, { 'www-authenticate': challenge() });
  }
  if (!t) return json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': challenge(`repository:${repo}:pull`) });
  if (t.repo !== repo) return denied();
  return undefined;
}

/** Docker Hub: registry-1.docker.io + auth.docker.io, 307 to production.cloudflare.docker.com. */
export function dockerHub(w: VendorWorld, opts: { rateLimited?: () => boolean } = {}): { registry: Handler; auth: Handler } {
  const challenge = (scope?: string) => `Bearer realm="${w.auth}/token",service="registry.docker.io"${scope ? `,scope="${scope}"` : ''}`;
  return {
    auth: (req) =>
      new URL(req.url, 'http://x').pathname === '/token'
        ? tokenEndpoint(req, w, (token) => ({ token, access_token: token, expires_in: 300, issued_at: '2026-11-29T10:00:00.000000000Z' }))
        : { status: 404 },
    registry: (req) => {
      const gate = bearerGate(req, w, challenge, () =>
        json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: [{ Type: 'repository', Class: '', Name: repoOf(new URL(req.url, 'http://x').pathname), Action: 'pull' }] }] }, { 'www-authenticate': `${challenge(`repository:${repoOf(new URL(req.url, 'http://x').pathname)}:pull`)},error="insufficient_scope"` }),
      );
      if (gate) return gate;
      if (opts.rateLimited?.() && req.url.includes('/manifests/')) {
        return json(429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit' }] }, { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600', 'retry-after': '0' });
      }
      return blobOrManifest(req, w, 307, (d) => `/registry-v2/docker/registry/v2/blobs/sha256/${d.slice(7, 9)}/${d.slice(7)}/data?verify=1732874400-abc`, () => json(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: 'unknown tag=nope' }] }));
    },
  };
}

/** GHCR: token endpoint on the registry host itself; DENIED for repositories the token does not cover. */
export function ghcr(w: VendorWorld, refreshTokens: Record<string, string> = {}): Handler {
  const challenge = (scope?: string) => `Bearer realm="${w.registry}/token",service="ghcr.io",scope="${scope ?? 'repository:user/image:pull'}"`;
  return (req) => {
    if (new URL(req.url, 'http://x').pathname === '/token') return tokenEndpoint(req, w, (token) => ({ token }), refreshTokens);
    const gate = bearerGate(req, w, challenge, () => json(403, { errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] }));
    if (gate) return gate;
    return blobOrManifest(req, w, 307, (d) => `/ghcr1/blobs/${d}?se=2026-11-29T10%3A10%3A00Z&sig=abc`, () => json(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
  };
}

/** ECR: Basic auth with user AWS; presigned S3 redirects. */
export function ecr(w: VendorWorld, opts: { expired?: boolean } = {}): Handler {
  return (req) => {
    const user = basicUser(req, w.users);
    if (!req.headers.authorization) {
      return json(401, { errors: [{ code: 'DENIED', message: 'Not Authorized' }] }, { 'www-authenticate': `Basic realm="${w.registry}/",service="ecr.amazonaws.com"` });
    }
    if (opts.expired || !user) return json(403, { errors: [{ code: 'DENIED', message: 'Your authorization token has expired. Reauthenticate and try again.' }] });
    if (new URL(req.url, 'http://x').pathname === '/v2/') return { status: 200, body: '{}' };
    return blobOrManifest(req, w, 307, (d) => `/starport-layer-bucket/${d.slice(7)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=abc`, () => json(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'Requested image not found' }] }));
  };
}

/** Quay: /v2/auth token endpoint on the registry host; 302 to its CDN. */
export function quay(w: VendorWorld): Handler {
  const challenge = () => `Bearer realm="${w.registry}/v2/auth",service="quay.io"`;
  return (req) => {
    if (new URL(req.url, 'http://x').pathname === '/v2/auth') return tokenEndpoint(req, w, (token) => ({ token }));
    const gate = bearerGate(req, w, challenge, () => json(401, { errors: [{ code: 'UNAUTHORIZED', detail: {}, message: 'access to the requested resource is not authorized' }] }, { 'www-authenticate': challenge() }));
    if (gate) return gate;
    return blobOrManifest(req, w, 302, (d) => `/sha256/${d.slice(7, 9)}/${d.slice(7)}?Expires=1732874400&Signature=abc`, () => json(404, { errors: [{ code: 'MANIFEST_UNKNOWN', detail: {}, message: 'manifest unknown' }] }));
  };
}

/** Harbor: /service/token, service harbor-registry; Basic challenge when an Authorization header was sent to /v2/_catalog. */
export function harbor(w: VendorWorld): Handler {
  const challenge = (scope?: string) => `Bearer realm="${w.registry}/service/token",service="harbor-registry"${scope ? `,scope="${scope}"` : ''}`;
  return (req) => {
    if (new URL(req.url, 'http://x').pathname === '/service/token') {
      return tokenEndpoint(req, w, (token) => ({ token, access_token: token, expires_in: 1800, issued_at: '2026-11-29T10:00:00Z' }));
    }
    const repo = repoOf(new URL(req.url, 'http://x').pathname);
    const gate = bearerGate(req, w, challenge, () =>
      json(401, { errors: [{ code: 'UNAUTHORIZED', message: `unauthorized to access repository: ${repo}, action: pull: unauthorized to access repository: ${repo}, action: pull` }] }, { 'www-authenticate': challenge(`repository:${repo}:pull`) }),
    );
    if (gate) return gate;
    const ref = new URL(req.url, 'http://x').pathname.split('/').pop();
    return blobOrManifest(req, w, 307, (d) => `/harbor-s3/docker/registry/v2/blobs/sha256/${d.slice(7, 9)}/${d.slice(7)}/data`, () => json(404, { errors: [{ code: 'NOT_FOUND', message: `artifact ${repo}:${ref} not found` }] }));
  };
}

/** The CDN / object store: serves the blobs by digest found in the path; refuses requests that carry Authorization. */
export const cdn: Handler = (req) => {
  if (req.headers.authorization) return { status: 400, body: 'Only one auth mechanism allowed' };
  const hex = /([a-f0-9]{64})/.exec(req.url)?.[1];
  if (hex && `sha256:${hex}` === LAYER_DIGEST) return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: LAYER };
  if (hex && `sha256:${hex}` === CONFIG_DIGEST) return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: CONFIG };
  return { status: 404 };
};
