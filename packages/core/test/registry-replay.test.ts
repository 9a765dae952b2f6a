/**
 * Replays of registry conversations in the shapes Docker Hub, GHCR, ECR, Quay and Harbor send —
 * HAND-WRITTEN from their documentation and public issue threads (see test/recorded/vendors.ts);
 * live registries are not reachable from here. Servers run on 127.0.0.1, the CDN on 127.0.0.2.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { pullImage } from '../src/image/pull.js';
import { RegistryClient, type RegistryClientOptions } from '../src/image/registry-client.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { startReplayServer, type ReplayServer } from './recorded/replay-server.js';
import { cdn, CONFIG_DIGEST, dockerHub, ecr, ghcr, harbor, LAYER, LAYER_DIGEST, MANIFEST_DIGEST, quay, type VendorWorld } from './recorded/vendors.js';
import { tempStore } from './support/store.js';
import { failure } from './support/outcome.js';

let registry: ReplayServer;
let auth: ReplayServer;
let cdnServer: ReplayServer;
let world: VendorWorld;

beforeAll(async () => {
  registry = await startReplayServer(() => ({ status: 500 }));
  auth = await startReplayServer(() => ({ status: 500 }));
  cdnServer = await startReplayServer(cdn, '127.0.0.2');
  world = { registry: registry.origin, auth: auth.origin, cdn: cdnServer.origin, users: { AWS: 'ecr-password', octocat: 'ghp_pat', admin: 'Harbor12345' }, publicRepos: ['library/alpine', 'user/image', 'coreos/etcd'] };
});
afterAll(async () => {
  await Promise.all([registry?.close(), auth?.close(), cdnServer?.close()]);
});
beforeEach(() => {
  registry.requests.length = 0;
  auth.requests.length = 0;
  cdnServer.requests.length = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

const client = (o: RegistryClientOptions = {}) => new RegistryClient(registry.host, { dockerConfig: false, retry: { baseDelayMs: 1 }, ...o });
const text = async (body: AsyncIterable<Uint8Array>) => {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
};

describe('Docker Hub shapes (auth.docker.io, registry.docker.io, 307 to a CDN)', () => {
  beforeEach(() => {
    const hub = dockerHub(world);
    registry.handler = hub.registry;
    auth.handler = hub.auth;
  });

  it('anonymous pull: token for repository:library/alpine:pull, Bearer to the registry, nothing to the CDN', async () => {
    const c = client();
    const m = await c.getManifest('library/alpine', 'latest', 'alpine');
    expect(m.digestHeader).toBe(MANIFEST_DIGEST);
    const blob = await c.getBlob('library/alpine', LAYER_DIGEST, 'layer');
    expect(await text(blob.body)).toEqual(LAYER);
    expect(auth.requests).toHaveLength(1);
    const tokenUrl = new URL(auth.requests[0]!.url, 'http://x');
    expect(tokenUrl.searchParams.get('service')).toBe('registry.docker.io');
    expect(tokenUrl.searchParams.getAll('scope')).toEqual(['repository:library/alpine:pull']);
    expect(auth.requests[0]!.headers.authorization).toBeUndefined();
    const manifestReq = registry.requests.find((r) => r.url.includes('/manifests/'))!;
    expect(manifestReq.headers.authorization).toBe('Bearer tok:library/alpine:');
    expect(manifestReq.headers.accept).toContain('application/vnd.oci.image.index.v1+json');
    expect(manifestReq.headers.accept).toContain('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(cdnServer.requests).toHaveLength(1);
    expect(cdnServer.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('caches the token per scope and honours expires_in (300 s)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const c = client();
    await c.getManifest('library/alpine', 'latest', 'alpine');
    await c.getManifest('library/alpine', MANIFEST_DIGEST, 'alpine');
    expect(auth.requests).toHaveLength(1);
    vi.setSystemTime(Date.now() + 301_000);
    await c.getManifest('library/alpine', 'latest', 'alpine');
    expect(auth.requests).toHaveLength(2);
  });

  it('one token per scope: a second repository gets its own, the same one reuses it', async () => {
    const c = client();
    await c.getManifest('library/alpine', 'latest', 'x');
    await c.getManifest('user/image', 'latest', 'y');
    await c.getManifest('library/alpine', MANIFEST_DIGEST, 'x');
    expect(auth.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('scope'))).toEqual(['repository:library/alpine:pull', 'repository:user/image:pull']);
  });

  it('a token endpoint answering 503 once is retried', async () => {
    const hub = dockerHub(world);
    let n = 0;
    auth.handler = (req) => (n++ === 0 ? { status: 503, body: 'try again' } : hub.auth(req));
    await client().getManifest('library/alpine', 'latest', 'alpine');
    expect(auth.requests).toHaveLength(2);
  });

  it('a private repository anonymously: one renewal after the 401 (insufficient_scope), then UNAUTHORIZED', async () => {
    const e = await failure(client().getManifest('someone/private', 'latest', 'image someone/private'));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toContain('UNAUTHORIZED: authentication required');
    expect(auth.requests).toHaveLength(2);
  });

  it('credentials go to the token realm as Basic with account=, never to the CDN', async () => {
    const hub = dockerHub({ ...world, users: { alice: 'hub-secret' } });
    registry.handler = hub.registry;
    auth.handler = hub.auth;
    const c = client({ credentials: { username: 'alice', password: 'hub-secret' } });
    await c.getManifest('alice/private', 'latest', 'x');
    const blob = await c.getBlob('alice/private', CONFIG_DIGEST, 'config');
    await text(blob.body);
    expect(auth.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('alice:hub-secret').toString('base64')}`);
    expect(new URL(auth.requests[0]!.url, 'http://x').searchParams.get('account')).toBe('alice');
    expect(registry.requests.every((r) => !r.headers.authorization?.startsWith('Basic'))).toBe(true);
    expect(cdnServer.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('429 TOOMANYREQUESTS with Retry-After is retried; when it persists → REGISTRY saying rate-limited', async () => {
    let n = 0;
    const flaky = dockerHub(world, { rateLimited: () => n++ < 1 });
    registry.handler = flaky.registry;
    await client().getManifest('library/alpine', 'latest', 'alpine');
    const always = dockerHub(world, { rateLimited: () => true });
    registry.handler = always.registry;
    registry.requests.length = 0;
    const e = await failure(client({ retry: { attempts: 3, baseDelayMs: 1 } }).getManifest('library/alpine', 'latest', 'alpine'));
    expect(e.code).toBe('REGISTRY');
    expect(e.message).toMatch(/rate-limiting.*TOOMANYREQUESTS/);
    expect(registry.requests.filter((r) => r.url.includes('/manifests/'))).toHaveLength(3);
  });

  it('404 MANIFEST_UNKNOWN → NOT_FOUND naming the image', async () => {
    const e = await failure(client().getManifest('library/alpine', 'nope', 'image docker.io/library/alpine:nope'));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('image docker.io/library/alpine:nope not found (404 MANIFEST_UNKNOWN: manifest unknown');
  });

  it('pullImage end to end through these shapes stores verified blobs', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const img = await pullImage(`${registry.host}/library/alpine:latest`, store as BlobStore, { dockerConfig: false });
      expect(img.digest).toBe(MANIFEST_DIGEST);
      expect(await store.has(LAYER_DIGEST)).toBe(true);
    } finally {
      await cleanup();
    }
  });
});

describe('GHCR shapes (realm on ghcr.io itself, token without expires_in, DENIED)', () => {
  beforeEach(() => {
    registry.handler = ghcr(world, { 'ghcr-refresh-token': 'octocat' });
  });

  it('anonymous pull of a public package; the challenge scope is merged with ours', async () => {
    const c = client();
    await c.getManifest('user/image', 'latest', 'x');
    const tokenReq = registry.requests.find((r) => r.url.startsWith('/token'))!;
    expect(new URL(tokenReq.url, 'http://x').searchParams.get('service')).toBe('ghcr.io');
    expect(new URL(tokenReq.url, 'http://x').searchParams.getAll('scope')).toContain('repository:user/image:pull');
    const blob = await c.getBlob('user/image', LAYER_DIGEST, 'layer');
    expect(await text(blob.body)).toEqual(LAYER);
    expect(cdnServer.requests[0]!.url).toContain('/ghcr1/blobs/');
  });

  it('a private package without credentials → UNAUTHORIZED with the DENIED text', async () => {
    const e = await failure(client().getManifest('octocat/private', 'latest', 'x'));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toContain('DENIED: requested access to the resource is denied');
  });

  it('a personal access token as password works', async () => {
    await client({ credentials: { username: 'octocat', password: 'ghp_pat' } }).getManifest('octocat/private', 'latest', 'x');
  });

  it('an identity token is exchanged by an OAuth2 POST (grant_type=refresh_token), as containerd does', async () => {
    await client({ credentials: { username: '', password: '', identityToken: 'ghcr-refresh-token' } }).getManifest('octocat/private', 'latest', 'x');
    const post = registry.requests.find((r) => r.method === 'POST')!;
    const form = new URLSearchParams(post.body);
    expect(form.get('grant_type')).toBe('refresh_token');
    expect(form.get('refresh_token')).toBe('ghcr-refresh-token');
    expect(form.get('service')).toBe('ghcr.io');
    expect(form.get('scope')).toContain('repository:octocat/private:pull');
    expect(post.headers.authorization).toBeUndefined();
  });

  it('a refused identity token → UNAUTHORIZED mentioning docker login', async () => {
    const e = await failure(client({ credentials: { username: '', password: '', identityToken: 'stale' } }).getManifest('octocat/private', 'latest', 'x'));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toMatch(/invalid_grant.*docker login/);
  });
});

describe('ECR shapes (Basic with user AWS, 307 to presigned S3)', () => {
  it('pulls with AWS + password; S3 never sees the Authorization header (it would answer 400)', async () => {
    registry.handler = ecr(world);
    const c = client({ credentials: { username: 'AWS', password: 'ecr-password' } });
    await c.getManifest('team/app', 'latest', 'x');
    const blob = await c.getBlob('team/app', LAYER_DIGEST, 'layer');
    expect(await text(blob.body)).toEqual(LAYER);
    expect(registry.requests.filter((r) => r.url !== '/v2/').every((r) => r.headers.authorization === `Basic ${Buffer.from('AWS:ecr-password').toString('base64')}`)).toBe(true);
    expect(cdnServer.requests[0]!.headers.authorization).toBeUndefined();
    expect(cdnServer.requests[0]!.url).toContain('X-Amz-Signature');
  });

  it('no credentials → UNAUTHORIZED asking for them; an expired token → UNAUTHORIZED with ECR’s text', async () => {
    registry.handler = ecr(world);
    expect((await failure(client().getManifest('team/app', 'latest', 'x'))).message).toMatch(/requires a user name and password/);
    registry.handler = ecr(world, { expired: true });
    const e = await failure(client({ credentials: { username: 'AWS', password: 'ecr-password' } }).getManifest('team/app', 'latest', 'x'));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toContain('Your authorization token has expired');
  });

  it('404 “Requested image not found” → NOT_FOUND', async () => {
    registry.handler = ecr(world);
    const e = await failure(client({ credentials: { username: 'AWS', password: 'ecr-password' } }).getManifest('team/app', 'v9', 'image team/app:v9'));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('Requested image not found');
  });
});

describe('Quay shapes (/v2/auth, no scope in the challenge, 302 to a CDN)', () => {
  it('anonymous public pull asks the token for our own scope and follows the 302 without credentials', async () => {
    registry.handler = quay(world);
    const c = client();
    await c.getManifest('coreos/etcd', 'latest', 'x');
    const tokenReq = registry.requests.find((r) => r.url.startsWith('/v2/auth'))!;
    expect(new URL(tokenReq.url, 'http://x').searchParams.getAll('scope')).toEqual(['repository:coreos/etcd:pull']);
    expect(new URL(tokenReq.url, 'http://x').searchParams.get('service')).toBe('quay.io');
    const blob = await c.getBlob('coreos/etcd', LAYER_DIGEST, 'layer');
    expect(await text(blob.body)).toEqual(LAYER);
    expect(cdnServer.requests[0]!.headers.authorization).toBeUndefined();
  });
});

describe('Harbor shapes (/service/token, harbor-registry, expires_in 1800)', () => {
  beforeEach(() => {
    registry.handler = harbor(world);
  });

  it('pulls a private project with credentials; the token request carries account and Basic', async () => {
    const c = client({ credentials: { username: 'admin', password: 'Harbor12345' } });
    await c.getManifest('project/repo', 'latest', 'x');
    const tokenReq = registry.requests.find((r) => r.url.startsWith('/service/token'))!;
    const u = new URL(tokenReq.url, 'http://x');
    expect(u.searchParams.get('service')).toBe('harbor-registry');
    expect(u.searchParams.get('account')).toBe('admin');
    expect(tokenReq.headers.authorization).toMatch(/^Basic /);
  });

  it('anonymous on a private project → UNAUTHORIZED quoting Harbor; unknown tag → NOT_FOUND quoting Harbor', async () => {
    const e = await failure(client().getManifest('project/repo', 'latest', 'x'));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toContain('unauthorized to access repository: project/repo');
    const nf = await failure(client({ credentials: { username: 'admin', password: 'Harbor12345' } }).getManifest('project/repo', 'v0', 'image project/repo:v0'));
    expect(nf.code).toBe('NOT_FOUND');
    expect(nf.message).toContain('artifact project/repo:v0 not found');
  });
});

describe('concurrency', () => {
  it('concurrent first requests share one ping and one token fetch', async () => {
    const hub = dockerHub(world);
    registry.handler = hub.registry;
    auth.handler = hub.auth;
    const c = client();
    await Promise.all([1, 2, 3, 4].map(() => c.getManifest('library/alpine', 'latest', 'alpine')));
    expect(registry.requests.filter((r) => r.url === '/v2/')).toHaveLength(1);
    expect(auth.requests).toHaveLength(1);
  });
});
